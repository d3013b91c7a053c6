"""What each `load()` of an evaluated file gets.

graphpub's prelude and the Pants prelude files' names, by their labels; a local `.bzl` file
(or Buck2's `.json` data), evaluated once per process, each package loading it later getting
what it read as inputs of its own; a builtin repository's module (`@rules_python//...`, a pip
hub's `requirements.bzl`) served by the prelude; and an unknown external's, whose symbols
stand in as the loading file uses them (with one warning per label, or an error under
`strict_loads`). Labels resolve against the root's cells and `external_loads` (`labels`).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Mapping
from typing import Any

import starlark as sl

from graphpub.buildgraph.callback_guard import CallbackGuard
from graphpub.buildgraph.config import Dialect, file_dialect
from graphpub.buildgraph.confined import OutsideRootError
from graphpub.buildgraph.file_parser import IDENTIFIER
from graphpub.buildgraph.files import FileTree
from graphpub.buildgraph.input_recorder import InputRecorder
from graphpub.buildgraph.labels import BUILTIN_REPOSITORIES, LoadLabels, repository_of
from graphpub.buildgraph.package_cache import Inputs
from graphpub.buildgraph.pants_macros import MACROS_LABEL
from graphpub.buildgraph.prelude import PRELUDE_LABEL
from graphpub.buildgraph.prelude_module import Prelude
from graphpub.buildgraph.source_reader import SourceReader
from graphpub.errors import BuildFileError, GraphpubError, SourceLocation, locate_quoted

# The files of a repository graphpub serves when it is that repository (its own name in
# MODULE.bazel): the API its users load, not its examples or vendored files.
SELF_SERVED = {"rules_python": ("python/",)}


class LoadResolver:
    """The modules `load()`s get, each local file's evaluated once."""

    def __init__(
        self,
        *,
        labels: LoadLabels,
        tree: FileTree,
        strict: bool,
        prelude: Prelude,
        macros_module: Callable[[], Any],
        reader: SourceReader,
        recorder: InputRecorder,
        guard: CallbackGuard,
        warn: Callable[[str, str], None],
        run_bzl: Callable[[str, str], Any],
        dialect: Dialect = Dialect.PANTS,
        build_file_cell: Callable[[], str] = lambda: "",
    ) -> None:
        """`strict`: an unknown external label is an error (`strict_loads`); `run_bzl(path,
        text)` evaluates a `.bzl` file into a module; `warn(message, key)` warns once per
        key. `dialect`: the repository's. `build_file_cell()`: the cell of the package being
        evaluated, for Buck2, which evaluates a `.bzl` file once per cell loading it (its
        `get_cell_name()` and `read_config()` at top level are that cell's)."""
        self._labels = labels
        self._tree = tree
        self._strict = strict
        self._prelude = prelude
        self._macros_module = macros_module
        self._reader = reader
        self._recorder = recorder
        self._guard = guard
        self._warn = warn
        self._run_bzl = run_bzl
        self._dialect = dialect
        self._build_file_cell = build_file_cell
        # By (path, the loading package's cell): "" for every package but in Buck2.
        self._modules: dict[tuple[str, str], Any] = {}
        self._failures: dict[tuple[str, str], GraphpubError] = {}
        self._inputs: dict[tuple[str, str], Inputs] = {}
        self._chain: list[str] = []

    def suspend_chain(self) -> list[str]:
        """Start a chain of loads of its own (until `resume_chain`): a package evaluated
        while a .bzl file is (a select() there naming a config_setting of it) is no cycle of
        that file's."""
        chain, self._chain = self._chain, []
        return chain

    def resume_chain(self, chain: list[str]) -> None:
        self._chain = chain

    def load(
        self,
        from_path: str,
        from_text: str,
        requested: Mapping[str, Mapping[str, str]],
        label: str,
    ) -> Any:
        """The module a `load(label, ...)` of `from_path` gets; `requested` maps each label
        to the symbols the file asks of it (exported name to the file's own name). An error
        is kept for the evaluation of `from_path` to raise (starlark keeps only its text)."""
        try:
            return self._load(from_path, from_text, requested, label)
        except BaseException as e:
            self._guard.keep(e)
            raise

    def _load(
        self,
        from_path: str,
        from_text: str,
        requested: Mapping[str, Mapping[str, str]],
        label: str,
    ) -> Any:
        if label == PRELUDE_LABEL:
            return self._prelude.module()
        if label == MACROS_LABEL:
            return self._macros_module()
        where = locate_quoted(from_path, from_text.splitlines(), label) or SourceLocation(from_path)
        symbols = requested.get(label, {})
        local = self._labels.local_path(label, self._package_of(from_path), where)
        if local is not None and not self._self_served(local, symbols):
            return self._load_file(local, where)
        repository = repository_of(label) if local is None else self._labels.root_module
        # graphpub writes the symbols of builtin and unknown modules as Starlark source.
        strange = sorted(s for s in symbols if not IDENTIFIER.fullmatch(s) or s in _KEYWORDS)
        if strange:
            raise BuildFileError(
                f"load({label!r}) asks for {strange[0]!r}, which is not a name",
                location=where,
                hint="load() symbols are names, such as py_library",
            )
        if repository in BUILTIN_REPOSITORIES:
            return self._prelude.builtin_module(label, symbols, from_text, hub=None)
        if label.endswith("//:requirements.bzl"):
            return self._prelude.builtin_module(label, symbols, from_text, hub=repository)
        if self._strict:
            raise BuildFileError(
                f"load of unknown external {label!r} (strict_loads is set)",
                location=where,
                hint=(
                    "map it to a local directory under [tool.graphpub]: "
                    f'external_loads = {{ "@{repository}" = "path/to/dir" }}'
                ),
            )
        self._warn(
            f"{where}: load of unknown external {label!r}: "
            f"{', '.join(sorted(symbols)) or 'nothing'} stand in as the file uses them (a "
            "call with a name makes an opaque target; map the repository with the "
            "external_loads config key, or set strict_loads = true)",
            f"unknown-load:{label}",
        )
        return self._prelude.builtin_module(label, symbols, from_text, hub=None, known=False)

    def _package_of(self, path: str) -> str:
        """The directory `:name` labels in a file are relative to: in Bazel, the package it
        belongs to (the nearest directory above it with a build file: a `.bzl` file may sit
        deeper); in Buck2, its own directory."""
        directory = posixpath.dirname(path)
        if file_dialect(path, self._dialect) is Dialect.BUCK2:
            return directory
        candidate = directory
        while candidate:
            if self._tree.is_package(candidate):
                return candidate
            candidate = posixpath.dirname(candidate)
        return directory if not self._tree.is_package("") else ""

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
            path.startswith(served)
            and bool(symbols)
            and all(s in self._prelude.names for s in symbols)
        )

    def _load_file(self, path: str, where: SourceLocation) -> Any:
        """A local `.bzl` (or `.json`) file's module, evaluated on first use (in Buck2, on
        first use by a package of each cell)."""
        key = (path, self._build_file_cell())
        if key in self._modules:
            loaded = self._inputs.get(key)
            if loaded is not None:
                self._recorder.note_inputs(loaded)
            return self._modules[key]
        if key in self._failures:  # evaluated once: every package loading it fails so
            raise self._failures[key]
        if path in self._chain:
            chain = [*self._chain[self._chain.index(path) :], path]
            raise BuildFileError("load cycle: " + " -> ".join(chain), location=where)
        # What this file reads (itself and all it loads) is read once: each package loading
        # it later gets that as inputs of its own.
        recording = Inputs()
        self._recorder.begin(recording)
        try:
            return self._evaluated(key, where, recording)
        finally:
            self._recorder.end()

    def _evaluated(self, key: tuple[str, str], where: SourceLocation, recording: Inputs) -> Any:
        path = key[0]
        try:
            text = self._reader.read_file(path, where)
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
        self._chain.append(path)
        try:
            if path.endswith(".json"):
                frozen = _json_module(path, text, where)
            else:
                frozen = self._run_bzl(path, text).freeze()
        except GraphpubError as error:
            self._failures[key] = error
            raise
        finally:
            self._chain.pop()
        self._modules[key] = frozen
        if self._recorder.enabled:
            self._inputs[key] = recording
        return frozen


def _json_module(path: str, text: str, where: SourceLocation) -> Any:
    """Buck2's `load("data.json", "value")`: the file's data, as `value`."""
    try:
        value = json.loads(text)
    except ValueError as e:
        raise BuildFileError(f"{path} is not JSON: {e}", location=where) from None
    module = sl.Module()
    module["value"] = value
    return module.freeze()


# Python's and Starlark's keywords: never names of symbols graphpub writes into Starlark.
_KEYWORDS = frozenset(
    [
        *("and", "break", "continue", "def", "elif", "else", "for", "if", "in", "lambda"),
        *("load", "not", "or", "pass", "return", "while", "as", "assert", "async", "await"),
        *("class", "del", "except", "finally", "from", "global", "import", "is", "nonlocal"),
        *("raise", "try", "with", "yield", "False", "None", "True"),
    ]
)
