"""Rendering errors and warnings for people: location, the offending line, a caret, a hint."""

from __future__ import annotations

from pathlib import Path

from graphpub.errors import GraphpubError, SourceLocation


def source_line(root: Path, location: SourceLocation) -> str | None:
    if not location.line:
        return None
    try:
        with open(root / location.path, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == location.line:
                    return text.rstrip("\n")
    except OSError:
        return None
    return None


def render_error(error: GraphpubError, root: Path) -> str:
    """`path:LINE:COL: message`, the source line with a caret under the column, then the hint."""
    lines = [f"{error.location}: {error.message}" if error.location else f"error: {error.message}"]
    if error.location is not None:
        text = source_line(root, error.location)
        if text is not None:
            gutter = f"{error.location.line:>4} | "
            lines.append(gutter + text)
            if error.location.column:
                lines.append(" " * (len(gutter) + error.location.column - 1) + "^")
    for related in error.related:
        lines.append(f"  see also {related}")
    if error.hint:
        lines.append(f"hint: {error.hint}")
    return "\n".join(lines)
