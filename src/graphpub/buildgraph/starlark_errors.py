"""Turning starlark-pyo3's rendered error text back into a located, typed error.

starlark-pyo3 gives errors as text only: an optional traceback (`* path:LINE, in fn`), a line
`error: MESSAGE` and a span ` --> path:LINE:COL`. Every file graphpub evaluates has one line
prepended (the prelude `load()`), so user lines are the reported ones minus `LINE_OFFSET`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable

from graphpub.errors import BuildFileError, SourceLocation

LINE_OFFSET = 1
# Characters of one line of starlark's error text kept: `fail("x" * 100000000)` is one line.
MAX_ERROR_LINE = 2000

_SPAN = re.compile(r"^\s*--> (?P<path>.+):(?P<line>\d+):(?P<col>\d+)\s*$", re.MULTILINE)
_FRAME = re.compile(r"^\s*\* (?P<path>.+?):(?P<line>\d+), in (?P<fn>.+)$", re.MULTILINE)
_MESSAGE = re.compile(r"^error: (?P<message>.*?)(?=^\s*-->|\Z)", re.MULTILINE | re.DOTALL)
_NOT_FOUND = re.compile(
    r"Variable `(?P<name>[^`]+)` not found(?:, did you mean `(?P<hint>[^`]+)`\?)?"
)
_NOT_SERIALIZABLE = re.compile(r"`serde::serialize` not supported on type `(?P<type>[^`]+)`")
_PARSE_ERROR = re.compile(r"Parse error: (?P<what>.*?)(?:, expected one of .*)?$", re.DOTALL)


# How starlark writes a `call_stack()`: the outermost frame on the line after this one.
_STACK_HEAD = "Traceback (most recent call last):\n  * "


def first_frame(stack: str) -> tuple[str, int] | None:
    """The outermost frame of a `call_stack()` text: the statement in the file being evaluated."""
    if stack.startswith(_STACK_HEAD):
        # (Every rule call asks: read off the line starlark writes, as `_FRAME` would match
        # it, where it is plainly `PATH:LINE, in FUNCTION`.)
        start = len(_STACK_HEAD)
        end = stack.find("\n", start)
        frame = stack[start:end] if end >= 0 else stack[start:]
        in_at = frame.find(", in ")
        colon = frame.rfind(":", 0, in_at) if in_at > 0 else -1
        line = frame[colon + 1 : in_at]
        if colon > 0 and line.isdecimal() and line.isascii() and len(frame) > in_at + 5:
            return frame[:colon], int(line) - LINE_OFFSET
    match = _FRAME.search(stack)
    if match is None:
        return None
    return match.group("path"), int(match.group("line")) - LINE_OFFSET


def frames(stack: str) -> list[str]:
    """The `path:LINE` of each frame of a `call_stack()` text, outermost first."""
    return [
        f"{f.group('path')}:{int(f.group('line')) - LINE_OFFSET}" for f in _FRAME.finditer(stack)
    ]


def shortened(error: str) -> str:
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


def is_user_file(path: str) -> bool:
    """Whether a path in starlark's error text is a file of the repository's, not one of
    graphpub's own modules (`@graphpub//:prelude.bzl`, the modules of builtin labels)."""
    return not path.startswith("@")


def error_location(text: str, is_user_file: Callable[[str], bool]) -> SourceLocation | None:
    """Where an error happened, in the user's files (not graphpub's built-in modules)."""
    span = _SPAN.search(text)
    if span and is_user_file(span.group("path")):
        return SourceLocation(
            span.group("path"), int(span.group("line")) - LINE_OFFSET, int(span.group("col"))
        )
    user_frames = [f for f in _FRAME.finditer(text) if is_user_file(f.group("path"))]
    if user_frames:
        frame = user_frames[-1]
        return SourceLocation(frame.group("path"), int(frame.group("line")) - LINE_OFFSET)
    return None


def undefined_name(text: str) -> tuple[str, SourceLocation | None] | None:
    """The name of a "Variable `x` not found" error (starlark finds those compiling a file,
    before any of it runs), and where; None for any other error."""
    match = _MESSAGE.search(text)
    message = match.group("message") if match else text
    not_found = _NOT_FOUND.search(message)
    if not_found is None:
        return None
    return not_found.group("name"), error_location(text, lambda _path: True)


