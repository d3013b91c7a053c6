"""Starlark that Bazel's and Buck2's interpreters accept and starlark-rust (graphpub's) does not,
rewritten without moving text (every line and column stays where it was).

- `d.get(key, default = x)` and `d.pop(key, default = x)`: the Java interpreter names the
  parameter; starlark-rust takes it by position only.
"""

from __future__ import annotations

import re

# `.get(` / `.pop(` with a simple first argument, then the `default =` to blank out.
_NAMED_DEFAULT = re.compile(
    r"""(?P<head>\.(?:get|pop)\(\s*(?:[\w.]+|"[^"\\\n]*"|'[^'\\\n]*')\s*,\s*)(?P<named>default\s*=)"""
)


def rewrite(source: str) -> str:
    """`source` with the forms above in starlark-rust's terms."""
    if "default" not in source:
        return source
    return _NAMED_DEFAULT.sub(lambda m: m.group("head") + " " * len(m.group("named")), source)
