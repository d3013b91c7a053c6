"""The rules each ecosystem's build files call, as data: `catalogs/{pants,bazel,buck2}.txt`.

Every target type of Pants' standard backends, every native Bazel rule, every Buck2 prelude rule.
A rule graphpub has no schema for loads as an opaque target of its kind with its `deps` /
`dependencies` as edges, silently: it is a real rule of the ecosystem, so whole repositories
load. (Names that are in no catalog still load, as stand-ins, with a warning: `standins`.)
"""

from __future__ import annotations

import functools
import sys
from importlib import resources
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]


@functools.cache
def catalog(dialect: str) -> tuple[str, ...]:
    """The rule names of a dialect's catalog (`pants`, `bazel`, `buck2`)."""
    text = resources.files("graphpub.rules").joinpath("catalogs").joinpath(f"{dialect}.txt")
    lines = text.read_text("utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def all_rules() -> tuple[str, ...]:
    """Every catalogued rule name, of any dialect."""
    return tuple(dict.fromkeys((*catalog("pants"), *catalog("bazel"), *catalog("buck2"))))


# Helpers whose result is a value for a field, such as `provides=python_artifact(...)`.
VALUE_HELPERS = ("python_artifact", "setup_py")


def pants_objects() -> str:
    """Starlark of Pants' BUILD-file objects (`http_source`, `per_platform`, ...)."""
    return resources.files("graphpub.rules").joinpath("pants_objects.bzl").read_text("utf-8")


def catalog_table(name: str) -> dict[str, Any]:
    """One of the TOML catalogs in `catalogs/`, parsed."""
    text = resources.files("graphpub.rules").joinpath("catalogs").joinpath(name)
    document: dict[str, Any] = tomllib.loads(text.read_text("utf-8"))
    return document


@functools.cache
def pants_default_sources() -> dict[str, tuple[str, ...]]:
    """The default `sources` of Pants target generators without a schema (`shell_sources`:
    `*.sh` but tests), so that an opaque target of such a kind owns its files."""
    document = catalog_table("pants_sources.toml")
    return {kind: tuple(globs) for kind, globs in document.items()}
