"""Colour on the terminal, as `--color auto|always|never` and https://no-color.org say: auto
colours a terminal unless NO_COLOR is set (to anything but empty) or TERM is dumb; always and
never win over both."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TextIO

_RESET = "\033[0m"
_STYLES = {"error": "\033[1;31m", "warning": "\033[1;33m", "hint": "\033[1;36m", "bold": "\033[1m"}
_CARET = re.compile(r"^(\s+)\^$")
_LOCATED = re.compile(r"^([^\s:][^:]*:\d+(?::\d+)?:)( .*)$")


def use_color(choice: str, stream: TextIO, environ: Mapping[str, str]) -> bool:
    if choice == "always":
        return True
    if choice == "never" or environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, style: str) -> str:
    return f"{_STYLES[style]}{text}{_RESET}"


def paint_diagnostic(text: str) -> str:
    """An error or warning as graphpub renders it, coloured: the label and the location in
    bold colour, the caret under the column, the hint's label."""
    painted = []
    for index, line in enumerate(text.split("\n")):
        for label in ("error", "warning", "hint"):
            if line.startswith(f"{label}:"):
                line = paint(f"{label}:", label) + line[len(label) + 1 :]
                break
        else:
            located = _LOCATED.match(line) if index == 0 else None
            if located:
                line = paint(located.group(1), "bold") + paint(located.group(2), "error")
            elif _CARET.match(line):
                line = line[:-1] + paint("^", "error")
        painted.append(line)
    return "\n".join(painted)
