"""Starlark hooks: a function in a `.star` file of the repository, called with data.

Some repositories compute part of what they publish in code of their own: a Pants plugin's
`SetupKwargs` rule reads the version from a file and adds authors, URLs and classifiers to
every `python_artifact()`. graphpub cannot run Pants plugins (they are Python on Pants'
engine), but the same few lines port to Starlark, which graphpub runs as it runs build files:
within `evaluation_timeout` and `max_evaluation_memory_mib`, with no I/O but reading files
inside the build root.

A hook sees starlark's standard library (with `struct` and `json`) and:

- `read_file(path, default = None)`: the text of a root-relative file (Pants' `PathGlobs`
  are root-relative too); `default` if it does not exist, else an error;
- `path_exists(path)`: whether a root-relative regular file exists;
- `re_search(pattern, text)`: Python's `re.search`: the match's groups, the whole match first,
  or None (flags inline: `(?m)^__version__ = ...`).

Every file a hook read, the hook's own file included, is recorded: what it computes from them
shapes the distribution, so they date it (`publish/epochs.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import starlark as sl

from graphpub.buildgraph import starlark_errors
from graphpub.buildgraph.budget import Limits
from graphpub.buildgraph.config import Config
from graphpub.buildgraph.confined import OutsideRootError, inside_root_path, read_inside_root
from graphpub.errors import BuildFileError, GraphpubError, SourceLocation

MAX_CALL_STACK = 200
_MAX_PATTERN = 1000
_BUILTINS = ("read_file", "path_exists", "re_search")


@dataclass(frozen=True)
class Struct:
    """An argument the hook receives as a struct (`target.spec_path`), not a dict."""

    fields: Mapping[str, Any]


@dataclass(frozen=True)
class HookResult:
    value: Any
    reads: tuple[str, ...]
    """Root-relative files the hook read (its own file first)."""


class StarlarkHooks:
    """The hooks of one build root, each file evaluated once."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._root = str(config.root)
        self._limits = Limits(config, self._interrupted)
        self._pending: BaseException | None = None
        self._raised: GraphpubError | None = None
        self._options = sl.EvalOptions(
            max_callstack_size=MAX_CALL_STACK, check_cancelled=self._limits.check_cancelled
        )
        self._modules: dict[tuple[str, str], Any] = {}
        self._reads: list[str] = []

    def call(self, path: str, function: str, *arguments: Any, caller: str) -> HookResult:
        """`function(*arguments)` of the hook file `path` (root-relative); `caller` says in
        errors what called it (a distribution's address)."""
        path = inside_root_path(path, what="hook file")
        self._reads = [path]
        module = self._module(path, function)
        plain = [dict(a.fields) if isinstance(a, Struct) else a for a in arguments]
        structs = [i for i, a in enumerate(arguments) if isinstance(a, Struct)]
        with self._evaluating(path, caller):
            value = module.call_with(self._options, _CALL, function, plain, structs).value
        return HookResult(value, tuple(dict.fromkeys(self._reads)))

    @contextmanager
    def _evaluating(self, path: str, caller: str | None) -> Iterator[None]:
        """Within the file's time and memory budget; starlark's errors (and its panics)
        as the file's, at its line."""
        budget = self._limits.start(path)
        try:
            yield
        except sl.StarlarkError as e:
            raise self._error(str(e), path, budget.exceeded, caller) from None
        except BaseException as e:
            if type(e).__name__ != "PanicException":  # pyo3's, for a panic in starlark-rust
                raise
            raise self._limits.panic_error(path, e) from None
        finally:
            self._limits.end(budget)
            self._reraise_interrupt()

    def _module(self, path: str, function: str) -> Any:
        if (path, function) in self._modules:
            return self._modules[path, function]
        location = SourceLocation(path)
        source = self._read(path, location).decode("utf-8", "replace")
        if not re.search(rf"^def {re.escape(function)}\(", source, re.MULTILINE):
            raise BuildFileError(
                f"no function {function}() in this file",
                location=location,
                hint=f"def {function}(kwargs, target): ... return kwargs",
            )
        module = sl.Module()
        for name, builtin in (
            ("read_file", self._read_file),
            ("path_exists", self._path_exists),
            ("re_search", _re_search),
        ):
            module.add_callable(name, self._guarded(builtin))
        globals_ = sl.Globals.extended_by(
            [sl.LibraryExtension.StructType, sl.LibraryExtension.Json]
        )
        with self._evaluating(path, None):
            # One line first, as build files have theirs: locations say the file's own lines.
            ast = sl.parse(path, "\n" + source + _caller(function), sl.Dialect.extended())
            sl.eval_with(self._options, module, ast, globals_)
        frozen = module.freeze()
        self._modules[path, function] = frozen
        return frozen

    def _error(
        self, text: str, path: str, exceeded: str | None, caller: str | None
    ) -> BuildFileError:
        if exceeded == "time":
            return self._limits.timeout_error(path, None)
        if exceeded == "memory":
            return self._limits.memory_error(path, None)
        raised, self._raised = self._raised, None
        if raised is not None:  # a builtin's own error, at the hook's line that called it
            error = BuildFileError(raised.message, location=raised.location, hint=raised.hint)
            error.location = error.location or starlark_errors.error_location(
                text, lambda p: p == path
            )
        else:
            error = starlark_errors.translate(
                text, is_user_file=lambda p: p == path, known_symbols=_BUILTINS
            )
        if caller is not None:
            error.message = f"{error.message} (called for {caller})"
        if error.location is None:
            error.location = SourceLocation(path)
        return error

    def _read(self, path: str, location: SourceLocation | None) -> bytes:
        return read_inside_root(
            self._root,
            path,
            self.config.max_build_file_bytes,
            what="file",
            location=location,
        )

    def _read_file(self, path: str, default: Any = None) -> Any:
        path = _checked_path(path)
        try:
            data = self._read(path, None)
        except OutsideRootError as e:
            if e.reason == "missing" and default is not None:
                self._reads.append(path)  # a file made later changes the result
                return default
            raise
        self._reads.append(path)
        return data.decode("utf-8", "replace")

    def _path_exists(self, path: str) -> bool:
        path = _checked_path(path)
        self._reads.append(path)
        try:
            self._read(path, None)
        except OutsideRootError as e:
            if e.reason in ("missing", "kind"):
                return False
            raise
        return True

    def _guarded(self, builtin: Callable[..., Any]) -> Callable[..., Any]:
        """`builtin`, keeping its error for the message: starlark keeps only its text."""

        def call(*arguments: Any, **keywords: Any) -> Any:
            try:
                return builtin(*arguments, **keywords)
            except GraphpubError as e:
                self._raised = e
                raise

        return call

    def _interrupted(self, error: BaseException) -> None:
        self._pending = error

    def _reraise_interrupt(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            raise pending


_CALL = "graphpub_hook_call"


def _caller(function: str) -> str:
    """A function calling `function` with the arguments marked as structs made structs
    (a Python value crossing into starlark is plain data)."""
    return (
        f"\ndef {_CALL}(_name, _arguments, _structs):\n"
        f"    return {function}(*[struct(**a) if i in _structs else a"
        " for i, a in enumerate(_arguments)])\n"
    )


def _checked_path(path: object) -> str:
    """`path`, root-relative and normalized; an error if it is not one inside the root."""
    if not isinstance(path, str) or not path:
        raise BuildFileError(f"a file's path must be a non-empty string, not {path!r:.60}")
    return inside_root_path(path)


def _re_search(pattern: str, text: str) -> list[str | None] | None:
    if not isinstance(pattern, str) or not isinstance(text, str):
        raise BuildFileError("re_search(pattern, text) takes two strings")
    if len(pattern) > _MAX_PATTERN:
        raise BuildFileError(f"re_search(): a pattern of more than {_MAX_PATTERN} characters")
    try:
        match = re.search(pattern, text)
    except re.error as e:
        raise BuildFileError(f"re_search(): {pattern!r} is not a regular expression: {e}") from None
    if match is None:
        return None
    return [match.group(0), *match.groups()]
