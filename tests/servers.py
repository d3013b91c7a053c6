"""Real package indexes for tests: pypiserver processes on 127.0.0.1, one free port each.

Use the session fixtures `pypi_server` and `private_server` by importing their functions
into the test module that needs them (the fixture names differ from the function names, so
the parameters do not shadow the import, which ruff would flag as F811)::

    from tests.servers import IndexServer
    from tests.servers import private_server_fixture, pypi_server_fixture  # noqa: F401

    def test_upload(pypi_server: IndexServer) -> None: ...

Each server authenticates uploads only (`-a update`): listing the simple index and
downloading files need no credentials, so `pip download --index-url SIMPLE_URL` works
anonymously. Fallback to the public index is disabled, so nothing leaves the machine.

What pypiserver 2.4 answers (see tests/test_servers.py, which pins it):

- wrong user or password: 403 Forbidden (no credentials at all: 401);
- a file that already exists: 400 Bad Request to twine (any User-Agent with "twine"; 409
  Conflict to other clients), body "Package 'FILE' already exists!" (twine shows the body
  only with --verbose). twine refuses `--skip-existing` for any URL but (test.)pypi.org, so
  skipping files an index already holds is the caller's job.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT = 10.0  # seconds for a server to answer its health endpoint
STOP_TIMEOUT = 5.0  # seconds between terminate() and kill()
HTTP_TIMEOUT = 5.0  # seconds for one request made by these helpers
TWINE_TIMEOUT = 60.0  # seconds for one `twine upload` made by these helpers

PYPI_CREDENTIALS = ("publisher", "s3cret-pypi")
PRIVATE_CREDENTIALS = ("accountname", "secretvalue")

# Never through a proxy: every URL here is on the loopback interface.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class IndexServer:
    """One running pypiserver: where to upload, where to read, and who may upload."""

    url: str  # upload (legacy) URL, `http://127.0.0.1:PORT/`: twine's --repository-url
    simple_url: str  # `http://127.0.0.1:PORT/simple/`: pip's --index-url
    username: str
    password: str
    packages_dir: Path  # where uploaded files land
    process: subprocess.Popen[bytes]
    log_path: Path = field(repr=False)  # the server's stdout and stderr

    @property
    def port(self) -> int:
        return int(self.url.rstrip("/").rsplit(":", 1)[1])

    def log(self) -> str:
        """What the server has printed so far (its request log with `-v`)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        """Terminate the server, kill it if it does not exit in time. Idempotent."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def write_htpasswd(path: Path, users: Mapping[str, str]) -> None:
    """An Apache htpasswd file at `path` with apr1-MD5 hashes (`htpasswd`'s default), as pypiserver
    reads it: a slow hash would cost the server 0.1 s per request."""
    with warnings.catch_warnings():
        # passlib 1.7.4 imports the stdlib `crypt` module, deprecated since Python 3.11.
        warnings.simplefilter("ignore", DeprecationWarning)
        from passlib.apache import HtpasswdFile  # type: ignore[import-untyped]

    htpasswd = HtpasswdFile(str(path), new=True, default_scheme="apr_md5_crypt")
    for username, password in users.items():
        htpasswd.set_password(username, password)
    htpasswd.save()


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment for pip and twine run against a test server.

    No PIP_* or TWINE_* settings of the machine (extra indexes, find-links, credentials),
    no pip configuration file, and no proxy for loopback addresses.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("PIP_", "TWINE_"))
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        NO_PROXY="127.0.0.1,localhost,::1",
        no_proxy="127.0.0.1,localhost,::1",
    )
    env.update(extra or {})
    return env


def pypiserver_command(
    port: int,
    htpasswd: Path,
    packages_dir: Path,
    authenticated: str = "update",
    fallback_url: str | None = None,
) -> list[str]:
    """The command line that runs one test index; `authenticated` is pypiserver's `-a`;
    `fallback_url` where it redirects (303) a project it does not hold, instead of a 404."""
    return [
        sys.executable,
        "-m",
        "pypiserver",
        "run",
        "-v",
        "-i",
        LOOPBACK,
        "-p",
        str(port),
        "-P",
        str(htpasswd),
        "-a",
        authenticated,
        *(["--fallback-url", fallback_url] if fallback_url else ["--disable-fallback"]),
        "--server",
        "wsgiref",
        str(packages_dir),
    ]


def start_pypiserver(
    tmp_dir: Path,
    username: str,
    password: str,
    *,
    timeout: float = STARTUP_TIMEOUT,
    authenticated: str = "update",
    fallback_url: str | None = None,
) -> IndexServer:
    """Start pypiserver on a free loopback port, uploads allowed to `username`/`password`.

    Files go to `tmp_dir/packages`, the server's output to `tmp_dir/pypiserver.log`.
    `authenticated` lists what needs credentials (`update,download,list` for a private index);
    with `fallback_url`, a project the server does not hold is a 303 there (pypiserver's
    default, with https://pypi.org/simple/).
    Returns once the server answers HTTP; raises RuntimeError (with the server's output)
    if it exits or does not answer within `timeout` seconds. Call `stop()` when done.
    """
    tmp_dir.mkdir(parents=True, exist_ok=True)
    packages_dir = tmp_dir / "packages"
    packages_dir.mkdir(exist_ok=True)
    htpasswd = tmp_dir / "htpasswd"
    write_htpasswd(htpasswd, {username: password})

    failures: list[str] = []
    for _attempt in range(3):  # another process may take the free port before we bind it
        port = free_port()
        log_path = tmp_dir / "pypiserver.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                pypiserver_command(port, htpasswd, packages_dir, authenticated, fallback_url),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=clean_env(),
            )
        base = f"http://{LOOPBACK}:{port}/"
        server = IndexServer(
            url=base,
            simple_url=f"{base}simple/",
            username=username,
            password=password,
            packages_dir=packages_dir,
            process=process,
            log_path=log_path,
        )
        atexit.register(server.stop)  # in case the session dies before its fixtures end
        ready = _wait_until_healthy(server, timeout)
        if ready:
            return server
        server.stop()
        output = server.log()
        failures.append(output)
        if "Address already in use" not in output:
            break
    raise RuntimeError(
        f"pypiserver did not answer within {timeout:g} s; its output:\n" + failures[-1]
    )


def _wait_until_healthy(server: IndexServer, timeout: float) -> bool:
    """Poll the server's health endpoint until it answers 200, it exits, or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with _OPENER.open(f"{server.url}health", timeout=1.0) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    return False


def http_get(url: str) -> tuple[int, str]:
    """(status, body) of GET `url`, without proxies; HTTP errors are returned, not raised."""
    try:
        with _OPENER.open(url, timeout=HTTP_TIMEOUT) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", errors="replace")


def twine_upload(
    server: IndexServer,
    *files: Path,
    url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    extra: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """`python -m twine upload` of `files` to `server` (or to `url`, say a proxy in front of
    it), as the server's own user unless told."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "twine",
            "--no-color",
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            url or server.url,
            "-u",
            server.username if username is None else username,
            "-p",
            server.password if password is None else password,
            *extra,
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        env=clean_env({"COLUMNS": "1000"}),  # rich wraps twine's output at 80 columns
        timeout=TWINE_TIMEOUT,
        check=False,
    )


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._inside = True
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.texts[-1] += data


def anchor_texts(html: str) -> set[str]:
    """The texts of the links of an HTML page (a simple index names files and projects so)."""
    parser = _Anchors()
    parser.feed(html)
    return {text.strip() for text in parser.texts}


def simple_index_files(server: IndexServer) -> set[str]:
    """The names of the files the server holds (read from its packages directory)."""
    return {path.name for path in server.packages_dir.rglob("*") if path.is_file()}


def simple_projects(server: IndexServer) -> set[str]:
    """The projects listed on the server's `/simple/` page, over HTTP."""
    status, body = http_get(server.simple_url)
    assert status == 200, (status, body)
    return anchor_texts(body)


def simple_project_files(server: IndexServer, project: str) -> set[str]:
    """The files listed on `/simple/PROJECT/`, over HTTP (empty when the project is unknown)."""
    status, body = http_get(f"{server.simple_url}{project}/")
    if status == 404:
        return set()
    assert status == 200, (status, body)
    return anchor_texts(body)


def tiny_project(tmp_dir: Path, name: str, version: str) -> Path:
    """A minimal hatchling project `name` `version` (one module) below `tmp_dir`."""
    module = name.replace("-", "_").replace(".", "_").lower()
    root = tmp_dir / f"{module}-{version}-src"
    (root / "src" / module).mkdir(parents=True, exist_ok=True)
    (root / "src" / module / "__init__.py").write_text(
        f'__version__ = "{version}"\n', encoding="utf-8"
    )
    (root / "pyproject.toml").write_text(
        "[build-system]\n"
        'requires = ["hatchling"]\n'
        'build-backend = "hatchling.build"\n'
        "\n[project]\n"
        f'name = "{name}"\n'
        f'version = "{version}"\n'
        'description = "A test distribution."\n'
        "\n[tool.hatch.build.targets.wheel]\n"
        f'packages = ["src/{module}"]\n',
        encoding="utf-8",
    )
    return root


def make_wheel(tmp_dir: Path, name: str, version: str = "1.0") -> Path:
    """Build the wheel of a `tiny_project` in-process with hatchling; its path in `tmp_dir/dist`."""
    from hatchling.builders.wheel import WheelBuilder

    root = tiny_project(tmp_dir, name, version)
    dist = tmp_dir / "dist"
    return Path(next(WheelBuilder(str(root)).build(directory=str(dist), versions=["standard"])))


def make_sdist(tmp_dir: Path, name: str, version: str = "1.0") -> Path:
    """Build the sdist of a `tiny_project` in-process with hatchling; its path in `tmp_dir/dist`."""
    from hatchling.builders.sdist import SdistBuilder

    root = tiny_project(tmp_dir, name, version)
    dist = tmp_dir / "dist"
    return Path(next(SdistBuilder(str(root)).build(directory=str(dist), versions=["standard"])))


def _serve(
    tmp_path_factory: pytest.TempPathFactory, name: str, credentials: tuple[str, str]
) -> Iterator[IndexServer]:
    server = start_pypiserver(tmp_path_factory.mktemp(name), *credentials)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", name="pypi_server")
def pypi_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """A pypiserver standing in for PyPI; uploads as `publisher` / `s3cret-pypi`."""
    yield from _serve(tmp_path_factory, "pypi-server", PYPI_CREDENTIALS)


@pytest.fixture(scope="session", name="private_server")
def private_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """A second, private index; uploads as `accountname` / `secretvalue`."""
    yield from _serve(tmp_path_factory, "private-server", PRIVATE_CREDENTIALS)


# ---------------------------------------------------------------- devpi-server


@dataclass
class DevpiServer:
    """A devpi-server with user `alice` and her index `alice/dev` (non-volatile)."""

    url: str  # the index's upload URL, http://127.0.0.1:PORT/alice/dev/
    simple_url: str
    username: str
    password: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _devpi_json(url: str, method: str, body: dict[str, object], auth: str | None = None) -> Any:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if auth:
        headers["X-Devpi-Auth"] = auth
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method=method
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def start_devpi(tmp_dir: Path, *, timeout: float = 30.0) -> DevpiServer:
    bin_dir = Path(sys.executable).parent
    server_dir = tmp_dir / "devpi"
    subprocess.run(
        [
            str(bin_dir / "devpi-init"),
            "--serverdir",
            str(server_dir),
            "--root-passwd",
            "rootpw",
            "--no-root-pypi",
        ],
        check=True,
        capture_output=True,
        env=clean_env(),
    )
    port = free_port()
    log = open(tmp_dir / "devpi.log", "wb")  # noqa: SIM115  (the server writes to it)
    process = subprocess.Popen(
        [
            str(bin_dir / "devpi-server"),
            "--serverdir",
            str(server_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=clean_env(),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(f"{base}/+api", timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError((tmp_dir / "devpi.log").read_text(errors="replace")) from None
            time.sleep(0.2)
    _devpi_json(f"{base}/alice", "PUT", {"password": "alicepw"})
    token = _devpi_json(f"{base}/+login", "POST", {"user": "alice", "password": "alicepw"})
    auth = base64.b64encode(f"alice:{token['result']['password']}".encode()).decode()
    _devpi_json(f"{base}/alice/dev", "PUT", {"bases": [], "volatile": False}, auth)
    server = DevpiServer(
        f"{base}/alice/dev/", f"{base}/alice/dev/+simple/", "alice", "alicepw", process
    )
    atexit.register(server.stop)
    return server


@pytest.fixture(scope="session", name="devpi_server")
def devpi_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevpiServer]:
    server = start_devpi(tmp_path_factory.mktemp("devpi"))
    try:
        yield server
    finally:
        server.stop()
