"""One file's text as starlark parses it.

Every evaluated file gets one line prepended: `load()`s of the prelude names it uses (and of
the Pants prelude files' names, in a Pants BUILD file), then the definitions of the stand-ins
it needs (`standins`), so that every line of the user's stays one below where it was
(`starlark_errors.LINE_OFFSET`). Before that, Pants' dunder builtins are renamed to names
Starlark can load, Bazel's spellings Starlark lacks are rewritten (`bazel_compat`), and a
Python file (Pants) that Starlark cannot parse, or that means something else as Starlark, is
lowered (`python_compat`), its columns mapped back for errors. Each text is measured for
nesting first: starlark cannot survive too deep nesting to report it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import starlark as sl

from graphpub.buildgraph import bazel_compat, python_compat, starlark_errors
from graphpub.buildgraph.budget import raise_hint
from graphpub.buildgraph.config import Config, Dialect, file_dialect
from graphpub.buildgraph.edits import ColumnMap, Edited
from graphpub.buildgraph.pants_macros import PantsMacros
from graphpub.buildgraph.prelude import PRELUDE_LABEL, known_globals
from graphpub.buildgraph.standins import STANDIN_ALIAS, STANDIN_FUNCTION, Use, definitions, uses
from graphpub.buildgraph.starlark_environment import StarlarkEnvironment
from graphpub.errors import BuildFileError, GraphpubError, SourceLocation

# Files larger than this are never lowered from Python (python_compat parses them with ast).
MAX_REWRITTEN_BYTES = 1 << 20
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
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


class FileParser:
    """Parses the files of one build root, with the prelude's names on a first line."""

    def __init__(
        self,
        environment: StarlarkEnvironment,
        config: Config,
        prelude_names: frozenset[str],
        macros: PantsMacros,
        macros_module: Callable[[], object],
    ) -> None:
        """`macros_module` evaluates the Pants prelude files' module (once), which a Pants
        BUILD file loading any of their names needs."""
        self._environment = environment
        self._config = config
        self._prelude_names = prelude_names
        self._macros = macros
        self._macros_module = macros_module
        # How columns of lowered Python files map back to the user's (python_compat).
        self._columns: dict[str, ColumnMap] = {}

    def rewritten(self, text: str, *, python: bool) -> str:
        """The text with Pants' dunders as the prelude names them and, in a Starlark file,
        Bazel's spellings Starlark lacks rewritten: positions all kept."""
        if "__" in text:
            text = _DUNDER.sub(self._mangle_dunder, text)
        if not python:
            text = bazel_compat.rewrite(text)
        return text

    def known_standins(self, text: str) -> dict[str, Use]:
        """Stand-ins for the .bzl globals a file names that graphpub does not model."""
        known = (set(IDENTIFIER.findall(text)) & known_globals()) - self._prelude_names
        return uses(text, known) if known else {}

    def parse(
        self, path: str, text: str, python: bool, standins: Mapping[str, Use]
    ) -> tuple[str, Any]:
        """The text parsed and its AST: Starlark, with the prelude's names and the stand-ins
        loaded on a first line. A Python file (Pants) that Starlark cannot parse, or that
        means something else as Starlark, is parsed lowered (`python_compat`): every line
        where it was, its columns mapped back. Either is measured first: starlark cannot
        survive too deep nesting to report it."""
        self._check_nesting(path, text)
        environment = self._environment
        dialect = environment.python_dialect if python else environment.dialect
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
                    raise _syntax_error(text, error) from None
        self._check_nesting(path, lowered.text)
        self._columns[path] = lowered.columns
        try:
            prelude = self._with_prelude(lowered.text, path, python, standins)
            return lowered.text, sl.parse(path, prelude, dialect)
        except sl.StarlarkError as error:
            raise self.relocated(_syntax_error(lowered.text, error)) from None

    def relocated(self, error: GraphpubError) -> GraphpubError:
        """`error` at the user's column, if it is in a lowered Python file."""
        location = error.location
        columns = self._columns.get(location.path) if location else None
        if location is not None and columns is not None and location.column:
            error.location = SourceLocation(
                location.path, location.line, columns.original(location.line, location.column)
            )
        return error

    def _lowered(self, path: str, text: str) -> Edited | None:
        try:
            return python_compat.lower(text)
        except python_compat.PythonFormError as e:
            raise BuildFileError(
                e.message, location=SourceLocation(path, e.line, e.column), hint=e.hint
            ) from None

    def _check_nesting(self, path: str, text: str) -> None:
        limit = self._config.max_nesting_depth
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

    def _with_prelude(self, text: str, path: str, python: bool, standins: Mapping[str, Use]) -> str:
        """`text` after one line: `load()`s of the builtins it names and, in a Pants BUILD file,
        of the prelude files' names (which hide builtins of the same name, as in Pants), then
        the stand-ins' definitions (`;`-separated: every line of the text stays one below)."""
        words = set(IDENTIFIER.findall(text))
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
            if not python and file_dialect(path, self._config.dialect) is Dialect.BAZEL
            else {}
        )
        loads = [repr(n) for n in sorted(builtins.intersection(words)) if n not in forms]
        loads += [f"{name}={form!r}" for name, form in forms.items()]
        if standins:
            loads.append(f"{STANDIN_ALIAS} = {STANDIN_FUNCTION!r}")
        statements = [f"load({PRELUDE_LABEL!r}, {', '.join(loads)})"] if loads else []
        if macros:
            statements.append(macros)
        if standins:
            statements.append(definitions(standins, STANDIN_ALIAS, known_globals()))
        return "; ".join(statements) + "\n" + text

    def _mangle_dunder(self, match: re.Match[str]) -> str:
        """Pants' `__defaults__` as the prelude's `defaults____`: same length, so positions
        hold, and loadable (Starlark refuses to load names starting with `_`)."""
        mangled = f"{match.group(1)}____"
        return mangled if mangled in self._prelude_names else match.group(0)


def _syntax_error(text: str, error: sl.StarlarkError) -> GraphpubError:
    return starlark_errors.syntax_error(
        starlark_errors.shortened(str(error)), text, is_user_file=starlark_errors.is_user_file
    )
