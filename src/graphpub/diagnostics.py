"""Rendering errors and warnings for people: location, the offending line, a caret, a hint."""

from __future__ import annotations

from pathlib import Path

from graphpub.errors import GraphpubError, SourceLocation, visible


def source_line(root: Path, location: SourceLocation) -> str | None:
    if not location.line:
        return None
    try:
        with open(root / location.path, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == location.line:
                    return text.rstrip("\n")
    except (OSError, ValueError):  # ValueError: a path with a NUL character
        return None
    return None


def with_column(root: Path, location: SourceLocation) -> tuple[SourceLocation, str | None]:
    """The location with its column (targets and traceback frames know only their line: then
    the statement's first character), and the text of its line."""
    text = source_line(root, location)
    if text is not None and not location.column:
        location = SourceLocation(location.path, location.line, len(text) - len(text.lstrip()) + 1)
    return location, text


def plural(count: int, noun: str) -> str:
    """`1 distribution`, `2 distributions`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# Characters of a message or hint shown: a value quoted in a message is shown, not written out.
MAX_MESSAGE = 4000


def shortened(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text`, cut to `limit` characters with how long it was, its control characters
    escaped (`errors.visible`)."""
    if len(text) > limit:
        text = text[:limit] + f"… ({len(text):,} characters in all)"
    return visible(text)


def render_error(error: GraphpubError, root: Path) -> str:
    """`path:LINE:COL: message`, the source line with a caret under the column, then the hint."""
    location, text = with_column(root, error.location) if error.location else (None, None)
    message = shortened(error.message)
    lines = [f"{location}: {message}" if location else f"error: {message}"]
    if location is not None and text is not None:
        gutter = f"{location.line:>4} | "
        shown, caret = _around(text, location.column - 1)
        lines.append(gutter + visible(shown))
        lines.append(" " * (len(gutter) + caret) + "^")
    for related in error.related:
        lines.append(f"  see also {with_column(root, related)[0]}")
    if error.hint:
        lines.append(f"hint: {shortened(error.hint)}")
    return "\n".join(lines)


SHOWN_COLUMNS = 120


def _around(text: str, column: int) -> tuple[str, int]:
    """At most SHOWN_COLUMNS characters of a source line around `column` (0-based), and the
    column within them: a machine-written line may be megabytes long."""
    if len(text) <= SHOWN_COLUMNS:
        return text, column
    start = max(0, min(column - SHOWN_COLUMNS // 2, len(text) - SHOWN_COLUMNS))
    shown = text[start : start + SHOWN_COLUMNS]
    prefix = "…" if start else ""
    suffix = "…" if start + SHOWN_COLUMNS < len(text) else ""
    return prefix + shown + suffix, column - start + len(prefix)
