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
import json
import os
import runpy
import signal
import socket
import struct
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

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
    *,
    fork_server_fd: int | None = None,
    warm: Sequence[str] = (),
    serving: str = "",
) -> list[str]:
    """The command line running `python -m module arguments...` so that it dies with this
    process; with `meter_fd`, reporting the bytes its HTTP connections move to that pipe
    (`graphpub.upload_meter`). With `fork_server_fd`, instead, a fork server
    (`publish.forkserver`) that imports the modules `warm` names, then forks a child running
    `python -m module arguments... MORE...` for each request on that socket (which gives
    MORE); `serving` (the workspace's root) only says, in its command line, whose uploads it
    runs."""
    server = (
        ["--fork-server", str(fork_server_fd), "--warm", ",".join(warm), "--serving", serving]
        if fork_server_fd is not None
        else []
    )
    return [
        sys.executable,
        "-m",
        "graphpub.lifetime",
        "--parent",
        str(os.getpid()),
        "--watch-fd",
        str(watch_fd),
        *(["--meter-fd", str(meter_fd)] if meter_fd is not None else []),
        *server,
        "--",
        module,
        *arguments,
    ]


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
    MODULE as `python -m MODULE ARGS...` would, its uploads reset if it dies (and metered).
    With `--fork-server FD --warm MODULES --serving ROOT`, be a fork server instead."""
    separator = list(argv).index("--")
    options = dict(zip(argv[:separator:2], argv[1:separator:2], strict=True))
    module, *arguments = argv[separator + 1 :]
    die_with_parent(int(options["--parent"]), int(options["--watch-fd"]))
    reset_when_killed()
    if "--meter-fd" in options:
        from graphpub.upload_meter import install

        install(int(options["--meter-fd"]))
    if "--fork-server" in options:
        server = int(options["--fork-server"])
        _serve_forks(server, int(options["--watch-fd"]), module, arguments, options)
        return
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def _serve_forks(
    server_fd: int, watch_fd: int, module: str, common: list[str], options: dict[str, str]
) -> None:
    """The fork server (`publish.forkserver`): import the modules `--warm` lists, then for
    each request on the socket `server_fd` (more arguments, and three descriptors: output,
    meter, status), fork a child running `python -m module COMMON... MORE...`, and answer its
    pid. At an empty request or the socket's end, return."""
    for name in filter(None, options.get("--warm", "").split(",")):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    _read_metadata_once()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children
    server = socket.socket(fileno=server_fd)
    me = os.getpid()
    while True:
        try:
            request, fds, _flags, _address = socket.recv_fds(server, 1 << 20, 3)
        except OSError:
            return
        if not request:
            return
        pid = os.fork()
        if pid == 0:  # the child: never returns
            server.close()
            more = json.loads(request)["arguments"]
            _forked(me, watch_fd, module, [*common, *more], *fds)
        for fd in fds:
            os.close(fd)
        server.send(json.dumps({"pid": pid}).encode())


def _read_metadata_once() -> None:
    """Have `importlib.metadata.entry_points` and `version` answer from what this server
    reads once. twine's command line asks both of every installed distribution at each
    start (for its subcommands and its `--version` text): two thirds of a forked upload's
    time went to reading the same files again. Nothing is installed into graphpub's own
    environment while it runs; a name not found is looked up as before."""
    import importlib.metadata as metadata

    from packaging.utils import canonicalize_name  # (as twine's own imports do)

    read_entry_points, read_version = metadata.entry_points, metadata.version
    try:
        every = read_entry_points()
        versions: dict[str, str] = {}
        for distribution in metadata.distributions():
            name = distribution.metadata["Name"]
            if name:  # (the first on the path wins, as `version` finds it)
                versions.setdefault(canonicalize_name(name), distribution.version)
    except Exception:  # a broken distribution: each child reads as it would have
        return

    def entry_points(**params: Any) -> Any:
        return every.select(**params)

    def version(distribution_name: str) -> str:
        found = versions.get(canonicalize_name(distribution_name))
        return found if found is not None else read_version(distribution_name)

    metadata.entry_points = entry_points
    metadata.version = version


def _forked(
    server: int,
    watch_fd: int,
    module: str,
    arguments: list[str],
    out_fd: int,
    meter_fd: int,
    status_fd: int,
) -> NoReturn:
    """Run `python -m module arguments...` in this forked child, its output to `out_fd`, its
    exit status written to `status_fd`; exit."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        die_with_parent(server, watch_fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(devnull)
        os.close(out_fd)
        from graphpub.upload_meter import install

        install(meter_fd)
        code = _run(module, arguments)
    except BaseException:  # whatever it is, the parent hears of it
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        with contextlib.suppress(OSError):
            os.write(status_fd, str(code).encode())
        os._exit(code)


def _run(module: str, arguments: list[str]) -> int:
    """`python -m module arguments...` in this process; its exit status as Python gives it."""
    sys.argv = [module, *arguments]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as e:
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code
        print(e.code, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    _main(sys.argv[1:])
