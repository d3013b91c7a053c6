"""Evaluating build files and `.bzl` files with starlark-pyo3 into packages of targets.

`Evaluator` evaluates packages on demand and owns them (evaluated, failed, under evaluation:
the stack the builtins act on); each part of the work is a module of its own, wired here:

- `source_reader`: the files read, inside the root, each one an input of the packages
  evaluated (`input_recorder`) for the package cache, whose packages `cached_packages` takes;
- `prelude_module`: graphpub's prelude, which every file loads its builtins from, its
  callbacks guarded (`callback_guard`): Bazel's and Buck2's natives (`builtins`), the rule
  set's functions, and the rule calls making targets (`rule_calls`);
- `file_parser` and `file_runner`: one file's text as starlark parses it (the prelude's line
  prepended), evaluated within its budget (`budget`), its errors as graphpub's;
- `loads`: what each `load()` gets.
"""

from __future__ import annotations

import mmap
import os
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import starlark as sl

from graphpub.buildgraph.address import Address
from graphpub.buildgraph.budget import Limits
from graphpub.buildgraph.builtins import NativeBuiltins
from graphpub.buildgraph.cached_packages import CachedPackages
from graphpub.buildgraph.callback_guard import CallbackGuard
from graphpub.buildgraph.config import Config, Dialect, file_dialect
from graphpub.buildgraph.file_parser import FileParser
from graphpub.buildgraph.file_runner import FileRunner
from graphpub.buildgraph.files import FileTree, GlobPatternError
from graphpub.buildgraph.input_recorder import InputRecorder
from graphpub.buildgraph.labels import LoadLabels
from graphpub.buildgraph.loads import LoadResolver
from graphpub.buildgraph.package_cache import Inputs, PackageCache, now_ns
from graphpub.buildgraph.pants_macros import PantsMacros
from graphpub.buildgraph.prelude_module import Prelude
from graphpub.buildgraph.rule_calls import RuleCalls
from graphpub.buildgraph.source_reader import SourceReader
from graphpub.buildgraph.starlark_environment import StarlarkEnvironment
from graphpub.buildgraph.target import FrozenDict, RuleSet, Target
from graphpub.buildgraph.target_index import TargetIndex
from graphpub.errors import (
    BuildFileError,
    GraphpubError,
    SourceLocation,
    describe_character,
    locate_quoted,
    unsafe_character,
)
from graphpub.secrets import is_secret_name

# Packages evaluated in a row before the address-space cap follows the graph's growth.
CAP_REFRESH = 64

_NO_HINTS: Mapping[Address, Target] = FrozenDict()  # type: ignore[assignment]  # (read-only, pickles)
_NO_SETTINGS: dict[str, Any] = FrozenDict()  # those of the many packages that set none


# (Package is defined here, where the pickles of it that workers send back and the package
# cache keeps name it.)
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


@dataclass(frozen=True, slots=True)
class PackageServices:
    """What a package under evaluation (`PackageState`) may ask of the evaluation around it."""

    config: Config
    tree: FileTree
    check_time: Callable[[], None]
    """Stops graphpub's own long work (a glob) once the file's time is up."""
    ancestor_package: Callable[[str], Package | None]
    """`Evaluator.ancestor_package`."""
    note_environment: Callable[[str, str | None], None]
    """An environment variable read, one of the package's inputs."""
    warn: Callable[[str, str], None]
    """(message, key): a warning, once per key."""
    read_text: Callable[[str, SourceLocation | None], str]
    """A root-relative file's text (`SourceReader.read_text`)."""


