"""HTTP servers of our own, for index reads pypiserver cannot stage: each records every request
it gets (path, headers, the client's port) and answers as the test scripts it — a page, a
redirect, a trickle, an endless body.

    with ScriptedServer("127.0.0.2") as server:
        server.route("/simple/", page(b"<a href='x-1.0.tar.gz'>x-1.0.tar.gz</a>"))
        ...
        assert not any("Authorization" in seen.headers for seen in server.seen)

Routes match by the longest path prefix; anything else is a 404. The server speaks HTTP/1.1,
so clients keep connections alive. It also serves as an HTTP forward proxy: a request for an
absolute URL (`GET http://host/path`) is routed by its path and recorded with `proxied`.
Hostile answers stop by themselves after MAX_HOSTILE_SECONDS, or as soon as the client goes.
"""

from __future__ import annotations

import datetime
import gzip
import ipaddress
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

Answer = Callable[[BaseHTTPRequestHandler], None]

MAX_HOSTILE_SECONDS = 30.0  # a trickle or an endless body never outlives a test by much
_ZEROS = bytes(64 * 1024)


@dataclass(frozen=True)
class Seen:
    """One request as the server got it."""

    path: str
    headers: dict[str, str]
    port: int  # the client's: one per connection
    proxied: bool


class ScriptedServer:
    """A threading HTTP server on `host` (a free port) answering by the routes given."""

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Answer] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxied = self.path.startswith(("http://", "https://"))
                path = urlsplit(self.path).path if proxied else self.path
                with server._lock:
                    server.seen.append(
                        Seen(path, dict(self.headers), self.client_address[1], proxied)
                    )
                answer = server._answer_for(path)
                try:
                    answer(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up: what the test wants

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: tests read `seen`

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self.scheme = "https" if tls else "http"
        if tls:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self.scheme}://{host!s}:{port}/"

    def route(self, prefix: str, answer: Answer) -> None:
        self.routes[prefix] = answer

    def _answer_for(self, path: str) -> Answer:
        matches = [prefix for prefix in self.routes if path.startswith(prefix)]
        if not matches:
            return page(b"Not Found", status=404)
        return self.routes[max(matches, key=len)]

    def requests_to(self, prefix: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.seen if seen.path.startswith(prefix)]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def page(
    body: bytes,
    content_type: str = "text/html",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Answer:
    """A whole answer at once."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def redirect(location: str, status: int = 303) -> Answer:
    return page(b"", status=status, headers={"Location": location})


def json_page(body: bytes) -> Answer:
    return page(body, content_type="application/vnd.pypi.simple.v1+json")


def gzipped(body: bytes, content_type: str, keep: float = 1.0) -> Answer:
    """`body` gzip-compressed, the first `keep` fraction of the compressed bytes only."""
    compressed = gzip.compress(body, compresslevel=1)
    sent = compressed[: int(len(compressed) * keep)]
    return page(sent, content_type=content_type, headers={"Content-Encoding": "gzip"})


def trickle(head_too: bool, interval: float = 0.5) -> Answer:
    """An answer one byte every `interval` seconds: from the status line on, or (not
    `head_too`) the body only, after a whole head announcing a small page."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        if not head_too:
            handler.wfile.write(head)
        data = (head if head_too else b"") + b"<a>" * 100000
        end = time.monotonic() + MAX_HOSTILE_SECONDS
        for byte in data:
            if time.monotonic() > end:
                return
            handler.wfile.write(bytes([byte]))
            time.sleep(interval)

    return answer


def endless(total: int, declared: bool) -> Answer:
    """`total` bytes of page, made as they are sent (never held in memory), with or without
    a Content-Length saying so (without, the body ends when the connection closes)."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.close_connection = True
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        if declared:
            handler.send_header("Content-Length", str(total))
        handler.send_header("Connection", "close")
        handler.end_headers()
        sent = 0
        end = time.monotonic() + MAX_HOSTILE_SECONDS
        while sent < total and time.monotonic() < end:
            chunk = _ZEROS[: total - sent]
            handler.wfile.write(chunk)
            sent += len(chunk)

    return answer


def self_signed(directory: Path, host: str = "127.0.0.1") -> tuple[Path, ssl.SSLContext]:
    """A certificate for `host`, signed by itself, as a CA bundle file (what a client must be
    told to trust) and the server's TLS context using it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    bundle = directory / "ca.pem"
    bundle.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private = directory / "key.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(bundle, private)
    return bundle, context
