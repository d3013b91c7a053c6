"""How many bytes an upload has moved, measured in the twine process and told to graphpub.

twine shows progress only on a terminal, and prints nothing while a file goes out, so its
output cannot say whether an upload is moving. graphpub starts twine through
`graphpub.lifetime`, which installs this meter in the twine process first: it wraps
`http.client.HTTPConnection.send`, which every block of every request goes through (urllib3's
connections, hence requests' and twine's, are HTTPConnections), to learn the sockets uploads
use, and a thread samples those sockets
every SAMPLE_INTERVAL seconds and writes the total, a decimal number on a line, to a pipe
graphpub reads. graphpub abandons an upload only when that number (or twine's output) has
not changed for `upload_timeout` seconds.

What is counted is what the transport has done, not what was handed to it: on Linux the bytes
the server has acknowledged and the bytes received from it (TCP_INFO's tcpi_bytes_acked and
tcpi_bytes_received), so a slow network that still moves is progress and a stalled one is not,
even while the kernel's buffers still hold data. Elsewhere, the bytes handed to the sockets.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import os
import socket
import struct
import threading
import time
import weakref
from typing import Any

SAMPLE_INTERVAL = 0.1  # seconds between two readings of the sockets
# struct tcp_info (linux/tcp.h): 8 bytes of u8 fields, 24 u32 fields, then u64 pacing_rate,
# max_pacing_rate, bytes_acked (Linux 4.1+), bytes_received.
_TCP_INFO_SIZE = 232
_BYTES_ACKED = 120
_BYTES_RECEIVED = 128


class _Meter:
    """The sockets uploads go through, and the bytes each has moved when last read."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self._keys: weakref.WeakKeyDictionary[socket.socket, int] = weakref.WeakKeyDictionary()
        self._next_key = itertools.count()
        self._moved: dict[int, int] = {}  # per socket ever seen, alive or not
        self._handed = 0
        self._transport = hasattr(socket, "TCP_INFO")

    def saw(self, connection: http.client.HTTPConnection, data: object) -> None:
        """Note the socket of a block `connection` is about to send. It must never raise: it
        runs inside twine's every send."""
        with contextlib.suppress(Exception):
            sock = connection.sock
            with self._lock:
                self._handed += len(data) if isinstance(data, (bytes, bytearray)) else 0
                if sock is not None and sock not in self._keys:
                    key = self._keys[sock] = next(self._next_key)
                    self._moved[key] = 0

    def total(self) -> int:
        if not self._transport:
            with self._lock:
                return self._handed
        with self._lock:
            live = list(self._keys.items())
        for sock, key in live:
            moved = _transport_bytes(sock)
            if moved is not None:
                with self._lock:
                    self._moved[key] = max(self._moved[key], moved)
        with self._lock:
            return sum(self._moved.values())

    def run(self) -> None:
        """Write the total whenever it changes, until the pipe closes."""
        last = -1
        while True:
            time.sleep(SAMPLE_INTERVAL)
            moved = self.total()
            if moved == last:
                continue
            try:
                os.write(self._fd, b"%d\n" % moved)
            except BlockingIOError:  # graphpub is behind: the next reading says it again
                continue
            except OSError:  # graphpub is gone
                return
            last = moved


def _transport_bytes(sock: socket.socket) -> int | None:
    """Bytes acknowledged by the peer plus bytes received, None once the socket is closed."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_SIZE)
    except (OSError, ValueError):
        return None
    if len(info) < _BYTES_RECEIVED + 8:  # a kernel older than 4.1
        return None
    acked, received = struct.unpack_from("=QQ", info, _BYTES_ACKED)
    return int(acked + received)


def install(fd: int) -> None:
    """Meter this process's HTTP uploads, reporting to the pipe's write end `fd`."""
    os.set_blocking(fd, False)
    meter = _Meter(fd)
    send = http.client.HTTPConnection.send

    def metered_send(connection: http.client.HTTPConnection, data: Any) -> None:
        meter.saw(connection, data)
        send(connection, data)

    http.client.HTTPConnection.send = metered_send  # type: ignore[method-assign,assignment]
    threading.Thread(target=meter.run, name="upload-meter", daemon=True).start()
