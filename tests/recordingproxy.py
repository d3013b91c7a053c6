"""A keep-alive HTTP/1.1 proxy in front of a real index that records what crosses it (or an
HTTP/1.0 one, closing every connection).

Every request is forwarded to the upstream (a pypiserver) on a connection of its own; the
client's side stays open between requests, so the proxy sees how many connections a client
opens for how many requests. It records each request (method, path, the file an upload
carries, when it arrived and when its answer went back), and can answer an upload of named
files with a 400 itself, as an index refusing that file would.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

_FILENAME = re.compile(rb'name="content"; filename="([^"]+)"')
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass
class Exchange:
    """One request through the proxy."""

    method: str
    path: str
    upload: str | None  # the file name an upload carries
    arrived: float  # monotonic, when its head was read
    answered: float = 0.0  # monotonic, just before its answer was sent


class RecordingProxy:
    """`with RecordingProxy(("127.0.0.1", port)) as proxy:` then use `proxy.url`."""

    def __init__(
        self,
        upstream: tuple[str, int],
        hold_reads: float = 0.0,
        hold_uploads: float = 0.0,
        keep_alive: bool = True,
    ) -> None:
        self.upstream = upstream
        self.hold = {"GET": hold_reads, "POST": hold_uploads}
        """Seconds every GET (POST) waits before it is forwarded: requests then overlap only
        if the client makes them concurrently."""
        self.refuse: set[str] = set()
        """Uploads of these file names are answered 400 and not forwarded."""
        self.exchanges: list[Exchange] = []
        self.connections = 0
        self.in_flight = 0
        self.most_in_flight: dict[str, int] = {}
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive unless the client closes; else HTTP/1.0, closing every connection
            # after its answer, as wsgiref's server (pypiserver's default) does.
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def setup(self) -> None:
                super().setup()
                with proxy._lock:
                    proxy.connections += 1

            def do_GET(self) -> None:
                proxy._handle(self)

            def do_POST(self) -> None:
                proxy._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def reset(self) -> None:
        with self._lock:
            self.exchanges.clear()
            self.connections = 0
            self.most_in_flight.clear()

    def uploads(self) -> list[Exchange]:
        """The uploads the upstream took, in the order they arrived."""
        with self._lock:
            return [e for e in self.exchanges if e.upload and e.upload not in self.refuse]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        found = _FILENAME.search(body)
        exchange = Exchange(
            handler.command,
            handler.path,
            found.group(1).decode() if found else None,
            time.monotonic(),
        )
        with self._lock:
            self.exchanges.append(exchange)
            self.in_flight += 1
            most = self.most_in_flight.get(handler.command, 0)
            self.most_in_flight[handler.command] = max(most, self.in_flight)
        try:
            if exchange.upload in self.refuse:
                status, reason, headers, answer = 400, "Bad Request", [], b"refused by the test\n"
            else:
                time.sleep(self.hold.get(handler.command, 0.0))
                status, reason, headers, answer = self._forward(handler, body)
            # Before the answer goes: whatever the client does once it has it comes later.
            exchange.answered = time.monotonic()
            handler.send_response(status, reason)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP:
                    handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(answer)))
            handler.end_headers()
            handler.wfile.write(answer)
            handler.wfile.flush()
        finally:
            with self._lock:
                self.in_flight -= 1

    def _forward(
        self, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Host"] = f"{self.upstream[0]}:{self.upstream[1]}"
            connection.request(handler.command, handler.path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            connection.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RecordingProxy:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
