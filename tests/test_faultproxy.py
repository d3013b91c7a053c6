"""tests/faultproxy.py against a real pypiserver, with real twine uploads and urllib reads.

These tests also pin how twine 6/7 reacts to each fault, which `graphpub publish` has to
cope with:

- refused connection: urllib3 retries the connection 5 times at once, then twine dies with
  a traceback ending in `requests.exceptions.ConnectionError: ... Max retries exceeded ...
  [Errno 111] Connection refused`;
- a 5xx answer to the upload: twine itself posts the file again, 5 posts in all
  (`Received "503: Service Unavailable"` / `Package upload appears to have failed. Retry 1
  of 5.`), so a single 503 goes unnoticed; 5 in a row end in `HTTPError: 503 Service
  Unavailable from URL` (after a last, misleading "Retry 5 of 5" that posts nothing);
- a reset in the middle of the upload: no retry, a traceback ending in
  `requests.exceptions.ConnectionError: ('Connection aborted.', ...)`;
- a stalled server: twine sets no timeout, so it waits forever (not run here).
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.faultproxy import FaultProxy
from tests.servers import (
    IndexServer,
    anchor_texts,
    make_wheel,
    pypi_server_fixture,  # noqa: F401 (the fixture `pypi_server`)
    simple_index_files,
    simple_project_files,
    twine_upload,
)

CLIENT_TIMEOUT = 1.0  # seconds a client waits for a stalled proxy

# Never through a proxy of the machine: every URL here is on the loopback interface.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def proxy(pypi_server: IndexServer) -> Iterator[FaultProxy]:
    with FaultProxy(("127.0.0.1", pypi_server.port)) as fault_proxy:
        yield fault_proxy


@pytest.fixture
def project(request: pytest.FixtureRequest) -> str:
    """A project name of this test's own, so tests sharing the server do not collide."""
    return re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")


