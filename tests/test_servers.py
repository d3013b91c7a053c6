"""The test package indexes of tests/servers.py, exercised with plain twine and pip (no graphpub).

These tests pin what pypiserver and twine answer, which `graphpub publish` relies on.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

import tests.servers
from tests.servers import (
    LOOPBACK,
    IndexServer,
    clean_env,
    make_sdist,
    make_wheel,
    private_server_fixture,  # noqa: F401 (the fixture `private_server`)
    pypi_server_fixture,  # noqa: F401 (the fixture `pypi_server`)
    simple_index_files,
    simple_project_files,
    simple_projects,
    start_pypiserver,
    twine_upload,
)

SERVERS = ("pypi_server", "private_server")
COMMAND_TIMEOUT = 60  # seconds for one pip run


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> IndexServer:
    """Each of the two session servers in turn."""
    index: IndexServer = request.getfixturevalue(request.param)
    return index


@pytest.fixture
def project(request: pytest.FixtureRequest) -> str:
    """A project name of this test's own, so tests sharing a server do not collide."""
    return re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    """stdout and stderr of a run, lines stripped of rich's padding."""
    text = result.stdout + result.stderr
    return "\n".join(line.rstrip() for line in text.splitlines())


def test_servers_are_distinct_and_on_loopback(
    pypi_server: IndexServer, private_server: IndexServer
) -> None:
    for index in (pypi_server, private_server):
        assert index.url == f"http://{LOOPBACK}:{index.port}/"
        assert index.simple_url == f"{index.url}simple/"
        assert index.process.poll() is None
        assert index.packages_dir.is_dir()
    assert pypi_server.port != private_server.port
    assert pypi_server.packages_dir != private_server.packages_dir
    assert (pypi_server.username, pypi_server.password) == ("publisher", "s3cret-pypi")
    assert (private_server.username, private_server.password) == ("accountname", "secretvalue")


def test_upload_lands_in_the_index(server: IndexServer, project: str, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, project, "1.0")
    sdist = make_sdist(tmp_path, project, "1.0")

    result = twine_upload(server, wheel, sdist)

    assert result.returncode == 0, output_of(result)
    assert {wheel.name, sdist.name} <= simple_index_files(server)
    assert (server.packages_dir / wheel.name).read_bytes() == wheel.read_bytes()
    assert project in simple_projects(server)
    assert simple_project_files(server, project) == {wheel.name, sdist.name}


def test_pip_downloads_anonymously(server: IndexServer, project: str, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, project, "2.0")
    assert twine_upload(server, wheel).returncode == 0
    downloads = tmp_path / "downloads"

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-cache-dir",
            "--index-url",
            server.simple_url,
            "-d",
            str(downloads),
            f"{project}==2.0",
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=COMMAND_TIMEOUT,
        check=False,
    )

    assert result.returncode == 0, output_of(result)
    assert [path.name for path in downloads.iterdir()] == [wheel.name]
    assert (downloads / wheel.name).read_bytes() == wheel.read_bytes()


def test_wrong_password_is_refused(server: IndexServer, project: str, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, project)

    result = twine_upload(server, wheel, password=server.password + "-wrong")

    assert result.returncode == 1
    assert f"HTTPError: 403 Forbidden from {server.url}" in output_of(result)
    assert wheel.name not in simple_index_files(server)
    assert simple_project_files(server, project) == set()


def test_each_server_refuses_the_other_servers_credentials(
    pypi_server: IndexServer, private_server: IndexServer, project: str, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path, project)
    for index, other in ((pypi_server, private_server), (private_server, pypi_server)):
        result = twine_upload(index, wheel, username=other.username, password=other.password)
        assert result.returncode == 1
        assert "403 Forbidden" in output_of(result)
        assert wheel.name not in simple_index_files(index)


