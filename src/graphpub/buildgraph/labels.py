"""Which file a `load()` label names: a `.bzl` file below the root, or an external repository.

`//pkg:defs.bzl` and `:defs.bzl` are files of this repository; `cell//pkg:defs.bzl` too when
`cell` is a Buck2 cell; `@repo//...` is external unless the `external_loads` config key maps it
to a directory. No label reaches outside the build root.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from graphpub.buildgraph.cells import Cells
from graphpub.errors import BuildFileError, SourceLocation

# Repositories whose .bzl files graphpub serves itself: what their rules mean is graphpub's job.
BUILTIN_REPOSITORIES = frozenset(
    {
        "rules_python",
        "prelude",
        "bazel_tools",
        "rules_python_internal",
        "bazel_skylib",
        "platforms",
        "pybind11_bazel",
    }
)
_CELL = re.compile(r"^@?(?P<cell>[A-Za-z_][A-Za-z0-9_-]*)//")


def repository_of(label: str) -> str:
    """The external repository a label names: `rules_python` for `@rules_python//python:x`."""
    return label.lstrip("@").partition("//")[0]


class LoadLabels:
    """Resolves `load()` labels against the root's cells and `external_loads` mapping."""

    def __init__(
        self,
        cells: Mapping[str, str],
        external_loads: Mapping[str, str],
        root_module: str | None = None,
    ) -> None:
        self._cells = cells
        self._external = external_loads
        self.root_module = root_module
        """The name of the root's Bazel module (`module(name = ...)` in MODULE.bazel)."""

    def local_path(self, label: str, from_dir: str, where: SourceLocation) -> str | None:
        """The root-relative `.bzl` path a label names, or None for an external repository."""
        mapped = self._mapped_external(label)
        if mapped is not None:
            return mapped
        cells = self._cells.seen_from(from_dir) if isinstance(self._cells, Cells) else self._cells
        text = label
        cell = _CELL.match(label)
        if cell and cell.group("cell") in cells and cell.group("cell") not in BUILTIN_REPOSITORIES:
            text = "//" + posixpath.join(cells[cell.group("cell")], label[cell.end() :])
        elif cell or (label.startswith("@") and not label.startswith(("@//", "@@//"))):
            return None  # `@repo//`, or a cell not on disk
        text = text.lstrip("@")
        if isinstance(cells, Cells) and cells.home and not cell and text.startswith("//"):
            # Buck2: `//` and `@//` are the root of the file's own cell.
            text = "//" + posixpath.join(cells.home, text[2:])
        if text.startswith("//"):
            package, colon, name = text[2:].partition(":")
            path = posixpath.join(package, name) if colon else package
        elif text.startswith(":"):
            path = posixpath.join(from_dir, text[1:])
        else:
            path = posixpath.join(from_dir, text)
        normalized = posixpath.normpath(path)
        if normalized.startswith("../") or normalized == ".." or posixpath.isabs(normalized):
            raise BuildFileError(f"load({label!r}) points outside the build root", location=where)
        return normalized

    def served_cell_directory(self) -> str | None:
        """Buck2: the directory of the `prelude` cell when it is on disk (the buck2 prelude's
        own checkout, `[repositories] prelude = .`): graphpub serves its files itself."""
        cells = self._cells
        if isinstance(cells, Cells) and "prelude" in cells.directories:
            return cells.directories["prelude"]
        return None

    def _mapped_external(self, label: str) -> str | None:
        mapping = self._external
        if label in mapping:
            return posixpath.normpath(mapping[label])
        repository, sep, rest = label.lstrip("@").partition("//")
        key = f"@{repository}"
        if sep and key in mapping:
            package, colon, name = rest.partition(":")
            relative = posixpath.join(package, name) if colon else package
            return posixpath.normpath(posixpath.join(mapping[key], relative))
        return None
