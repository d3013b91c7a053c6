"""Publishing with reads ahead and overlapping uploads keeps the order dependencies need.

Against a real pypiserver behind tests.recordingproxy, which records what the server got and
when: a distribution's files reach the server only after every file of the distributions it
needs was taken; the index reads of many projects share a few kept-alive connections and go
at once; a distribution that fails blocks the ones needing it, and the others still go.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from graphpub.publish import build, exfiltration, publisher
from tests.conftest import Runner
from tests.recordingproxy import RecordingProxy
from tests.servers import (  # noqa: F401  (fixtures)
    IndexServer,
    pypi_server_fixture,
    simple_index_files,
)

# c needs b needs a; x, y, z need nothing; w needs a and x (two groups tied together).
NEEDS: Mapping[str, Sequence[str]] = {
    "a": (),
    "b": ("a",),
    "c": ("b",),
    "w": ("a", "x"),
    "x": (),
    "y": (),
    "z": (),
}


def monorepo(root: Path, prefix: str, repository: str, needs: Mapping[str, Sequence[str]]) -> Path:
    """A Pants monorepo of one distribution `PREFIX-NAME` per key of `needs`, each importing
    the packages it needs, all going to `repository`."""
    root.mkdir(parents=True)
    (root / "pants.toml").write_text(
        '[source]\nroot_patterns = ["/"]\n\n[python]\ninterpreter_constraints = [">=3.9"]\n',
        encoding="utf-8",
    )
    (root / "graphpub.toml").write_text("retry_backoff = 0.05\n", encoding="utf-8")
    for name, needed in needs.items():
        package = root / name
        package.mkdir()
        imports = "".join(f"import {n}\n" for n in needed)
        (package / "__init__.py").write_text(f"{imports}NAME = {name!r}\n", encoding="utf-8")
        (package / "BUILD").write_text(
            "python_sources()\n"
            f'python_distribution(name="dist", dependencies=[":{name}"],\n'
            f'    provides=python_artifact(name="{prefix}-{name}", version="1.0"),\n'
            f'    repositories=["{repository}"])\n',
            encoding="utf-8",
        )
    return root


def files_of(prefix: str, name: str) -> set[str]:
    stem = f"{prefix}_{name}-1.0"
    return {f"{stem}-py3-none-any.whl", f"{stem}.tar.gz"}


def publish(run: Runner, root: Path) -> tuple[int, str, list[dict[str, Any]]]:
    report = root / "report.json"
    code, out, err = run(["publish", "::", "--output", str(report)], root=root)
    return code, out + err, json.loads(report.read_text(encoding="utf-8"))["uploads"]


def by_target(uploads: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {u["target"].split(":")[0].strip("/"): u for u in uploads}


@pytest.fixture
def proxy(pypi_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingProxy]:
    """In front of the session's pypiserver; each upload held 0.2 s, so that uploads made at
    once are in flight together."""
    monkeypatch.setenv("TWINE_USERNAME", pypi_server.username)
    monkeypatch.setenv("TWINE_PASSWORD", pypi_server.password)
    with RecordingProxy(("127.0.0.1", pypi_server.port), hold_uploads=0.2) as recording:
        yield recording


def test_dependents_reach_the_server_after_what_they_need(
    tmp_path: Path, run: Runner, proxy: RecordingProxy, pypi_server: IndexServer
) -> None:
    root = monorepo(tmp_path / "repo", "order", proxy.url, NEEDS)
    code, out, uploads = publish(run, root)
    assert code == 0, out
    assert {u["status"] for u in uploads} == {"published"}
    taken = {e.upload: e for e in proxy.uploads()}
    assert set(taken) == set().union(*(files_of("order", n) for n in NEEDS))
    assert set(taken) <= simple_index_files(pypi_server)
    for name, needed in NEEDS.items():
        first_sent = min(taken[f].arrived for f in files_of("order", name))
        for other in needed:
            last_taken = max(taken[f].answered for f in files_of("order", other))
            assert last_taken < first_sent, f"{name} started before {other} was there"
    # Distributions that need none of one another went up at once.
    assert proxy.most_in_flight["POST"] > 1


def test_the_reads_of_many_projects_share_kept_alive_connections(
    tmp_path: Path, run: Runner, pypi_server: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWINE_USERNAME", pypi_server.username)
    monkeypatch.setenv("TWINE_PASSWORD", pypi_server.password)
    count = 3 * publisher._INDEX_READERS
    with RecordingProxy(("127.0.0.1", pypi_server.port), hold_reads=0.05) as proxy:
        needs = {f"n{i}": () for i in range(count)}
        root = monorepo(tmp_path / "repo", "reads", proxy.url, needs)
        code, out, _ = publish(run, root)
        assert code == 0, out
        proxy.reset()

        def no_fork_server(*args: Any, **kwargs: Any) -> None:
            raise AssertionError("a twine fork server started with nothing to upload")

        monkeypatch.setattr(publisher, "ForkServer", no_fork_server)
        code, out, uploads = publish(run, root)  # everything there: reads only
        assert code == 0, out
        assert {u["status"] for u in uploads} == {"skipped"}
        reads = [e for e in proxy.exchanges if e.method == "GET"]
        assert len(reads) == count
        assert {e.path for e in reads} == {f"/simple/reads-n{i}/" for i in range(count)}
        # Reused: at most one connection per reader of the index, not one per project.
        assert 1 <= proxy.connections <= publisher._INDEX_READERS
        assert proxy.most_in_flight["GET"] > 1  # read at once, not one after the other
        with RecordingProxy(
            ("127.0.0.1", pypi_server.port), hold_reads=0.05, keep_alive=False
        ) as closing:
            # The same index behind a server closing every connection (HTTP/1.0, as wsgiref's):
            # fewer reads at once, so that their connection attempts stay within a small
            # listen backlog (more are dropped, and TCP tries again only a second later).
            for build in root.glob("*/BUILD"):
                text = build.read_text(encoding="utf-8")
                build.write_text(text.replace(proxy.url, closing.url), encoding="utf-8")
            code, out, uploads = publish(run, root)
            assert code == 0, out
            assert {u["status"] for u in uploads} == {"skipped"}
            assert closing.connections == count  # one per read: nothing kept alive
            limit = publisher._INDEX_READERS_WITHOUT_KEEP_ALIVE
            assert 1 < closing.most_in_flight["GET"] <= limit < publisher._INDEX_READERS


def test_the_indexes_are_read_while_the_builds_are_checked_never_while_building(
    tmp_path: Path,
    run: Runner,
    proxy: RecordingProxy,
    pypi_server: IndexServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pages are read on threads of their own from the moment nothing is left to build:
    the exfiltration check waits here until the index has been asked, which it would wait for
    in vain if reading began only after it; no build worker is forked once reading has begun
    (a process with threads forks children that may inherit their locks held). A build that
    fails uploads nothing."""
    root = monorepo(tmp_path / "repo", "early", proxy.url, {"a": (), "b": ("a",)})

    def asked() -> bool:
        return any(e.method == "GET" for e in proxy.exchanges)

    real_check, real_build = exfiltration.check_distributions, build._build
    checked_after_reads: list[bool] = []
    built_after_reads: list[bool] = []

    def check_once_asked(*args: Any, **kwargs: Any) -> None:
        end = time.monotonic() + 30
        while not asked() and time.monotonic() < end:
            time.sleep(0.01)
        checked_after_reads.append(asked())
        real_check(*args, **kwargs)

    def building(*args: Any, **kwargs: Any) -> Any:
        built_after_reads.append(asked())
        return real_build(*args, **kwargs)

    monkeypatch.setattr(exfiltration, "check_distributions", check_once_asked)
    monkeypatch.setattr(build, "_build", building)
    code, out, uploads = publish(run, root)  # builds both
    assert code == 0, out
    assert {u["status"] for u in uploads} == {"published"}
    proxy.reset()
    code, out, uploads = publish(run, root)  # builds nothing
    assert code == 0, out
    assert {u["status"] for u in uploads} == {"skipped"}
    assert checked_after_reads == [True, True]
    assert built_after_reads == [False]

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise build.BuildError("building b:dist failed: (a test)")

    monkeypatch.setattr(build, "_build", failing)
    (root / "a" / "__init__.py").write_text("NAME = 'changed'\n", encoding="utf-8")
    proxy.reset()
    code, _, err = run(["publish", "::"], root=root)
    assert code == 1 and "building b:dist failed: (a test)" in err
    assert not proxy.exchanges  # nothing read, nothing uploaded


