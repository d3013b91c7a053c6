"""Pants macros: the prelude files of `[GLOBAL] build_file_prelude_globs`.

Pants executes every prelude file (Python, sorted by path) into one namespace and offers each
name in it to every BUILD file, `_`-prefixed ones too (they are only left out of
`pants help`): src/python/pants/engine/internals/build_files.py, `evaluate_preludes`. Here the
files are evaluated once per process, as Python-dialect Starlark (`python_compat`), into one
module; a BUILD file loads the names it mentions on its first line, as it does graphpub's own
builtins. Starlark binds the names a function uses when it is defined, not when it runs as
Python does: a file is evaluated after the files whose names it uses (files that use each
other's names are an error), and a name that nothing defines, used in a function, is an error
only when the function runs (Pants' NameError), so a macro no BUILD file calls may name a
rule graphpub does not know.

Prelude files cannot `load()` (Pants runs them as Python, where there is no load) nor import
modules; builtins that act on a BUILD file (`build_file_dir()`, `env()`, rules, ...) work
inside the functions BUILD files call, not at a prelude file's top level (as in Pants).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from graphpub.buildgraph.files import FileTree, GlobPatternError
from graphpub.buildgraph.python_compat import indent_with_spaces
from graphpub.errors import BuildFileError, SourceLocation

MACROS_LABEL = "@graphpub//:pants_macros.bzl"
# Starlark loads no name starting with `_`: the module offers `_x` as this prefix + `_x`.
PRIVATE_PREFIX = "pants_private__"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Evaluates a file's text into a module: (path, text, module).
Run = Callable[[str, str, Any], None]


class PantsMacros:
    """The prelude files of one build root, and the module of their names."""

    def __init__(self, globs: Sequence[str], tree: FileTree, read: Callable[[str], str]) -> None:
        self._globs = tuple(globs)
        self._tree = tree
        self._read = read
        self._files: dict[str, tuple[str, frozenset[str]]] | None = None  # text, names
        self._names: frozenset[str] = frozenset()
        self._module: Any = None

    def files(self) -> dict[str, tuple[str, frozenset[str]]]:
        """Each prelude file's text and top-level names, sorted by path (read once)."""
        if self._files is None:
            self._files = {}
            for path in self._paths():
                text = self._read(path)
                self._files[path] = (text, _defined_names(path, text))
            self._names = frozenset().union(*(names for _, names in self._files.values()))
        return self._files

    def names(self) -> frozenset[str]:
        """Every name the prelude files define at their top level."""
        self.files()
        return self._names

    def is_prelude_file(self, path: str) -> bool:
        """Whether `path` is evaluated into the prelude module (a prelude file, or the
        aliases of their `_` names), which loads none of its own names."""
        return path == MACROS_LABEL or path in self.files()

    def load_statement(self, words: Iterable[str]) -> str:
        """The `load()` of the prelude names among `words`, or ''."""
        used = sorted(self.names().intersection(words))
        if not used:
            return ""
        symbols = ", ".join(
            f"{name} = {PRIVATE_PREFIX + name!r}" if name.startswith("_") else repr(name)
            for name in used
        )
        return f"load({MACROS_LABEL!r}, {symbols})"

    def module(self, run: Run, new_module: Callable[[], Any]) -> Any:
        """The frozen module of every prelude file's names, evaluated on first use."""
        if self._module is None:
            files = self.files()
            module = new_module()
            for path in _evaluation_order(files):
                _run_binding_late(run, path, files[path][0], module)
            private = sorted(n for n in self._names if n.startswith("_"))
            if private:
                aliases = "".join(f"{PRIVATE_PREFIX}{name} = {name}\n" for name in private)
                run(MACROS_LABEL, aliases, module)
            self._module = module.freeze()
        return self._module

    def _paths(self) -> list[str]:
        if not self._globs:
            return []
        try:
            return self._tree.glob("", list(self._globs), [], cross_packages=True)
        except GlobPatternError as e:
            raise BuildFileError(
                f"[GLOBAL] build_file_prelude_globs: {e}",
                location=SourceLocation("pants.toml"),
                hint="globs of prelude files relative to the build root, such as "
                '"pants-plugins/macros.py"',
            ) from None


