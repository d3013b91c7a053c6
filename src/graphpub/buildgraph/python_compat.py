"""Python that Pants BUILD files and macros use, lowered into Starlark without moving lines.

Pants executes BUILD files and prelude files as Python; graphpub evaluates them as Starlark,
hermetically. The Python-only forms real repositories use are rewritten in place (`lower`),
from the positions `ast` gives; nothing is executed. No rewrite adds or removes a line, so
call stacks keep their lines, and `edits.ColumnMap` takes an error's column back to the
user's text. What has no Starlark meaning (`import os`, classes, `try`, sets) is a
`PythonFormError` at the construct, with a hint.

Lowered forms:

- `f(**a, k=1, **b)` (a keyword after `**`, several `**`) -> `f(**python_kwargs__(a, dict(k=1), b))`
- `[x, *xs]`, `(x, *xs)` -> `([x] + list(xs))`, `tuple([x] + list(xs))`
- `f(x for x in xs)` -> `f([x for x in xs])`
- `f"{a.b(c)!r}"` (fields Starlark's f-strings cannot hold) -> `("" + repr(a.b(c)))`
- `"a" "b"` -> `("a"+ "b")`
- `assert c, m` -> `if not (c): fail("AssertionError:", m)`
- `raise E("m")` -> `fail( "E:", "m")`
- `x is None`, `x is not None` -> `x == None`, `x != None`; `a < b < c` -> `(a < b and b < c)`
- annotations (`def m(x: str = "") -> None:`, `x: int = 1`) -> blanks
- `from typing import ...`, `from __future__ import ...` -> `pass`
- sets as dicts of their items, in insertion order (`in`, iteration, `len`, `|`, sorted() as
  Python's): `{a, b}` -> `{a: True, b: True}`, `{f(x) for x in y}` -> `{f(x): True for x in y}`,
  `set(xs)` -> `python_set__(xs)`, `s.add(x)` -> `python_add__(s, x)`
- `for c in s` -> `for c in python_iter__(s)` (a string's characters, as Python iterates it)
- `open(p)` -> `python_open__(p)`: a text file below the build root, read-only (Pants runs
  BUILD files with the root as working directory); `with E as x:` -> `for x in [E]:`, which
  runs its block once with the value bound
- a PurePath's attributes (`p.name`, `p.parent`, ...) and `/` -> `python_path__(p, "name")`,
  `python_div__(p, "x")` (`build_file_dir()` is a string; prelude/python_compat.bzl)
- tabs in indentation -> spaces
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from graphpub.buildgraph.edits import Edit, Edited, apply, closing, opening
from graphpub.buildgraph.string_literals import Field, Literal, literals

# PurePath attributes that Starlark strings lack: `x.name` is `python_path__(x, "name")`.
PATH_ATTRIBUTES = frozenset(
    {
        *("anchor", "as_posix", "is_absolute", "is_relative_to", "joinpath", "name"),
        *("parent", "parents", "parts", "relative_to", "stem", "suffix", "suffixes"),
        *("with_name", "with_stem", "with_suffix"),
    }
)
# Builtins whose results are lists: `for x in range(3)` needs no python_iter__().
_LIST_FUNCTIONS = frozenset({"range", "sorted", "enumerate", "zip", "reversed", "list"})
# Methods of Python's sets that dicts lack: `s.add(x)` is `python_add__(s, x)`.
SET_METHODS = frozenset({"add", "discard"})
# Text that parses as Starlark but means something else there: a path's attribute (Starlark
# strings have none), `build_file_dir()`, whose value Python code divides (`/`), and open() and
# __import__(), which are worth their own errors.
_NEEDS_LOWERING = re.compile(
    r"build_file_dir|\bfor\b|\b(?:open|__import__|set)\s*\(|\.(?:"
    + "|".join(sorted(SET_METHODS))
    + r")\s*\(|\.(?:"
    + "|".join(sorted(PATH_ATTRIBUTES))
    + r")\b",
)
# Text every match of _NEEDS_LOWERING holds: `in` rules out the file that has none (nearly
# every BUILD file) several times faster than the regex.
_NEEDS_LOWERING_HINTS = (
    "build_file_dir",
    "open",
    "__import__",
    "set",
    "for",
    *(f".{m}" for m in SET_METHODS),
    *(f".{a}" for a in PATH_ATTRIBUTES),
)
# Modules whose imports only serve annotations, which lowering removes: Pants' prelude
# namespace holds their names already.
IGNORED_IMPORTS = frozenset({"typing", "typing_extensions", "__future__"})
_SINGLETONS = (None, True, False)
_IMPORT_HINT = (
    "Pants forbids imports in BUILD files and macros too; only `from typing import ...` and "
    "`from __future__ import ...` are accepted (and ignored)"
)


class PythonFormError(Exception):
    """A Python construct with no Starlark equivalent; line and column are 1-based."""

    def __init__(self, message: str, line: int, column: int, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint


# (One search for any of them: a Python loop over them took longer, for every BUILD file.)
_ANY_HINT = re.compile("|".join(re.escape(hint) for hint in _NEEDS_LOWERING_HINTS))


def needs_lowering(source: str) -> bool:
    """Whether Python `source`, even if Starlark parses it, means something else there."""
    return _ANY_HINT.search(source) is not None and _NEEDS_LOWERING.search(source) is not None


def lower(source: str) -> Edited | None:
    """`source` as Starlark, or None when it is not Python either (starlark's own error is
    then the one to report). Raises `PythonFormError` for Python graphpub does not lower."""
    text = indent_with_spaces(source)
    try:
        tree = ast.parse(text)
        edits = _Lowering(text, _Positions(text)).edits(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # Not Python, too deep for Python's own parser, or (ValueError) text the edits do not
        # expect: starlark's error on the text as written says what is wrong.
        return None
    return apply(text, edits)


_LEADING_TABS = re.compile(r"^[ \t]*\t[ \t]*", re.MULTILINE)


def indent_with_spaces(source: str) -> str:
    """Tabs in indentation as one space each. Python accepts a file's indentation only if it
    means the same whatever a tab's width, 1 or 8 (else TabError): at width 1, the blocks are
    Python's, and every column stays where it was. (Tabs within a line are left alone.)"""
    if "\t" not in source:
        return source
    return _LEADING_TABS.sub(lambda m: m.group().replace("\t", " "), source)


