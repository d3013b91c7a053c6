"""Network faults between graphpub and a real pypiserver (through tests.faultproxy).

Each time: the faulty repository is reported failed with a clear reason, the other repository
completes, the exit code is 1, and running the same command again uploads only what is
missing: nothing twice, nothing lost. Transient faults are retried with backoff, a bounded
number of times.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner
from tests.faultproxy import FaultProxy
from tests.monorepos import chain_files, chain_repo
from tests.servers import (  # noqa: F401  (fixtures)
    IndexServer,
    clean_env,
    private_server_fixture,
    pypi_server_fixture,
    simple_index_files,
)

COUNT = 2
FILES = 2 * COUNT
CONFIG = "upload_retries = 2\nretry_backoff = 0.05\nupload_timeout = 2\nindex_timeout = 2\n"


@dataclass
class Scene:
    """A good repository, and a faulty one: `proxy` in front of the server `upstream`. Both
    accept the plain TWINE_USERNAME / TWINE_PASSWORD (URL repositories read only those)."""

    good: IndexServer
    proxy: FaultProxy
    upstream: IndexServer


@pytest.fixture
def scene(
    pypi_server: IndexServer, private_server: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Scene]:
    monkeypatch.setenv("TWINE_USERNAME", private_server.username)
    monkeypatch.setenv("TWINE_PASSWORD", private_server.password)
    # The session servers have different users: for these tests, the good one accepts both.
    htpasswd = pypi_server.packages_dir.parent / "htpasswd"
    before = htpasswd.read_text(encoding="utf-8")
    private = (private_server.packages_dir.parent / "htpasswd").read_text(encoding="utf-8")
    htpasswd.write_text(before + private, encoding="utf-8")
    with FaultProxy(("127.0.0.1", private_server.port)) as proxy:
        yield Scene(pypi_server, proxy, private_server)
    htpasswd.write_text(before, encoding="utf-8")


def publish(run: Runner, root: Path) -> tuple[int, str, list[dict[str, Any]]]:
    report = root / "report.json"
    code, out, _ = run(["publish", "::", "--output", str(report)], root=root)
    return code, out, json.loads(report.read_text(encoding="utf-8"))["uploads"]


def statuses(uploads: list[dict[str, Any]], repository: str) -> list[str]:
    """The statuses of the files of the distributions `repository` got, sorted."""
    return sorted(f["status"] for u in uploads if u["repository"] == repository for f in u["files"])


def chain(tmp_path: Path, scene: Scene, name: str) -> Path:
    """A chain of distributions, each going to both repositories of the scene."""
    repositories = [scene.good.url, scene.proxy.url]
    return chain_repo(tmp_path / "repo", repositories, count=COUNT, name=name, config=CONFIG)


def faulty_then_fixed(
    tmp_path: Path, run: Runner, name: str, scene: Scene
) -> tuple[str, list[dict[str, Any]]]:
    """Publish with the fault in force: the good repository completes, the faulty one fails.
    Then, with the fault gone, the rerun uploads exactly what is missing. The first run's
    output and report."""
    good, faulty, upstream = scene.good, scene.proxy, scene.upstream
    root = chain(tmp_path, scene, name)
    code, out, uploads = publish(run, root)
    assert code == 1, out
    assert statuses(uploads, good.url) == ["published"] * FILES
    assert simple_index_files(good) >= chain_files(COUNT, name)
    assert not simple_index_files(upstream) & chain_files(COUNT, name)
    faulty.set_mode("pass")
    posts = faulty.requests_seen["POST"]
    code, again, rerun = publish(run, root)
    assert code == 0, again
    assert statuses(rerun, good.url) == ["skipped"] * FILES  # nothing twice
    assert statuses(rerun, faulty.url) == ["published"] * FILES  # nothing lost
    assert faulty.requests_seen["POST"] - posts == FILES  # each missing file uploaded once
    assert simple_index_files(upstream) >= chain_files(COUNT, name)
    return out, uploads


def failures(out: str, repository: str) -> set[str]:
    """The reasons given for the distributions that failed for `repository` (each root
    cause once)."""
    infix = f" failed for {repository}: "
    return {
        line.split(infix, 1)[1]
        for line in out.splitlines()
        if line.startswith("✕ ") and infix in line
    }


def test_a_repository_that_refuses_connections(tmp_path: Path, run: Runner, scene: Scene) -> None:
    proxy = scene.proxy
    proxy.set_mode("refuse")
    out, _ = faulty_then_fixed(tmp_path, run, "refused", scene)
    assert failures(out, proxy.url) == {"cannot read the index: connection refused (3 attempts)"}


def test_server_errors_then_recovery_are_retried(tmp_path: Path, run: Runner, scene: Scene) -> None:
    proxy = scene.proxy
    # The first index read gets a 503, then six uploads a 500: more than twine's own five
    # tries, so graphpub's retry is what gets the file through.
    proxy.set_mode("http_error", status=503, count=1)
    root = chain(tmp_path, scene, "flaky")
    reads = proxy.requests_seen["GET"]
    code, out, uploads = publish(run, root)
    assert code == 0, out
    assert proxy.requests_seen["GET"] - reads > COUNT  # the index read that failed was retried
    proxy.set_mode("http_error", status=500, count=6, only_methods=("POST",))
    build = root / f"p{COUNT - 1}" / "BUILD"  # the last link: no other distribution pins it
    build.write_text(build.read_text(encoding="utf-8").replace('"1.0"', '"1.1"'), encoding="utf-8")
    posts = proxy.requests_seen["POST"]
    code, out, uploads = publish(run, root)
    assert code == 0, out
    assert proxy.faults_injected["http_error"] == 7
    assert statuses(uploads, proxy.url).count("published") == 2  # the 1.1 files, once each
    assert proxy.requests_seen["POST"] - posts == 6 + 2
    new = {f"flaky_p{COUNT - 1}-1.1.tar.gz", f"flaky_p{COUNT - 1}-1.1-py3-none-any.whl"}
    assert new <= simple_index_files(scene.upstream)


def test_a_repository_that_keeps_answering_503(tmp_path: Path, run: Runner, scene: Scene) -> None:
    proxy = scene.proxy
    proxy.set_mode("http_error", status=503, only_methods=("POST",))
    out, uploads = faulty_then_fixed(tmp_path, run, "down", scene)
    assert failures(out, proxy.url) == {
        f"HTTPError: 503 Service Unavailable from {proxy.url} (3 attempts)"
    }
    # The repository is down: after the first file, the rest are not tried one by one.
    assert proxy.faults_injected["http_error"] == 3 * 5  # 3 graphpub attempts of 5 twine POSTs
    # p0's files failed (the sdist was not even tried); p1, which needs p0, is blocked.
    assert statuses(uploads, proxy.url) == ["blocked", "blocked", "failed", "failed"]


def test_a_repository_that_stalls(tmp_path: Path, run: Runner, scene: Scene) -> None:
    proxy = scene.proxy
    proxy.set_mode("stall", only_methods=("POST",))
    out, _ = faulty_then_fixed(tmp_path, run, "stalled", scene)
    assert failures(out, proxy.url) == {"no progress for 2 s (upload_timeout) (3 attempts)"}


def test_a_stalled_index_read(tmp_path: Path, run: Runner, scene: Scene) -> None:
    proxy = scene.proxy
    proxy.set_mode("stall", only_methods=("GET",))
    out, _ = faulty_then_fixed(tmp_path, run, "slowindex", scene)
    assert failures(out, proxy.url) == {
        "cannot read the index: no complete answer within 2 s (index_timeout) (3 attempts)"
    }


def test_a_connection_reset_mid_upload(tmp_path: Path, run: Runner, scene: Scene) -> None:
    proxy = scene.proxy
    proxy.set_mode("reset", only_methods=("POST",))
    out, _ = faulty_then_fixed(tmp_path, run, "reset", scene)
    assert failures(out, proxy.url) == {"connection reset during the transfer (3 attempts)"}


def test_a_single_reset_is_retried(tmp_path: Path, run: Runner, scene: Scene) -> None:
    proxy = scene.proxy
    proxy.set_mode("reset", only_methods=("POST",), count=1)
    root = chain(tmp_path, scene, "onereset")
    code, out, uploads = publish(run, root)
    assert code == 0, out
    assert statuses(uploads, proxy.url) == ["published"] * FILES
    assert proxy.requests_seen["POST"] == FILES + 1  # the reset one, once more


def test_an_unauthorized_answer(tmp_path: Path, run: Runner, scene: Scene) -> None:
    proxy = scene.proxy
    # pypiserver answers 401 only to a request without credentials, which twine never sends.
    proxy.set_mode("http_error", status=401, only_methods=("POST",))
    out, _ = faulty_then_fixed(tmp_path, run, "unauthorized", scene)
    assert failures(out, proxy.url) == {f"HTTPError: 401 Unauthorized from {proxy.url}"}
    assert proxy.faults_injected["http_error"] == 1  # denied: neither retried nor tried per file


def test_bad_credentials(
    tmp_path: Path,
    run: Runner,
    pypi_server: IndexServer,
    private_server: IndexServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = "denied"
    pypirc = (
        "[distutils]\nindex-servers = good bad\n\n"
        f"[good]\nrepository: {pypi_server.url}\n\n[bad]\nrepository: {private_server.url}\n"
    )
    root = chain_repo(
        tmp_path / "repo", ["@good", "@bad"], count=COUNT, name=name, config=CONFIG, pypirc=pypirc
    )
    monkeypatch.setenv("TWINE_USERNAME_GOOD", pypi_server.username)
    monkeypatch.setenv("TWINE_PASSWORD_GOOD", pypi_server.password)
    monkeypatch.setenv("TWINE_USERNAME_BAD", private_server.username)
    monkeypatch.setenv("TWINE_PASSWORD_BAD", "wrong-password")
    code, out, uploads = publish(run, root)
    assert code == 1
    assert statuses(uploads, "@good") == ["published"] * FILES
    # Not retried; p1 is blocked by p0.
    assert statuses(uploads, "@bad") == ["blocked", "blocked", "failed", "failed"]
    (reason,) = failures(out, "@bad")
    assert reason == f"HTTPError: 403 Forbidden from {private_server.url}"
    # Where the credentials came from, and what to do: once, under the root cause.
    block = out.split(f"✕ p0:dist failed for @bad: {reason}\n", 1)[1].splitlines()[:6]
    assert block == [
        "    twine: Forbidden",
        "    username: from TWINE_USERNAME_BAD",
        "    password: from TWINE_PASSWORD_BAD",
        "    keyring: not asked (the password comes from TWINE_PASSWORD_BAD)",
        "    hint: @bad refused these credentials: correct them in TWINE_USERNAME_BAD and "
        "TWINE_PASSWORD_BAD, or unset them and pass --interactive to type them",
        "    blocked by it: p1:dist",
    ]
    assert "wrong-password" not in out
    monkeypatch.setenv("TWINE_PASSWORD_BAD", private_server.password)
    code, out, rerun = publish(run, root)
    assert code == 0, out
    assert statuses(rerun, "@good") == ["skipped"] * FILES
    assert statuses(rerun, "@bad") == ["published"] * FILES


# A slow network, steady: each file takes several times upload_timeout to go out, while twine
# prints nothing. Random bytes do not compress, so each file is about PAYLOAD bytes.
PAYLOAD = 400_000
THROTTLE = 100_000  # bytes a second
# Not less: twine itself takes a second or so to start (with no output and no upload yet).
UPLOAD_TIMEOUT = 2
SLOW_CONFIG = f"upload_retries = 0\nupload_timeout = {UPLOAD_TIMEOUT}\nindex_timeout = 5\n"


def steady_repo(tmp_path: Path, proxy: FaultProxy, name: str, config: str) -> Path:
    """One distribution whose files are each about PAYLOAD bytes, going through `proxy`."""
    root = chain_repo(tmp_path / "repo", [proxy.url], count=1, name=name, config=config)
    (root / "p0" / "payload.bin").write_bytes(os.urandom(PAYLOAD))
    build = root / "p0" / "BUILD"
    build.write_text(
        build.read_text(encoding="utf-8").replace(
            'dependencies=[":p0"]', 'dependencies=[":p0", ":payload"]'
        )
        + 'resources(name="payload", sources=["payload.bin"])\n',
        encoding="utf-8",
    )
    return root


@pytest.fixture
def throttled(private_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A proxy in front of the private server passing uploads at THROTTLE bytes a second."""
    monkeypatch.setenv("TWINE_USERNAME", private_server.username)
    monkeypatch.setenv("TWINE_PASSWORD", private_server.password)
    # A small receive buffer: what the client sees acknowledged moves at the throttle's pace.
    with FaultProxy(("127.0.0.1", private_server.port), receive_buffer=16_384) as proxy:
        proxy.set_mode("throttle", rate=THROTTLE, only_methods=("POST",))
        yield proxy


def test_a_slow_but_moving_upload_is_not_abandoned(
    tmp_path: Path, run: Runner, private_server: IndexServer, throttled: FaultProxy
) -> None:
    """upload_timeout is measured in bytes moved, not in lines twine prints."""
    root = steady_repo(tmp_path, throttled, "steady", SLOW_CONFIG)
    started = time.monotonic()
    code, out, uploads = publish(run, root)
    elapsed = time.monotonic() - started
    assert code == 0, out
    assert statuses(uploads, throttled.url) == ["published"] * 2
    assert simple_index_files(private_server) >= chain_files(1, "steady")
    # What makes this a test: each upload lasted far longer than upload_timeout (the throttle
    # guarantees it), in which twine printed nothing.
    assert PAYLOAD / THROTTLE >= 2 * UPLOAD_TIMEOUT
    assert elapsed > 2 * PAYLOAD / THROTTLE


def test_an_upload_longer_than_upload_deadline_is_abandoned(
    tmp_path: Path, run: Runner, private_server: IndexServer, throttled: FaultProxy
) -> None:
    """The time one file may take in all is bounded (upload_deadline), however it moves."""
    config = SLOW_CONFIG + "upload_deadline = 2.5\n"
    root = steady_repo(tmp_path, throttled, "overdue", config)
    code, out, uploads = publish(run, root)
    assert code == 1
    wheel = "overdue_p0-1.0-py3-none-any.whl"
    assert out.splitlines()[:2] == [
        f"✕ p0:dist failed for {throttled.url}: {wheel} still uploading after 2.5 s "
        "(upload_deadline)",
        "    hint: raise upload_deadline, or set `upload_deadline = inf` for no limit",
    ]
    assert statuses(uploads, throttled.url) == ["failed"] * 2
    assert not simple_index_files(private_server) & chain_files(1, "overdue")


def test_ctrl_c_mid_upload_exits_130(
    tmp_path: Path, private_server: IndexServer, throttled: FaultProxy
) -> None:
    """Ctrl-C at a terminal (SIGINT to the whole process group) while twine uploads: graphpub
    stops, without a traceback, with the exit code shells give an interrupted command."""
    root = steady_repo(tmp_path, throttled, "interrupted", SLOW_CONFIG)
    process = subprocess.Popen(
        [sys.executable, "-m", "graphpub", "-C", str(root), "publish", "::"],
        env=clean_env(
            {"TWINE_USERNAME": private_server.username, "TWINE_PASSWORD": private_server.password}
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + 60
        while throttled.bytes_forwarded["POST"] < THROTTLE // 2:
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, out + err
    assert "Traceback" not in err
    assert not simple_index_files(private_server) & chain_files(1, "interrupted")
