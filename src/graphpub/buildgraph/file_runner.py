"""Evaluating one file's Starlark: within its time and memory budget (`budget`), with
stand-ins for the names it uses that nothing defines (`standins`), its errors as graphpub's.

A callback's error kept aside (`callback_guard`) is re-raised at the location starlark
reports; starlark's own errors are translated (`starlark_errors`), at the user's column in a
lowered Python file (`FileParser.relocated`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import starlark as sl

from graphpub.buildgraph import starlark_errors
from graphpub.buildgraph.budget import Budget, Limits
from graphpub.buildgraph.callback_guard import CallbackGuard
from graphpub.buildgraph.config import Config
from graphpub.buildgraph.file_parser import FileParser
from graphpub.buildgraph.prelude import known_globals
from graphpub.buildgraph.standins import Use, uses
from graphpub.buildgraph.starlark_environment import StarlarkEnvironment
from graphpub.buildgraph.starlark_errors import is_user_file, shortened
from graphpub.errors import BuildFileError, GraphpubError

MAX_CALL_STACK = 200
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

Load = Callable[[str, str, Mapping[str, Mapping[str, str]], str], Any]
"""The module a `load()` gets: (loading file's path, its text as parsed, the symbols it asks
of each label, the label)."""


class FileRunner:
    """Evaluates files into modules, each load() resolved by `load`."""

    def __init__(
        self,
        environment: StarlarkEnvironment,
        config: Config,
        limits: Limits,
        guard: CallbackGuard,
        parser: FileParser,
        prelude_names: frozenset[str],
        warn: Callable[[str, str], None],
        load: Load,
    ) -> None:
        """`warn(message, key)` says once per key that a name stands in."""
        self._globals = environment.globals
        self._config = config
        self._limits = limits
        self._guard = guard
        self._parser = parser
        self._prelude_names = prelude_names
        self._warn = warn
        self._load = load
        self._options = sl.EvalOptions(
            max_callstack_size=MAX_CALL_STACK, check_cancelled=limits.check_cancelled
        )

    def run(
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
        parser = self._parser
        text = parser.rewritten(text, python=python)
        budget = self._limits.start(path)
        try:
            standins = parser.known_standins(text) if bzl else {}
            while True:
                parsed, ast = parser.parse(path, text, python, standins)
                requested: dict[str, dict[str, str]] = {}
                if "load" in text:  # the file's own load()s: which symbols each label offers
                    for load in ast.loads():
                        symbols = requested.setdefault(load.module_id, {})
                        symbols.update(
                            (exported, local) for local, exported in load.symbols.items()
                        )
                loader = sl.FileLoader(partial(self._load, path, parsed, requested))
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
            error = shortened(str(e))
            if budget.exceeded:
                self._guard.pending = None
                raise self._limits.exceeded_error(budget, error, is_user_file) from None
            raise parser.relocated(self._error_from(error)) from None
        except BaseException as e:
            if type(e).__name__ != "PanicException":  # pyo3's, for a panic in starlark-rust
                raise
            self._guard.pending = None
            raise self._limits.panic_error(path, e) from None
        finally:
            self._limits.end(budget)

    def _free_name(self, error: str, path: str, budget: Budget) -> str | None:
        """The name starlark found defined nowhere, if that is why this file could not be
        compiled (nothing of it ran then), and stand-ins may take its place."""
        if budget.exceeded or self._guard.pending is not None:
            return None
        found = starlark_errors.undefined_name(error)
        if found is None:
            return None
        name, location = found
        if location is None or location.path != path or name in NEVER_STAND_IN:
            return None
        if self._config.strict_rules and name not in known_globals():
            return None  # then it is an error, with a did-you-mean of real names
        return name

    def _warn_unknown(self, name: str, use: Use, error: str) -> None:
        """Once per name: a name no catalog knows stands in (a known .bzl global silently)."""
        if name in known_globals():
            return
        location = starlark_errors.error_location(error, is_user_file)
        what = (
            "a module of stand-ins"
            if use.attributes
            else "an opaque rule: a call with a name makes an opaque target"
            if use.called
            else "a type"
        )
        close = difflib.get_close_matches(name, self._real_names(), n=1, cutoff=0.75)
        meant = f"did you mean '{close[0]}'? " if close else ""
        self._warn(
            f"{location}: '{name}' is defined nowhere graphpub can see (no rule, builtin or "
            f"load() of it): it stands in as {what} ({meant}strict_rules = true makes this an "
            "error)",
            f"unknown-name:{name}",
        )

    def _real_names(self) -> list[str]:
        """What a name might have been meant to be: every rule and builtin graphpub knows."""
        return sorted(self._prelude_names | known_globals())

    def _error_from(self, error: str) -> GraphpubError:
        pending = self._guard.take()
        location = starlark_errors.error_location(error, is_user_file)
        if isinstance(pending, MemoryError) or (pending is None and "MemoryError" in error):
            # Python ran out of the capped address space, in a callback or converting a value.
            budget = self._limits.current
            pending = self._limits.memory_error(budget.path if budget else "", location)
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
            error, is_user_file=is_user_file, known_symbols=self._prelude_names
        )
        found = starlark_errors.undefined_name(error)
        if found is not None and found[0] in NEVER_STAND_IN:
            translated.hint = (
                "build files are evaluated hermetically: no files, processes, network or "
                'environment (but env("NAME") in Pants BUILD files)'
            )
        return translated
