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

_SPAN = re.compile(r"^\s*--> (?P<path>.+):(?P<line>\d+):(?P<col>\d+)\s*$", re.MULTILINE)
_FRAME = re.compile(r"^\s*\* (?P<path>.+?):(?P<line>\d+), in (?P<fn>.+)$", re.MULTILINE)
_MESSAGE = re.compile(r"^error: (?P<message>.*?)(?=^\s*-->|\Z)", re.MULTILINE | re.DOTALL)
_NOT_FOUND = re.compile(
    r"Variable `(?P<name>[^`]+)` not found(?:, did you mean `(?P<hint>[^`]+)`\?)?"
)
_NOT_SERIALIZABLE = re.compile(r"`serde::serialize` not supported on type `(?P<type>[^`]+)`")
_PARSE_ERROR = re.compile(r"Parse error: (?P<what>.*?)(?:, expected one of .*)?$", re.DOTALL)


def first_frame(stack: str) -> tuple[str, int] | None:
    """The outermost frame of a `call_stack()` text: the statement in the file being evaluated."""
    match = _FRAME.search(stack)
    if match is None:
        return None
    return match.group("path"), int(match.group("line")) - LINE_OFFSET


def frames(stack: str) -> list[str]:
    """The `path:LINE` of each frame of a `call_stack()` text, outermost first."""
    return [
        f"{f.group('path')}:{int(f.group('line')) - LINE_OFFSET}" for f in _FRAME.finditer(stack)
    ]


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
    return BuildFileError(message, location=error_location(text, is_user_file), hint=hint)