def translate(
    text: str,
    *,
    is_user_file: Callable[[str], bool],
    known_symbols: Iterable[str],
) -> BuildFileError:
    """A `BuildFileError` for starlark's error text, with a hint where one helps."""
    match = _MESSAGE.search(text)
    message = match.group("message").strip() if match else text.strip().splitlines()[-1]
    hint: str | None = None

    not_found = _NOT_FOUND.search(message)
    parse_error = _PARSE_ERROR.match(message)
    if not_found:
        name = not_found.group("name")
        message = f"name '{name}' is not defined"
        candidates = set(known_symbols)
        if not_found.group("hint"):
            candidates.add(not_found.group("hint"))
        close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
        hint = (
            f"did you mean '{close[0]}'?"
            if close
            else f"'{name}' is not a rule or builtin graphpub knows; if a .bzl file defines it, "
            "load() it first"
        )
    elif parse_error:
        message = "syntax error: " + parse_error.group("what").strip()
    elif serialize := _NOT_SERIALIZABLE.search(message):
        message = f"a rule argument holds a {serialize.group('type')}, which is not data"
        hint = "rule arguments must be data: strings, numbers, lists, dicts, structs, select()"
    elif "call stack overflow" in message:
        message = "too deep recursion (Starlark call stack overflow)"
        hint = "a function calls itself without end; Starlark forbids recursion"
    elif message.startswith("Error unpacking value for parameter") and message.endswith("`int"):
        message += "`: not a 32-bit integer"  # starlark-rust's own message stops there
        hint = "Starlark's builtins take integers up to 2147483647, such as range()'s"
    return BuildFileError(message, location=error_location(text, is_user_file), hint=hint)


# ---------------------------------------------------------------- syntax errors

_EXPECTED_COMMA = re.compile(r'Parse error: unexpected .* here, expected one of .*","', re.DOTALL)
_PAIRS = {")": "(", "]": "[", "}": "{"}


def syntax_error(error: str, source: str, *, is_user_file: Callable[[str], bool]) -> BuildFileError:
    """starlark's error for a file it could not parse (`source`), pointed at the cause when
    the brackets show it, as Python does: an opening bracket never closed, a closing one that
    does not match, a missing comma."""
    translated = translate(error, is_user_file=is_user_file, known_symbols=())
    location = translated.location
    if location is None or not translated.message.startswith("syntax error"):
        return translated
    reported = (location.line, location.column) if location.line else None
    problem = _bracket_problem(source)
    if problem is not None:
        opener, closer = problem
        opened_at = _line_and_column(source, opener)
        if reported is None or reported >= opened_at:
            if closer is None:
                message = f"syntax error: '{source[opener]}' opened here is never closed"
                where = opened_at
            else:
                line, column = opened_at
                message = (
                    f"syntax error: '{source[closer]}' does not match the '{source[opener]}' "
                    f"opened at line {line}, column {column}"
                )
                where = _line_and_column(source, closer)
            return BuildFileError(message, location=SourceLocation(location.path, *where))
    if reported is not None and _EXPECTED_COMMA.search(error):
        translated.hint = _missing_comma(source, _offset(source, *reported))
    return translated


def _bracket_problem(source: str) -> tuple[int, int | None] | None:
    """The first closing bracket that does not match (opener, closer), else the innermost
    bracket never closed (opener, None); None if the brackets pair up."""
    stack: list[int] = []
    for match in _BRACKETS.finditer(source):
        if match.lastgroup != "bracket":
            continue
        bracket, position = match.group(), match.start()
        if bracket in "([{":
            stack.append(position)
        elif not stack:
            return None  # a closer with nothing open: starlark's own message says it well
        elif source[stack[-1]] != _PAIRS[bracket]:
            return stack[-1], position
        else:
            stack.pop()
    return (stack[-1], None) if stack else None


def _missing_comma(source: str, offset: int) -> str | None:
    """A hint when the token at `offset` follows an operand inside brackets: a missing comma."""
    before = _STRINGS_AND_COMMENTS.sub(lambda m: "0" * len(m.group()), source[:offset])
    stripped = before.rstrip()
    if not stripped or not (stripped[-1].isalnum() or stripped[-1] in "_)]}\"'"):
        return None
    stack: list[int] = []
    for position, character in enumerate(before):
        if character in "([{":
            stack.append(position)
        elif character in ")]}" and stack:
            stack.pop()
    if not stack:
        return None
    if "\n" in before[len(stripped) :]:
        return f"missing ',' at the end of line {stripped.count(chr(10)) + 1}?"
    opener = stack[-1]
    head = before[:opener].rstrip()
    if source[opener] == "(" and head and (head[-1].isalnum() or head[-1] in "_)]"):
        return "missing ',' between arguments?"
    return "missing ',' between items?"


