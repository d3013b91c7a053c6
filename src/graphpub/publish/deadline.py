"""A total deadline for one HTTP exchange made with requests: connecting, the status line and
headers, and the body, however slowly a server trickles them.

requests' timeout bounds each socket operation, not the exchange: a server that sends one
byte a second never trips it. Here every connection of a `WatchedAdapter` tells the
`Deadline` running in its thread which socket it uses; when the deadline passes, the
`Watchdog`'s thread shuts that socket down, which ends at once whatever read, write or TLS
handshake is blocked on it. The reader then sees a broken connection and asks
`Deadline.expired` why. One watchdog thread serves every deadline of a client: a thread per
exchange (as `threading.Timer` makes) costs more than reading a page from a nearby index.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
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
    """`seconds` from entering the `with` block, kept by `watchdog`; connections used inside
    it are watched."""

    def __init__(self, seconds: float, watchdog: Watchdog) -> None:
        self.seconds = seconds
        self.end = 0.0
        self._watchdog = watchdog
        self._lock = threading.Lock()
        self._handles: list[socket.socket] = []
        self._expired = False
        self._finished = False

    def __enter__(self) -> Deadline:
        self.end = time.monotonic() + self.seconds
        self._watchdog.keep(self)
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

    @property
    def finished(self) -> bool:
        with self._lock:
            return self._finished

    def remaining(self) -> float:
        """Seconds left, for the per-operation timeouts (never 0: that would mean no wait)."""
        return max(self.end - time.monotonic(), 0.001)

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


class Watchdog:
    """One thread expiring each `Deadline` it keeps at its end. It runs while any deadline it
    keeps is unfinished; `close` lets it end once none is."""

    # Finished deadlines are dropped as they come first; beyond this many kept, all at once.
    _TIDY_ABOVE = 1024

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._kept: list[tuple[float, int, Deadline]] = []  # a heap, by end
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    def keep(self, deadline: Deadline) -> None:
        """Expire `deadline` at its end (unless it is finished by then)."""
        if math.isinf(deadline.end):
            return  # no limit
        with self._condition:
            if len(self._kept) > self._TIDY_ABOVE:
                self._kept = [entry for entry in self._kept if not entry[2].finished]
                heapq.heapify(self._kept)
            heapq.heappush(self._kept, (deadline.end, next(self._order), deadline))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="graphpub-deadlines", daemon=True
                )
                self._thread.start()
            elif self._kept[0][2] is deadline:
                self._condition.notify()  # earlier than the one it waits for

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                due = self._next_due()
                if due is None:
                    return
            due.expire()

    def _next_due(self) -> Deadline | None:
        """Wait for the first deadline to come (None: closed, and none is left to keep)."""
        while True:
            while self._kept and self._kept[0][2].finished:
                heapq.heappop(self._kept)
            if not self._kept:
                if self._closed:
                    self._thread = None  # a deadline kept after this starts another
                    return None
                self._condition.wait()
                continue
            end = self._kept[0][0]
            now = time.monotonic()
            if end <= now:
                return heapq.heappop(self._kept)[2]
            self._condition.wait(min(end - now, threading.TIMEOUT_MAX))


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