def test_a_failure_blocks_its_dependents_and_the_others_go_on(
    tmp_path: Path, run: Runner, proxy: RecordingProxy, pypi_server: IndexServer
) -> None:
    root = monorepo(tmp_path / "repo", "fails", proxy.url, NEEDS)
    # The index refuses a's wheel (the first file of the first distribution) and y's (an
    # independent one in the middle of its twine process's files).
    proxy.refuse = {"fails_a-1.0-py3-none-any.whl", "fails_y-1.0-py3-none-any.whl"}
    code, out, uploads = publish(run, root)
    assert code == 1, out
    outcomes = by_target(uploads)
    statuses = {name: outcomes[name]["status"] for name in NEEDS}
    assert statuses == {
        "a": "failed",
        "b": "blocked",
        "c": "blocked",
        "w": "blocked",
        "x": "published",
        "y": "failed",
        "z": "published",
    }
    assert outcomes["c"]["cause"] == outcomes["w"]["cause"] == "a:dist"
    held = simple_index_files(pypi_server)
    for name in ("x", "z"):
        assert files_of("fails", name) <= held
    for name in ("a", "b", "c", "w", "y"):
        assert not files_of("fails", name) & held, name
    taken = {e.upload for e in proxy.uploads()}
    assert not taken & set().union(*(files_of("fails", n) for n in ("b", "c", "w")))
    # The report lists every distribution once, each after those it needs.
    order = [u["target"].split(":")[0].strip("/") for u in uploads]
    assert sorted(order) == sorted(NEEDS)
    assert all(order.index(n) < order.index(name) for name in NEEDS for n in NEEDS[name])
