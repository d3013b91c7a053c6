"""Text edits that keep every line where it was, and a map back to the original columns.

Lowering Python into Starlark (`python_compat`) inserts and replaces text within lines: no
edit adds or removes a line break, so call stacks (which know lines only) stay exact, and an
error's column in the edited text maps back to the user's own column.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Edit:
    """Replace `text[start:end]` (an insertion when they are equal) with `replacement`.

    Edits at the same offset apply in `rank` order: closing text before opening text, an
    enclosing construct's opening before an enclosed one's (see `opening` and `closing`).
    An error in the replacement is the original's at `origin` (default `start`): where the
    construct it belongs to starts.
    """

    start: int
    end: int
    replacement: str
    rank: tuple[int, int] = (1, 0)
    origin: int | None = None


def opening(offset: int, text: str, span_end: int) -> Edit:
    """Text inserted at the start of a construct ending at `span_end`: the outer goes first."""
    return Edit(offset, offset, text, (1, -span_end))


def closing(offset: int, text: str, span_start: int) -> Edit:
    """Text inserted at the end of a construct starting at `span_start`: the inner goes first."""
    return Edit(offset, offset, text, (0, -span_start))


@dataclass(frozen=True)
class ColumnMap:
    """Where each character of an edited text came from: `original` gives, for a 1-based
    line and column of the edited text, the column of the original text (text an edit
    inserted maps to where the edit was)."""

    _new_starts: tuple[int, ...]  # offset in the edited text where each piece starts
    _old_starts: tuple[int, ...]  # the original offset it came from
    _copied: tuple[bool, ...]  # copied text, or an edit's replacement
    _new_lines: tuple[int, ...]  # offset of each line's start, edited text
    _old_lines: tuple[int, ...]  # the same, original text

    def original(self, line: int, column: int) -> int:
        if not 1 <= line <= len(self._new_lines) or column < 1:
            return column
        offset = self._new_lines[line - 1] + column - 1
        piece = bisect.bisect_right(self._new_starts, offset) - 1
        old = self._old_starts[piece]
        if self._copied[piece]:
            old += offset - self._new_starts[piece]
        old_line = bisect.bisect_right(self._old_lines, old) - 1
        return old - self._old_lines[old_line] + 1


@dataclass(frozen=True)
class Edited:
    text: str
    columns: ColumnMap


class OverlappingEdits(ValueError):
    """Two edits replace the same text: a bug in whoever made them."""


def apply(text: str, edits: Iterable[Edit]) -> Edited:
    """`text` with `edits` applied; each keeps the number of line breaks it replaces."""
    pieces: list[str] = []
    new_starts: list[int] = []
    old_starts: list[int] = []
    copied: list[bool] = []
    position = 0  # in the original
    length = 0  # of the edited text so far

    def emit(piece: str, old: int, is_copy: bool) -> None:
        nonlocal length
        if piece:
            pieces.append(piece)
            new_starts.append(length)
            old_starts.append(old)
            copied.append(is_copy)
            length += len(piece)

    for edit in sorted(edits, key=lambda e: (e.start, e.end > e.start, e.rank)):
        if edit.start < position:
            raise OverlappingEdits(f"edit at {edit.start} overlaps text replaced up to {position}")
        replaced = text[edit.start : edit.end]
        if replaced.count("\n") != edit.replacement.count("\n"):
            raise OverlappingEdits(f"edit at {edit.start} would move lines")
        emit(text[position : edit.start], position, True)
        emit(edit.replacement, edit.start if edit.origin is None else edit.origin, False)
        position = edit.end
    emit(text[position:], position, True)
    # The end of the edited text is the end of the original.
    new_starts.append(length)
    old_starts.append(len(text))
    copied.append(True)
    edited = "".join(pieces)
    return Edited(
        edited,
        ColumnMap(
            tuple(new_starts),
            tuple(old_starts),
            tuple(copied),
            _line_starts(edited),
            _line_starts(text),
        ),
    )


def _line_starts(text: str) -> tuple[int, ...]:
    starts = [0]
    index = text.find("\n")
    while index != -1:
        starts.append(index + 1)
        index = text.find("\n", index + 1)
    return tuple(starts)
