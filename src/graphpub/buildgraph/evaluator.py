"""Evaluating build files and `.bzl` files with starlark-pyo3 into packages of targets.

Every evaluated file gets one line prepended: a `load()` of graphpub's prelude (`prelude`), a
frozen module holding the builtins (`builtins`) and, for each rule, a Starlark wrapper that
records the call stack, so every target knows the build-file line that made it (through macros
too). Errors raised by graphpub's own callbacks are kept aside and re-raised with the location
starlark reports. Each file is read through the root check (`confined`), measured for nesting
before starlark parses it (`starlark_errors.nesting_problem`), and evaluated within its time
and memory budget (`budget`).
"""

from __future__ import annotations

import difflib
import json
import json.scanner
import mmap
import os
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import starlark as sl

from graphpub.buildgraph import bazel_compat, python_compat, starlark_errors
from graphpub.buildgraph.address import Address
from graphpub.buildgraph.budget import Budget, Limits, raise_hint
from graphpub.buildgraph.builtins import NativeBuiltins
from graphpub.buildgraph.config import Config, Dialect
from graphpub.buildgraph.confined import OutsideRootError, read_with_status
from graphpub.buildgraph.edits import ColumnMap, Edited
from graphpub.buildgraph.files import FileTree, GlobPatternError
from graphpub.buildgraph.labels import BUILTIN_REPOSITORIES, LoadLabels, repository_of
from graphpub.buildgraph.package_cache import (
    Entry,
    Inputs,
    PackageCache,
    digest,
    now_ns,
    unpickled,
)
from graphpub.buildgraph.pants_macros import MACROS_LABEL, PantsMacros
from graphpub.buildgraph.prelude import (
    HUB_FUNCTIONS,
    PRELUDE_LABEL,
    defined_names,
    known_globals,
    prelude_source,
    starlark_source,
)
from graphpub.buildgraph.standins import STANDIN_FUNCTION, Use, definitions, uses
from graphpub.buildgraph.target import FrozenDict, RuleCall, RuleSet, Target, generic_target
from graphpub.buildgraph.target_index import TargetIndex
from graphpub.errors import (
    AddressError,
    BuildFileError,
    GraphError,
    GraphpubError,
    SourceLocation,
    describe_character,
    locate_quoted,
    unsafe_character,
)
from graphpub.secrets import is_secret_name

MAX_CALL_STACK = 200
# Packages evaluated in a row before the address-space cap follows the graph's growth.
CAP_REFRESH = 64
# Files larger than this are never lowered from Python (python_compat parses them with ast).
MAX_REWRITTEN_BYTES = 1 << 20
# Characters of one line of starlark's error text kept: `fail("x" * 100000000)` is one line.
MAX_ERROR_LINE = 2000
# The files of a repository graphpub serves when it is that repository (its own name in
# MODULE.bazel): the API its users load, not its examples or vendored files.
SELF_SERVED = {"rules_python": ("python/",)}
# Python's ways out (files, processes, the environment, code from text): a build file naming
# one gets the error, not a stand-in, so that nobody believes it did something.
NEVER_STAND_IN = frozenset(
    {
        *("open", "__import__", "eval", "exec", "compile", "input", "breakpoint", "exit"),
        *("quit", "globals", "locals", "vars", "os", "sys", "subprocess", "socket", "urllib"),
        *("urlopen", "shutil", "getenv", "environ", "read_file", "debug"),
    }
)
# Names one file may have stand in before it is an error: each costs a compilation.
MAX_STANDINS = 64
_STANDIN_ALIAS = "_graphpub_standin"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Builtins whose results Bazel writes differently from starlark, by the prelude's name for
# Bazel's form: a file calling one sees Bazel's (a file assigning the name keeps its own).
BAZEL_FORMS = {
    "str": "bazel_str",
    "type": "bazel_type",
    "Label": "bazel_label",
    "select": "bazel_select",
}
# Each with the pattern of a call of it and that of a file keeping starlark's (assigning the
# name, or naming the type in an annotation).
_BAZEL_FORMS = {
    name: (
        form,
        re.compile(rf"\b{name}\("),
        re.compile(rf"^\s*{name}\s*=|(:|->)\s*{name}\b(?!\s*\()", re.M),
    )
    for name, form in BAZEL_FORMS.items()
}
_DUNDER = re.compile(r"\b__([a-z][a-z_]*[a-z])__\b")


_NO_HINTS: Mapping[Address, Target] = FrozenDict()  # type: ignore[assignment]  # (read-only, pickles)
_NO_SETTINGS: dict[str, Any] = FrozenDict()  # those of the many packages that set none


@dataclass(slots=True)
class Package:
    """The targets of one directory's build files, merged."""

    directory: str
    build_files: tuple[str, ...]
    targets: dict[Address, Target] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    # select() keys naming this package's targets not defined yet when the select() ran
    # (None for none, as in most packages: an empty set takes 216 bytes).
    deferred_conditions: set[Address] | None = None
    # A first evaluation's targets, so a second one sees config_settings declared late.
    setting_hints: Mapping[Address, Target] = field(default_factory=lambda: _NO_HINTS)
    # Whether a stand-in was called here: a macro of an ecosystem graphpub only imitates,
    # which may make targets (`pybind_extension`'s `x.so`) that graphpub cannot see.
    imitated: bool = False

    def __reduce__(self) -> tuple[object, ...]:
        fields = (self.directory, self.build_files, self.targets, self.settings)
        hints = self.setting_hints if self.setting_hints else _NO_HINTS
        return (Package, (*fields, self.deferred_conditions, hints, self.imitated))

    def index(self) -> tuple[tuple[Address, str], ...]:
        """Its targets' addresses and kinds, which the package cache keeps beside it."""
        return tuple((address, target.kind) for address, target in self.targets.items())


