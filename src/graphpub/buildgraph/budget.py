"""The limits one build or `.bzl` file is evaluated within: time, memory, and who to blame.

Build files are written by anyone. Each file is evaluated within `evaluation_timeout` seconds
and `max_evaluation_memory_mib` of growth, checked whenever starlark asks whether to cancel
(every thousand or so loop iterations or calls). While graphpub evaluates, the process's
address space is capped too (Linux): one huge allocation (`"x" * 2000000000`) or a value
starlark builds without asking (`str()` of a huge shared list) fails at about the limit instead
of taking the machine's memory. Where starlark cannot stop at all, the process that watches this
one (`parallel`) stops it: the file being evaluated and its deadline are kept in memory shared
with that process.
"""

from __future__ import annotations

import mmap
import os
import struct
import sys
import time
from collections.abc import Callable

from graphpub.buildgraph import starlark_errors
from graphpub.buildgraph.config import Config
from graphpub.errors import BuildFileError, SourceLocation

if sys.platform != "win32":
    import resource

PROGRESS_SIZE = mmap.PAGESIZE
_PROGRESS = struct.Struct("dI")  # the deadline (time.monotonic), the length of the path
_MIB = 1 << 20
# Address space a file's evaluation may reserve beyond its memory limit without touching it
# (CPython's arenas, thread-local caches). Measured on the hostile tests and
# benchmarks/gen_monorepo.py trees.
ADDRESS_SPACE_SLACK = 64 * _MIB

_process_progress: list[mmap.mmap] = []  # set in a supervised process (parallel.run_supervised)


def report_progress_of_process(buffer: mmap.mmap) -> None:
    """Have every evaluation from now on in this process report its progress to `buffer`
    (see `Limits.report_progress`)."""
    _process_progress[:] = [buffer]


def read_progress(buffer: mmap.mmap) -> tuple[float, str]:
    """What `Limits.report_progress` keeps: the deadline of the file being evaluated (0 if
    none is) and its path."""
    deadline, length = _PROGRESS.unpack_from(buffer, 0)
    path = bytes(buffer[_PROGRESS.size : _PROGRESS.size + length]).decode("utf-8", "replace")
    return deadline, path


def raise_hint(key: str, when: str, suspect: str | None = None) -> str:
    raise_it = f"raise {key} under [tool.graphpub] (graphpub.toml or pyproject.toml) {when}"
    return f"look for {suspect} without end, or {raise_it}" if suspect else raise_it


class Budget:
    """One file's evaluation: its deadline, the process's memory (address space, resident)
    when first checked, and which of the two it exceeded."""

    __slots__ = ("deadline", "exceeded", "memory_base", "path", "prints", "started")

    def __init__(self, path: str, started: float, deadline: float) -> None:
        self.path = path
        self.started = started
        self.deadline = deadline
        self.memory_base: tuple[int, int] | None = None
        self.exceeded: str | None = None
        self.prints = 0


class ProcessMemory:
    """This process's address space and resident memory, in bytes: from /proc/self/statm on
    Linux (not the peak, which a process inherits from whatever ran in it before exec),
    elsewhere the peak resident memory for both."""

    def __init__(self) -> None:
        self._statm = -1
        self._pid = 0

    def sizes(self) -> tuple[int, int]:
        if sys.platform == "win32":
            return 0, 0
        if sys.platform.startswith("linux") and self._pid >= 0:
            try:
                pid = os.getpid()
                if pid != self._pid:  # first use, or a forked worker: /proc/self was the parent
                    if self._statm >= 0:
                        os.close(self._statm)
                    self._statm = os.open("/proc/self/statm", os.O_RDONLY)
                    self._pid = pid
                size, resident = os.pread(self._statm, 128, 0).split()[:2]
                return int(size) * mmap.PAGESIZE, int(resident) * mmap.PAGESIZE
            except (OSError, ValueError):  # no /proc
                self._pid = -1
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak *= 1 if sys.platform == "darwin" else 1024
        return peak, peak


class AddressSpaceCap:
    """RLIMIT_AS while graphpub evaluates, on Linux: the address space may grow by `headroom`
    bytes, so that one huge allocation fails (starlark-rust then panics, or aborts; Python
    raises MemoryError) instead of taking the machine's memory. Lifted when the outermost
    evaluation ends: processes that graphpub starts later must not inherit it."""

    def __init__(self, headroom: int, memory: ProcessMemory) -> None:
        self._headroom = headroom
        self._memory = memory
        self._enabled = sys.platform.startswith("linux")
        self._depth = 0
        self._saved: tuple[int, int] | None = None  # the limits to restore, if capped

    def begin(self) -> None:
        self._depth += 1
        if self._depth == 1 and sys.platform != "win32" and self._enabled:
            try:
                soft, hard = resource.getrlimit(resource.RLIMIT_AS)
                if soft == resource.RLIM_INFINITY or soft > self._limit(hard):
                    self._saved = soft, hard  # not already capped tighter by someone else
                    self.refresh()
            except (OSError, ValueError):
                self._enabled = False

    def refresh(self) -> None:
        """Cap anew from the address space's current size, which evaluated packages grow."""
        if self._saved is not None and sys.platform != "win32":
            resource.setrlimit(resource.RLIMIT_AS, (self._limit(self._saved[1]), self._saved[1]))

    def end(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._saved is not None and sys.platform != "win32":
            resource.setrlimit(resource.RLIMIT_AS, self._saved)
            self._saved = None

    def _limit(self, hard: int) -> int:
        limit = self._memory.sizes()[0] + self._headroom
        return limit if hard == resource.RLIM_INFINITY else min(limit, hard)


class Limits:
    """The budgets of the files being evaluated (a loaded `.bzl` file's inside its loader's),
    checked as starlark asks, and the errors that say which limit a file exceeded."""

    def __init__(self, config: Config, on_interrupt: Callable[[BaseException], None]) -> None:
        self.config = config
        self._on_interrupt = on_interrupt
        self._budgets: list[Budget] = []
        self._memory = ProcessMemory()
        # Resident memory and address space a file's evaluation may add: checked as starlark
        # asks, and the address space capped (RLIMIT_AS) at the same limit, for the single
        # allocation (`"x" * 2000000000`) or native loop (`str()` of a huge value) no check
        # sees. starlark's heap grows by doubling chunks, so the cap is usually what stops a
        # file growing without end: a file can use about half the limit.
        self._memory_limit = config.max_evaluation_memory_mib * _MIB
        self._address_space_limit = self._memory_limit + ADDRESS_SPACE_SLACK
        self.address_space = AddressSpaceCap(self._address_space_limit, self._memory)
        self._progress: mmap.mmap | None = _process_progress[0] if _process_progress else None

    @property
    def current(self) -> Budget | None:
        return self._budgets[-1] if self._budgets else None

    def report_progress(self, buffer: mmap.mmap) -> None:
        """Keep the file being evaluated and its deadline in `buffer` (shared with the parent
        of a worker process): who to blame if this process dies, and when to stop it."""
        self._progress = buffer
        self._show_progress(None)

    def start(self, path: str) -> Budget:
        now = time.monotonic()
        budget = Budget(path, now, now + self.config.evaluation_timeout)
        self._budgets.append(budget)
        if self._progress is not None:
            self._show_progress(budget)
        return budget

    def end(self, budget: Budget) -> None:
        self._budgets.pop()
        outer = self.current
        if outer is not None:  # a loaded .bzl file's evaluation is not the loading file's
            outer.deadline += time.monotonic() - budget.started
        if self._progress is not None:
            self._show_progress(outer)

    def _show_progress(self, budget: Budget | None) -> None:
        assert self._progress is not None
        if budget is None:
            deadline, path = 0.0, b""
        else:
            deadline = budget.deadline
            path = budget.path.encode("utf-8", "replace")[: PROGRESS_SIZE - _PROGRESS.size]
        _PROGRESS.pack_into(self._progress, 0, deadline, len(path))
        self._progress[_PROGRESS.size : _PROGRESS.size + len(path)] = path

    def check_time(self) -> None:
        """For graphpub's own long work inside an evaluation (a glob over a huge tree, a
        value's conversion): stop it once the file's time is up, as starlark stops a loop."""
        budget = self.current
        if budget is not None and time.monotonic() > budget.deadline:
            budget.exceeded = "time"
            raise BuildFileError("out of time")  # reported as the file's timeout

    def check_cancelled(self) -> bool:
        """starlark's question, every thousand or so loop iterations and calls."""
        try:
            budget = self.current
            if budget is None:
                return False
            if time.monotonic() > budget.deadline:
                budget.exceeded = "time"
                return True
            address_space, resident = self._memory.sizes()
            if budget.memory_base is None:  # the first check: after a thousand steps or so
                budget.memory_base = address_space, resident
            elif (
                resident - budget.memory_base[1] > self._memory_limit
                or address_space - budget.memory_base[0] > self._address_space_limit
            ):
                budget.exceeded = "memory"
                return True
            return False
        except BaseException as e:  # Ctrl-C in a long loop: stop there, and let it through
            self._on_interrupt(e)
            return True

    def exceeded_error(
        self, budget: Budget, error: str, is_user_file: Callable[[str], bool]
    ) -> BuildFileError:
        """The error of a file that ran out of its time or memory; `error` is starlark's."""
        location = starlark_errors.error_location(error, is_user_file)
        if budget.exceeded == "time":
            return self.timeout_error(budget.path, location)
        return self.memory_error(budget.path, location)

    def timeout_error(self, path: str, location: SourceLocation | None) -> BuildFileError:
        timeout = self.config.evaluation_timeout
        return BuildFileError(
            f"evaluating {path} took longer than evaluation_timeout ({timeout:g} s)",
            location=location or SourceLocation(path),
            hint=raise_hint("evaluation_timeout", "if the file needs longer", "a loop"),
        )

    def memory_error(self, path: str, location: SourceLocation | None) -> BuildFileError:
        mib = self.config.max_evaluation_memory_mib
        return BuildFileError(
            f"evaluating {path} took more memory than max_evaluation_memory_mib ({mib} MiB)",
            location=location or SourceLocation(path),
            hint=raise_hint(
                "max_evaluation_memory_mib", "if the file needs more", "a loop growing a value"
            ),
        )

    def panic_error(self, path: str, panic: BaseException) -> BuildFileError:
        """starlark-rust panicked: out of memory (the capped address space) or a value too
        large for it (`list(range(2000000000))`)."""
        if "out of memory" in str(panic) or "capacity overflow" in str(panic):
            return self.memory_error(path, None)
        return BuildFileError(
            f"starlark failed evaluating {path}: {str(panic).strip()[:200] or 'internal error'}",
            location=SourceLocation(path),
            hint="probably a value too large for starlark, such as a list of billions of items",
        )
