"""Twine processes forked from one that has imported twine already: `python -m twine` each.

Starting `python -m twine` costs about 0.25 s of CPU (its imports: requests, rich, keyring,
packaging...), for each distribution and repository, and graphpub starts one per distribution
(twine sorts a command line's wheels first, so two distributions in one process would start
the second's wheel before the first's sdist is there). On two cores, a hundred distributions
to two repositories spent most of their time importing. A fork server per repository
(`graphpub.lifetime --fork-server`) imports twine's modules once, then forks a child per
upload that runs `python -m twine ARGS` as a new process would (runpy, `__main__`, sys.argv),
with its output, its meter and its exit status on pipes of its own. The child dies with the
server, and the server with graphpub (`graphpub.lifetime`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Mapping, Sequence
from typing import IO

from graphpub.lifetime import guarded_command, watch_pipe


class ForkServerError(OSError):
    """The fork server is gone or refused: start the process the ordinary way."""


class ForkedProcess:
    """A child of the fork server, as much of `subprocess.Popen` as graphpub uses."""

    def __init__(self, pid: int, stdout: IO[bytes], status_fd: int) -> None:
        self.pid = pid
        self.stdout = stdout
        self._status_fd = status_fd
        self._code: int | None = None
        self._killed = False

    def kill(self) -> None:
        if self._code is None:
            self._killed = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> int:
        """Its exit status: what it wrote on its status pipe before exiting, -SIGKILL when
        killed, 1 when it died without a word."""
        if self._code is None:
            written = bytearray()
            with contextlib.suppress(OSError):
                while chunk := os.read(self._status_fd, 64):
                    written += chunk
            os.close(self._status_fd)
            text = written.decode(errors="replace").strip()
            if text.lstrip("-").isdigit():
                self._code = int(text)
            else:
                self._code = -signal.SIGKILL if self._killed else 1
        return self._code


def _socket_pair() -> tuple[socket.socket, socket.socket]:
    """Two connected sockets that carry messages with descriptors: SOCK_SEQPACKET where
    there is one (a dead peer is an end of stream), else datagrams."""
    try:
        return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    except (AttributeError, OSError):
        return socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)


class ForkServer:
    """`python -m graphpub.lifetime --fork-server ... -- module arguments...`, with
    `environment`: each child it forks runs `python -m module arguments... MORE...`.
    `serving` (the workspace's root) names it in its command line."""

    def __init__(
        self,
        module: str,
        arguments: Sequence[str],
        warm: Sequence[str],
        environment: Mapping[str, str],
        serving: str,
    ) -> None:
        self._lock = threading.Lock()
        self._stack = contextlib.ExitStack()
        ours, theirs = _socket_pair()
        self._socket = ours
        try:
            watch_fd = self._stack.enter_context(watch_pipe())
            self._process = subprocess.Popen(
                guarded_command(
                    module,
                    arguments,
                    watch_fd,
                    fork_server_fd=theirs.fileno(),
                    warm=warm,
                    serving=serving,
                ),
                pass_fds=(watch_fd, theirs.fileno()),
                env=dict(environment),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except BaseException:
            ours.close()
            self._stack.close()
            raise
        finally:
            theirs.close()

    def start(self, arguments: Sequence[str], meter_fd: int) -> ForkedProcess:
        """A child running `python -m MODULE ARGUMENTS... arguments...` (the server's, then
        these), its output (stdout and stderr)
        readable from the returned process's `stdout`, its meter writing to `meter_fd` (the
        caller closes its own copy). ForkServerError when the server cannot."""
        out_read, out_write = os.pipe()
        status_read, status_write = os.pipe()
        try:
            with self._lock:
                if self._process.poll() is not None:
                    raise ForkServerError("the fork server has exited")
                request = json.dumps({"arguments": list(arguments)}).encode()
                socket.send_fds(self._socket, [request], [out_write, meter_fd, status_write])
                self._socket.settimeout(30)
                answer = self._socket.recv(4096)  # empty: the server is gone
            pid = json.loads(answer.decode())["pid"]
        except (OSError, ValueError, KeyError) as e:
            os.close(out_read)
            os.close(status_read)
            raise ForkServerError(str(e)) from None
        finally:
            os.close(out_write)
            os.close(status_write)
        return ForkedProcess(int(pid), os.fdopen(out_read, "rb"), status_read)

    def close(self) -> None:
        """Stop the server: its children that still run die with it."""
        with contextlib.suppress(OSError):  # an empty datagram: a datagram socket has no EOF
            self._socket.send(b"")
        self._socket.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._stack.close()