@dataclass
class PackageState:
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
                self.directory,
                list(include),
                list(exclude),
                check=self.evaluator.limits.check_time,
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
            package = self.evaluator.ancestor_package(directory)
            if package is not None and key in package.settings:
                found.append(package.settings[key])
        self._ancestor_settings[key] = found
        return found

    def is_credential_variable(self, name: str) -> bool:
        return is_secret_name(name, self.evaluator.config.secret_env)

    def environment(self, name: str) -> str | None:
        value = os.environ.get(name)
        self.evaluator.note_environment(name, value)
        return value

    @property
    def plugin_fields(self) -> bool:
        config = self.evaluator.config
        return self.dialect is Dialect.PANTS and config.pants_plugins and not config.strict_rules

    def warn(self, message: str, key: str) -> None:
        self.evaluator.warn(message, key=key)

    def read_text(self, relative: str, near: SourceLocation | None = None) -> str:
        """A package-relative file's text, checked to stay inside the root; errors point at
        the quoted name in the build file (at or after `near`, the call's location)."""
        where = None
        if isinstance(relative, str) and self.build_file:
            start = near.line if near is not None and near.path == self.build_file else 1
            where = locate_quoted(self.build_file, self.text.splitlines(), relative, start)
        path = posixpath.join(self.directory, relative) if isinstance(relative, str) else relative
        if isinstance(relative, str) and posixpath.isabs(relative):
            path = relative  # refused as absolute, as written
        return self.evaluator.read_source(path, where or near)


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
        # Pants files are Python, where annotations are not checked: refused here, so that
        # python_compat lowers them away.
        self._python_dialect = sl.Dialect.extended()
        self._python_dialect.enable_f_strings = True
        self._python_dialect.enable_types = sl.DialectTypes.DISABLE
        # starlark's own extensions real .bzl files use, all pure (no I/O: not print, pprint
        # or breakpoint, which the prelude defines or refuses; nor debug, which shows Python).
        extensions = sl.LibraryExtension
        self._globals = sl.Globals.extended_by(
            [
                extensions.StructType,
                extensions.CallStack,
                extensions.Json,
                extensions.Typing,
                extensions.RecordType,
                extensions.EnumType,
                extensions.Map,
                extensions.Filter,
                extensions.Partial,
            ]
        )
        self.limits = Limits(config, self._interrupted)
        self._options = sl.EvalOptions(
            max_callstack_size=MAX_CALL_STACK, check_cancelled=self.limits.check_cancelled
        )
        self._root = str(tree.root)
        self._cells = config.cells  # (made anew each time it is asked for: once here)
        self._labels = LoadLabels(self._cells, config.external_loads, config.bazel_module)
        self._rule_names = frozenset(rules.rule_names())
        self._builtins = NativeBuiltins(self)
        self._functions: dict[str, Callable[..., object]] = self._builtins.functions()
        for name, function in rules.functions().items():
            self._functions[name] = partial(self._with_package, name, function)
        self._extra_prelude = "\n".join(
            [
                starlark_source("bazel_api.bzl"),
                starlark_source("buck2_api.bzl"),
                starlark_source("bazel_skylib.bzl"),
                starlark_source("python_compat.bzl"),
                rules.prelude_source(),
            ]
        )
        public = (
            self._rule_names
            | self._functions.keys()
            | defined_names(self._extra_prelude)
            | {"native", "host_info", "print"}
        )
        # Names starting with `_` cannot be load()ed: they stay inside the prelude.
        self._prelude_names = frozenset(n for n in public if not n.startswith("_"))
        self._prelude: Any = None
        self._bzl_modules: dict[str, Any] = {}
        self._load_chain: list[str] = []
        self._stack: list[PackageState] = []
        self._packages: dict[str, Package] = {}
        # Packages the cache holds unchanged whose targets only an index has been asked of
        # yet (`take_cached(lazily=True)`): unpickled when more is asked of them.
        self._unopened: dict[str, Entry] = {}
        self._pending: BaseException | None = None
        self._warned: set[str] = set()
        self._macros = PantsMacros(config.build_file_prelude_globs, tree, self._read)
        # How columns of lowered Python files map back to the user's (python_compat).
        self._columns: dict[str, ColumnMap] = {}
        self._failures: dict[str, GraphpubError] = {}
        self._bzl_failures: dict[str, GraphpubError] = {}
        self.on_ancestor_failure: Callable[[str, GraphpubError], None] = _reraise
        """Decides what a failing ancestor package means to the one being evaluated."""
        self._cache: PackageCache | None = None
        # What the packages and .bzl files being evaluated read, innermost last: each read
        # counts for all of them (a package read while another is evaluated is one of its
        # inputs as a package; what it read, the outer one may keep too).
        self._recording: list[Inputs] = []
        self._bzl_inputs: dict[str, Inputs] = {}

    def use_cache(self, cache: PackageCache) -> None:
        """Take packages from `cache` whose inputs are unchanged, and keep there the ones
        evaluated, with what they read."""
        self._cache = cache
        self.tree.stamps = cache.directory_times = {}
        self.tree.remembered = cache.listings

    @property
    def cache(self) -> PackageCache | None:
        return self._cache

    def macro_files(self) -> dict[str, str] | None:
        """Pants' prelude files (`build_file_prelude_globs`) by path, which every BUILD file
        sees; None if one cannot be read."""
        if self.config.dialect is not Dialect.PANTS or not self.config.build_file_prelude_globs:
            return {}
        try:
            return {path: text for path, (text, _names) in self._macros.files().items()}
        except GraphpubError:
            return None

    # ---------------------------------------------------------------- packages

    def package(self, directory: str) -> Package | None:
        """The package in `directory`, evaluated on first use; None if it has no build file."""
        if directory in self._packages:
            self._note_package(directory)
            return self._packages[directory]
        if directory in self._failures:  # each build file fails once, however often asked
            self._note_package(directory)
            raise self._failures[directory]
        if self._stack and directory in [state.package.directory for state in self._stack]:
            return None  # being evaluated: a select() looked back into its own package
        listing = self.tree.listing(directory)
        if listing is None or not listing.build_files or self.tree.is_ignored(directory):
            return None
        build_files = tuple(
            posixpath.join(directory, name) if directory else name for name in listing.build_files
        )
        unsafe = unsafe_character(directory)
        if unsafe is not None:
            raise BuildFileError(
                f"the directory name {directory!r} holds {describe_character(unsafe)}",
                location=SourceLocation(build_files[0]),
                hint="package directories are named in plain text: rename it",
            )
        self._note_package(directory)
        if self._cache is not None:
            cached = self._cached(directory)
            if cached is not None:
                self._packages[directory] = cached
                return cached
        # A package evaluated while a .bzl file is (a select() there naming a config_setting
        # of it) loads files on a chain of its own: that .bzl is no cycle of its.
        chain, self._load_chain = self._load_chain, []
        recording = Inputs()
        recorded_at = now_ns()
        self._record(recording)
        self.limits.address_space.begin()
        try:
            package = self._load_package(directory, build_files)
        except GraphpubError as error:
            self._failures[directory] = error
            raise
        finally:
            self.limits.address_space.end()
            self._load_chain = chain
            self._end_record()
        self._packages[directory] = package
        if self._cache is not None:
            self._cache.put(directory, recording, recorded_at, self._time_of)
        return package

    # ---------------------------------------------------------------- the package cache

    def _cached(self, directory: str) -> Package | None:
        """The package from the cache, its warnings given again, if its inputs are as they
        were."""
        assert self._cache is not None
        entry = self._unopened.pop(directory, None)
        if entry is None:
            entry = self._cache.get(directory, self.tree.listing)
            if entry is None or not entry.package:  # (released: evaluated and dropped since)
                return None
            self._give_warnings(entry)
        try:
            package: Package = unpickled(entry)
        except Exception:  # (signed, so graphpub's own: a package of an older graphpub)
            return None
        self._cache.release(directory)
        return package

    def _give_warnings(self, entry: Entry) -> None:
        for key, message in entry.warnings:
            self.warn(message, key=key)

    def _record(self, recording: Inputs) -> None:
        """Note what is read from now on (until `_end_record`) in `recording` as well, for
        the package cache."""
        if self._cache is not None:
            self._recording.append(recording)
            self.tree.on_listing = self._note_listing

    def _end_record(self) -> None:
        if self._cache is not None:
            self._recording.pop()
            if not self._recording:  # (a walk outside any evaluation is told nothing)
                self.tree.on_listing = None

    def _note_package(self, directory: str) -> None:
        for recording in self._recording:
            recording.packages.add(directory)

    def _note_listing(self, directory: str) -> None:
        for recording in self._recording:
            recording.dirs.add(directory)

    def _note_file(self, path: str, status: os.stat_result, data: bytes) -> None:
        seen = (status.st_size, status.st_mtime_ns, digest(data))
        for recording in self._recording:
            recording.files[path] = seen

    def note_environment(self, name: str, value: str | None) -> None:
        """An environment variable a build file read (Pants' `env()`)."""
        for recording in self._recording:
            recording.env[name] = value

    def _time_of(self, directory: str) -> int:
        """A listed directory's modification time, taken before it was listed."""
        return (self.tree.stamps or {}).get(directory, -1)

    def ancestor_package(self, directory: str) -> Package | None:
        """A package above the one being evaluated, for the settings it hands down (Pants'
        `__defaults__`); if it fails, `on_ancestor_failure` says whether that is the error of
        the one below (by raising) or it goes on without them."""
        try:
            return self.package(directory)
        except GraphpubError as error:
            self.on_ancestor_failure(directory, error)
            return None

    @property
    def failures(self) -> Mapping[str, GraphpubError]:
        """The error of each package whose build file failed."""
        return self._failures

    def _load_package(self, directory: str, build_files: tuple[str, ...]) -> Package:
        package = self._evaluate_package(Package(directory, build_files))
        holds = self._builtins.setting_holds
        if any(holds(package.targets.get(a)) for a in package.deferred_conditions or ()):
            # Bazel resolves select() after the whole package is read: look again, knowing
            # the config_settings that were declared after the select() naming them.
            package = self._evaluate_package(
                Package(directory, build_files, setting_hints=package.targets)
            )
        # Only evaluation needs them: the package is kept, for the length of the command.
        package.deferred_conditions = None
        package.setting_hints = _NO_HINTS
        if not package.settings:
            package.settings = _NO_SETTINGS
        return package

    def _evaluate_package(self, package: Package) -> Package:
        for build_file in package.build_files:
            state = PackageState(
                package,
                file_dialect(build_file, self.config.dialect),
                self,
                build_file,
                cells=self._cells,
            )
            self._stack.append(state)
            try:
                state.text = self._read(build_file)
                python = state.dialect in (Dialect.PANTS, Dialect.GRAPHPUB)
                self._run(build_file, state.text, python=python)
            finally:
                self._stack.pop()
        return package

    @property
    def packages(self) -> Mapping[str, Package]:
        return self._packages

    @property
    def python_callbacks(self) -> frozenset[str]:
        """The builtins that call into graphpub (Python): the only ways out of Starlark, each
        reviewed for what it gives access to. The rest of the prelude is Starlark."""
        return frozenset({*self._functions, "_rule", "_opaque", "_imitated"})

    @property
    def builtin_names(self) -> frozenset[str]:
        """What build files may use besides Starlark's own builtins: rules, graphpub's
        functions (each a callback into graphpub), the Bazel rule-definition API."""
        return self._prelude_names

    def is_package_known(self, directory: str) -> bool:
        """Whether `directory` is a package already evaluated."""
        return directory in self._packages or directory in self._unopened

    def take_cached(self, directories: Sequence[str], *, lazily: bool = False) -> None:
        """Take the packages among `directories` that the cache holds unchanged (before
        evaluating the rest, in as many processes as it takes). `lazily`: without unpickling
        them yet, for a command that may need no more than their targets' index (`index`)."""
        cache = self._cache
        if cache is None:
            return
        for directory in directories:
            if directory in self._packages or directory in self._unopened:
                continue
            entry = cache.get(directory, self.tree.listing)
            if entry is None or not entry.package:
                continue
            if not lazily:
                self.package(directory)
            elif self.tree.is_package(directory) and unsafe_character(directory) is None:
                # (What `package` checks before it looks in the cache; one that fails those
                # is left to it, and so to its error.)
                self._give_warnings(entry)
                self._unopened[directory] = entry

    def target_index(self, directory: str) -> tuple[tuple[Address, str], ...] | None:
        """The addresses and kinds of the targets of a package taken or evaluated; None if
        it is neither."""
        package = self._packages.get(directory)
        if package is not None:
            return package.index()
        index = self.index(directory)
        return index.pairs() if index is not None else None

    def index(self, directory: str) -> TargetIndex | None:
        """The addresses and kinds of the targets of a package taken lazily and not opened
        since; None for any other."""
        entry = self._unopened.get(directory)
        return entry.targets if entry is not None else None

    def evaluate_many(
        self, directories: Sequence[str], *, keep_going: bool = False
    ) -> GraphpubError | None:
        """Evaluate packages until one fails; the error, or None. With `keep_going`, evaluate
        them all: the failures are in `failures`."""
        self.limits.address_space.begin()
        try:
            for index, directory in enumerate(directories, start=1):
                try:
                    self.package(directory)
                except GraphpubError:
                    if not keep_going:
                        raise
                if index % CAP_REFRESH == 0:
                    self.limits.address_space.refresh()
        except GraphpubError as error:
            return error
        finally:
            self.limits.address_space.end()
        return None

    def adopt(
        self,
        packages: Mapping[str, Package],
        failures: Mapping[str, GraphpubError],
        cached: Mapping[str, bytes] | None = None,
    ) -> None:
        """Take packages another process evaluated, the failures it met, and its entries for
        the package cache."""
        if self._cache is not None and cached:
            self._cache.adopt(cached)
        for directory, package in packages.items():
            self._packages.setdefault(directory, package)
        for directory, error in failures.items():
            self._failures.setdefault(directory, error)

    def load_prelude(self) -> None:
        """Evaluate graphpub's prelude now, which every build file loads: before forking
        workers, so that they share it rather than each evaluate it again."""
        self._prelude_module()

    def report_progress(self, buffer: mmap.mmap) -> None:
        """See `Limits.report_progress`."""
        self.limits.report_progress(buffer)

    def warn(self, message: str, key: str | None = None) -> None:
        """Emit a warning once per `key` (default: the message itself)."""
        key = message if key is None else key
        for recording in self._recording:
            recording.warnings.append((key, message))
        if key not in self._warned:
            self._warned.add(key)
            self._emit(key, message)

    def _emit(self, key: str, message: str) -> None:
        self._warn(message)

    def capture_warnings(self, sink: list[tuple[str, str]]) -> None:
        """Collect (key, message) pairs instead of emitting them (in a worker process)."""
        self._emit = lambda key, message: sink.append((key, message))  # type: ignore[method-assign]

    @property
    def stack(self) -> Sequence[PackageState]:
        """The packages under evaluation, innermost last (empty while prelude files load)."""
        return self._stack

    def current(self, what: str) -> PackageState:
        """The package being evaluated, for a builtin `what` that acts on it."""
        if not self._stack:
            raise BuildFileError(
                f"{what} can only be used while a build file is evaluated",
                hint="in a .bzl or prelude file, use it inside a function that a build file calls",
            )
        return self._stack[-1]

    def _with_package(
        self, name: str, function: Callable[..., object], /, *args: object, **kwargs: object
    ) -> object:
        return function(self.current(f"{name}()"), *args, **kwargs)

    def read_source(self, path: str, location: SourceLocation | None = None) -> str:
        """A root-relative file's text, for rules reading files such as requirements.txt:
        inside the root, a regular file, no larger than max_build_file_bytes."""
        return self._decode(path, self.read_bytes(path, location=location))

    def read_bytes(
        self, path: str, *, what: str = "file", location: SourceLocation | None = None
    ) -> bytes:
        """A root-relative file's bytes (`confined.read_inside_root`), one of the inputs of
        the packages being evaluated."""
        data, status = read_with_status(
            self._root, path, self.config.max_build_file_bytes, what=what, location=location
        )
        if self._recording:
            self._note_file(path, status, data)
        return data

    # ---------------------------------------------------------------- starlark

    def _read(self, path: str, loaded_from: SourceLocation | None = None) -> str:
        """A build or `.bzl` file's text."""
        try:
            data = self.read_bytes(path, location=loaded_from)
        except OutsideRootError as error:
            if error.reason == "size":  # the file itself is the error's place
                error.location = SourceLocation(path)
                error.message = error.message.replace(f"{path} is ", "file is ", 1)
            raise
        return self._decode(path, data)

    def _decode(self, path: str, data: bytes) -> str:
        if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark, as Python allows
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start) + 1
            column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
            raise BuildFileError(
                f"file is not valid UTF-8 text (byte 0x{data[e.start]:02x})",
                location=SourceLocation(path, line, column),
                hint="build files must be UTF-8; re-save the file as UTF-8",
            ) from None
        return text

    def _run(
        self,
        path: str,
        text: str,
        into: Any = None,
        *,
        python: bool = False,
        bzl: bool = False,
    ) -> Any:
        """Parse and evaluate one file, with the prelude loaded on a first line, within the
        file's own time and memory budget, into the module `into` (a new one by default); the
        module. `python`: a Pants BUILD or prelude file, which is Python (`python_compat`);
        `bzl`: a `.bzl` file, with Bazel's and Buck2's .bzl environments. A name neither
        defines stands in as the file uses it (`standins`)."""
        if "__" in text:
            text = _DUNDER.sub(self._mangle_dunder, text)
        if not python:
            text = bazel_compat.rewrite(text)
        budget = self.limits.start(path)
        try:
            standins = self._known_standins(text, set(_IDENTIFIER.findall(text))) if bzl else {}
            while True:
                parsed, ast = self._parse(path, text, python, standins)
                requested: dict[str, dict[str, str]] = {}
                if "load" in text:  # the file's own load()s: which symbols each label offers
                    for load in ast.loads():
                        symbols = requested.setdefault(load.module_id, {})
                        symbols.update(
                            (exported, local) for local, exported in load.symbols.items()
                        )
                loader = sl.FileLoader(partial(self._guarded_load, path, parsed, requested))
                # (A failed compilation ran nothing: `into` is as it was for the next try.)
                module = sl.Module() if into is None else into
                try:
                    sl.eval_with(self._options, module, ast, self._globals, loader)
                    return module
                except sl.StarlarkError as e:
                    free = self._free_name(str(e), path, budget)
                    if free is None or free in standins or len(standins) >= MAX_STANDINS:
                        raise
                    use = uses(parsed, [free])[free]
                    if free not in known_globals() and not (
                        use.called or use.attributes or use.typed
                    ):
                        raise  # a plain value no one defines: most likely a typo
                    standins[free] = use
                    self._warn_unknown(free, use, str(e))
        except sl.StarlarkError as e:
            error = _shortened(str(e))
            if budget.exceeded:
                self._pending = None
                raise self.limits.exceeded_error(budget, error, self._is_user_file) from None
            raise self._relocated(self._error_from(error)) from None
        except BaseException as e:
            if type(e).__name__ != "PanicException":  # pyo3's, for a panic in starlark-rust
                raise
            self._pending = None
            raise self.limits.panic_error(path, e) from None
        finally:
            self.limits.end(budget)

    def _known_standins(self, text: str, names: set[str]) -> dict[str, Use]:
        """Stand-ins for the .bzl globals a file names that graphpub does not model."""
        known = (names & known_globals()) - self._prelude_names
        return uses(text, known) if known else {}

    def _free_name(self, error: str, path: str, budget: Budget) -> str | None:
        """The name starlark found defined nowhere, if that is why this file could not be
        compiled (nothing of it ran then), and stand-ins may take its place."""
        if budget.exceeded or self._pending is not None:
            return None
        found = starlark_errors.undefined_name(error)
        if found is None:
            return None
        name, location = found
        if location is None or location.path != path or name in NEVER_STAND_IN:
            return None
        if self.config.strict_rules and name not in known_globals():
            return None  # then it is an error, with a did-you-mean of real names
        return name

    def _warn_unknown(self, name: str, use: Use, error: str) -> None:
        """Once per name: a name no catalog knows stands in (a known .bzl global silently)."""
        if name in known_globals():
            return
        location = starlark_errors.error_location(error, self._is_user_file)
        what = (
            "a module of stand-ins"
            if use.attributes
            else "an opaque rule: a call with a name makes an opaque target"
            if use.called
            else "a type"
        )
        close = difflib.get_close_matches(name, self._real_names(), n=1, cutoff=0.75)
        meant = f"did you mean '{close[0]}'? " if close else ""
        self.warn(
            f"{location}: '{name}' is defined nowhere graphpub can see (no rule, builtin or "
            f"load() of it): it stands in as {what} ({meant}strict_rules = true makes this an "
            "error)",
            key=f"unknown-name:{name}",
        )

    def _real_names(self) -> list[str]:
        """What a name might have been meant to be: every rule and builtin graphpub knows."""
        return sorted(self._prelude_names | known_globals())

    def _parse(
        self, path: str, text: str, python: bool, standins: Mapping[str, Use]
    ) -> tuple[str, Any]:
        """The text parsed and its AST: Starlark, with the prelude's names and the stand-ins
        loaded on a first line. A Python file (Pants) that Starlark cannot parse, or that
        means something else as Starlark, is parsed lowered (`python_compat`): every line
        where it was, its columns mapped back. Either is measured first: starlark cannot
        survive too deep nesting to report it."""
        self._check_nesting(path, text)
        dialect = self._python_dialect if python else self._dialect
        lowerable = python and len(text) <= MAX_REWRITTEN_BYTES
        lowered = None
        if lowerable and python_compat.needs_lowering(text):
            lowered = self._lowered(path, text)
        if lowered is None:
            try:
                prelude = self._with_prelude(text, path, python, standins)
                return text, sl.parse(path, prelude, dialect)
            except sl.StarlarkError as error:
                lowered = self._lowered(path, text) if lowerable else None
                if lowered is None:
                    raise self._syntax_error(text, error) from None
        self._check_nesting(path, lowered.text)
        self._columns[path] = lowered.columns
        try:
            prelude = self._with_prelude(lowered.text, path, python, standins)
            return lowered.text, sl.parse(path, prelude, dialect)
        except sl.StarlarkError as error:
            raise self._relocated(self._syntax_error(lowered.text, error)) from None

    def _lowered(self, path: str, text: str) -> Edited | None:
        try:
            return python_compat.lower(text)
        except python_compat.PythonFormError as e:
            raise BuildFileError(
                e.message, location=SourceLocation(path, e.line, e.column), hint=e.hint
            ) from None

    def _syntax_error(self, text: str, error: sl.StarlarkError) -> GraphpubError:
        return starlark_errors.syntax_error(
            _shortened(str(error)), text, is_user_file=self._is_user_file
        )

    def _relocated(self, error: GraphpubError) -> GraphpubError:
        """`error` at the user's column, if it is in a lowered Python file."""
        location = error.location
        columns = self._columns.get(location.path) if location else None
        if location is not None and columns is not None and location.column:
            error.location = SourceLocation(
                location.path, location.line, columns.original(location.line, location.column)
            )
        return error

    def _check_nesting(self, path: str, text: str) -> None:
        limit = self.config.max_nesting_depth
        problem = starlark_errors.nesting_problem(text, limit)
        if problem is not None:
            message, line, column = problem
            raise BuildFileError(
                message,
                location=SourceLocation(path, line, column),
                hint=raise_hint(
                    "max_nesting_depth", f"if the file is meant to nest this deep (now {limit})"
                ),
            )

    def _interrupted(self, error: BaseException) -> None:
        self._pending = error

    def _with_prelude(self, text: str, path: str, python: bool, standins: Mapping[str, Use]) -> str:
        """`text` after one line: `load()`s of the builtins it names and, in a Pants BUILD file,
        of the prelude files' names (which hide builtins of the same name, as in Pants), then
        the stand-ins' definitions (`;`-separated: every line of the text stays one below)."""
        words = set(_IDENTIFIER.findall(text))
        builtins, macros = self._prelude_names, ""
        if python and self._macros.files():
            builtins = builtins - self._macros.names()
            if not self._macros.is_prelude_file(path):
                self._macros_module()  # as in Pants, every BUILD file needs them to evaluate
                macros = self._macros.load_statement(words)
        forms = (
            {
                name: form
                for name, (form, called, kept) in _BAZEL_FORMS.items()
                # (a plain `in` first: most files call none of them)
                if f"{name}(" in text and called.search(text) and not kept.search(text)
            }
            if not python and file_dialect(path, self.config.dialect) is Dialect.BAZEL
            else {}
        )
        loads = [repr(n) for n in sorted(builtins.intersection(words)) if n not in forms]
        loads += [f"{name}={form!r}" for name, form in forms.items()]
        if standins:
            loads.append(f"{_STANDIN_ALIAS} = {STANDIN_FUNCTION!r}")
        statements = [f"load({PRELUDE_LABEL!r}, {', '.join(loads)})"] if loads else []
        if macros:
            statements.append(macros)
        if standins:
            statements.append(definitions(standins, _STANDIN_ALIAS, known_globals()))
        return "; ".join(statements) + "\n" + text

    def _mangle_dunder(self, match: re.Match[str]) -> str:
        """Pants' `__defaults__` as the prelude's `defaults____`: same length, so positions
        hold, and loadable (Starlark refuses to load names starting with `_`)."""
        mangled = f"{match.group(1)}____"
        return mangled if mangled in self._prelude_names else match.group(0)

    def _error_from(self, error: str) -> GraphpubError:
        pending, self._pending = self._pending, None
        location = starlark_errors.error_location(error, self._is_user_file)
        if isinstance(pending, MemoryError) or (pending is None and "MemoryError" in error):
            # Python ran out of the capped address space, in a callback or converting a value.
            budget = self.limits.current
            pending = self.limits.memory_error(budget.path if budget else "", location)
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
        translated = starlark_errors.translate(
            error, is_user_file=self._is_user_file, known_symbols=self._prelude_names
        )
        found = starlark_errors.undefined_name(error)
        if found is not None and found[0] in NEVER_STAND_IN:
            translated.hint = (
                "build files are evaluated hermetically: no files, processes, network or "
                'environment (but env("NAME") in Pants BUILD files)'
            )
        return translated

    def _is_user_file(self, path: str) -> bool:
        return not path.startswith("@")

    def _guard(
        self, function: Callable[..., object], name: str = "", *, result_unused: bool = False
    ) -> Callable[..., object]:
        """Keep an exception raised inside a callback, so it survives starlark's conversion;
        a call with wrong arguments is the build file's error, not graphpub's. `result_unused`:
        the prelude never uses what the function returns, so it is not converted (starlark
        turns a Python None into Starlark by way of JSON: an opaque object crosses as it is)."""

        def guarded(*args: object, **kwargs: object) -> object:
            try:
                result = function(*args, **kwargs)
                return _UNUSED if result_unused else result
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
            # (Their results are never used: not converted back into Starlark either.)
            module.add_callable("_rule", self._guard(self._rule, result_unused=True))
            module.add_callable("_opaque", self._guard(self._opaque_rule, result_unused=True))
            module.add_callable("_imitated", self._guard(self._imitated, result_unused=True))
            source = prelude_source(self._rule_names, self._extra_prelude)
            sl.eval(module, sl.parse(PRELUDE_LABEL, source, self._dialect), self._globals)
            self._prelude = module.freeze()
        return self._prelude

    def _macros_module(self) -> Any:
        """The Pants prelude files' module. They belong to no package: builtins acting on one
        refuse to run at their top level, as Pants' do."""
        stack, self._stack = self._stack, []
        try:
            return self._macros.module(partial(self._run, python=True), sl.Module)
        finally:
            self._stack = stack

    # ---------------------------------------------------------------- load()

    def _guarded_load(
        self,
        from_path: str,
        from_text: str,
        requested: Mapping[str, Mapping[str, str]],
        label: str,
    ) -> Any:
        try:
            return self._load(from_path, from_text, requested, label)
        except BaseException as e:
            self._pending = e
            raise

    def _load(
        self,
        from_path: str,
        from_text: str,
        requested: Mapping[str, Mapping[str, str]],
        label: str,
    ) -> Any:
        """The module a `load(label, ...)` of `from_path` gets; `requested` maps each label
        to the symbols the file asks of it (exported name to the file's own name)."""
        if label == PRELUDE_LABEL:
            return self._prelude_module()
        if label == MACROS_LABEL:
            return self._macros_module()
        where = locate_quoted(from_path, from_text.splitlines(), label) or SourceLocation(from_path)
        symbols = requested.get(label, {})
        local = self._labels.local_path(label, self._package_of(from_path), where)
        if local is not None and not self._self_served(local, symbols):
            return self._load_bzl(local, where)
        repository = repository_of(label) if local is None else self._labels.root_module
        # graphpub writes the symbols of builtin and unknown modules as Starlark source.
        strange = sorted(s for s in symbols if not _IDENTIFIER.fullmatch(s) or s in _KEYWORDS)
        if strange:
            raise BuildFileError(
                f"load({label!r}) asks for {strange[0]!r}, which is not a name",
                location=where,
                hint="load() symbols are names, such as py_library",
            )
        if repository in BUILTIN_REPOSITORIES:
            return self._builtin_module(label, symbols, from_text, hub=None)
        if label.endswith("//:requirements.bzl"):
            return self._builtin_module(label, symbols, from_text, hub=repository)
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
            f"{', '.join(sorted(symbols)) or 'nothing'} stand in as the file uses them (a "
            "call with a name makes an opaque target; map the repository with the "
            "external_loads config key, or set strict_loads = true)",
            key=f"unknown-load:{label}",
        )
        return self._builtin_module(label, symbols, from_text, hub=None, known=False)

    def _package_of(self, path: str) -> str:
        """The package a file belongs to, which `:name` labels in it are relative to: the
        nearest directory above it with a build file (a `.bzl` file may sit deeper)."""
        directory = posixpath.dirname(path)
        candidate = directory
        while candidate:
            if self.tree.is_package(candidate):
                return candidate
            candidate = posixpath.dirname(candidate)
        return directory if not self.tree.is_package("") else ""

    def _self_served(self, path: str, symbols: Mapping[str, str]) -> bool:
        """Whether a local `.bzl` file is one graphpub serves itself: the repository is
        rules_python (`module(name = "rules_python")`), the file one of the API it defines
        (`//python:packaging.bzl`) and every symbol asked for a rule graphpub knows — as it
        serves `@rules_python//...`. Its private helpers (rule builders) load for real. Every
        file of a Buck2 prelude cell on disk is served, as `prelude//...` always is: they are
        written against Buck2's internals (`__buck2_builtins__`)."""
        if not path.endswith(".bzl"):
            return False
        prelude = self._labels.served_cell_directory()
        if prelude is not None and (prelude in ("", ".") or path.startswith(prelude + "/")):
            return True  # the Buck2 prelude's own files: graphpub's prelude, or stand-ins
        served = SELF_SERVED.get(self._labels.root_module or "", ())
        return (
            path.endswith(".bzl")
            and path.startswith(served)
            and bool(symbols)
            and all(s in self._prelude_names for s in symbols)
        )

    def _load_bzl(self, path: str, where: SourceLocation) -> Any:
        if path in self._bzl_modules:
            loaded = self._bzl_inputs.get(path)
            if loaded is not None:
                for recording in self._recording:
                    recording.merge(loaded)
            return self._bzl_modules[path]
        if path in self._bzl_failures:  # evaluated once: every package loading it fails so
            raise self._bzl_failures[path]
        if path in self._load_chain:
            chain = [*self._load_chain[self._load_chain.index(path) :], path]
            raise BuildFileError("load cycle: " + " -> ".join(chain), location=where)
        # What this file reads (itself and all it loads) is read once: each package loading
        # it later gets that as inputs of its own.
        recording = Inputs()
        self._record(recording)
        try:
            return self._evaluated_bzl(path, where, recording)
        finally:
            self._end_record()

    def _evaluated_bzl(self, path: str, where: SourceLocation, recording: Inputs) -> Any:
        try:
            text = self._read(path, where)
        except OutsideRootError as error:
            if error.reason in ("missing", "kind", "name", "unreadable"):
                raise BuildFileError(
                    f"cannot load {path!r}: no such file"
                    if error.reason in ("missing", "kind")
                    else f"cannot load {path!r}: {error.message}",
                    location=where,
                    hint="labels are '//package:file.bzl' from the root or ':file.bzl' in "
                    "the package",
                ) from None
            if error.reason == "outside":
                raise BuildFileError(
                    f"load() of {path} leaves the build root", location=where
                ) from None
            raise
        self._load_chain.append(path)
        try:
            if path.endswith(".json"):
                frozen = self._json_module(path, text, where)
            else:
                frozen = self._run(path, text, bzl=True).freeze()
        except GraphpubError as error:
            self._bzl_failures[path] = error
            raise
        finally:
            self._load_chain.pop()
        self._bzl_modules[path] = frozen
        if self._cache is not None:
            self._bzl_inputs[path] = recording
        return frozen

    def _json_module(self, path: str, text: str, where: SourceLocation) -> Any:
        """Buck2's `load("data.json", "value")`: the file's data, as `value`."""
        try:
            value = json.loads(text)
        except ValueError as e:
            raise BuildFileError(f"{path} is not JSON: {e}", location=where) from None
        module = sl.Module()
        module["value"] = value
        return module.freeze()

    def _builtin_module(
        self,
        label: str,
        symbols: Mapping[str, str],
        from_text: str,
        hub: str | None,
        *,
        known: bool = True,
    ) -> Any:
        """A module for a well-known (`known`) or unknown external label, exporting what was
        asked for: what the prelude has (of a well-known one), else a stand-in shaped by how the
        loading file uses the name it gave the symbol."""
        module = sl.Module()
        from_prelude = sorted(s for s in symbols if known and s in self._prelude_names)
        hub_functions = [s for s in symbols if hub is not None and s in HUB_FUNCTIONS]
        for symbol in hub_functions:
            module.add_callable(symbol, partial(HUB_FUNCTIONS[symbol], hub))
        stand_in = sorted(set(symbols) - set(from_prelude) - set(hub_functions))
        aliases = [f"_p_{s} = {s!r}" for s in from_prelude]
        if stand_in:
            aliases.append(f"{_STANDIN_ALIAS} = {STANDIN_FUNCTION!r}")
        lines = [f"load({PRELUDE_LABEL!r}, {', '.join(aliases)})"] if aliases else []
        lines.extend(f"{s} = _p_{s}" for s in from_prelude)
        if stand_in:
            shapes = uses(from_text, [symbols[s] for s in stand_in])
            lines.append(definitions({s: shapes[symbols[s]] for s in stand_in}, _STANDIN_ALIAS))
        loader = sl.FileLoader(lambda _label: self._prelude_module())
        sl.eval(
            module, sl.parse(label, "\n".join([*lines, ""]), self._dialect), self._globals, loader
        )
        return module.freeze()

    # ---------------------------------------------------------------- rules

    def _imitated(self) -> None:
        """A stand-in was called: the package being evaluated (if any) is imitated."""
        if self._stack:
            self._stack[-1].package.imitated = True

    def _opaque_rule(self, encoded_call: str) -> None:
        """A stand-in called with a name: an opaque target of its kind, whatever its name."""
        self._rule(encoded_call, opaque=True)

    def _rule(self, encoded_call: str, *, opaque: bool = False) -> None:
        kind, stack, args, kwargs = _decode_call(encoded_call)
        state = self._stack[-1] if self._stack else self.current(f"{kind}()")
        path, line = starlark_errors.first_frame(stack) or (state.build_file, 0)
        if path == state.build_file:
            path = state.build_file  # one string per file, not one per target
        location = SourceLocation(path, line)
        call = RuleCall(kind, kwargs, location, state, tuple(args))
        if self.config.strict_rules and (opaque or not self.rules.describes(kind, state.dialect)):
            raise BuildFileError(
                f"{kind}() is a rule graphpub knows no schema for (strict_rules is set)",
                location=location,
                hint="unset strict_rules to load it as an opaque target with its deps as edges",
            )
        try:
            if kind in self._rule_names and not opaque:
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
        address = target.address
        # (The directory is a package the file tree listed: checked once, in `package`.)
        name = f"{address.file}:{address.name}#{address.generated}"
        if not (name.isascii() and name.isprintable()):
            for part in (address.name, address.file, address.generated):
                unsafe = unsafe_character(part)
                if unsafe is None:
                    continue
                raise BuildFileError(
                    f"the target name {part!r} holds {describe_character(unsafe)}",
                    location=target.location,
                    hint="target names are plain text, shown as they are on terminals and in "
                    "logs: rename it (or the file it is named after)",
                )
        existing = package.targets.get(target.address)
        if existing is not None and self._both_opaque(existing, target):
            # Macros of other ecosystems that graphpub only imitates (names made from
            # `str(function)`, which starlark writes otherwise than Bazel) may collide: the
            # first target stays, and loading goes on.
            self.warn(
                f"{target.location}: a second opaque target named "
                f"'{target.address.name}' in package '{package.directory or '//'}' (first made "
                f"at {existing.location}) is left out",
                key=f"opaque-duplicate:{target.address}",
            )
            return
        if existing is not None:
            raise GraphError(
                f"duplicate target name '{target.address.name}' in package "
                f"'{package.directory or '//'}' (first defined at {existing.location})",
                location=target.location,
                related=(existing.location,),
                hint="every target in a package needs its own name",
            )
        package.targets[target.address] = target

    def _both_opaque(self, first: Target, second: Target) -> bool:
        dialect = file_dialect(first.location.path, self.config.dialect)
        return not (
            self.rules.describes(first.kind, dialect) or self.rules.describes(second.kind, dialect)
        )


