"""Python syntax that Pants BUILD files use and Starlark lacks, rewritten without moving text.

Pants evaluates BUILD files as Python; a few real ones rely on Python-only syntax. Each rewrite
keeps every line and column where it was, so errors still point at the user's text. Tried only
after plain Starlark parsing failed: valid files never pay for it.
"""

from __future__ import annotations

import io
import re
import string
import tokenize

# `**parametrize("py3", ...)` may appear several times in one call, which Starlark forbids;
# `A=parametrize(` (as long) passes each group as a keyword argument of its own instead.
_SPLAT_PARAMETRIZE = re.compile(r"\*\*parametrize\(")
_KEYWORDS = string.ascii_uppercase + string.ascii_lowercase


def rewrite(source: str) -> str:
    """Every rewrite, for text Starlark could not parse."""
    source = indent_with_spaces(source)
    source = join_adjacent_strings(source)
    if "**parametrize(" in source:
        keywords = iter(_KEYWORDS * (source.count("**parametrize(") // len(_KEYWORDS) + 1))
        source = _SPLAT_PARAMETRIZE.sub(lambda _: f"{next(keywords)}=parametrize(", source)
    return source


_LEADING_TABS = re.compile(r"^[ \t]*\t[ \t]*", re.MULTILINE)


def indent_with_spaces(source: str) -> str:
    """Tabs in indentation as one space each. Python accepts a file's indentation only if it
    means the same whatever a tab's width, 1 or 8 (else TabError): at width 1, the blocks are
    Python's, and every column stays where it was. (Tabs within a line are left alone.)"""
    if "\t" not in source:
        return source
    return _LEADING_TABS.sub(lambda m: m.group().replace("\t", " "), source)


def join_adjacent_strings(source: str) -> str:
    """`"a" "b"` (implicit concatenation) as `"a"+"b"`: one blank between them becomes `+`."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int]] = []  # (line, column) of a blank to turn into `+`
    previous: tokenize.TokenInfo | None = None
    for token in tokens:
        if token.type in (tokenize.NL, tokenize.COMMENT):
            continue
        if token.type == tokenize.STRING and previous is not None:
            blank = _blank_before(lines, previous.end, token.start)
            if blank is not None:
                edits.append(blank)
        previous = token if token.type == tokenize.STRING else None
    if not edits:
        return source
    for line, column in edits:
        text = lines[line - 1]
        lines[line - 1] = text[:column] + "+" + text[column + 1 :]
    return "".join(lines)


def _blank_before(
    lines: list[str], end: tuple[int, int], start: tuple[int, int]
) -> tuple[int, int] | None:
    """A space or tab between two tokens, on the second token's line, or None."""
    line, column = start
    first_column = end[1] if end[0] == line else 0
    text = lines[line - 1]
    for position in range(column - 1, first_column - 1, -1):
        if text[position] in " \t":
            return line, position
    return None
