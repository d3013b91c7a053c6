"""Relative labels on the command line, as Bazel and Buck2 read them: inside a package
directory, `:name` is that package's target, `sub:name` and `sub/...` are below it. Pants reads
every spec from the build root, so its specs are left as they are."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from graphpub.buildgraph.config import Config, Dialect

RELATIVE_DIALECTS = (Dialect.BAZEL, Dialect.BUCK2)


def working_package(config: Config, cwd: Path) -> str | None:
    """The root-relative directory `cwd` is, if it is below the root (not the root itself)."""
    try:
        relative = cwd.resolve().relative_to(config.root)
    except ValueError:
        return None
    return PurePosixPath(*relative.parts).as_posix() if relative.parts else None


def absolute_specs(specs: Sequence[str], config: Config, cwd: Path) -> list[str]:
    """`specs` with the relative ones made absolute (`//pkg:name`) against `cwd`, in the
    dialects whose tools read them so."""
    package = working_package(config, cwd)
    if package is None or config.dialect not in RELATIVE_DIALECTS:
        return list(specs)
    return [_absolute(spec, package) for spec in specs]


def _absolute(spec: str, package: str) -> str:
    exclude = spec.startswith("-") and len(spec) > 1
    body = spec[1:] if exclude else spec
    if body.startswith(("//", "@")) or "//" in body:  # absolute, external or another cell
        return spec
    if body.startswith(":"):
        absolute = f"//{package}{body}"
    else:
        absolute = f"//{package}/{body.removeprefix('./')}"
    return ("-" if exclude else "") + absolute