def test_duplicate_upload_is_refused_with_400(
    server: IndexServer, project: str, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path, project)
    assert twine_upload(server, wheel).returncode == 0
    stored = (server.packages_dir / wheel.name).read_bytes()

    result = twine_upload(server, wheel, extra=("--verbose",))

    # pypiserver answers 400 (not 409) when the User-Agent is twine's, as PyPI does.
    out = output_of(result)
    assert result.returncode == 1
    assert f"HTTPError: 400 Bad Request from {server.url}" in out
    assert f"Package &#039;{wheel.name}&#039; already exists!" in out  # body, with --verbose
    assert (server.packages_dir / wheel.name).read_bytes() == stored


def test_twine_allows_skip_existing_only_for_pypi(pypi_server: IndexServer, tmp_path: Path) -> None:
    """twine (7.0 here) refuses `--skip-existing` for any repository URL but (test.)pypi.org, before
    uploading anything: an existing file must be skipped by the caller."""
    wheel = make_wheel(tmp_path, "skip-existing-probe")

    result = twine_upload(pypi_server, wheel, extra=("--skip-existing",))

    out = " ".join(output_of(result).split())
    assert result.returncode == 1
    assert "UnsupportedConfiguration" in out
    assert "does not have support for the following features: --skip-existing" in out
    assert wheel.name not in simple_index_files(pypi_server)


def _raw_upload(
    server: IndexServer, wheel: Path, name: str, version: str, auth: tuple[str, str] | None
) -> int:
    """POST `wheel` to the legacy upload API as a client that is not twine; the status."""
    boundary = uuid.uuid4().hex
    fields = {":action": "file_upload", "protocol_version": "1", "name": name, "version": version}
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    )
    body += (
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="content"; filename="{wheel.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body += wheel.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "User-Agent": "graphpub-tests",
    }
    if auth is not None:
        token = base64.b64encode(":".join(auth).encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    request = urllib.request.Request(server.url, data=body, headers=headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def test_other_clients_get_401_without_credentials_and_409_for_duplicates(
    pypi_server: IndexServer, project: str, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path, project)
    credentials = (pypi_server.username, pypi_server.password)

    assert _raw_upload(pypi_server, wheel, project, "1.0", None) == 401
    assert _raw_upload(pypi_server, wheel, project, "1.0", ("publisher", "nope")) == 403
    assert _raw_upload(pypi_server, wheel, project, "1.0", credentials) == 200
    assert _raw_upload(pypi_server, wheel, project, "1.0", credentials) == 409
    assert simple_project_files(pypi_server, project) == {wheel.name}


def test_stop_ends_the_server_and_frees_the_port(tmp_path: Path) -> None:
    started = time.monotonic()
    index = start_pypiserver(tmp_path, "someone", "pw")
    assert time.monotonic() - started < 10
    assert simple_projects(index) == set()

    index.stop()
    index.stop()  # idempotent

    assert index.process.returncode is not None
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.settimeout(2)
        sock.connect((LOOPBACK, index.port))


def test_a_server_that_exits_is_reported_with_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(port: int, htpasswd: Path, packages_dir: Path, *_: object) -> list[str]:
        return [sys.executable, "-c", "import sys; sys.exit('cannot serve: boom')"]

    monkeypatch.setattr(tests.servers, "pypiserver_command", failing)
    started = time.monotonic()

    with pytest.raises(RuntimeError, match="cannot serve: boom"):
        start_pypiserver(tmp_path, "someone", "pw")
    assert time.monotonic() - started < 5


def test_a_server_that_never_answers_times_out_and_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = tmp_path / "pid"

    def silent(port: int, htpasswd: Path, packages_dir: Path, *_: object) -> list[str]:
        script = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
        script += "print('not listening', flush=True); time.sleep(60)"
        return [sys.executable, "-c", script]

    monkeypatch.setattr(tests.servers, "pypiserver_command", silent)
    started = time.monotonic()

    with pytest.raises(RuntimeError, match=r"did not answer within 1 s(.|\n)*not listening"):
        start_pypiserver(tmp_path, "someone", "pw", timeout=1.0)

    assert time.monotonic() - started < 5
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # terminated and reaped
        os.kill(pid, 0)