_UNDEFINED = re.compile(r"name '(?P<name>[A-Za-z_][A-Za-z0-9_]*)' is not defined")
# Names left undefined in one prelude file's functions, past which it is hopeless.
MAX_UNDEFINED = 1000


def _run_binding_late(run: Run, path: str, text: str, module: Any) -> None:
    """Evaluate a prelude file; a name nothing defines, used inside a function, becomes a
    function failing as Python would when it runs. (Starlark reports undefined names before
    running anything: evaluating again after binding one has no other effect.)"""
    for _ in range(MAX_UNDEFINED):
        try:
            run(path, text, module)
            return
        except BuildFileError as error:
            match = _UNDEFINED.fullmatch(error.message)
            location = error.location
            if not (match and location and location.path == path):
                raise
            if not _inside_function(text, location.line):
                raise
            name = match.group("name")
            run(
                MACROS_LABEL,
                f"def {name}(*args, **kwargs):\n    fail(\"name '{name}' is not defined\")\n",
                module,
            )
    run(path, text, module)


def _inside_function(text: str, line: int) -> bool:
    """Whether `line` is in the body of a function (its defaults run when it is defined)."""
    try:
        tree = ast.parse(indent_with_spaces(text))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            first = node.body[0].lineno
        elif isinstance(node, ast.Lambda):
            first = node.body.lineno
        else:
            continue
        if first <= line <= (node.end_lineno or first):
            return True
    return False


def _defined_names(path: str, text: str) -> frozenset[str]:
    """The names a prelude file binds at its top level (also inside top-level blocks); a
    `load()` is an error. A file that is not Python defines none: evaluating it says why."""
    try:
        tree = ast.parse(indent_with_spaces(text))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    names: set[str] = set()
    for statement in _top_level(tree.body):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, ast.Expr) and _is_load(statement.value):
            raise BuildFileError(
                "prelude files cannot load(): Pants runs them as Python, where load() is not "
                "defined",
                location=SourceLocation(path, statement.lineno, statement.col_offset + 1),
                hint="define what you need in a prelude file: every prelude file sees the names "
                "of the others",
            )
        for target in _targets(statement):
            names.update(
                n.id
                for n in ast.walk(target)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            )
    return frozenset(names)


def _top_level(statements: list[ast.stmt]) -> Iterable[ast.stmt]:
    """Statements run at a file's top level: those of top-level blocks too, not of
    functions."""
    for statement in statements:
        yield statement
        if isinstance(statement, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
            for block in ("body", "orelse", "finalbody"):
                yield from _top_level(getattr(statement, block, []))


def _targets(statement: ast.stmt) -> list[ast.expr]:
    """What a statement assigns to."""
    if isinstance(statement, ast.Assign):
        return list(statement.targets)
    if isinstance(statement, (ast.AugAssign, ast.For)):
        return [statement.target]
    if isinstance(statement, ast.AnnAssign) and statement.value is not None:
        return [statement.target]
    return []


def _is_load(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "load"


def _evaluation_order(files: dict[str, tuple[str, frozenset[str]]]) -> list[str]:
    """The prelude files, each after those whose names it uses, else in path order (Pants')."""
    uses = {
        path: {
            other
            for other, (_, names) in files.items()
            if other != path and (names - own).intersection(_IDENTIFIER.findall(text))
        }
        for path, (text, own) in files.items()
    }
    order: list[str] = []
    while len(order) < len(files):
        ready = next((p for p in files if p not in order and uses[p] <= set(order)), None)
        if ready is None:
            cycle = sorted(p for p in files if p not in order)
            raise BuildFileError(
                f"prelude files use each other's names: {', '.join(cycle)}",
                location=SourceLocation(cycle[0]),
                hint="graphpub evaluates prelude files one after the other: move the functions "
                "that call each other into one file",
            )
        order.append(ready)
    return order
