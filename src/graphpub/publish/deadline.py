"""A total deadline for one HTTP exchange made with requests: connecting, the status line and
headers, and the body, however slowly a server trickles them.

requests' timeout bounds each socket operation, not the exchange: a server that sends one
byte a second never trips it. Here every connection of a `WatchedAdapter` tells the
`Deadline` running in its thread which socket it uses; when the deadline passes, a timer
thread shuts that socket down, which ends at once whatever read, write or TLS handshake is
blocked on it. The reader then sees a broken connection and asks `Deadline.expired` why.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, ProxyManager
from urllib3.connection import HTTPConnection, HTTPSConnection

# The deadline of the exchange running in each thread: urllib3 connects and reads in the
# thread that makes the request.
_running = threading.local()


class Deadline:
    """`seconds` from entering the `with` block; connections used inside it are watched."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = 0.0
        self._lock = threading.Lock()
        self._handles: list[socket.socket] = []
        self._expired = False
        self._finished = False
        self._timer: threading.Timer | None = None

    def __enter__(self) -> Deadline:
        self._end = time.monotonic() + self.seconds
        self._timer = threading.Timer(self.seconds, self.expire)
        self._timer.daemon = True
        self._timer.start()
        _running.deadline = self
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _running.deadline = None
        with self._lock:
            self._finished = True
        if self._timer is not None:
            self._timer.cancel()

    def remaining(self) -> float:
        """Seconds left, for the per-operation timeouts (never 0: that would mean no wait)."""
        return max(self._end - time.monotonic(), 0.001)

    @property
    def expired(self) -> bool:
        with self._lock:
            return self._expired

    def finish(self) -> bool:
        """End the watch once the answer is read; False when the deadline came first (then what
        was read may be cut short, even if no error said so)."""
        with self._lock:
            self._finished = True
            return not self._expired

    def watch(self, handle: socket.socket) -> None:
        """Shut `handle` down at the deadline (at once if it has passed)."""
        with self._lock:
            if self._expired:
                _shut(handle)
            else:
                self._handles.append(handle)

    def expire(self) -> None:
        """The deadline, now: the exchange's connections are shut down (unless its answer is
        complete already)."""
        with self._lock:
            if self._finished:
                return  # the answer was complete: its connection may go back to the pool
            self._expired = True
            for handle in self._handles:
                _shut(handle)


def _shut(handle: socket.socket) -> None:
    with contextlib.suppress(OSError):  # closed already
        handle.shutdown(socket.SHUT_RDWR)


class _WatchedConnection(HTTPConnection):
    """An HTTP connection that gives its socket to the deadline of every exchange using it."""

    # A duplicate of the socket's descriptor: shutting it down ends the connection even after
    # TLS has wrapped the original socket object (which detaches it).
    _handle: socket.socket | None = None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._handle = sock.dup()
        _watch(self._handle)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        if self._handle is not None:  # a connection kept alive from an earlier exchange
            _watch(self._handle)
        super().request(*args, **kwargs)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._handle is not None:
                self._handle.close()
                self._handle = None


class _WatchedTLSConnection(_WatchedConnection, HTTPSConnection):
    pass


def _watch(handle: socket.socket) -> None:
    deadline: Deadline | None = getattr(_running, "deadline", None)
    if deadline is not None:
        deadline.watch(handle)


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedTLSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedTLSConnection


_WATCHED_POOLS: dict[str, type[HTTPConnectionPool]] = {
    "http": _WatchedPool,
    "https": _WatchedTLSPool,
}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, whose connections (direct or through an HTTP proxy) are watched by
    the `Deadline` of the exchange using them. A SOCKS proxy's are not: they keep requests'
    per-operation timeout only."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager):
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager
