"""Evaluating build files and `.bzl` files with starlark-pyo3 into packages of targets.

Every evaluated file gets one line prepended: a `load()` of graphpub's prelude, a frozen module
holding the builtins and, for each rule, a Starlark wrapper that records the call stack, so
every target knows the build-file line that made it (through macros too). Errors raised by
graphpub's own callbacks are kept aside and re-raised with the location starlark reports.

Build files are written by anyone: each file is read only up to `max_build_file_bytes`,
measured for nesting before starlark parses it (`starlark_errors.nesting_problem`), and
evaluated within `evaluation_timeout` seconds and `max_evaluation_memory_mib`, checked
whenever starlark asks whether to cancel (every thousand or so loop iterations or calls).
While graphpub evaluates, the process's address space is capped too (Linux), so that one huge
allocation fails instead of taking the machine's memory.
"""

from __future__ import annotations

import json
import mmap
import os
import platform
import posixpath
import re
import struct
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import starlark as sl

if sys.platform != "win32":
    import resource

from graphpub.buildgraph import python_compat, starlark_errors
from graphpub.buildgraph.address import Address, parse_address
from graphpub.buildgraph.config import Config, Dialect
from graphpub.buildgraph.files import FileTree, GlobPatternError
from graphpub.buildgraph.target import RuleCall, RuleSet, Target, generic_target, thaw
from graphpub.errors import (
    AddressError,
    BuildFileError,
    GraphError,
    GraphpubError,
    SourceLocation,
    locate_quoted,
)

PRELUDE_LABEL = "@graphpub//:prelude.bzl"
DEFAULT_CONDITIONS = frozenset(
    {"//conditions:default", "@bazel_tools//conditions:default", "DEFAULT"}
)
MAX_CALL_STACK = 200
# print() calls shown per evaluated file: a loop printing floods no CI log.
MAX_PRINTS_PER_FILE = 1000
# Packages evaluated in a row before the address-space cap follows the graph's growth.
CAP_REFRESH = 64
# Files larger than this are never rewritten as Python (python_compat tokenizes them slowly).
MAX_REWRITTEN_BYTES = 1 << 20
_MIB = 1 << 20
# Repositories whose .bzl files graphpub serves itself: what their rules mean is graphpub's job.
BUILTIN_REPOSITORIES = frozenset(
    {"rules_python", "prelude", "bazel_tools", "rules_python_internal"}
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOP_LEVEL_NAME = re.compile(r"^(?:def\s+)?([A-Za-z][A-Za-z0-9_]*)\s*[(=]", re.MULTILINE)
_DUNDER = re.compile(r"\b__([a-z][a-z_]*[a-z])__\b")
_NATIVE_BUILTINS = (
    "glob",
    "package_name",
    "repository_name",
    "existing_rule",
    "existing_rules",
    "exports_files",
    "package",
    "licenses",
)


PROGRESS_SIZE = mmap.PAGESIZE
_PROGRESS = struct.Struct("dI")  # the deadline (time.monotonic), the length of the path


_process_progress: list[mmap.mmap] = []  # set in a supervised process (parallel.run_supervised)


def report_progress_of_process(buffer: mmap.mmap) -> None:
    """Have every evaluator made from now on in this process report its progress to
    `buffer` (see `Evaluator.report_progress`)."""
    _process_progress[:] = [buffer]


def read_progress(buffer: mmap.mmap) -> tuple[float, str]:
    """What `Evaluator.report_progress` keeps: the deadline of the file being evaluated (0 if
    none is) and its path."""
    deadline, length = _PROGRESS.unpack_from(buffer, 0)
    path = bytes(buffer[_PROGRESS.size : _PROGRESS.size + length]).decode("utf-8", "replace")
    return deadline, path


class _Budget:
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


class _ProcessMemory:
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


_MEMORY = _ProcessMemory()


def _read_at_most(path: str, limit: int) -> tuple[bytes, int]:
    """A file's bytes, and its size: nothing if it is larger than `limit`, and never more
    than `limit + 1` bytes if it grows while read. (Plain system calls: a third of the time
    of Path.read_bytes, for the thousands of small files graphpub reads.)"""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            return b"", size
        data = os.read(fd, size + 1)
        if len(data) != size:  # it changed meanwhile, or a short read: read to the end
            chunks = [data]
            while sum(map(len, chunks)) <= limit:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
            data = b"".join(chunks)
        return data, max(size, len(data))
    finally:
        os.close(fd)


def _raise_hint(key: str, when: str, suspect: str | None = None) -> str:
    raise_it = f"raise {key} under [tool.graphpub] (graphpub.toml or pyproject.toml) {when}"
    return f"look for {suspect} without end, or {raise_it}" if suspect else raise_it


class _AddressSpaceCap:
    """RLIMIT_AS while graphpub evaluates, on Linux: the address space may grow by `headroom`
    bytes, so that one huge allocation fails (starlark-rust then panics, or aborts) instead of
    taking the machine's memory. Lifted when the outermost evaluation ends: processes that
    graphpub starts later must not inherit it."""

    def __init__(self, headroom: int) -> None:
        self._headroom = headroom
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
        limit = _MEMORY.sizes()[0] + self._headroom
        return limit if hard == resource.RLIM_INFINITY else min(limit, hard)


@dataclass
class Package:
    """The targets of one directory's build files, merged."""

    directory: str
    build_files: tuple[str, ...]
    targets: dict[Address, Target] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    # select() keys naming this package's targets not defined yet when the select() ran.
    deferred_conditions: set[Address] = field(default_factory=set)
    # A first evaluation's targets, so a second one sees config_settings declared late.
    setting_hints: Mapping[Address, Target] = field(default_factory=dict)


@dataclass
class _PackageState:
    """The package under evaluation: the `PackageContext` rules see."""

    package: Package
    dialect: Dialect
    evaluator: Evaluator
    build_file: str = ""
    text: str = ""
    cells: Mapping[str, str] = field(default_factory=dict)
    _ancestor_settings: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def directory(self) -> str:
        return self.package.directory

    @property
    def settings(self) -> dict[str, Any]:
        return self.package.settings

    def glob(self, include: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
        try:
            return self.evaluator.tree.glob(
                self.directory, list(include), list(exclude), check=self.evaluator.check_time
            )
        except GlobPatternError as e:
            raise BuildFileError(str(e)) from None

    def ancestor_settings(self, key: str) -> list[Any]:
        cached = self._ancestor_settings.get(key)
        if cached is not None:
            return cached
        found = []
        directory = self.directory
        while directory:
            directory = posixpath.dirname(directory)
            package = self.evaluator.package(directory)
            if package is not None and key in package.settings:
                found.append(package.settings[key])
        self._ancestor_settings[key] = found
        return found

    def read_text(self, relative: str) -> str:
        path = posixpath.normpath(posixpath.join(self.directory, relative))
        if path.startswith("../") or path == ".." or posixpath.isabs(relative):
            raise BuildFileError(f"{relative!r} is outside the build root")
        return self.evaluator.read_source(path)


def file_dialect(build_file: str, repo_dialect: Dialect) -> Dialect:
    """Build files named for one system follow its conventions, whatever the repository's."""
    name = posixpath.basename(build_file)
    if name == "BUILD.bazel":
        return Dialect.BAZEL
    if name.startswith("BUCK"):
        return Dialect.BUCK2
    return repo_dialect


class Evaluator:
    """Evaluates packages on demand, each build file once, each `.bzl` file once."""

    def __init__(
        self, config: Config, tree: FileTree, rules: RuleSet, warn: Callable[[str], None]
    ) -> None:
        self.config = config
        self.tree = tree
        self.rules = rules
        self._warn = warn
        self._dialect = sl.Dialect.extended()
        self._dialect.enable_f_strings = True
        self._globals = sl.Globals.extended_by(
            [
                sl.LibraryExtension.StructType,
                sl.LibraryExtension.CallStack,
                sl.LibraryExtension.Json,
            ]
        )
        self._options = sl.EvalOptions(
            max_callstack_size=MAX_CALL_STACK, check_cancelled=self._check_cancelled
        )
        self._budgets: list[_Budget] = []
        # Resident memory a file's evaluation may add; address space, which grows ahead of it
        # (starlark's heap reserves chunks, its GC copies), more: it is checked as often, and
        # capped (RLIMIT_AS) further still, for the single allocation no check sees.
        self._memory_limit = config.max_evaluation_memory_mib * _MIB
        self._address_space_limit = 3 * self._memory_limit + 256 * _MIB
        self._address_space = _AddressSpaceCap(4 * self._memory_limit + 512 * _MIB)
        self._progress: mmap.mmap | None = _process_progress[0] if _process_progress else None
        self._root = str(tree.root)
        self._rule_names = frozenset(rules.rule_names())
        self._cells = config.cells
        self._functions: dict[str, Callable[..., object]] = {
            "glob": self._glob,
            "select": self._select,
            "package": self._package,
            "package_name": self._package_name,
            "repository_name": self._repository_name,
            "exports_files": self._exports_files,
            "existing_rule": self._existing_rule,
            "existing_rules": self._existing_rules,
            "licenses": self._ignore_call,
            "oncall": self._ignore_call,
            "read_config": self._read_config,
            "_print": self._print,
        }
        for name, function in rules.functions().items():
            self._functions[name] = partial(self._with_package, name, function)
        self._extra_prelude = "\n".join([_BZL_API_SOURCE, rules.prelude_source()])
        defined = set(_TOP_LEVEL_NAME.findall(self._extra_prelude))
        public = (
            self._rule_names | self._functions.keys() | defined | {"native", "host_info", "print"}
        )
        # Names starting with `_` cannot be load()ed: they stay inside the prelude.
        self._prelude_names = frozenset(n for n in public if not n.startswith("_"))
        self._prelude: Any = None
        self._bzl_modules: dict[str, Any] = {}
        self._load_chain: list[str] = []
        self._stack: list[_PackageState] = []
        self._packages: dict[str, Package] = {}
        self._pending: BaseException | None = None
        self._warned: set[str] = set()

    # ---------------------------------------------------------------- packages

    def package(self, directory: str) -> Package | None:
        """The package in `directory`, evaluated on first use; None if it has no build file."""
        if directory in self._packages:
            return self._packages[directory]
        if any(state.directory == directory for state in self._stack):
            return None  # being evaluated: a select() looked back into its own package
        listing = self.tree.listing(directory)
        if listing is None or not listing.build_files or self.tree.is_ignored(directory):
            return None
        build_files = tuple(
            posixpath.join(directory, name) if directory else name for name in listing.build_files
        )
        self._address_space.begin()
        try:
            package = self._load_package(directory, build_files)
        finally:
            self._address_space.end()
        self._packages[directory] = package
        return package

    def _load_package(self, directory: str, build_files: tuple[str, ...]) -> Package:
        package = self._evaluate_package(Package(directory, build_files))
        if any(self._setting_holds(package.targets.get(a)) for a in package.deferred_conditions):
            # Bazel resolves select() after the whole package is read: look again, knowing
            # the config_settings that were declared after the select() naming them.
            package = self._evaluate_package(
                Package(directory, build_files, setting_hints=package.targets)
            )
        return package

    def _evaluate_package(self, package: Package) -> Package:
        for build_file in package.build_files:
            state = _PackageState(
                package,
                file_dialect(build_file, self.config.dialect),
                self,
                build_file,
                cells=self._cells,
            )
            self._stack.append(state)
            try:
                self._evaluate_build_file(state)
            finally:
                self._stack.pop()
        return package

    @property
    def packages(self) -> Mapping[str, Package]:
        return self._packages

    @property
    def builtin_names(self) -> frozenset[str]:
        """What build files may use besides Starlark's own builtins: rules, graphpub's
        functions (each a callback into graphpub), the Bazel rule-definition API."""
        return self._prelude_names

    def is_package_known(self, directory: str) -> bool:
        """Whether `directory` is a package already evaluated."""
        return directory in self._packages

    def evaluate_many(self, directories: Sequence[str]) -> GraphpubError | None:
        """Evaluate packages until one fails; the error, or None."""
        self._address_space.begin()
        try:
            for index, directory in enumerate(directories, start=1):
                self.package(directory)
                if index % CAP_REFRESH == 0:
                    self._address_space.refresh()
        except GraphpubError as error:
            return error
        finally:
            self._address_space.end()
        return None

    def adopt(self, packages: Mapping[str, Package]) -> None:
        """Take packages another process evaluated."""
        for directory, package in packages.items():
            self._packages.setdefault(directory, package)

    def warn(self, message: str, key: str | None = None) -> None:
        """Emit a warning once per `key` (default: the message itself)."""
        key = message if key is None else key
        if key not in self._warned:
            self._warned.add(key)
            self._emit(key, message)

    def _emit(self, key: str, message: str) -> None:
        self._warn(message)

    def capture_warnings(self, sink: list[tuple[str, str]]) -> None:
        """Collect (key, message) pairs instead of emitting them (in a worker process)."""
        self._emit = lambda key, message: sink.append((key, message))  # type: ignore[method-assign]

    def _with_package(
        self, name: str, function: Callable[..., object], /, *args: object, **kwargs: object
    ) -> object:
        return function(self._current(f"{name}()"), *args, **kwargs)

    def read_source(self, path: str) -> str:
        """A file's text, for rules reading files such as requirements.txt: never through a
        symlink that leaves the build root."""
        if not self.tree.inside_root(path):
            raise BuildFileError(f"cannot read {path}: it leaves the build root (a symlink?)")
        return self._read(path)

    def _current(self, what: str) -> _PackageState:
        if not self._stack:
            raise BuildFileError(f"{what} can only be used while a build file is evaluated")
        return self._stack[-1]

    def _evaluate_build_file(self, state: _PackageState) -> None:
        state.text = self._read(state.build_file)
        self._run(state.build_file, state.text, sl.Module())

    # ---------------------------------------------------------------- starlark

    def _read(self, path: str, loaded_from: SourceLocation | None = None) -> str:
        limit = self.config.max_build_file_bytes
        try:
            data, size = _read_at_most(f"{self._root}/{path}", limit)
        except FileNotFoundError:
            raise BuildFileError(f"file {path} does not exist", location=loaded_from) from None
        except OSError as e:
            raise BuildFileError(
                f"cannot read {path}: {e.strerror}", location=loaded_from
            ) from None
        except ValueError:  # a NUL character in the name
            raise BuildFileError(f"cannot read {path!r}", location=loaded_from) from None
        if size > limit:
            raise BuildFileError(
                f"file is {size:,} bytes, more than max_build_file_bytes ({limit:,})",
                location=SourceLocation(path),
                hint=_raise_hint("max_build_file_bytes", "if the file is meant to be this large"),
            )
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start) + 1
            column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
            raise BuildFileError(
                f"file is not valid UTF-8 text (byte 0x{data[e.start]:02x})",
                location=SourceLocation(path, line, column),
                hint="build files must be UTF-8; re-save the file as UTF-8",
            ) from None

    def _run(self, path: str, text: str, module: Any) -> None:
        """Parse and evaluate one file in `module`, with the prelude loaded on a first line,
        within the file's own time and memory budget."""
        if "__" in text:
            text = _DUNDER.sub(self._mangle_dunder, text)
        budget = self._start_budget(path)
        try:
            ast = self._parse(path, text)
            requested: dict[str, set[str]] = {}
            if "load" in text:  # the file's own load()s: which symbols each label must offer
                for load in ast.loads():
                    requested.setdefault(load.module_id, set()).update(load.symbols.values())
            loader = sl.FileLoader(partial(self._guarded_load, path, text, requested))
            sl.eval_with(self._options, module, ast, self._globals, loader)
        except sl.StarlarkError as e:
            if budget.exceeded:
                raise self._budget_error(budget, str(e)) from None
            raise self._error_from(e) from None
        except BaseException as e:
            if type(e).__name__ != "PanicException":  # pyo3's, for a panic in starlark-rust
                raise
            raise self._panic_error(path, e) from None
        finally:
            self._end_budget(budget)

    def _parse(self, path: str, text: str) -> Any:
        """Parse Starlark, with the prelude's names loaded on a first line; failing that,
        Python that Starlark lacks but Pants BUILD files use, rewritten in place so every
        position stays the same. Either is measured first: starlark cannot survive too deep
        nesting to report it."""
        self._check_nesting(path, text)
        try:
            return sl.parse(path, self._with_prelude(text), self._dialect)
        except sl.StarlarkError:
            if len(text) > MAX_REWRITTEN_BYTES:
                raise
            rewritten = python_compat.rewrite(text)
            if rewritten == text:
                raise
        # Positions are the same in both texts: an error in the rewritten one is as exact, and
        # names the problem that remains.
        self._check_nesting(path, rewritten)
        return sl.parse(path, self._with_prelude(rewritten), self._dialect)

    def _check_nesting(self, path: str, text: str) -> None:
        limit = self.config.max_nesting_depth
        problem = starlark_errors.nesting_problem(text, limit)
        if problem is not None:
            message, line, column = problem
            raise BuildFileError(
                message,
                location=SourceLocation(path, line, column),
                hint=_raise_hint(
                    "max_nesting_depth", f"if the file is meant to nest this deep (now {limit})"
                ),
            )

    # ---------------------------------------------------------------- budgets

    def report_progress(self, buffer: mmap.mmap) -> None:
        """Keep the file being evaluated and its deadline in `buffer` (shared with the parent
        of a worker process): who to blame if this process dies, and when to stop it."""
        self._progress = buffer
        self._show_progress(None)

    def _start_budget(self, path: str) -> _Budget:
        now = time.monotonic()
        budget = _Budget(path, now, now + self.config.evaluation_timeout)
        self._budgets.append(budget)
        if self._progress is not None:
            self._show_progress(budget)
        return budget

    def _end_budget(self, budget: _Budget) -> None:
        self._budgets.pop()
        outer = self._budgets[-1] if self._budgets else None
        if outer is not None:  # a loaded .bzl file's evaluation is not the loading file's
            outer.deadline += time.monotonic() - budget.started
        if self._progress is not None:
            self._show_progress(outer)

    def _show_progress(self, budget: _Budget | None) -> None:
        assert self._progress is not None
        if budget is None:
            deadline, path = 0.0, b""
        else:
            deadline = budget.deadline
            path = budget.path.encode("utf-8", "replace")[: PROGRESS_SIZE - _PROGRESS.size]
        _PROGRESS.pack_into(self._progress, 0, deadline, len(path))
        self._progress[_PROGRESS.size : _PROGRESS.size + len(path)] = path

    def check_time(self) -> None:
        """For graphpub's own long work inside an evaluation (a glob over a huge tree): stop
        it once the file's time is up, as starlark stops a loop."""
        if self._budgets and time.monotonic() > self._budgets[-1].deadline:
            self._budgets[-1].exceeded = "time"
            raise BuildFileError("out of time")  # _run reports it as the file's timeout

    def _check_cancelled(self) -> bool:
        """starlark's question, every thousand or so loop iterations and calls."""
        try:
            if not self._budgets:
                return False
            budget = self._budgets[-1]
            if time.monotonic() > budget.deadline:
                budget.exceeded = "time"
                return True
            address_space, resident = _MEMORY.sizes()
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
            self._pending = e
            return True

    def _budget_error(self, budget: _Budget, error: str) -> BuildFileError:
        self._pending = None
        location = starlark_errors.error_location(error, self._is_user_file)
        if budget.exceeded == "time":
            timeout = self.config.evaluation_timeout
            return BuildFileError(
                f"evaluating {budget.path} took longer than evaluation_timeout ({timeout:g} s)",
                location=location or SourceLocation(budget.path),
                hint=_raise_hint("evaluation_timeout", "if the file needs longer", "a loop"),
            )
        return self._memory_error(budget.path, location)

    def _memory_error(self, path: str, location: SourceLocation | None) -> BuildFileError:
        mib = self.config.max_evaluation_memory_mib
        return BuildFileError(
            f"evaluating {path} took more memory than max_evaluation_memory_mib ({mib} MiB)",
            location=location or SourceLocation(path),
            hint=_raise_hint(
                "max_evaluation_memory_mib", "if the file needs more", "a loop growing a value"
            ),
        )

    def _panic_error(self, path: str, panic: BaseException) -> BuildFileError:
        """starlark-rust panicked: out of memory (the capped address space) or a value too
        large for it (`list(range(2000000000))`)."""
        self._pending = None
        if "out of memory" in str(panic) or "capacity overflow" in str(panic):
            return self._memory_error(path, None)
        return BuildFileError(
            f"starlark failed evaluating {path}: {str(panic).strip() or 'internal error'}",
            location=SourceLocation(path),
            hint="probably a value too large for starlark, such as a list of billions of items",
        )

    def _with_prelude(self, text: str) -> str:
        used = sorted(self._prelude_names.intersection(_IDENTIFIER.findall(text)))
        if not used:
            return "\n" + text
        return f"load({PRELUDE_LABEL!r}, " + ", ".join(repr(n) for n in used) + ")\n" + text

    def _mangle_dunder(self, match: re.Match[str]) -> str:
        """Pants' `__defaults__` as the prelude's `defaults____`: same length, so positions
        hold, and loadable (Starlark refuses to load names starting with `_`)."""
        mangled = f"{match.group(1)}____"
        return mangled if mangled in self._prelude_names else match.group(0)

    def _error_from(self, error: Exception) -> GraphpubError:
        pending, self._pending = self._pending, None
        location = starlark_errors.error_location(str(error), self._is_user_file)
        if isinstance(pending, MemoryError):
            pending = self._memory_error(self._budgets[-1].path, location)
        elif isinstance(pending, RecursionError):  # thawing or decoding a rule's arguments
            pending = BuildFileError(
                "a value is nested too deeply for graphpub",
                location=location,
                hint="rule arguments nest lists and dicts a few levels deep, not hundreds",
            )
        if isinstance(pending, GraphpubError):
            if pending.location is None:
                pending.location = location
            return pending
        if pending is not None:
            raise pending  # a bug in graphpub itself: let the CLI show it as an internal error
        return starlark_errors.translate(
            str(error), is_user_file=self._is_user_file, known_symbols=self._prelude_names
        )

    def _is_user_file(self, path: str) -> bool:
        return not path.startswith("@")

    def _guard(self, function: Callable[..., object], name: str = "") -> Callable[..., object]:
        """Keep an exception raised inside a callback, so it survives starlark's conversion;
        a call with wrong arguments is the build file's error, not graphpub's."""

        def guarded(*args: object, **kwargs: object) -> object:
            try:
                return function(*args, **kwargs)
            except TypeError as e:
                self._pending = e
                if _raised_by_the_call(e, (guarded.__code__, _WITH_PACKAGE_CODE)):
                    self._pending = BuildFileError(
                        f"{name}() called with wrong arguments",
                        hint=self._signature(name, function),
                    )
                raise
            except BaseException as e:
                self._pending = e
                raise

        guarded.__name__ = name or getattr(function, "__name__", "builtin")
        return guarded

    def _signature(self, name: str, function: Callable[..., object]) -> str | None:
        """`name(a, b = None)`: how a builtin is called, without its hidden first parameter
        (the package) and annotations."""
        import inspect  # for error messages only: not at start-up

        hidden = 0
        if isinstance(function, partial) and function.func == self._with_package:
            function, hidden = function.args[1], 1
        try:
            parameters = list(inspect.signature(function).parameters.values())[hidden:]
        except (TypeError, ValueError):
            return None
        shown = [str(p.replace(annotation=inspect.Parameter.empty)) for p in parameters]
        return f"it is called as {name}({', '.join(shown)})"

    def _prelude_module(self) -> Any:
        if self._prelude is None:
            module = sl.Module()
            for name, function in self._functions.items():
                module.add_callable(name, self._guard(function, name))
            module.add_callable("_rule", self._guard(self._rule))
            wrappers = [_rule_wrapper(name) for name in sorted(self._rule_names)]
            members = [*_NATIVE_BUILTINS, *sorted(self._rule_names)]
            native = "native = struct(" + ", ".join(f"{m} = {m}" for m in members) + ")"
            source = "\n".join(
                [
                    _OVERRIDE_KEYS_SOURCE,
                    *wrappers,
                    native,
                    _host_info_source(),
                    _PRINT_SOURCE,
                    self._extra_prelude,
                    "",
                ]
            )
            sl.eval(module, sl.parse(PRELUDE_LABEL, source, self._dialect), self._globals)
            self._prelude = module.freeze()
        return self._prelude

    # ---------------------------------------------------------------- load()

    def _guarded_load(
        self, from_path: str, from_text: str, requested: Mapping[str, set[str]], label: str
    ) -> Any:
        try:
            return self._load(from_path, from_text, requested, label)
        except BaseException as e:
            self._pending = e
            raise

    def _load(
        self, from_path: str, from_text: str, requested: Mapping[str, set[str]], label: str
    ) -> Any:
        if label == PRELUDE_LABEL:
            return self._prelude_module()
        where = locate_quoted(from_path, from_text.splitlines(), label) or SourceLocation(from_path)
        symbols = requested.get(label, set())
        local = self._local_load_path(label, posixpath.dirname(from_path), where)
        if local is not None:
            return self._load_bzl(local, where)
        repository = label[1:].lstrip("@").partition("//")[0]
        # graphpub writes the symbols of builtin and unknown modules as Starlark source.
        strange = sorted(s for s in symbols if not _IDENTIFIER.fullmatch(s) or s in _KEYWORDS)
        if strange:
            raise BuildFileError(
                f"load({label!r}) asks for {strange[0]!r}, which is not a name",
                location=where,
                hint="load() symbols are names, such as py_library",
            )
        if repository in BUILTIN_REPOSITORIES:
            return self._builtin_module(label, symbols, hub=None)
        if label.endswith("//:requirements.bzl"):
            return self._builtin_module(label, symbols, hub=repository)
        opaque = sorted(symbols)
        if self.config.strict_loads:
            raise BuildFileError(
                f"load of unknown external {label!r} (strict_loads is set)",
                location=where,
                hint=(
                    "map it to a local directory under [tool.graphpub]: "
                    f'external_loads = {{ "@{repository}" = "path/to/dir" }}'
                ),
            )
        self.warn(
            f"{where}: load of unknown external {label!r}: "
            f"{', '.join(opaque) or 'nothing'} will make opaque targets "
            f"(map it with the external_loads config key, or set strict_loads = true)",
            key=f"unknown-load:{label}",
        )
        return self._builtin_module(label, symbols, hub=None)

    def _local_load_path(self, label: str, from_dir: str, where: SourceLocation) -> str | None:
        """The root-relative `.bzl` path a label names, or None for an external repository."""
        mapped = self._mapped_external(label)
        if mapped is not None:
            return mapped
        text = label
        cell = re.match(r"^@?(?P<cell>[A-Za-z_][A-Za-z0-9_-]*)//", label)
        if (
            cell
            and cell.group("cell") in self._cells
            and cell.group("cell") not in BUILTIN_REPOSITORIES
        ):
            text = "//" + posixpath.join(self._cells[cell.group("cell")], label[cell.end() :])
        elif label.startswith("@") and not label.startswith(("@//", "@@//")):
            return None
        text = text.lstrip("@")
        if text.startswith("//"):
            package, colon, name = text[2:].partition(":")
            path = posixpath.join(package, name) if colon else package
        elif text.startswith(":"):
            path = posixpath.join(from_dir, text[1:])
        else:
            path = posixpath.join(from_dir, text)
        normalized = posixpath.normpath(path)
        if normalized.startswith("../") or normalized == ".." or posixpath.isabs(normalized):
            raise BuildFileError(f"load({label!r}) points outside the build root", location=where)
        return normalized

    def _mapped_external(self, label: str) -> str | None:
        mapping = self.config.external_loads
        if label in mapping:
            return posixpath.normpath(mapping[label])
        repository, sep, rest = label.lstrip("@").partition("//")
        key = f"@{repository}"
        if sep and key in mapping:
            package, colon, name = rest.partition(":")
            relative = posixpath.join(package, name) if colon else package
            return posixpath.normpath(posixpath.join(mapping[key], relative))
        return None

    def _load_bzl(self, path: str, where: SourceLocation) -> Any:
        if path in self._bzl_modules:
            return self._bzl_modules[path]
        if path in self._load_chain:
            chain = [*self._load_chain[self._load_chain.index(path) :], path]
            raise BuildFileError("load cycle: " + " -> ".join(chain), location=where)
        absolute = self.tree.root / path
        try:
            real = absolute.resolve()
            is_file = absolute.is_file()
        except (OSError, ValueError):  # a name too long, a NUL character
            real, is_file = self.tree.root, False
        if real != self.tree.root and self.tree.root not in real.parents:
            raise BuildFileError(f"load() of {path} leaves the build root", location=where)
        if not is_file:
            raise BuildFileError(
                f"cannot load {path}: no such file",
                location=where,
                hint="labels are '//package:file.bzl' from the root or ':file.bzl' in the package",
            )
        text = self._read(path, where)
        self._load_chain.append(path)
        try:
            module = sl.Module()
            self._run(path, text, module)
            frozen = module.freeze()
        finally:
            self._load_chain.pop()
        self._bzl_modules[path] = frozen
        return frozen

    def _builtin_module(self, label: str, symbols: set[str], hub: str | None) -> Any:
        """A module for a well-known or unknown external label, exporting what was asked for."""
        module = sl.Module()
        module.add_callable("_rule", self._guard(self._rule))
        lines = [_OVERRIDE_KEYS_SOURCE]
        from_prelude = sorted(s for s in symbols if s in self._prelude_names)
        if from_prelude:
            aliases = ", ".join(f"_p_{s} = {s!r}" for s in from_prelude)
            lines.append(f"load({PRELUDE_LABEL!r}, {aliases})")
            lines.extend(f"{s} = _p_{s}" for s in from_prelude)
        for symbol in sorted(symbols - set(from_prelude)):
            if hub is not None and symbol in _HUB_FUNCTIONS:
                module.add_callable(symbol, partial(_HUB_FUNCTIONS[symbol], hub))
            else:
                lines.append(_rule_wrapper(symbol))
        loader = sl.FileLoader(lambda _label: self._prelude_module())
        sl.eval(
            module, sl.parse(label, "\n".join([*lines, ""]), self._dialect), self._globals, loader
        )
        return module.freeze()

    # ---------------------------------------------------------------- builtins

    def _rule(self, encoded_call: str) -> None:
        kind, stack, args, kwargs = json.loads(encoded_call)
        state = self._current(f"{kind}()")
        path, line = starlark_errors.first_frame(stack) or (state.build_file, 0)
        location = SourceLocation(path, line)
        call = RuleCall(kind, kwargs, location, state, tuple(args))
        if self.config.strict_rules and not self.rules.describes(kind, state.dialect):
            raise BuildFileError(
                f"{kind}() is a rule graphpub knows no schema for (strict_rules is set)",
                location=location,
                hint="unset strict_rules to load it as an opaque target with its deps as edges",
            )
        try:
            if kind in self._rule_names:
                targets = self.rules.instantiate(call)
            elif "name" in kwargs:
                targets = [generic_target(call)]
            else:
                return  # an opaque macro (say a toolchain setup) whose targets graphpub cannot see
        except AddressError as error:
            if error.written and path == state.build_file:
                written_at = locate_quoted(path, state.text.splitlines(), error.written, line)
                error.location = written_at or location
            raise
        for target in targets:
            self._register(state.package, target)

    def _register(self, package: Package, target: Target) -> None:
        existing = package.targets.get(target.address)
        if existing is not None:
            raise GraphError(
                f"duplicate target name '{target.address.name}' in package "
                f"'{package.directory or '//'}' (first defined at {existing.location})",
                location=target.location,
                related=(existing.location,),
                hint="every target in a package needs its own name",
            )
        package.targets[target.address] = target

    def _glob(
        self,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        exclude_directories: int = 1,
        allow_empty: bool = True,
    ) -> list[str]:
        state = self._current("glob()")
        for argument, value in (("include", include), ("exclude", exclude)):
            if isinstance(value, str) or not all(isinstance(p, str) for p in value):
                raise BuildFileError(
                    f"glob(): '{argument}' must be a list of strings",
                    hint='write glob(["*.py"]), not glob("*.py")'
                    if argument == "include"
                    else None,
                )
        try:
            matches = self.tree.glob(
                state.directory,
                list(include),
                list(exclude),
                bool(exclude_directories),
                check=self.check_time,
            )
        except GlobPatternError as e:
            raise BuildFileError(f"glob(): {e}") from None
        if not matches and not allow_empty:
            raise BuildFileError(
                f"glob({list(include)!r}) matched no files and allow_empty = False",
                hint="check the patterns, which are relative to the build file's directory",
            )
        return matches

    def _select(self, conditions: Mapping[str, object], no_match_error: str = "") -> object:
        state = self._current("select()")
        if not isinstance(conditions, Mapping):
            raise BuildFileError("select() takes a dict of {condition label: value}")
        for key, value in conditions.items():
            if key not in DEFAULT_CONDITIONS and self._condition_holds(key, state):
                return value
        for key in DEFAULT_CONDITIONS:
            if key in conditions:
                return conditions[key]
        if not conditions:
            raise BuildFileError("select() needs at least one condition")
        # Bazel always has some configuration; graphpub has none unless told: take the first
        # branch, as a build for that condition would, and say how to take another.
        first = next(iter(conditions))
        self.warn(
            f"{state.build_file}: no select() condition holds and there is no "
            f"//conditions:default: using {first!r} (choose with --condition LABEL)",
            key=f"select:{state.build_file}:{','.join(conditions)}",
        )
        return conditions[first]

    def _condition_holds(self, key: str, state: _PackageState) -> bool:
        try:
            wanted = parse_address(key, relative_to=state.directory).directory_address
        except AddressError:
            return False
        for active in self.config.conditions:
            if parse_address(active).directory_address == wanted:
                return True
        if wanted.directory == state.directory:
            setting = state.package.targets.get(wanted) or state.package.setting_hints.get(wanted)
            if setting is None:
                state.package.deferred_conditions.add(wanted)
        else:
            package = self.package(wanted.directory)
            setting = package.targets.get(wanted) if package else None
        return self._setting_holds(setting)

    def _setting_holds(self, setting: Target | None) -> bool:
        """Whether a config_setting matches the --define values."""
        if setting is None or setting.kind != "config_setting":
            return False
        defines = self.config.defines
        required = dict(setting.fields.get("define_values") or {})
        values = setting.fields.get("values") or {}
        if "define" in values:
            key_, _, value_ = str(values["define"]).partition("=")
            required[key_] = value_
        return bool(required) and all(defines.get(k) == v for k, v in required.items())

    def _package(self, **kwargs: object) -> None:
        state = self._current("package()")
        state.package.settings.update(kwargs)

    def _package_name(self) -> str:
        return self._current("package_name()").directory

    def _repository_name(self) -> str:
        self._current("repository_name()")
        return "@"

    def _exports_files(self, srcs: Sequence[str], *args: object, **kwargs: object) -> None:
        state = self._current("exports_files()")
        if isinstance(srcs, str) or not all(isinstance(s, str) for s in srcs):
            raise BuildFileError("exports_files() takes a list of file names")
        state.package.settings.setdefault("exports_files", []).extend(srcs)

    def _existing_rules(self) -> dict[str, dict[str, object]]:
        state = self._current("native.existing_rules()")
        return {
            t.address.name: _rule_attributes(t)
            for t in state.package.targets.values()
            if not (t.address.file or t.address.generated)
        }

    def _existing_rule(self, name: str) -> dict[str, object] | None:
        return self._existing_rules().get(name)

    def _read_config(self, section: str, key: str, default: object = None) -> object:
        """Buck2's read_config(): a `.buckconfig` value, else the default."""
        return self.config.buckconfig.get(section, {}).get(key, default)

    def _print(self, encoded_call: str) -> None:
        """print(), as Bazel shows it: `DEBUG path:LINE: message`, once per call site and
        message for each build file (so also once for a `.bzl` file's top level, whichever
        process loaded it)."""
        if self._budgets:  # a file printing in a loop: shown up to a point, not for ever
            budget = self._budgets[-1]
            budget.prints += 1
            if budget.prints > MAX_PRINTS_PER_FILE:
                if budget.prints == MAX_PRINTS_PER_FILE + 1:
                    self.warn(
                        f"{budget.path}: more than {MAX_PRINTS_PER_FILE} print() messages; "
                        "the rest are not shown"
                    )
                return
        stack, words, sep = json.loads(encoded_call)
        frames = starlark_errors.frames(stack)
        if not frames:
            return
        message = f"DEBUG {frames[-1]}: " + sep.join(words)
        self.warn(message, key=f"print:{frames[0] if len(frames) > 1 else ''}:{message}")

    def _ignore_call(self, *args: object, **kwargs: object) -> None:
        return None


# Bazel's rule-definition API, for the .bzl files real repositories keep: enough to load them.
# A rule made with rule() records an opaque target of its kind (named after its implementation
# function, `_py_wheel_impl` -> `py_wheel`); rule bodies never run.
_BZL_API_SOURCE = """
def _kind_of(implementation):
    name = str(implementation).rpartition(".")[2].lstrip("_")
    return name[:-len("_impl")] if name.endswith("_impl") else (name or "rule")

def rule(implementation = None, **kwargs):
    kind = _kind_of(implementation)

    def instantiate(*args, **attributes):
        return _rule(json.encode([kind, call_stack(strip_frames = 1), args, attributes]))

    return instantiate

def _attribute(**kwargs):
    return struct(**kwargs)

attr = struct(
    bool = _attribute, int = _attribute, int_list = _attribute, label = _attribute,
    label_keyed_string_dict = _attribute, label_list = _attribute, output = _attribute,
    output_list = _attribute, string = _attribute, string_dict = _attribute,
    string_keyed_label_dict = _attribute, string_list = _attribute,
    string_list_dict = _attribute,
)

def provider(doc = "", fields = None, init = None):
    return struct

def depset(direct = None, transitive = None, **kwargs):
    items = list(direct or [])
    for nested in transitive or []:
        items.extend(nested)
    return items

def Label(text):
    return text

def aspect(implementation = None, **kwargs):
    return struct(implementation = implementation)

def module_extension(implementation = None, **kwargs):
    return struct()

def repository_rule(implementation = None, **kwargs):
    return rule(implementation = implementation)

DefaultInfo = struct
OutputGroupInfo = struct
PyInfo = struct
RunEnvironmentInfo = struct
platform_common = struct(TemplateVariableInfo = struct, ToolchainInfo = struct)
"""

# JSON keys are strings: Pants' `overrides = {("a.py", "b.py"): {...}}` crosses as "a.py\nb.py".
_OVERRIDE_KEYS_SOURCE = """
def _override_keys(overrides):
    if type(overrides) != "dict":
        return overrides
    return {("\\n".join(k) if type(k) == "tuple" else k): v for k, v in overrides.items()}
"""

_PRINT_SOURCE = """
def print(*args, sep = " "):
    _print(json.encode([call_stack(strip_frames = 1), [str(a) for a in args], sep]))
"""


_WITH_PACKAGE_CODE = Evaluator._with_package.__code__


def _raised_by_the_call(error: BaseException, callers: tuple[object, ...]) -> bool:
    """Whether `error` was raised calling a function from one of the `callers` (binding its
    arguments) rather than inside it."""
    traceback = error.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback is not None and traceback.tb_frame.f_code in callers


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset(
    [
        "and",
        "break",
        "continue",
        "def",
        "elif",
        "else",
        "for",
        "if",
        "in",
        "lambda",
        "load",
        "not",
        "or",
        "pass",
        "return",
        "while",
        "as",
        "assert",
        "async",
        "await",
        "class",
        "del",
        "except",
        "finally",
        "from",
        "global",
        "import",
        "is",
        "nonlocal",
        "raise",
        "try",
        "with",
        "yield",
        "False",
        "None",
        "True",
    ]
)


def _rule_wrapper(name: str) -> str:
    # One JSON string crosses into Python: starlark-pyo3 converts every leaf value of its
    # arguments separately, several times slower for the lists and dicts rules take.
    return (
        f"def {name}(*args, **kwargs):\n"
        f"    if 'overrides' in kwargs:\n"
        f"        kwargs['overrides'] = _override_keys(kwargs['overrides'])\n"
        f"    return _rule(json.encode([{name!r}, call_stack(strip_frames = 1), args, kwargs]))\n"
    )


def _host_info_source() -> str:
    """Buck2's host_info(): the machine graphpub runs on, as nested structs."""
    system = platform.system()
    machine = platform.machine().lower()
    os_flags = {
        "is_linux": system == "Linux",
        "is_macos": system == "Darwin",
        "is_windows": system == "Windows",
        "is_freebsd": system == "FreeBSD",
        "is_unknown": system not in ("Linux", "Darwin", "Windows", "FreeBSD"),
    }
    arch_flags = {
        "is_x86_64": machine in ("x86_64", "amd64"),
        "is_aarch64": machine in ("aarch64", "arm64"),
        "is_arm": machine.startswith("arm") and machine != "arm64",
        "is_i386": machine in ("i386", "i686", "x86"),
    }

    def struct(flags: Mapping[str, bool]) -> str:
        return "struct(" + ", ".join(f"{k} = {v}" for k, v in flags.items()) + ")"

    body = f"struct(os = {struct(os_flags)}, arch = {struct(arch_flags)})"
    return f"def host_info():\n    return {body}\n"


def _rule_attributes(target: Target) -> dict[str, object]:
    attributes = {key: thaw(value) for key, value in target.fields.items()}
    attributes["name"] = target.address.name
    attributes["kind"] = target.kind
    return attributes


def _normalize_requirement(name: str) -> str:
    """rules_python's repository name for a requirement: lower-case, `-` and `.` as `_`."""
    return re.sub(r"[-_.]+", "_", name.strip()).lower()


def _requirement(hub: str, name: str) -> str:
    return f"@{hub}//{_normalize_requirement(name)}:pkg"


def _data_requirement(hub: str, name: str) -> str:
    return f"@{hub}//{_normalize_requirement(name)}:data"


def _dist_info_requirement(hub: str, name: str) -> str:
    return f"@{hub}//{_normalize_requirement(name)}:dist_info"


def _whl_requirement(hub: str, name: str) -> str:
    return f"@{hub}//{_normalize_requirement(name)}:whl"


def _entry_point(hub: str, pkg: str, script: str | None = None) -> str:
    return f"@{hub}//{_normalize_requirement(pkg)}:rules_python_wheel_entry_point_{script or pkg}"


_HUB_FUNCTIONS: dict[str, Callable[..., str]] = {
    "requirement": _requirement,
    "data_requirement": _data_requirement,
    "dist_info_requirement": _dist_info_requirement,
    "whl_requirement": _whl_requirement,
    "entry_point": _entry_point,
}