_WITH_PACKAGE_CODE = Evaluator._with_package.__code__
# What a callback whose result the prelude ignores gives back (`_guard`).
_UNUSED = sl.OpaquePythonObject(None)


def _decode_call(encoded_call: str) -> Any:
    """A rule call as the prelude encodes it (`json.encode`: always one valid JSON value),
    without the checks json.loads makes of text from elsewhere."""
    return _SCAN_JSON(encoded_call, 0)[0]


_SCAN_JSON: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]  # (typeshed types it as taking itself)
)


def _reraise(directory: str, error: GraphpubError) -> None:
    raise error


def _raised_by_the_call(error: BaseException, callers: tuple[object, ...]) -> bool:
    """Whether `error` was raised calling a function from one of the `callers` (binding its
    arguments) rather than inside it."""
    traceback = error.__traceback__
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback is not None and traceback.tb_frame.f_code in callers


def _shortened(error: str) -> str:
    """starlark's error text with each line cut to MAX_ERROR_LINE characters: a value in a
    message (`fail("x" * 100000000)`) is shown, not written out whole."""
    if len(error) <= MAX_ERROR_LINE:
        return error
    return "\n".join(
        line
        if len(line) <= MAX_ERROR_LINE
        else line[:MAX_ERROR_LINE] + f"… ({len(line):,} characters in all)"
        for line in error.split("\n")
    )


# Python's and Starlark's keywords: never names of symbols graphpub writes into Starlark.
_KEYWORDS = frozenset(
    [
        *("and", "break", "continue", "def", "elif", "else", "for", "if", "in", "lambda"),
        *("load", "not", "or", "pass", "return", "while", "as", "assert", "async", "await"),
        *("class", "del", "except", "finally", "from", "global", "import", "is", "nonlocal"),
        *("raise", "try", "with", "yield", "False", "None", "True"),
    ]
)
