"""Where a key is written in a TOML file: tomllib gives values without positions, and a
configuration error should point at its line (`graphpub.toml:12`)."""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(
    r'^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\'))*)\s*='
)


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(
        part.strip().strip("\"'") for part in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', dotted)
    )


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The 1-based line of each key and table, by its path: `("upload_timeout",)`,
    `("publish", "1", "targets")` for a key of the first `[[publish]]` table,
    `("publish", "1")` for that header. The first definition wins."""
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    arrays: dict[tuple[str, ...], int] = {}
    depth = 0  # inside a multi-line array or inline table: no keys of this table
    for number, line in enumerate(text.splitlines(), start=1):
        if depth == 0:
            header = _HEADER.match(line)
            if header:
                path = _parts(header.group(2))
                if header.group(1) == "[[":
                    arrays[path] = arrays.get(path, 0) + 1
                    path = (*path, str(arrays[path]))
                table = path
                found.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                found.setdefault((*table, *_parts(key.group(1))), number)
        code = re.sub(r'"(?:\\.|[^"\\])*"|\'[^\']*\'|#.*', "", line)
        depth = max(
            0, depth + code.count("[") + code.count("{") - code.count("]") - code.count("}")
        )
    return found
