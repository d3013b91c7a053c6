"""Files Bazel rules make: which rule makes a path, and the ones whose bytes the BUILD file
already says.

A genrule's or a custom rule's output exists only after a build; graphpub, which builds
nothing, cannot have it. bazel_skylib's `write_file` is different: its `content` is written
in the BUILD file (`newline.join(content)`, as `write_file_private.bzl` writes it), so the
file it makes is known without a build.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping

from graphpub.buildgraph.graph import BuildGraph
from graphpub.buildgraph.target import Target

# The attributes in which rules declare the files they make (`attr.output`): these names,
# and `out_*` (periareon/rules_venv's py_wheel_library passes `out_requires`).
_OUTPUT_FIELDS = ("out", "outs", "output", "outputs")
_NEWLINES = {"auto": "\n", "unix": "\n", "windows": "\r\n"}  # `auto`: a Unix host's


def maker_of(graph: BuildGraph, path: str) -> Target | None:
    """The rule whose output `path` is (a genrule's `outs`, a write_file's `out`, a custom
    rule's `output`), if it is not a file of the repository: found in the package holding it."""
    if graph.tree_has_file(path):
        return None
    directory = posixpath.dirname(path)
    while True:
        if graph.is_package(directory):
            relative = posixpath.relpath(path, directory or ".")
            for maker in graph.package_targets(directory):
                for key, value in maker.fields.items():
                    output = key in _OUTPUT_FIELDS or key.startswith("out_")
                    if output and relative in strings(value):
                        return maker
            return None  # a file names its package's outputs only
        if not directory:
            return None
        directory = posixpath.dirname(directory)


def written_output(target: Target) -> str | None:
    """The root-relative path of the file a `write_file` makes; None for other rules."""
    out = target.fields.get("out")
    if target.kind != "write_file" or not isinstance(out, str):
        return None
    return posixpath.normpath(posixpath.join(target.address.directory, out))


def written_content(target: Target) -> bytes:
    """What a `write_file` writes: its lines joined by its newline, UTF-8."""
    lines = [str(line) for line in target.fields.get("content") or ()]
    newline = _NEWLINES.get(str(target.fields.get("newline") or "auto"), "\n")
    return newline.join(lines).encode("utf-8")


def written_file(graph: BuildGraph, path: str) -> bytes | None:
    """The bytes of `path` if a `write_file` of the repository makes it, else None."""
    maker = maker_of(graph, path)
    if maker is None or written_output(maker) != path:
        return None
    return written_content(maker)


def strings(value: object) -> list[str]:
    """The strings of an attribute: a string, a list's, or a dict's values."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [v for v in value.values() if isinstance(v, str)]
    return [v for v in value or () if isinstance(v, str)] if isinstance(value, Iterable) else []