class _Positions:
    """Offsets in the text of `ast` positions (1-based lines, columns in UTF-8 bytes) of a
    source that starts at `base` in the text."""

    def __init__(self, source: str, base: int = 0) -> None:
        self._lines = source.split("\n")  # as ast counts lines (not str.splitlines)
        self._starts = [0]
        for line in self._lines:
            self._starts.append(self._starts[-1] + len(line) + 1)
        self._base = base

    def offset(self, line: int, column: int) -> int:
        text = self._lines[line - 1] if line <= len(self._lines) else ""
        if not text.isascii():
            column = len(text.encode("utf-8")[:column].decode("utf-8", "replace"))
        return self._base + self._starts[line - 1] + column

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]


class _Lowering(ast.NodeVisitor):
    """The edits that make one parsed Python source Starlark."""

    def __init__(self, text: str, positions: _Positions) -> None:
        self.text = text
        self.at = positions
        self.found: list[Edit] = []
        self.parents: dict[int, ast.AST] = {}

    def edits(self, tree: ast.AST) -> list[Edit]:
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[id(child)] = parent
        self.visit(tree)
        return self.found

    # ------------------------------------------------------------ helpers

    def refuse(self, node: ast.AST, message: str, hint: str) -> PythonFormError:
        offset = self.at.start(node)
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return PythonFormError(message, line, column, hint)

    def replace(self, start: int, end: int, replacement: str) -> None:
        self.found.append(Edit(start, end, replacement))

    def wrap(self, start: int, end: int, before: str, after: str) -> None:
        """Text around the construct at `[start, end)`."""
        self.found.append(opening(start, before, end))
        self.found.append(closing(end, after, start))

    def blank(self, start: int, end: int, keep: str = "") -> None:
        """`[start, end)` as blanks starting with `keep`; its line breaks stay, continued
        with a backslash (an annotation may span lines outside brackets)."""
        blanks = re.sub(r"[^\n]", " ", self.text[start:end])
        blanks = keep + blanks[len(keep) :]
        self.replace(start, end, re.sub(r" \n", "\\\n", blanks))

    def token(self, start: int, end: int, token: str) -> int:
        """Where `token` is between two nodes (only brackets, blanks, comments and line
        continuations can be there besides it)."""
        position = start
        while position < end:
            if self.text.startswith(token, position):
                return position
            if self.text[position] == "#":
                position = self.text.index("\n", position)
            position += 1
        raise ValueError(f"no {token!r} between {start} and {end}")  # not the Python we parsed

    def keyword_span(self, node: ast.AST, keyword: str) -> tuple[int, int]:
        start = self.at.start(node)
        if not self.text.startswith(keyword, start):
            raise ValueError(f"no {keyword!r} at {start}")
        return start, start + len(keyword)

    # ------------------------------------------------------------ refused

    def visit(self, node: ast.AST) -> None:
        refused = _REFUSED.get(type(node).__name__)
        if refused is not None:
            what, hint = refused
            raise self.refuse(node, f"{what} is Python that graphpub does not evaluate", hint)
        super().visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        names = ", ".join(a.name for a in node.names)
        message = f"`import {names}`: BUILD files and macros cannot import modules"
        raise self.refuse(node, message, _IMPORT_HINT)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or node.module not in IGNORED_IMPORTS:
            module = "." * node.level + (node.module or "")
            raise self.refuse(
                node,
                f"`from {module} import ...`: BUILD files and macros cannot import modules",
                _IMPORT_HINT,
            )
        self.blank(self.at.start(node), self.at.end(node), keep="pass")

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in ("open", "set") and isinstance(node.ctx, ast.Load):
            self.replace(self.at.start(node), self.at.end(node), f"python_{node.id}__")
        if node.id == "__import__" and isinstance(node.ctx, ast.Load):
            message = "__import__() imports modules, which BUILD files and macros cannot"
            hint = "graphpub evaluates them without Python's modules: read the value with env()"
            raise self.refuse(node, message, hint)

    # ------------------------------------------------------------ calls

    def visit_Call(self, node: ast.Call) -> None:
        keywords = node.keywords
        first = next((i for i, k in enumerate(keywords) if k.arg is None), None)
        if first is not None and (
            first < len(keywords) - 1 or sum(k.arg is None for k in keywords) > 1
        ):
            self._merge_keywords(keywords[first:])
        function = node.func
        if (
            isinstance(function, ast.Attribute)
            and function.attr in SET_METHODS
            and len(node.args) == 1
            and not node.keywords
        ):
            # `s.add(x)` as `python_add__(s, x)`: a set is a dict (below), which has no add().
            self.found.append(
                opening(
                    self.at.start(function.value), f"python_{function.attr}__(", self.at.end(node)
                )
            )
            self.replace(self.at.end(function.value), self.at.start(node.args[0]), ", ")
        self.generic_visit(node)

    def _merge_keywords(self, keywords: Sequence[ast.keyword]) -> None:
        """`**a, k=1, **b` as `**python_kwargs__(a, dict(k=1), b)`: Starlark takes one `**`,
        last."""
        head = keywords[0].value
        start = self.at.start(head)
        end = self.at.end(keywords[-1].value)
        self.wrap(start, end, "python_kwargs__(", ")")
        for keyword in keywords[1:]:
            if keyword.arg is None:
                stars = self.at.start(keyword)
                self.replace(stars, stars + 2, "")
            else:
                self.wrap(self.at.start(keyword), self.at.end(keyword.value), "dict(", ")")

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        """`f(x for x in y)` as `f([x for x in y])`: Starlark has list comprehensions only."""
        start, end = self.at.start(node), self.at.end(node)
        call = self.parents.get(id(node))
        if self.text[start] == "(" and self.text[end - 1] == ")":
            owns_call_parens = (
                isinstance(call, ast.Call)
                and call.args == [node]
                and not call.keywords
                and self.at.end(call) == end
            )
            if owns_call_parens:
                self.wrap(start + 1, end - 1, "[", "]")
            else:
                self.replace(start, start + 1, "[")
                self.replace(end - 1, end, "]")
        else:
            self.wrap(start, end, "[", "]")
        self.generic_visit(node)

    # ------------------------------------------------------------ displays

    def visit_List(self, node: ast.List) -> None:
        self._unpacked(node, "list")
        self.generic_visit(node)

    def visit_Tuple(self, node: ast.Tuple) -> None:
        self._unpacked(node, "tuple")
        self.generic_visit(node)

    def _unpacked(self, node: ast.List | ast.Tuple, kind: str) -> None:
        """`[a, *b, c]` as `([a] + list(b) + [c])`; a tuple as `tuple([a] + list(b) + [c])`."""
        elements = node.elts
        if not any(isinstance(e, ast.Starred) for e in elements):
            return
        if not isinstance(node.ctx, ast.Load):
            raise self.refuse(
                node,
                "unpacking with `*` into names is Python that graphpub does not evaluate",
                "assign the items one by one: a, b = x[0], x[1:]",
            )
        start, end = self.at.start(node), self.at.end(node)
        head = "tuple(" if kind == "tuple" else "("
        starred = [isinstance(e, ast.Starred) for e in elements]
        first = head + ("" if starred[0] else "[")
        last = ")" if starred[-1] else "])"
        bracketed = self.text[start] in "([" and self.text[end - 1] in ")]"
        if bracketed:
            self.replace(start, start + 1, first)
            self.replace(end - 1, end, last)
        else:
            self.wrap(start, end, first, last)
        for index, element in enumerate(elements):
            element_end = self.at.end(element)
            if starred[index]:
                star = self.at.start(element)
                self.replace(star, star + 1, "list(")
                self.found.append(closing(element_end, ")", star))
            following = self.at.start(elements[index + 1]) if index + 1 < len(elements) else None
            limit = following if following is not None else end - (1 if bracketed else 0)
            comma = self._comma(element_end, limit)
            if comma is None:
                continue
            if following is None:  # a trailing comma
                if starred[index]:
                    self.replace(comma, comma + 1, "")
            elif starred[index] or starred[index + 1]:
                closes = "" if starred[index] else "]"
                opens = "" if starred[index + 1] else " ["
                self.replace(comma, comma + 1, f"{closes} +{opens}")

    def _comma(self, start: int, end: int) -> int | None:
        try:
            return self.token(start, end, ",")
        except ValueError:
            return None

    def visit_Dict(self, node: ast.Dict) -> None:
        if any(key is None for key in node.keys):
            raise self.refuse(
                node,
                "`**` in a dict is Python that graphpub does not evaluate",
                'merge dicts with |: a | {"key": value}',
            )
        self.generic_visit(node)

    # ------------------------------------------------------------ strings

    # ------------------------------------------------------------ loops

    def visit_For(self, node: ast.For) -> None:
        """`for c in s:` as `for c in python_iter__(s):`: a string's characters, as Python
        iterates it (Starlark strings are not iterable)."""
        self._iterated(node.iter)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._iterated(node.iter)
        self.generic_visit(node)

    def _iterated(self, iterable: ast.expr) -> None:
        if isinstance(iterable, (ast.List, ast.Tuple, ast.ListComp, ast.Dict, ast.DictComp)):
            return  # a literal is no string
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id in _LIST_FUNCTIONS
        ):
            return  # a list, whatever it is given
        start, end = self._with_parentheses(iterable)
        self.wrap(start, end, "python_iter__(", ")")

    # ------------------------------------------------------------ sets

    def visit_Set(self, node: ast.Set) -> None:
        """`{a, b}` as `{a: True, b: True}`: a set is a dict of its items (insertion order)."""
        for element in node.elts:
            if isinstance(element, ast.Starred):
                raise self.refuse(
                    element,
                    "`*` in a set is Python that graphpub does not evaluate",
                    "build the set with set(a + b)",
                )
            self.found.append(closing(self.at.end(element), ": True", self.at.start(element)))
        self.generic_visit(node)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        """`{f(x) for x in y}` as `{f(x): True for x in y}`."""
        self.found.append(closing(self.at.end(node.elt), ": True", self.at.start(node.elt)))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bytes):
            raise self.refuse(
                node,
                "bytes literals are Python that graphpub does not evaluate",
                "Starlark strings are text: drop the b prefix",
            )
        if isinstance(node.value, str):
            self._string(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        # Not into its values: before Python 3.12 their positions are not the text's.
        self._string(node)

    def _string(self, node: ast.AST) -> None:
        start, end = self.at.start(node), self.at.end(node)
        parts = literals(self.text, start, end)
        for literal in parts:
            if literal.is_f_string:
                self._f_string(node, literal)
        if len(parts) > 1:  # adjacent literals: one string, also for `.format()` or `%`
            self.wrap(start, end, "(", ")")
            for literal in parts[:-1]:
                self.found.append(closing(literal.end, "+", start))

    def _f_string(self, node: ast.AST, literal: Literal) -> None:
        """`f"a{x.y}b"` as `("a" + str(x.y) + "b")`, the expressions where they were and
        lowered themselves. Fields that are plain names are Starlark already."""
        fields = literal.fields
        if all(_is_plain(self.text, f) for f in fields):
            return
        for field in fields:
            if field.self_documenting or field.has_spec:
                raise self.refuse(
                    node,
                    "f-string fields with `=` or a format spec are Python that graphpub does "
                    "not evaluate",
                    "Starlark has no format specs: format the value yourself, e.g. "
                    'f"{str(n).rjust(4)}"',
                )
        pieces: list[tuple[int, int, str]] = []  # text between expressions, and what replaces it
        previous_end = literal.start
        chunk_start = literal.body_start
        for field in fields:
            chunk = self._chunk(literal, chunk_start, field.start)
            function = "repr" if field.conversion in ("r", "a") else "str"
            joiner = f"{chunk} + " if chunk else ""
            opener = "(" if previous_end == literal.start else ") + "
            pieces.append((previous_end, field.expression_start, f"{opener}{joiner}{function}("))
            self._lower_expression(field)
            previous_end = field.expression_end
            chunk_start = field.end
        tail = self._chunk(literal, chunk_start, literal.body_end)
        pieces.append((previous_end, literal.end, ") + " + tail + ")" if tail else "))"))
        for piece_start, piece_end, replacement in pieces:
            lines = self.text.count("\n", piece_start, piece_end) - replacement.count("\n")
            self.replace(piece_start, piece_end, replacement + "\n" * lines)

    def _chunk(self, literal: Literal, start: int, end: int) -> str:
        """The literal text between two fields, as a string literal of its own ('' if none)."""
        body = self.text[start:end]
        if not body:
            return ""
        body = body.replace("{{", "{").replace("}}", "}")
        return f"{literal.plain_prefix}{literal.quote}{body}{literal.quote}"

    def _lower_expression(self, field: Field) -> None:
        source = "(" + self.text[field.expression_start : field.expression_end] + ")"
        tree = ast.parse(source, mode="eval")
        inner = _Lowering(self.text, _Positions(source, field.expression_start - 1))
        self.found.extend(inner.edits(tree))

    # ------------------------------------------------------------ statements

    def visit_With(self, node: ast.With) -> None:
        """`with A as x, B:` as `for x, _ in [(A, B)]:`: the block runs once with the names
        bound to the values (Starlark has no context managers; a file object needs none)."""
        for item in node.items:
            if item.optional_vars is not None and not isinstance(item.optional_vars, ast.Name):
                raise self.refuse(
                    item.optional_vars,
                    "`with ... as` a tuple is Python that graphpub does not evaluate",
                    "bind one name: with open(path) as f:",
                )
        names = [
            i.optional_vars.id if isinstance(i.optional_vars, ast.Name) else "_" for i in node.items
        ]
        single = len(node.items) == 1
        first, last = node.items[0], node.items[-1]
        start, _ = self.keyword_span(node, "with")
        header = f"for {', '.join(names)} in [" + ("" if single else "(")
        self._keeping_lines(start, self.at.start(first.context_expr), header, after=True)
        for previous, following in zip(node.items, node.items[1:], strict=False):
            # ` as x, ` (a line break too) between two values
            self._keeping_lines(
                self.at.end(previous.context_expr), self.at.start(following.context_expr), ", "
            )
        header_end = self.at.end(last.optional_vars or last.context_expr)
        colon = self.token(header_end, self.at.start(node.body[0]), ":")
        self._keeping_lines(self.at.end(last.context_expr), colon, "]" if single else ")]")
        for item in node.items:
            self.visit(item.context_expr)
        for statement in node.body:
            self.visit(statement)

    def _keeping_lines(self, start: int, end: int, replacement: str, after: bool = False) -> None:
        """`[start, end)` replaced, its line breaks kept (inside the brackets the replacement
        opens or closes): after the replacement if `after`, else before."""
        breaks = "\n" * self.text.count("\n", start, end)
        self.replace(start, end, replacement + breaks if after else breaks + replacement)

    def visit_Assert(self, node: ast.Assert) -> None:
        """`assert c, m` as `if not (c): fail("AssertionError:", m)`: `m` only if `c` fails."""
        keyword_start, keyword_end = self.keyword_span(node, "assert")
        self.replace(keyword_start, keyword_end, "if not (")
        end = self.at.end(node)
        if node.msg is None:
            failing = '): fail("AssertionError")'
            self.found.append(Edit(end, end, failing, (0, -keyword_start), origin=keyword_start))
        else:
            comma = self.token(self.at.end(node.test), self.at.start(node.msg), ",")
            failing = '): fail("AssertionError:",'
            self.found.append(Edit(comma, comma + 1, failing, origin=keyword_start))
            self.found.append(closing(end, ")", keyword_start))
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        """`raise E("m")` as `fail( "E:", "m")`: the exception's message stops evaluation."""
        exception = node.exc
        function = exception.func if isinstance(exception, ast.Call) else exception
        if node.cause is not None or not isinstance(function, (ast.Name, ast.Attribute)):
            raise self.refuse(
                node,
                "this `raise` is Python that graphpub does not evaluate",
                'raise an exception by its name, raise ValueError("..."), or call fail("...")',
            )
        keyword_start, keyword_end = self.keyword_span(node, "raise")
        self.replace(keyword_start, keyword_end, "fail(")
        name = self.text[self.at.start(function) : self.at.end(function)]
        if isinstance(exception, ast.Call):
            paren = self.token(self.at.end(function), self.at.end(exception), "(")
            has_arguments = bool(exception.args or exception.keywords)
            label = f'"{name}:",' if has_arguments else f'"{name}"'
            self.replace(self.at.start(function), paren + 1, label)
            for argument in (*exception.args, *exception.keywords):
                self.visit(argument)
        else:
            self.replace(self.at.start(function), self.at.end(function), f'"{name}")')

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for index, operator in enumerate(node.ops):
            if isinstance(operator, (ast.Is, ast.IsNot)):
                self._identity(node, operator, operands[index], operands[index + 1])
        if len(node.ops) > 1:
            self._chained(node, operands)
        self.generic_visit(node)

    def _identity(
        self, node: ast.Compare, operator: ast.cmpop, left: ast.expr, right: ast.expr
    ) -> None:
        """`x is None` as `x == None`: the same for None, True and False, which are all that
        BUILD files compare by identity."""
        if not any(
            isinstance(side, ast.Constant) and any(side.value is s for s in _SINGLETONS)
            for side in (left, right)
        ):
            raise self.refuse(
                node,
                "`is` between values other than None, True and False is Python that graphpub "
                "does not evaluate",
                "compare with == instead",
            )
        start = self.token(self.at.end(left), self.at.start(right), "is")
        end = start + 2
        replacement = "=="
        if isinstance(operator, ast.IsNot):
            end = self.token(end, self.at.start(right), "not") + 3
            replacement = "!="
        self.replace(start, end, replacement)

    def _chained(self, node: ast.Compare, operands: Sequence[ast.expr]) -> None:
        """`a < b < c` as `(a < b and b < c)` (Starlark's comparisons do not chain)."""
        self.wrap(self.at.start(node), self.at.end(node), "(", ")")
        for middle in operands[1:-1]:
            start, end = self._with_parentheses(middle)
            source = self.text[start:end]
            if "\n" in source:
                raise self.refuse(
                    node,
                    "a chained comparison over several lines is Python that graphpub does not "
                    "evaluate",
                    "write it as two comparisons joined with `and`",
                )
            self.found.append(closing(end, f" and {source}", start))

    def _with_parentheses(self, node: ast.expr) -> tuple[int, int]:
        """The span of `node` with the parentheses written around it."""
        start, end = self.at.start(node), self.at.end(node)
        while True:
            before = self.text[:start].rstrip()
            after = self.text[end:]
            stripped = after.lstrip()
            if not (before.endswith("(") and stripped.startswith(")")):
                return start, end
            start = len(before) - 1
            end += len(after) - len(stripped) + 1

    # ------------------------------------------------------------ annotations

    def visit_arg(self, node: ast.arg) -> None:
        if node.annotation is not None:
            name_end = self.at.start(node) + len(node.arg)
            self.blank(name_end, self.at.end(node.annotation))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.decorator_list:
            raise self.refuse(
                node.decorator_list[0],
                "decorators are Python that graphpub does not evaluate",
                "call the function that decorates instead",
            )
        if node.returns is not None:
            arrow = self.text.rindex("->", 0, self.at.start(node.returns))
            colon = self.token(self.at.end(node.returns), len(self.text), ":")
            self.blank(arrow, colon)
        self.visit(node.args)  # not the return annotation: blanked
        for statement in node.body:
            self.visit(statement)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        """`x: int = 1` as `x        = 1`; `x: int` alone declares nothing: `pass`."""
        if node.value is None:
            self.blank(self.at.start(node), self.at.end(node), keep="pass")
            return
        equals = self.token(self.at.end(node.annotation), self.at.start(node.value), "=")
        self.blank(self.at.end(node.target), equals)
        self.visit(node.target)
        self.visit(node.value)

    # ------------------------------------------------------------ paths

    def visit_Attribute(self, node: ast.Attribute) -> None:
        """`p.name` as `python_path__(p, "name")`: a PurePath's attribute if `p` is a string."""
        if node.attr in PATH_ATTRIBUTES and isinstance(node.ctx, ast.Load):
            start, end = self._with_parentheses(node.value)
            dot = self.token(end, self.at.end(node), ".")
            self.found.append(opening(start, "python_path__(", end))
            self.replace(dot, self.at.end(node), f', "{node.attr}")')
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Div):
            slash = self.token(self.at.end(node.left), self.at.start(node.right), "/")
            self.wrap(self.at.start(node), self.at.end(node), "python_div__(", ")")
            self.replace(slash, slash + 1, ",")
        self.generic_visit(node)


