"""Every process graphpub starts dies with the process that started it.

`graphpub` runs its command in a supervised child (`buildgraph.parallel.run_supervised`), which
forks evaluation and build workers and starts one twine process per upload. When graphpub is
killed outright (SIGKILL: a CI job cancelled, an OOM killer), none of them may go on working,
least of all a twine process still uploading. On Linux each child asks the kernel for SIGKILL
when its parent dies (`prctl(PR_SET_PDEATHSIG)`); elsewhere it watches a pipe whose other end
only its parent holds, and kills itself at the pipe's end of stream.

twine is started through this module (`python -m graphpub.lifetime --parent PID -- twine ...`),
which arranges that, then runs `python -m twine` in the same process: no other exec, and no
`preexec_fn` in a threaded parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import runpy
import signal
import socket
import struct
import sys
import threading
from collections.abc import Iterator, Sequence

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, watch_fd: int | None = None) -> None:
    """Make this process die when `parent`, the pid of its parent, does: by the kernel on
    Linux, else by a thread watching `watch_fd` (the read end of a pipe only the parent
    writes to). If the parent is already gone, die now."""
    if sys.platform.startswith("linux") and _ask_the_kernel():
        if os.getppid() != parent:  # it died before the kernel was asked
            os.kill(os.getpid(), signal.SIGKILL)
        return
    if watch_fd is not None:
        threading.Thread(target=_watch, args=(watch_fd,), name="parent-watch", daemon=True).start()


def _ask_the_kernel() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch(fd: int) -> None:
    with contextlib.suppress(OSError):
        while os.read(fd, 1):
            pass
    os.kill(os.getpid(), signal.SIGKILL)  # the parent's end closed: it is gone


@contextlib.contextmanager
def watch_pipe() -> Iterator[int]:
    """A pipe for one child process: yields the read end to pass to it (`pass_fds`), and
    closes both ends in this process afterwards. The write end is never inherited, so only
    this process's death (or the context's end) closes it."""
    read_fd, write_fd = os.pipe()
    try:
        yield read_fd
    finally:
        os.close(read_fd)
        os.close(write_fd)


def guarded_command(
    module: str,
    arguments: Sequence[str],
    watch_fd: int,
    meter_fd: int | None = None,
    gate_fd: int | None = None,
    warm: Sequence[str] = (),
) -> list[str]:
    """The command line running `python -m module arguments...` so that it dies with this
    process; with `meter_fd`, reporting the bytes its HTTP connections move to that pipe
    (`graphpub.upload_meter`). With `gate_fd`, the process starts, imports the modules
    `warm` names, then waits for a byte on that pipe before it runs the module (and, at the
    pipe's end of stream instead, exits without running it): started ahead of its turn, it
    goes without the cost of its imports when its turn comes."""
    return [
        sys.executable,
        "-m",
        "graphpub.lifetime",
        "--parent",
        str(os.getpid()),
        "--watch-fd",
        str(watch_fd),
        *(["--meter-fd", str(meter_fd)] if meter_fd is not None else []),
        *(["--gate-fd", str(gate_fd), "--warm", ",".join(warm)] if gate_fd is not None else []),
        "--",
        module,
        *arguments,
    ]


# The exit status of a process whose gate was closed: it was not needed after all.
NOT_RELEASED = 125


def reset_when_killed() -> None:
    """Have every HTTP connection urllib3 opens from now on end with a reset (RST) rather
    than a clean end (FIN) when this process dies: a server reading an upload then sees it
    broken off, not complete (pypiserver stores a file cut short by a FIN). Normal closes
    come after the server's answer, so nothing it needs is lost."""
    import urllib3.connection

    linger = (socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # In place: urllib3 binds this very list as its connections' default argument.
    urllib3.connection.HTTPConnection.default_socket_options.append(linger)


def _main(argv: Sequence[str]) -> None:
    """`--parent PID --watch-fd FD [--meter-fd FD] -- MODULE ARGS...`: die with PID, then run
    MODULE as `python -m MODULE ARGS...` would, its uploads reset if it dies (and metered)."""
    separator = list(argv).index("--")
    options = dict(zip(argv[:separator:2], argv[1:separator:2], strict=True))
    module, *arguments = argv[separator + 1 :]
    die_with_parent(int(options["--parent"]), int(options["--watch-fd"]))
    reset_when_killed()
    if "--meter-fd" in options:
        from graphpub.upload_meter import install

        install(int(options["--meter-fd"]))
    if "--gate-fd" in options:
        _wait_at_gate(int(options["--gate-fd"]), options["--warm"])
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def _wait_at_gate(gate_fd: int, warm: str) -> None:
    """Import the modules `warm` lists (comma-separated; one that is missing is skipped),
    then block until a byte comes on `gate_fd`; at its end of stream, exit NOT_RELEASED."""
    for name in filter(None, warm.split(",")):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    try:
        released = os.read(gate_fd, 1)
    finally:
        os.close(gate_fd)
    if not released:
        sys.exit(NOT_RELEASED)


if __name__ == "__main__":
    _main(sys.argv[1:])