def get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    """(status, body) of GET `url`; HTTP errors are returned, other errors raised."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_pass_forwards_uploads_and_reads(
    pypi_server: IndexServer, proxy: FaultProxy, project: str, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path, project)
    result = twine_upload(pypi_server, wheel, url=proxy.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert wheel.name in simple_index_files(pypi_server)

    status, body = get(f"{proxy.url}simple/{project}/")
    assert (status, anchor_texts(body)) == (200, {wheel.name})
    assert proxy.requests_seen == {"POST": 1, "GET": 1}
    assert not proxy.faults_injected


def test_refuse_refuses_connections_until_switched_back(
    pypi_server: IndexServer, proxy: FaultProxy, project: str, tmp_path: Path
) -> None:
    proxy.set_mode("refuse")
    with pytest.raises(urllib.error.URLError) as raised:
        get(f"{proxy.url}simple/")
    assert isinstance(raised.value.reason, ConnectionRefusedError)

    wheel = make_wheel(tmp_path, project)
    result = twine_upload(pypi_server, wheel, url=proxy.url)
    assert result.returncode == 1
    assert (
        result.stderr.rstrip()
        .splitlines()[-1]
        .startswith("requests.exceptions.ConnectionError: HTTPConnectionPool(")
    ), result.stderr
    assert "Max retries exceeded" in result.stderr
    assert "[Errno 111] Connection refused" in result.stderr
    assert result.stdout.count("Retrying (Retry(") == 5  # urllib3's connect retries
    assert not proxy.requests_seen
    assert wheel.name not in simple_index_files(pypi_server)

    proxy.set_mode("pass")  # listens again, on the same port
    assert get(f"{proxy.url}simple/")[0] == 200


def test_refuse_drops_open_connections(proxy: FaultProxy) -> None:
    proxy.set_mode("stall")
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=CLIENT_TIMEOUT) as client:
        client.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n")
        deadline = time.monotonic() + CLIENT_TIMEOUT
        while not proxy.requests_seen and time.monotonic() < deadline:
            time.sleep(0.01)  # until the proxy has read the head
        assert proxy.faults_injected == {"stall": 1}
        proxy.set_mode("refuse")
        try:
            received = client.recv(1)
        except ConnectionResetError:
            received = b""
        assert received == b""  # the proxy closed the connection


def test_http_error_answers_count_requests_then_passes(
    pypi_server: IndexServer, proxy: FaultProxy, project: str, tmp_path: Path
) -> None:
    proxy.set_mode("http_error", status=503, count=1)
    assert get(f"{proxy.url}simple/") == (503, "Service Unavailable")
    assert proxy.mode == "pass"
    assert get(f"{proxy.url}simple/")[0] == 200

    # twine posts the file again by itself after a 5xx answer: one 503 goes unnoticed.
    proxy.set_mode("http_error", status=503, count=1, body="try again later")
    wheel = make_wheel(tmp_path, project)
    result = twine_upload(pypi_server, wheel, url=proxy.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Received "503: Service Unavailable"' in result.stdout
    assert "Package upload appears to have failed. Retry 1 of 5." in result.stdout
    assert proxy.requests_seen == {"GET": 2, "POST": 2}
    assert proxy.faults_injected == {"http_error": 2}
    assert wheel.name in simple_index_files(pypi_server)


def test_http_error_only_for_uploads(
    pypi_server: IndexServer, proxy: FaultProxy, project: str, tmp_path: Path
) -> None:
    proxy.set_mode("http_error", status=503, only_methods=("POST",))
    assert get(f"{proxy.url}simple/")[0] == 200

    wheel = make_wheel(tmp_path, project)
    result = twine_upload(pypi_server, wheel, url=proxy.url)
    assert result.returncode == 1
    assert result.stdout.count("Package upload appears to have failed.") == 5
    assert "HTTPError: 503 Service Unavailable from " + proxy.url in result.stdout
    assert proxy.requests_seen == {"GET": 1, "POST": 5}  # twine gives up after 5 posts
    assert proxy.mode == "http_error"
    assert wheel.name not in simple_index_files(pypi_server)


def test_stall_makes_clients_time_out(proxy: FaultProxy) -> None:
    proxy.set_mode("stall")
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        get(f"{proxy.url}simple/", timeout=CLIENT_TIMEOUT)
    assert time.monotonic() - start < CLIENT_TIMEOUT + 1.0

    # An upload is read in full (the client does not block while sending), never answered.
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=0.5)
    try:
        connection.request("POST", "/", body=b"x" * 1_000_000)
        with pytest.raises(TimeoutError):
            connection.getresponse()
    finally:
        connection.close()
    assert proxy.requests_seen == {"GET": 1, "POST": 1}


def test_reset_aborts_the_upload_midway(
    pypi_server: IndexServer, proxy: FaultProxy, project: str, tmp_path: Path
) -> None:
    proxy.set_mode("reset", count=1)  # after 2000 bytes: in the file, of about 2500
    wheel = make_wheel(tmp_path, project)
    result = twine_upload(pypi_server, wheel, url=proxy.url)
    assert result.returncode == 1
    last_line = result.stderr.rstrip().splitlines()[-1]
    assert last_line.startswith("requests.exceptions.ConnectionError: ('Connection aborted.', "), (
        result.stderr
    )
    # Which error depends on when the reset reaches the sending client.
    assert re.search(r"ConnectionResetError|RemoteDisconnected|BrokenPipeError", last_line)
    assert proxy.requests_seen == {"POST": 1}  # twine does not post again
    assert wheel.name not in simple_index_files(pypi_server)
    assert simple_project_files(pypi_server, project) == set()

    assert proxy.mode == "pass"
    result = twine_upload(pypi_server, wheel, url=proxy.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert wheel.name in simple_index_files(pypi_server)


def test_reset_of_a_read(proxy: FaultProxy) -> None:
    proxy.set_mode("reset", count=1)
    with pytest.raises(ConnectionResetError):
        get(f"{proxy.url}simple/")
    assert get(f"{proxy.url}simple/")[0] == 200


class _KeepAliveHandler(BaseHTTPRequestHandler):
    """Answers every request with its method and body length, on a kept-alive connection."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = f"{self.command} {len(self.rfile.read(length))}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_faults_apply_per_request_on_kept_alive_connections() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveHandler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        with FaultProxy(("127.0.0.1", server.server_address[1])) as proxy:
            connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=5)
            try:
                connection.request("GET", "/")
                assert connection.getresponse().read() == b"GET 0"
                kept_alive = connection.sock

                proxy.set_mode("http_error", status=500, only_methods=("POST",))
                connection.request("GET", "/")  # same connection, not faulted
                assert connection.getresponse().read() == b"GET 0"
                assert connection.sock is kept_alive
                connection.request("POST", "/", body=b"y" * 100_000)
                response = connection.getresponse()
                assert (response.status, response.read()) == (500, b"Internal Server Error")
                assert response.getheader("Connection") == "close"

                proxy.set_mode("pass")
                connection.request("POST", "/", body=b"z" * 10)  # on a new connection
                assert connection.getresponse().read() == b"POST 10"
            finally:
                connection.close()
            assert proxy.requests_seen == {"GET": 2, "POST": 2}
    finally:
        server.shutdown()
        server.server_close()


def test_set_mode_rejects_nonsense(proxy: FaultProxy) -> None:
    with pytest.raises(ValueError, match="unknown mode"):
        proxy.set_mode("flaky")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="takes neither"):
        proxy.set_mode("refuse", count=1)
    with pytest.raises(ValueError, match="at least 1"):
        proxy.set_mode("reset", count=0)
    with pytest.raises(ValueError):
        proxy.set_mode("http_error", status=999)
    assert proxy.mode == "pass"
    proxy.close()
    with pytest.raises(RuntimeError, match="closed"):
        proxy.set_mode("stall")
