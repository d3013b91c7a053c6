"""Evaluating many packages at once on several cores.

Starlark evaluation holds the GIL, so threads do not help. Forked workers do: each inherits the
evaluator as it is (rules, prelude, caches) at no start-up cost, evaluates its share of the
packages and sends them back pickled; the parent evaluates a share itself meanwhile.

The packages go in frames of `PACKAGES_PER_FRAME`, each a pickle of its own, which the parent
unpickles as they arrive: neither process holds the whole payload, nor a pickle memo of every
object sent (unpickling one pickle of 20,000 packages needed twice their final size).

A worker keeps the file it evaluates, and that file's deadline, in memory shared with the
parent: if the worker dies (starlark-rust overflowing its stack on a value nested too deeply,
or aborting when an allocation fails), the parent reports that file; if it outlives the
deadline by far (stuck where starlark cannot cancel it), the parent stops it.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import select
import signal
import struct
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from graphpub.buildgraph.budget import PROGRESS_SIZE, read_progress, report_progress_of_process
from graphpub.buildgraph.config import Config
from graphpub.buildgraph.evaluator import Evaluator, Package
from graphpub.errors import BuildFileError, GraphpubError, SourceLocation
from graphpub.lifetime import die_with_parent

# Below this many packages per worker, forking and pickling cost more than they save.
MIN_PACKAGES_PER_WORKER = 250
# A worker also completes its cache entries and pickles what it evaluated (about a tenth of
# its evaluation time, measured on benchmarks/gen_monorepo.py trees) while the parent only
# unpickles it: the parent takes a larger share so that both finish together.
PARENT_SHARE_WEIGHT = 1.1
# A process still on one file this many seconds after its deadline is stuck where starlark
# cannot cancel (one native operation on a huge value: `str()` of a list shared a billion
# times), and is stopped. starlark stops itself within milliseconds of the deadline elsewhere.
STOP_GRACE = 3.0
_POLL_SECONDS = 0.5
# Packages per frame a worker sends: small enough that a frame's pickle memo is (of the
# objects unpickled) a small part, large enough that strings and tuples the packages share
# are still sent once for many.
PACKAGES_PER_FRAME = 256
_FRAME_HEADER = struct.Struct("<Q")  # the length of the pickle that follows


@dataclass
class _Result:
    packages: dict[str, Package] = field(default_factory=dict)
    failures: dict[str, GraphpubError] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    cached: dict[str, bytes] = field(default_factory=dict)  # (`PackageCache.fresh`)
    error: BaseException | None = None


@dataclass
class _Worker:
    pid: int
    read_fd: int
    progress: mmap.mmap
    stopped: bool = False


def evaluate_packages(
    evaluator: Evaluator, directories: Sequence[str], jobs: int, *, keep_going: bool = False
) -> None:
    """Evaluate the packages in `directories` into the evaluator's cache, using up to `jobs`
    processes; raises the first error (by location) any of them met. With `keep_going`, a
    package that fails is only one of the evaluator's `failures`."""
    jobs = min(jobs, len(directories) // MIN_PACKAGES_PER_WORKER)
    if jobs < 2 or not hasattr(os, "fork"):
        _raise_first([evaluator.evaluate_many(directories, keep_going=keep_going)])
        return
    shares = _shares(directories, jobs)
    evaluator.load_prelude()
    workers: list[_Worker] = []
    try:
        for share in shares[1:]:
            workers.append(_fork(evaluator, share, keep_going))
        errors: list[BaseException | None] = [
            evaluator.evaluate_many(shares[0], keep_going=keep_going)
        ]
        while workers:
            result = _collect(workers[0], evaluator.config)
            workers.pop(0)
            evaluator.adopt(result.packages, result.failures, result.cached)
            for key, message in result.warnings:
                evaluator.warn(message, key=key)
            errors.append(result.error)
    finally:
        for worker in workers:  # interrupted (Ctrl-C, a bug): no worker outlives the parent
            _stop(worker)
            if worker.read_fd >= 0:
                os.close(worker.read_fd)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(worker.pid, 0)
    _raise_first(errors)


def _shares(directories: Sequence[str], jobs: int) -> list[list[str]]:
    """Split the directories for the parent (first share) and `jobs - 1` workers."""
    parent_count = round(len(directories) * PARENT_SHARE_WEIGHT / (PARENT_SHARE_WEIGHT + jobs - 1))
    rest = directories[parent_count:]
    return [list(directories[:parent_count])] + [list(rest[i :: jobs - 1]) for i in range(jobs - 1)]


def _fork(evaluator: Evaluator, share: Sequence[str], keep_going: bool) -> _Worker:
    progress = mmap.mmap(-1, PROGRESS_SIZE)  # anonymous and shared with the child
    read_fd, write_fd = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return _Worker(pid, read_fd, progress)
    # The worker: never returns, never runs the parent's cleanup or flushes its buffers.
    status = 0
    try:
        os.close(read_fd)
        die_with_parent(parent)  # where the kernel cannot, the parent's finally stops it
        evaluator.report_progress(progress)
        result = _Result()
        known, failed = set(evaluator.packages), set(evaluator.failures)
        evaluator.capture_warnings(result.warnings)
        result.error = evaluator.evaluate_many(share, keep_going=keep_going)
        result.packages = {d: p for d, p in evaluator.packages.items() if d not in known}
        result.failures = {d: e for d, e in evaluator.failures.items() if d not in failed}
        if evaluator.cache is not None:  # the entries evaluated here, for the parent to keep
            fresh = evaluator.cache.fresh(evaluator.tree.listing)
            result.cached = {d: fresh[d] for d in result.packages if d in fresh}
        # All pickled before any is written: the parent reads only once its own share is done.
        frames = [_frame(_header_of(result))]
        directories = list(result.packages)
        for start in range(0, len(directories), PACKAGES_PER_FRAME):
            chunk = directories[start : start + PACKAGES_PER_FRAME]
            packages = {d: result.packages[d] for d in chunk}
            cached = {d: result.cached[d] for d in chunk if d in result.cached}
            frames.append(_frame(pickle.dumps((packages, cached), pickle.HIGHEST_PROTOCOL)))
        with os.fdopen(write_fd, "wb") as pipe:
            for frame in frames:
                pipe.write(frame)
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _header_of(result: _Result) -> bytes:
    """The pickled failures, warnings and error of a worker's result (its packages follow)."""
    header = _Result(failures=result.failures, warnings=result.warnings, error=result.error)
    try:
        return pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as e:  # an unpicklable error: send what it says
        header.error = RuntimeError(f"{type(result.error).__name__}: {result.error} ({e})")
        return pickle.dumps(header, protocol=pickle.HIGHEST_PROTOCOL)


def _frame(pickled: bytes) -> bytes:
    return _FRAME_HEADER.pack(len(pickled)) + pickled


def _collect(worker: _Worker, config: Config) -> _Result:
    """A worker's result, unpickled frame by frame as it comes; the worker stopped if it stays
    stuck on a file."""
    buffer = bytearray()
    frames: list[bytes] = []
    result: _Result | None = None
    broken = False
    grace = STOP_GRACE
    while True:
        if _readable(worker.read_fd, _POLL_SECONDS):
            chunk = os.read(worker.read_fd, 1 << 20)
            if not chunk:
                break
            buffer += chunk
            frames.clear()
            _take_frames(buffer, frames)
            for frame in frames:
                if broken:
                    break
                try:
                    result = _add_frame(result, frame)
                except Exception:  # cut short or garbled: the worker died while sending
                    broken = True
            continue
        deadline, _ = read_progress(worker.progress)
        if deadline and time.monotonic() > deadline + grace and not worker.stopped:
            _stop(worker)
    os.close(worker.read_fd)
    worker.read_fd = -1
    _, status = os.waitpid(worker.pid, 0)
    if status == 0 and result is not None and not broken and not buffer:
        return result
    return _Result(error=_failure(worker, status, config))


def _readable(fd: int, timeout: float) -> bool:
    """Whether `fd` can be read (or is closed) within `timeout` seconds. (poll, not select:
    select refuses a descriptor above FD_SETSIZE, 1024, which a process holding many files
    open is handed.)"""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    return bool(poller.poll(timeout * 1000))


def _take_frames(buffer: bytearray, frames: list[bytes]) -> None:
    """Move the complete frames at the start of `buffer` into `frames`."""
    start, size = 0, _FRAME_HEADER.size
    while len(buffer) - start >= size:
        (length,) = _FRAME_HEADER.unpack_from(buffer, start)
        if len(buffer) - start - size < length:
            break
        frames.append(bytes(buffer[start + size : start + size + length]))
        start += size + length
    del buffer[:start]


def _add_frame(result: _Result | None, frame: bytes) -> _Result:
    """`result` with one more frame of the worker's: the first is the header, the others
    hold packages and their cache entries."""
    if result is None:
        header = pickle.loads(frame)
        if not isinstance(header, _Result):
            raise TypeError("not a worker's result")
        return header
    packages, cached = pickle.loads(frame)
    result.packages.update(packages)
    result.cached.update(cached)
    return result


def _stop(worker: _Worker) -> None:
    worker.stopped = True
    with contextlib.suppress(ProcessLookupError):
        os.kill(worker.pid, signal.SIGKILL)


def _failure(worker: _Worker, status: int, config: Config | None) -> BaseException:
    """Why a worker sent no result: the file it was evaluating and what most likely killed
    it, or an internal error if it was not evaluating any. (Without the `config`, the errors
    name the keys to raise but not their values.)"""
    deadline, path = read_progress(worker.progress)
    if not deadline:
        return RuntimeError(f"a build-file evaluation worker failed ({status})")
    location = SourceLocation(path)
    if worker.stopped:
        timeout = f" ({config.evaluation_timeout:g} s)" if config else ""
        return BuildFileError(
            f"evaluating {path} took longer than evaluation_timeout{timeout} and did not "
            "stop by itself: the process evaluating it was killed",
            location=location,
            hint="raise evaluation_timeout under [tool.graphpub] (graphpub.toml or "
            "pyproject.toml) if the file needs longer",
        )
    number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    name = signal.Signals(number).name if number in signal.valid_signals() else str(status)
    if number in (signal.SIGSEGV, signal.SIGBUS):
        return BuildFileError(
            f"evaluating {path} crashed ({name}): starlark ran out of stack, most likely on a "
            "value nested too deeply",
            location=location,
            hint="look for a loop that nests a list or dict in itself, such as `x = [x]`",
        )
    if number == signal.SIGABRT:
        mib = f" ({config.max_evaluation_memory_mib} MiB)" if config else ""
        return BuildFileError(
            f"evaluating {path} crashed ({name}): most likely an allocation beyond "
            f"max_evaluation_memory_mib{mib} failed",
            location=location,
            hint="look for a huge value (a string or list repeated billions of times), or "
            "raise max_evaluation_memory_mib under [tool.graphpub] (graphpub.toml or "
            "pyproject.toml) if the file needs more",
        )
    return BuildFileError(
        f"evaluating {path} crashed ({name})",
        location=location,
        hint="SIGKILL: most likely the system ran out of memory"
        if number == signal.SIGKILL
        else None,
    )


def _raise_first(errors: Sequence[BaseException | None]) -> None:
    found = [e for e in errors if e is not None]
    if not found:
        return
    located = [e for e in found if isinstance(e, GraphpubError) and e.location is not None]
    if located:
        raise min(located, key=lambda e: e.location or ())  # deterministic whatever the split
    raise found[0]


def run_supervised(command: Callable[[], int], report: Callable[[GraphpubError], None]) -> int:
    """Run `command` (a whole graphpub command) in a forked child process and return its exit
    code. starlark-rust cannot always fail gracefully: on a value nested too deeply it
    overflows its stack (SIGSEGV), and a single allocation beyond the capped address space
    aborts (SIGABRT). If the child dies so while evaluating a build file, `report` gets the
    error naming that file and the exit code is 1, as for any other build-file error; if it
    stays stuck on one file long past its deadline, it is stopped and reported the same way.
    """
    if not hasattr(os, "fork"):
        return command()
    progress = mmap.mmap(-1, PROGRESS_SIZE)
    sys.stdout.flush()
    sys.stderr.flush()
    watch_read, watch_write = os.pipe()  # the child's sign that this process is gone
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(watch_write)
        die_with_parent(parent, watch_read)
        report_progress_of_process(progress)
        raise SystemExit(command())  # exits as the command would have, unsupervised
    os.close(watch_read)
    worker = _Worker(pid, -1, progress)
    previous = {
        number: signal.signal(number, handler)
        for number, handler in (
            (signal.SIGINT, signal.SIG_IGN),  # the child gets it too, and stops as it should
            (signal.SIGTERM, lambda number, _frame: _forward(pid, number)),
            (signal.SIGHUP, lambda number, _frame: _forward(pid, number)),
        )
    }
    try:
        status = _wait(worker)
    finally:
        os.close(watch_write)
        for number, handler in previous.items():
            signal.signal(number, handler)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    failure = _failure(worker, status, None)
    if not isinstance(failure, GraphpubError):
        return 128 + os.WTERMSIG(status)  # not while evaluating: as a shell reports it
    report(failure)
    return 1


def _forward(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def _wait(worker: _Worker) -> int:
    """The child's wait status; it is stopped if it stays stuck on one file (where the
    platform can wait for a process with a timeout)."""
    try:
        pidfd = os.pidfd_open(worker.pid)
    except (AttributeError, OSError):
        return os.waitpid(worker.pid, 0)[1]
    try:
        while not _readable(pidfd, _POLL_SECONDS):
            deadline, _ = read_progress(worker.progress)
            if deadline and time.monotonic() > deadline + STOP_GRACE:
                _stop(worker)
    finally:
        os.close(pidfd)
    return os.waitpid(worker.pid, 0)[1]
