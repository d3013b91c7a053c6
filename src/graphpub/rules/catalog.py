"""The rules each ecosystem's build files call, as data: `catalogs/{pants,bazel,buck2}.txt`.

Every target type of Pants' standard backends, every native Bazel rule, every Buck2 prelude rule.
A rule graphpub has no schema for loads as an opaque target of its kind with its `deps` /
`dependencies` as edges, silently: it is a real rule of the ecosystem, so whole repositories
load. (Names that are in no catalog still load, as stand-ins, with a warning: `standins`.)
"""

from __future__ import annotations

import functools
from importlib import resources


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