@dataclass
class PackageState:
    """The package under evaluation: the `PackageContext` rules see."""

    package: Package
    dialect: Dialect
    services: PackageServices
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
            services = self.services
            return services.tree.glob(
                self.directory, list(include), list(exclude), check=services.check_time
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
            package = self.services.ancestor_package(directory)
            if package is not None and key in package.settings:
                found.append(package.settings[key])
        self._ancestor_settings[key] = found
        return found

    def is_credential_variable(self, name: str) -> bool:
        return is_secret_name(name, self.services.config.secret_env)

    def environment(self, name: str) -> str | None:
        value = os.environ.get(name)
        self.services.note_environment(name, value)
        return value

    @property
    def plugin_fields(self) -> bool:
        config = self.services.config
        return self.dialect is Dialect.PANTS and config.pants_plugins and not config.strict_rules

    def warn(self, message: str, key: str) -> None:
        self.services.warn(message, key)

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
        return self.services.read_text(path, where or near)


class Evaluator:
    """Evaluates packages on demand, each build file once, each `.bzl` file once."""

    def __init__(
        self, config: Config, tree: FileTree, rules: RuleSet, warn: Callable[[str], None]
    ) -> None:
        self.config = config
        self.tree = tree
        self._warn = warn
        self._warned: set[str] = set()
        self._stack: list[PackageState] = []
        self._packages: dict[str, Package] = {}
        self._failures: dict[str, GraphpubError] = {}
        self.on_ancestor_failure: Callable[[str, GraphpubError], None] = _reraise
        """Decides what a failing ancestor package means to the one being evaluated."""
        self._cells = config.cells  # (made anew each time it is asked for: once here)
        # (Made first: an interrupt of a file's evaluation is kept there as its error.)
        self._guard = CallbackGuard()
        self.limits = Limits(config, self._guard.keep)
        self._recorder = InputRecorder(tree)
        self._cached: CachedPackages | None = None
        self._reader = SourceReader(str(tree.root), config.max_build_file_bytes, self._recorder)
        self._services = PackageServices(
            config,
            tree,
            self.limits.check_time,
            self.ancestor_package,
            self._recorder.note_environment,
            self.warn,
            self._reader.read_text,
        )
        self._builtins = NativeBuiltins(self, self._reader)
        calls = RuleCalls(rules, config, self._stack, self.current, self.warn)
        callbacks: dict[str, Callable[..., None]] = {
            "_rule": calls.rule,
            "_opaque": calls.opaque_rule,
            "_imitated": calls.imitated,
        }
        environment = StarlarkEnvironment.make()
        self._prelude = Prelude(
            environment, rules, self._builtins.functions(), callbacks, self._guard, self.current
        )
        self._macros = PantsMacros(config.build_file_prelude_globs, tree, self._reader.read_file)
        self._loads = LoadResolver(
            labels=LoadLabels(self._cells, config.external_loads, config.bazel_module),
            tree=tree,
            strict=config.strict_loads,
            prelude=self._prelude,
            macros_module=self._macros_module,
            reader=self._reader,
            recorder=self._recorder,
            guard=self._guard,
            warn=self.warn,
            run_bzl=self._run_bzl,
            dialect=config.dialect,
            build_file_cell=self._build_file_cell,
        )
        parser = FileParser(
            environment, config, self._prelude.names, self._macros, self._macros_module
        )
        self._runner = FileRunner(
            environment,
            config,
            self.limits,
            self._guard,
            parser,
            self._prelude.names,
            self.warn,
            self._loads.load,
        )

    def use_cache(self, cache: PackageCache) -> None:
        """Take packages from `cache` whose inputs are unchanged, and keep there the ones
        evaluated, with what they read."""
        self._cached = CachedPackages(cache, self.tree, self.warn)
        self._recorder.enable()

    @property
    def cache(self) -> PackageCache | None:
        return self._cached.cache if self._cached is not None else None

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
            self._recorder.note_package(directory)
            return self._packages[directory]
        if directory in self._failures:  # each build file fails once, however often asked
            self._recorder.note_package(directory)
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
        self._recorder.note_package(directory)
        if self._cached is not None:
            cached = self._cached.take(directory)
            if cached is not None:
                self._packages[directory] = cached
                return cached
        chain = self._loads.suspend_chain()
        recording = Inputs()
        recorded_at = now_ns()
        self._recorder.begin(recording)
        self.limits.address_space.begin()
        try:
            package = self._load_package(directory, build_files)
        except GraphpubError as error:
            self._failures[directory] = error
            raise
        finally:
            self.limits.address_space.end()
            self._loads.resume_chain(chain)
            self._recorder.end()
        self._packages[directory] = package
        if self._cached is not None:
            self._cached.put(directory, recording, recorded_at)
        return package

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
                self._services,
                build_file,
                cells=self._cells,
            )
            self._stack.append(state)
            try:
                state.text = self._reader.read_file(build_file)
                python = state.dialect in (Dialect.PANTS, Dialect.GRAPHPUB)
                self._runner.run(build_file, state.text, python=python)
            finally:
                self._stack.pop()
        return package

    def _run_bzl(self, path: str, text: str) -> Any:
        return self._runner.run(path, text, bzl=True)

    def _macros_module(self) -> Any:
        """The Pants prelude files' module. They belong to no package: builtins acting on one
        refuse to run at their top level, as Pants' do."""
        # (The stack is emptied in place: the rule calls see this same list.)
        stack = self._stack[:]
        self._stack.clear()
        try:
            return self._macros.module(partial(self._runner.run, python=True), sl.Module)
        finally:
            self._stack[:] = stack

    @property
    def packages(self) -> Mapping[str, Package]:
        return self._packages

    @property
    def python_callbacks(self) -> frozenset[str]:
        """The builtins that call into graphpub (Python): the only ways out of Starlark, each
        reviewed for what it gives access to. The rest of the prelude is Starlark."""
        return self._prelude.callback_names

    def is_package_known(self, directory: str) -> bool:
        """Whether `directory` is a package already evaluated."""
        return directory in self._packages or (
            self._cached is not None and self._cached.is_unopened(directory)
        )

    def take_cached(self, directories: Sequence[str], *, lazily: bool = False) -> None:
        """Take the packages among `directories` that the cache holds unchanged (before
        evaluating the rest, in as many processes as it takes). `lazily`: without unpickling
        them yet, for a command that may need no more than their targets' index (`index`)."""
        if self._cached is not None:
            self._cached.take_unchanged(directories, self._packages, self.package, lazily=lazily)

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
        return self._cached.index(directory) if self._cached is not None else None

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
        if self._cached is not None and cached:
            self._cached.cache.adopt(cached)
        for directory, package in packages.items():
            self._packages.setdefault(directory, package)
        for directory, error in failures.items():
            self._failures.setdefault(directory, error)

    def load_prelude(self) -> None:
        """Evaluate graphpub's prelude now, which every build file loads: before forking
        workers, so that they share it rather than each evaluate it again."""
        self._prelude.module()

    def report_progress(self, buffer: mmap.mmap) -> None:
        """See `Limits.report_progress`."""
        self.limits.report_progress(buffer)

    def warn(self, message: str, key: str | None = None) -> None:
        """Emit a warning once per `key` (default: the message itself)."""
        key = message if key is None else key
        self._recorder.note_warning(key, message)
        if key not in self._warned:
            self._warned.add(key)
            self._emit(key, message)

    def _emit(self, key: str, message: str) -> None:
        self._warn(message)

    def capture_warnings(self, sink: list[tuple[str, str]]) -> None:
        """Collect (key, message) pairs instead of emitting them (in a worker process)."""
        self._emit = lambda key, message: sink.append((key, message))  # type: ignore[method-assign]

    def _build_file_cell(self) -> str:
        """The Buck2 cell of the package being evaluated ("" outside Buck2, or with no
        package): the cell a `.bzl` file it loads is evaluated for."""
        buck2 = self.config.buck2
        if buck2 is None or len(buck2.cells) < 2 or not self._stack:
            return ""
        return buck2.cell_of(self._stack[-1].package.directory).name

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


def _reraise(directory: str, error: GraphpubError) -> None:
    raise error