def _line_and_column(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _offset(source: str, line: int, column: int) -> int:
    start = 0
    for _ in range(line - 1):
        start = source.index("\n", start) + 1
    return start + column - 1


# ---------------------------------------------------------------- nesting

# starlark-rust parses, compiles and evaluates nested syntax recursively on the native stack;
# a few thousand levels overflow it and the process dies (SIGSEGV) without any error, and
# json.encode, which passes every rule call to graphpub, does so with values nested a few
# hundred deep. So files are measured before they are parsed: `nesting_problem` bounds the
# depth of brackets and blocks (`limit`) and of whole expressions, operators and `elif` chains
# included (`EXPRESSION_FACTOR * limit`). Real files are cleared by counting characters (a few
# microseconds); only a file that may be too deep is tokenized.

EXPRESSION_FACTOR = 10

# Characters of operators that make an expression tree deeper (`a.b.c`, `a + b + c`, `- - a`),
# and `:` / `=` (lambda, elif, comparisons): counted, never parsed, so counting more is safe.
_OPERATOR_CHARS = b"-+*/%|&^~<>!.=:"
_OPENERS = b"([{"
_CLOSERS = b")]}"
_NOT_COUNTED = bytes(c for c in range(256) if c not in _OPERATOR_CHARS + _OPENERS + _CLOSERS)
_AS_PARENTHESES = bytes.maketrans(b"[{]}", b"(())")
_BLANKS = b" \n\\"
# A bracket right after a closing one (`f()()`, `x[0][0]`) is one more level, whatever the
# depth of the brackets.
_CHAINED = tuple(c + o for c in (b")", b"]", b"}") for o in (b"(", b"["))
_KEYWORDS = (b"and", b"or", b"not", b"in", b"if", b"else", b"lambda", b"for")
# A keyword operator takes at least three characters with its operand (`or x`, `not(`).
_CHARS_PER_KEYWORD = 3
_STRINGS_AND_COMMENTS = re.compile(
    r"#[^\n]*"
    r'|"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*(?:"""|\Z)'
    r"|'''[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*(?:'''|\Z)"
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"?'
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'?",
    re.DOTALL,
)
_BRACKETS = re.compile(
    r"(?P<skip>" + _STRINGS_AND_COMMENTS.pattern + r")|(?P<bracket>[()\[\]{}])", re.DOTALL
)
_TOKEN = re.compile(
    r"(?P<skip>" + _STRINGS_AND_COMMENTS.pattern + r"|\\\n)"
    r"|(?P<newline>\n[ ]*)"
    r"|(?P<open>[(\[{])"
    r"|(?P<close>[)\]}])"
    r"|(?P<comma>,)"
    r"|(?P<semicolon>;)"
    r"|(?P<operator>[-+*/%|&^~<>!.=:]+)"
    r"|(?P<lambda>\blambda\b)"
    r"|(?P<keyword>\b(?:and|or|not|in|if|else|for)\b)",
    re.DOTALL,
)


def nesting_problem(text: str, limit: int) -> tuple[str, int, int] | None:
    """Where `text` nests brackets and blocks deeper than `limit`, or an expression deeper
    than `EXPRESSION_FACTOR * limit`: (what is wrong, line, column); None if nowhere."""
    if _shallow(text, limit, stripped=False):
        return None
    if _shallow(_STRINGS_AND_COMMENTS.sub("0", text), limit, stripped=True):
        return None
    return _Measure(text, limit).run()


def _shallow(text: str, limit: int, *, stripped: bool) -> bool:
    """Whether counting characters proves `text` shallow enough (never a false yes). Before
    `stripped` of its strings and comments, counts are looser: every bracket may nest."""
    if not stripped and len(text) <= EXPRESSION_FACTOR * limit:
        # Every level of nesting takes a character at least: brackets and indentation are
        # all that can be too deep.
        opened = text.count("(") + text.count("[") + text.count("{")
        return opened <= limit and "\n" + " " * (limit - opened + 1) not in text
    data = text.encode("utf-8", "surrogatepass")
    counted = data.translate(None, _NOT_COUNTED)
    opened = sum(counted.count(o) for o in (b"(", b"[", b"{"))
    closed = sum(counted.count(c) for c in (b")", b"]", b"}"))
    operators = len(counted) - opened - closed
    depth = opened
    if stripped and opened > limit:
        depth = _bracket_depth(counted.translate(_AS_PARENTHESES, _OPERATOR_CHARS), limit)
    if depth > limit:
        return False
    # Each block is indented further than the one around it: no line indented by more than
    # `indent` spaces (tabs are a syntax error) means blocks nest at most `indent` deep.
    indent = limit - depth
    if "\n" + " " * (indent + 1) in text:
        return False
    budget = EXPRESSION_FACTOR * limit - operators - depth - indent
    # A call or an index is one level more: at most one per bracket around, plus the chained.
    postfix = opened
    if stripped and opened > budget // 2:
        squeezed = data.translate(None, _BLANKS)
        postfix = depth + sum(squeezed.count(pair) for pair in _CHAINED)
    budget -= postfix
    if len(text) // _CHARS_PER_KEYWORD <= budget:
        return True
    return stripped and sum(data.count(k) for k in _KEYWORDS) <= budget


def _bracket_depth(brackets: bytes, limit: int) -> int:
    """The depth of a string of `(` and `)`, or more than `limit`: the innermost pairs are
    removed as often as there are levels."""
    for depth in range(limit + 1):
        inner = brackets.replace(b"()", b"")
        if inner == brackets:
            return depth + brackets.count(b"(")  # unclosed ones count in full
        brackets = inner
    return limit + 1


class _Frame:
    """Brackets being read: the operators of the current item (between commas), the depth
    of the brackets inside it, the deepest item so far and the lambdas (whose parameters'
    commas do not end them)."""

    __slots__ = ("deepest", "inner", "lambdas", "operators")

    def __init__(self) -> None:
        self.operators = 0
        self.inner = 0
        self.deepest = 0
        self.lambdas = 0

    def end_item(self) -> None:
        self.deepest = max(self.deepest, self.operators + self.inner)
        self.operators = self.inner = 0

    def depth(self) -> int:
        self.end_item()
        return self.deepest + self.lambdas


class _Measure:
    """One pass over the tokens that nest, bounding the depth of each statement's tree."""

    def __init__(self, text: str, limit: int) -> None:
        self.text = text
        self.limit = limit
        self.frames = [_Frame()]
        self.indents = [0]
        self.elifs = [0]
        self.statement_start = 0

    def run(self) -> tuple[str, int, int] | None:
        for match in _TOKEN.finditer(self.text):
            kind = match.lastgroup
            if kind == "skip":
                continue
            frame = self.frames[-1]
            if kind == "newline":
                if len(self.frames) == 1:
                    width = match.end() - match.start() - 1
                    problem = self._end_statement() or self._start_line(match.end(), width)
                    if problem:
                        return problem
            elif kind == "open":
                if self._is_postfix(match.start()):
                    frame.operators += 1  # a call or an index: one level more
                self.frames.append(_Frame())
                if len(self.frames) - 1 + len(self.indents) - 1 > self.limit:
                    return self._where("brackets and blocks nest", self.limit, match.start())
            elif kind == "close":
                if len(self.frames) > 1:
                    depth = self.frames.pop().depth() + 1
                    self.frames[-1].inner = max(self.frames[-1].inner, depth)
            elif kind == "comma":
                if len(self.frames) > 1:
                    frame.end_item()
            elif kind == "semicolon":
                if len(self.frames) == 1:
                    problem = self._end_statement()
                    if problem:
                        return problem
                    self.statement_start = match.end()
            elif kind == "operator":
                frame.operators += match.end() - match.start()
            elif kind == "lambda":
                frame.lambdas += 1
            else:
                frame.operators += 1
        while len(self.frames) > 1:  # unclosed: the parser will say so, if it survives them
            depth = self.frames.pop().depth() + 1
            self.frames[-1].inner = max(self.frames[-1].inner, depth)
        return self._end_statement()

    def _is_postfix(self, position: int) -> bool:
        """Whether the bracket at `position` follows an operand: a call or an index."""
        text = self.text
        position -= 1
        while position >= 0 and text[position] in " \n\\":
            position -= 1
        return position >= 0 and (text[position].isalnum() or text[position] in "_)]}\"'")

    def _end_statement(self) -> tuple[str, int, int] | None:
        blocks = len(self.indents) - 1 + sum(self.elifs)
        depth = blocks + self.frames[0].depth()
        self.frames[0] = _Frame()
        if depth > EXPRESSION_FACTOR * self.limit:
            start = self.statement_start
            start += len(self.text[start:]) - len(self.text[start:].lstrip())
            return self._where("an expression nests", EXPRESSION_FACTOR * self.limit, start)
        return None

    def _start_line(self, position: int, width: int) -> tuple[str, int, int] | None:
        """A new line at the top level, indented `width`: it opens or closes blocks."""
        self.statement_start = position
        following = self.text[position : position + 1]
        if following in ("", "\n", "#", "\\"):
            return None  # a blank or comment line: no block changes
        while width < self.indents[-1]:
            self.indents.pop()
            self.elifs.pop()
        if width > self.indents[-1]:
            self.indents.append(width)
            self.elifs.append(0)
        if self.text.startswith(("elif", "else"), position):
            self.elifs[-1] += 1  # each `elif` is an `if` inside the `else` before it
        else:
            self.elifs[-1] = 0
        if len(self.indents) - 1 > self.limit:
            return self._where("brackets and blocks nest", self.limit, position)
        return None

    def _where(self, what: str, limit: int, position: int) -> tuple[str, int, int]:
        line = self.text.count("\n", 0, position) + 1
        column = position - (self.text.rfind("\n", 0, position) + 1) + 1
        return f"{what} more than {limit} deep", line, column