def _is_plain(text: str, field: Field) -> bool:
    """A field Starlark's own f-strings take: a name, no conversion or format spec."""
    expression = text[field.expression_start : field.expression_end].strip()
    return (
        expression.isidentifier()
        and not field.conversion
        and not field.has_spec
        and not field.self_documenting
    )


_NO_EXCEPTIONS = 'Starlark has no exceptions: test with `if`, and stop with fail("...")'
_PLAIN_FUNCTIONS = "macros are plain functions"
# Constructs Starlark has no equivalent for, by ast class name: what they are, and a hint.
_REFUSED = {
    "AsyncWith": ("`async with`", _PLAIN_FUNCTIONS),
    "ClassDef": ("`class`", "macros are functions: define them with def, and pass data as dicts"),
    "Try": ("`try`", _NO_EXCEPTIONS),
    "TryStar": ("`try`", _NO_EXCEPTIONS),
    "While": ("`while`", "loop over a list or range() with `for`"),
    "Global": ("`global`", "return the value from the function instead"),
    "Nonlocal": ("`nonlocal`", "return the value from the function instead"),
    "Delete": ("`del`", "build a new list or dict without the item, or use .pop()"),
    "Yield": ("`yield`", "return a list instead"),
    "YieldFrom": ("`yield`", "return a list instead"),
    "Await": ("`await`", _PLAIN_FUNCTIONS),
    "AsyncFunctionDef": ("`async def`", _PLAIN_FUNCTIONS),
    "AsyncFor": ("`async for`", _PLAIN_FUNCTIONS),
    "NamedExpr": ("`:=`", "assign the value on a line of its own"),
    "Match": ("`match`", "use if / elif"),
}
