"""Typed errors that carry where in the user's files they come from.

Every layer raises a `GraphpubError`; only the CLI renders it (once), as
`path:LINE:COL: message`, the offending source line and a hint.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, order=True, slots=True)
class SourceLocation:
    """A position in a file below the build root; line and column are 1-based, 0 when unknown."""

    path: str
    line: int = 0
    column: int = 0

    def __reduce__(self) -> tuple[object, ...]:
        return (SourceLocation, (self.path, self.line, self.column))

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.path}:{self.line}:{self.column}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


class GraphpubError(Exception):
    """A problem in the user's input: rendered without a traceback, exit code 1."""

    def __init__(
        self,
        message: str,
        *,
        location: SourceLocation | None = None,
        hint: str | None = None,
        related: tuple[SourceLocation, ...] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint
        self.related = related

    def __str__(self) -> str:
        prefix = f"{self.location}: " if self.location else ""
        return prefix + self.message

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only fields are not in `args`; keep them when an error crosses processes.
        return (self.__class__, (self.message,), self.__dict__)


def locate_quoted(
    path: str, lines: list[str], text: str, start_line: int = 1
) -> SourceLocation | None:
    """Where the string literal `text` first appears at or after `start_line` (1-based)."""
    for quote in ('"', "'"):
        needle = f"{quote}{text}{quote}"
        for index in range(max(start_line - 1, 0), len(lines)):
            column = lines[index].find(needle)
            if column >= 0:
                return SourceLocation(path, index + 1, column + 1)
    return None


def locate_keyword(
    path: str, lines: list[str], keyword: str, start_line: int = 1
) -> SourceLocation | None:
    """Where the keyword argument `keyword=` first appears at or after `start_line`."""
    pattern = re.compile(rf"\b{re.escape(keyword)}\s*=(?!=)")
    for index in range(max(start_line - 1, 0), len(lines)):
        match = pattern.search(lines[index])
        if match:
            return SourceLocation(path, index + 1, match.start() + 1)
    return None


# Characters that change how text around them is shown (Trojan Source): bidi embeddings,
# overrides and isolates, and the marks.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def unsafe_character(text: str) -> str | None:
    """The first control character (NUL, ESC, ...) or bidi control `text` holds, if any:
    names are text, shown on terminals and in logs as they are."""
    if text.isascii() and text.isprintable():
        return None
    return next((c for c in text if _unsafe(c)), None)


def visible(text: str) -> str:
    """`text` with its control and bidi characters (but tab and newline) written as escapes
    (`\\u202e`), for a terminal: whatever a build file holds, output shows what it is."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(f"\\u{ord(c):04x}" if _unsafe(c) and c not in "\t\n" else c for c in text)


def _unsafe(character: str) -> bool:
    return character in _BIDI_CONTROLS or unicodedata.category(character) == "Cc"


def describe_character(character: str) -> str:
    """`U+202E (RIGHT-TO-LEFT OVERRIDE)`."""
    name = unicodedata.name(character, "a control character")
    return f"U+{ord(character):04X} ({name})"


class UsageError(GraphpubError):
    """A command line that asks for something that cannot be: exit code 2, as argparse's."""


class ConfigError(GraphpubError):
    """Invalid graphpub / pants configuration."""


class BuildFileError(GraphpubError):
    """A build file or `.bzl` file could not be evaluated."""


class AddressError(GraphpubError):
    """An address or label that cannot be parsed; `written` is the text as the user wrote it."""

    def __init__(self, message: str, *, written: str = "", **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.written = written


class GraphError(GraphpubError):
    """The target graph is inconsistent: duplicates, missing targets, cycles."""


class SpecError(GraphpubError):
    """A command-line spec that is malformed or matches nothing."""
