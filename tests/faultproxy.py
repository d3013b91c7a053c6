"""A TCP proxy for tests that injects network faults between an HTTP client and a real server.

    from tests.faultproxy import FaultProxy

    with FaultProxy(("127.0.0.1", server.port)) as proxy:
        proxy.set_mode("http_error", status=503, count=1, only_methods=("POST",))
        read(proxy.url + "simple/")  # a GET: forwarded to the server
        post(proxy.url)  # answered 503 by the proxy; the mode is `pass` again
        post(proxy.url)  # forwarded to the server
        assert proxy.requests_seen == {"GET": 1, "POST": 2}

The proxy listens on a free port of 127.0.0.1 and forwards every connection it accepts to the
upstream server. It reads the client's side as HTTP/1.x: each request is a head (request line
and headers, up to the blank line) and a body of `Content-Length` bytes. A fault is decided
once per request, when its head arrives, from the mode in force at that moment, so switching
modes affects the next request of every connection, open ones included. Modes:

- `pass`: forward both ways, transparently.
- `refuse`: a dead server. The listening socket is closed and every open connection with it,
  so connecting fails with ECONNREFUSED; leaving the mode listens again on the same port.
- `http_error`: answer the request without contacting the server: `status` with a short
  text `body` and `Connection: close`, once the whole request (body included) has been
  read, so the client never gets a broken pipe. Then the connection is closed.
- `stall`: read and discard whatever the client sends, never forward nor answer anything;
  the client has to time out by itself. Only the client, `refuse` or `close()` end it.
- `reset`: forward the first `after_bytes` bytes of the request (head included), but never
  the whole request, then reset both connections (SO_LINGER 0, then close: a TCP RST). The
  server never sees a complete request; the client gets ECONNRESET (or EPIPE while still
  sending, then an end of stream where it expected the answer).
- `throttle`: forward the request, its body at no more than `rate` bytes a second: a slow
  network, steady but slow. The body is also read from the client at that pace (a piece per
  THROTTLE_STEP), so what the client sees acknowledged moves at that pace too, once the
  proxy's receive buffer is full (`receive_buffer` makes it small). Leaving the mode lets
  the requests being throttled finish at full speed.

`count` limits a fault to the next `count` faulted requests (every fault ends its
connection, so that is also a number of connections), after which the mode goes
back to `pass` by itself; `count=None` keeps it until the next `set_mode`. `only_methods`
restricts a fault to requests with those methods, say `("POST",)` to fail uploads while
the simple index is read through; other requests pass, and do not use up `count`.

`requests_seen` counts the requests seen per method (the first word of the request line),
faulted or not; `faults_injected` counts the faults injected per mode (not `refuse`: a
refused connection never reaches the proxy); `bytes_forwarded` counts the request bytes
(heads and bodies) passed on to the server, per method.

A connection that does not look like HTTP/1.x (no blank line within `MAX_HEAD` bytes) or
whose request body is chunked is forwarded as raw bytes from then on, and `reset` then counts
`after_bytes` from the start of that request; `http_error` answers a chunked request right
after its head. Neither happens with twine, pip or urllib.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Literal, get_args

Mode = Literal["pass", "refuse", "http_error", "stall", "reset", "throttle"]
MODES: tuple[Mode, ...] = get_args(Mode)
_Sink = Callable[[bytes], None]

LOOPBACK = "127.0.0.1"
MAX_HEAD = 64 * 1024  # bytes of a request head at most
CHUNK = 64 * 1024  # bytes read from a socket at once
ACCEPT_POLL = 0.05  # seconds between checks of the accept thread for a closed listener
CONNECT_TIMEOUT = 5.0  # seconds to connect to the upstream server
THROTTLE_STEP = 0.05  # seconds between two pieces of a throttled body


class FaultProxy:
    """A proxy from `url` (127.0.0.1, a free port) to the server at `upstream` (host, port).

    Starts in `pass` mode; see the module docstring for the modes and `set_mode` to switch.
    Threads: one accepts connections, two per connection forward either way; all daemons.
    """

    def __init__(self, upstream: tuple[str, int], *, receive_buffer: int | None = None) -> None:
        """`receive_buffer`: SO_RCVBUF of the client connections, in bytes (the kernel's
        default, which grows to megabytes, when None)."""
        self.upstream = upstream
        self.receive_buffer = receive_buffer
        self.requests_seen: Counter[str] = Counter()
        self.faults_injected: Counter[str] = Counter()
        self.bytes_forwarded: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._closed = False
        self._connections: set[_Connection] = set()
        self._mode: Mode = "pass"
        self._count: int | None = None
        self._only_methods: frozenset[str] | None = None
        self._status = HTTPStatus.SERVICE_UNAVAILABLE
        self._body = b""
        self._after_bytes = 2000
        self._rate = 10_000
        self._listener: socket.socket | None = self._listen(0)
        self.port: int = self._listener.getsockname()[1]
        self._acceptor = threading.Thread(
            target=self._accept_loop, name=f"faultproxy-{self.port}-accept", daemon=True
        )
        self._acceptor.start()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT/`: where clients connect instead of the server."""
        return f"http://{LOOPBACK}:{self.port}/"

    @property
    def open_connections(self) -> int:
        """Client connections not closed yet."""
        with self._lock:
            return len(self._connections)

    @property
    def mode(self) -> Mode:
        """The mode in force; back to `pass` once a fault's `count` is used up."""
        with self._lock:
            return self._mode

    def set_mode(
        self,
        mode: Mode,
        *,
        count: int | None = None,
        only_methods: Iterable[str] | None = None,
        status: int = 503,
        body: str | None = None,
        after_bytes: int = 2000,
        rate: int = 10_000,
    ) -> None:
        """Switch to `mode` now, from any thread.

        `count`: how many requests (connections) the fault applies to before `pass` again,
        None for all. `only_methods`: the HTTP methods the fault applies to, None for all.
        `status` and `body` (default: the status line's phrase): the answer in `http_error`.
        `after_bytes`: how much of a request `reset` forwards before the reset.
        `rate`: bytes a second `throttle` forwards of a request body.
        """
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {', '.join(MODES)}")
        if mode in ("pass", "refuse") and (count is not None or only_methods is not None):
            raise ValueError(f"mode {mode!r} takes neither count nor only_methods")
        if count is not None and count < 1:
            raise ValueError(f"count must be at least 1, not {count}")
        if after_bytes < 1:
            raise ValueError(f"after_bytes must be at least 1, not {after_bytes}")
        if rate < 1:
            raise ValueError(f"rate must be at least 1, not {rate}")
        http_status = HTTPStatus(status)
        dropped: list[_Connection] = []
        with self._lock:
            if self._closed:
                raise RuntimeError("the proxy is closed")
            self._mode = mode
            self._count = count
            self._only_methods = (
                None if only_methods is None else frozenset(m.upper() for m in only_methods)
            )
            self._status = http_status
            self._body = (body if body is not None else http_status.phrase).encode()
            self._after_bytes = after_bytes
            self._rate = rate
            if mode == "refuse" and self._listener is not None:
                _close(self._listener)
                self._listener = None
                dropped = list(self._connections)
            elif mode != "refuse" and self._listener is None:
                self._listener = self._listen(self.port)
        for connection in dropped:
            connection.close()

    def close(self) -> None:
        """Stop listening and close every connection. Idempotent."""
        with self._lock:
            self._closed = True
            listener, self._listener = self._listener, None
            connections = list(self._connections)
        if listener is not None:
            _close(listener)
        for connection in connections:
            connection.close()
        if threading.current_thread() is not self._acceptor:
            self._acceptor.join(timeout=1.0)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<FaultProxy {self.url} -> {self.upstream[0]}:{self.upstream[1]} {self.mode}>"

    # ------------------------------------------------------------------ internals

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if self.receive_buffer is not None:  # before listen(): accepted sockets inherit it
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
            listener.bind((LOOPBACK, port))
            listener.listen(64)
            listener.settimeout(ACCEPT_POLL)
        except OSError:
            listener.close()
            raise
        return listener

    def _accept_loop(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                listener = self._listener
            if listener is None:  # refusing
                time.sleep(ACCEPT_POLL)
                continue
            try:
                client, _address = listener.accept()
            except OSError:  # a timeout, or the listener closed meanwhile
                continue
            client.settimeout(None)
            connection = _Connection(self, client)
            with self._lock:
                if self._closed or self._listener is not listener:
                    accepted = False
                else:
                    self._connections.add(connection)
                    accepted = True
            if accepted:
                connection.start()
            else:
                connection.close()

    def _forget(self, connection: _Connection) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _fault_for(self, method: str) -> _Fault | None:
        """Count a request with `method`; the fault it gets, if any (uses up `count`)."""
        with self._lock:
            self.requests_seen[method] += 1
            mode = self._mode
            if mode in ("pass", "refuse"):
                return None
            if self._only_methods is not None and method not in self._only_methods:
                return None
            fault = _Fault(mode, self._status, self._body, self._after_bytes, self._rate)
            self.faults_injected[mode] += 1
            if self._count is not None:
                self._count -= 1
                if self._count == 0:
                    self._mode, self._count, self._only_methods = "pass", None, None
            return fault


@dataclass(frozen=True)
class _Fault:
    """What to do to one request: a snapshot of the settings when its head arrived."""

    mode: Mode
    status: HTTPStatus
    body: bytes
    after_bytes: int
    rate: int

    def response(self) -> bytes:
        head = (
            f"HTTP/1.1 {self.status.value} {self.status.phrase}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(self.body)}\r\n"
            "Connection: close\r\n"
            "\r\n"
        )
        return head.encode("latin-1") + self.body


class _Connection:
    """One client connection: its thread parses requests and forwards them upstream (or
    faults them); a second thread, started with the upstream connection, copies the
    server's answers back."""

    def __init__(self, proxy: FaultProxy, client: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: socket.socket | None = None
        self.buffer = bytearray()  # read from the client, not yet forwarded nor dropped
        self.lock = threading.Lock()
        self.closed = False
        self.client_done = False  # the client has stopped sending (end of stream)
        self.upstream_done = False  # the server has stopped sending (end of stream)
        self.method = "?"  # of the request being forwarded

    def start(self) -> None:
        name = f"faultproxy-{self.proxy.port}-client-{self.client.fileno()}"
        threading.Thread(target=self._run, name=name, daemon=True).start()

    def close(self, *, reset: bool = False) -> None:
        """Close both sockets, with a RST instead of a FIN if `reset`. Idempotent."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for sock in (self.client, self.upstream):
            if sock is not None:
                _close(sock, reset=reset)
        self.proxy._forget(self)

    # ---------------------------------------------------------- client -> upstream

    def _run(self) -> None:
        try:
            while self._request():
                pass
            if self.client_done:  # a clean end: let the server finish its answer
                self._half_closed(client=True)
                return
        except ConnectionResetError:  # the client reset: so does the proxy, as a router would
            self.close(reset=True)
            return
        except OSError:
            pass  # either side went away, or the proxy closed the sockets
        self.close()

    def _half_closed(self, *, client: bool) -> None:
        """One side has stopped sending: tell the other side, close once both have."""
        with self.lock:
            if client:
                self.client_done = True
            else:
                self.upstream_done = True
            both = self.client_done and (self.upstream_done or self.upstream is None)
        if both:
            self.close()
            return
        try:
            if client:
                assert self.upstream is not None
                self.upstream.shutdown(socket.SHUT_WR)
            else:
                self.client.shutdown(socket.SHUT_WR)
        except OSError:
            self.close()

    def _request(self) -> bool:
        """Handle the next request; whether the connection may carry another one."""
        head = self._read_head()
        if head is None:
            if not self.client_done:  # no blank line within MAX_HEAD bytes: not HTTP
                self._forward_raw(self.proxy._fault_for("?"))
            return False
        method, length, chunked = _parse_head(head)
        fault = self.proxy._fault_for(method)
        self.method = method
        if fault is None or fault.mode == "throttle":
            self._send_upstream(head)
            if chunked:
                self._forward_raw(None)
                return False
            if fault is None:
                return self._relay(length, self._send_upstream)
            piece = max(1, int(fault.rate * THROTTLE_STEP))
            return self._relay(length, self._throttled(piece), most=piece)
        if fault.mode == "http_error":
            if not chunked:
                self._relay(length, None)
            self.client.sendall(fault.response())
            self.client.shutdown(socket.SHUT_WR)
            return False
        if fault.mode == "stall":
            self._relay(None, None)
            return False
        # reset: never the whole request, so the server cannot act on it
        total = None if chunked else len(head) + length
        cut = fault.after_bytes if total is None else min(fault.after_bytes, total - 1)
        self._send_upstream(head[:cut])
        if cut > len(head):
            self._relay(cut - len(head), self._send_upstream)
        self.close(reset=True)
        return False

    def _forward_raw(self, fault: _Fault | None) -> None:
        """Forward everything the client sends from now on (or fault it as a whole)."""
        if fault is None:
            self._relay(None, self._send_upstream)
        elif fault.mode == "reset":
            self._relay(fault.after_bytes, self._send_upstream)
            self.close(reset=True)
        elif fault.mode == "http_error":
            self.client.sendall(fault.response())
            self.client.shutdown(socket.SHUT_WR)
        else:
            self._relay(None, None)

    def _read_head(self) -> bytes | None:
        """The next request head (through the blank line); None at the end of the client's
        stream (`client_done`) or when there is no blank line within MAX_HEAD bytes (the
        data stays in `buffer`)."""
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self.buffer[: end + 4])
                del self.buffer[: end + 4]
                return head
            if len(self.buffer) > MAX_HEAD:
                return None
            if not self._receive():
                return None

    def _receive(self, most: int = CHUNK) -> bool:
        """Append what the client sends next (`most` bytes at most) to `buffer`; False at the
        end of its stream."""
        data = self.client.recv(most)
        if not data:
            self.client_done = True
            return False
        self.buffer += data
        return True

    def _relay(self, length: int | None, sink: _Sink | None, most: int = CHUNK) -> bool:
        """Pass `length` bytes from the client (None: until it stops sending) to `sink`
        (None: drop them), reading `most` bytes at a time; whether they all came."""
        left = length
        while left is None or left > 0:
            if not self.buffer and not self._receive(most):
                return left is None
            size = len(self.buffer) if left is None else min(left, len(self.buffer))
            chunk = bytes(self.buffer[:size])
            del self.buffer[:size]
            if sink is not None:
                sink(chunk)
            if left is not None:
                left -= size
        return True

    def _throttled(self, piece: int) -> _Sink:
        """A sink passing data upstream `piece` bytes per THROTTLE_STEP at most, while the
        proxy stays in `throttle` mode."""

        def send(data: bytes) -> None:
            start = 0
            while start < len(data) and self.proxy.mode == "throttle":
                self._send_upstream(data[start : start + piece])
                start += piece
                time.sleep(THROTTLE_STEP)
            if start < len(data):
                self._send_upstream(data[start:])

        return send

    def _send_upstream(self, data: bytes) -> None:
        if self.upstream is None:
            upstream = socket.create_connection(self.proxy.upstream, timeout=CONNECT_TIMEOUT)
            upstream.settimeout(None)
            with self.lock:
                if self.closed:
                    upstream.close()
                    raise OSError("connection closed")
                self.upstream = upstream
            name = f"faultproxy-{self.proxy.port}-upstream-{upstream.fileno()}"
            threading.Thread(target=self._answer, name=name, daemon=True).start()
        self.upstream.sendall(data)
        with self.proxy._lock:
            self.proxy.bytes_forwarded[self.method] += len(data)

    # ---------------------------------------------------------- upstream -> client

    def _answer(self) -> None:
        """Copy the server's answers to the client; its end of stream too (half close)."""
        assert self.upstream is not None
        try:
            while data := self.upstream.recv(CHUNK):
                self.client.sendall(data)
        except OSError:
            self.close()
        else:
            self._half_closed(client=False)


def _parse_head(head: bytes) -> tuple[str, int, bool]:
    """(method, Content-Length, chunked) of a request head."""
    lines = head.decode("latin-1").split("\r\n")
    method = lines[0].split(" ", 1)[0].upper() or "?"
    length, chunked = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "content-length" and value.isdigit():
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    return method, length, chunked


def _close(sock: socket.socket, *, reset: bool = False) -> None:
    """Close `sock`, waking any thread blocked on it; with a RST instead of a FIN if `reset`."""
    try:
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RD)  # wakes a blocked recv() without sending anything
        else:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected, or already closed
    sock.close()
