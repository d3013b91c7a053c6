#!/usr/bin/env python3
"""The floor: the unavoidable work of loading every BUILD file, with starlark-pyo3 alone.

Usage::

    python benchmarks/floor.py ROOT

Walks ROOT (skipping dot-directories) for build files (``BUILD.bazel``, ``BUILD``, ``BUCK``;
one per directory, in that order of preference), reads, parses and evaluates each in a fresh
``starlark.Module`` with stub rule functions that only record their calls, and a stub
``glob`` that returns the real sorted list of matching files. Prints the number of targets
collected. Deliberately imports nothing from graphpub: this is the lower bound that the load
benchmark compares ``graphpub list ::`` against.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import starlark

BUILD_FILE_NAMES: tuple[str, ...] = ("BUILD.bazel", "BUILD", "BUCK")
RULES: tuple[str, ...] = ("py_library", "filegroup", "python_sources", "resources")

Call = tuple[str, str, dict[str, Any]]


def find_build_files(root: str) -> Iterator[tuple[str, str]]:
    """Yield ``(package_dir, build_file)`` for every package under ``root``, sorted."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        present = set(filenames)
        for name in BUILD_FILE_NAMES:
            if name in present:
                yield dirpath, os.path.join(dirpath, name)
                break


def make_glob(package_dir: str) -> Callable[..., list[str]]:
    """A ``glob(include, exclude=[])`` returning sorted files relative to the package."""
    base = Path(package_dir)

    def glob(include: Sequence[str], exclude: Sequence[str] = (), **_: Any) -> list[str]:
        matched: set[str] = set()
        for pattern in include:
            matched.update(p.relative_to(base).as_posix() for p in base.glob(pattern))
        for pattern in exclude:
            matched.difference_update(p.relative_to(base).as_posix() for p in base.glob(pattern))
        return sorted(m for m in matched if (base / m).is_file())

    return glob


def make_rule(kind: str, package: str, calls: list[Call]) -> Callable[..., None]:
    def rule(**kwargs: Any) -> None:
        calls.append((kind, package, kwargs))

    return rule


def load_package(
    package_dir: str,
    build_file: str,
    root: str,
    dialect: starlark.Dialect,
    globals_: starlark.Globals,
    calls: list[Call],
) -> None:
    with open(build_file, encoding="utf-8") as f:
        content = f.read()
    ast = starlark.parse(build_file, content, dialect)
    package = os.path.relpath(package_dir, root)
    module = starlark.Module()
    for kind in RULES:
        module.add_callable(kind, make_rule(kind, package, calls))
    module.add_callable("glob", make_glob(package_dir))
    starlark.eval(module, ast, globals_)


def load_all(root: str) -> list[Call]:
    dialect = starlark.Dialect.extended()
    dialect.enable_f_strings = True
    globals_ = starlark.Globals.standard()
    calls: list[Call] = []
    for package_dir, build_file in find_build_files(root):
        load_package(package_dir, build_file, root, dialect, globals_, calls)
    return calls


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load every BUILD file with starlark alone.")
    parser.add_argument("root", type=Path, help="monorepo root")
    args = parser.parse_args(argv)
    print(len(load_all(str(args.root))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
