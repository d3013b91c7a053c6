#!/usr/bin/env python3
"""The floor: the unavoidable work of loading every BUILD file, with starlark-pyo3 alone.

Usage::

    python benchmarks/floor.py [--jobs 2] [--generate] ROOT

Walks ROOT (skipping dot-directories) for build files (``BUILD.bazel``, ``BUILD``, ``BUCK``;
one per directory, in that order of preference), reads, parses and evaluates each in a fresh
``starlark.Module`` with stub rule functions that only record their calls, and a stub
``glob`` that returns the real sorted list of matching files. Prints the number of targets
collected. Deliberately imports nothing from graphpub: this is the lower bound that the load
benchmark compares ``graphpub list ::`` against.

``--jobs 2``: the two-process floor. The file list is split in two; a forked child evaluates
one half and sends its calls back pickled, while the parent evaluates the other (graphpub's
own way with ``-j 2``, without anything else).

``--generate``: Pants' target generators (``python_sources``, ``resources``) also make one
address per file their ``sources`` glob (``dir/file.py:name``), as ``pants list`` prints them:
glob and name each file, nothing more. Then the count printed is of those addresses too.
"""

from __future__ import annotations

import argparse
import glob as globbing
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import starlark

BUILD_FILE_NAMES: tuple[str, ...] = ("BUILD.bazel", "BUILD", "BUCK")
RULES: tuple[str, ...] = ("py_library", "filegroup", "python_sources", "resources")
GENERATORS: frozenset[str] = frozenset({"python_sources", "resources"})

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


def make_rule(
    kind: str, package: str, calls: list[Call], generated: list[str] | None, base: str
) -> Callable[..., None]:
    if generated is None or kind not in GENERATORS:

        def rule(**kwargs: Any) -> None:
            calls.append((kind, package, kwargs))

        return rule

    def generator(**kwargs: Any) -> None:
        calls.append((kind, package, kwargs))
        name = kwargs.get("name", os.path.basename(package))
        for pattern in kwargs.get("sources", ()):
            for path in sorted(globbing.glob(pattern, root_dir=base)):
                generated.append(f"{package}/{path}:{name}")

    return generator


def load_package(
    package_dir: str,
    build_file: str,
    root: str,
    dialect: starlark.Dialect,
    globals_: starlark.Globals,
    calls: list[Call],
    generated: list[str] | None = None,
) -> None:
    with open(build_file, encoding="utf-8") as f:
        content = f.read()
    ast = starlark.parse(build_file, content, dialect)
    package = os.path.relpath(package_dir, root)
    module = starlark.Module()
    for kind in RULES:
        module.add_callable(kind, make_rule(kind, package, calls, generated, package_dir))
    module.add_callable("glob", make_glob(package_dir))
    starlark.eval(module, ast, globals_)


def load_share(
    root: str, share: Sequence[tuple[str, str]], generate: bool
) -> tuple[list[Call], list[str]]:
    dialect = starlark.Dialect.extended()
    dialect.enable_f_strings = True
    globals_ = starlark.Globals.standard()
    calls: list[Call] = []
    generated: list[str] | None = [] if generate else None
    for package_dir, build_file in share:
        load_package(package_dir, build_file, root, dialect, globals_, calls, generated)
    return calls, generated or []


def load_all(root: str, jobs: int = 1, generate: bool = False) -> tuple[list[Call], list[str]]:
    files = list(find_build_files(root))
    if jobs < 2:
        return load_share(root, files, generate)
    half = len(files) // 2
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the second half, sent back pickled
        os.close(read_fd)
        status = 0
        try:
            payload = pickle.dumps(load_share(root, files[half:], generate), protocol=5)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(payload)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    calls, generated = load_share(root, files[:half], generate)
    with os.fdopen(read_fd, "rb") as pipe:
        their_calls, their_generated = pickle.loads(pipe.read())
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise SystemExit("floor: the second process failed")
    return calls + their_calls, generated + their_generated


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load every BUILD file with starlark alone.")
    parser.add_argument("root", type=Path, help="monorepo root")
    parser.add_argument("--jobs", type=int, default=1, help="processes (1 or 2)")
    parser.add_argument(
        "--generate", action="store_true", help="name each file Pants generators own"
    )
    args = parser.parse_args(argv)
    calls, generated = load_all(str(args.root), args.jobs, args.generate)
    print(len(calls) + len(generated))
    return 0


if __name__ == "__main__":
    sys.exit(main())
