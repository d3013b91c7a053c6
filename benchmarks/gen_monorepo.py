#!/usr/bin/env python3
"""Generate a deterministic synthetic monorepo for the load benchmark.

Usage::

    python benchmarks/gen_monorepo.py N [--out DIR] [--dialect bazel|pants|both] [--force]

Each of the N packages holds three targets (two Python libraries and one file group) and
real source files, so globs match. Two dialects are written, each in its own tree:

* ``<out>/bazel/``: an empty ``MODULE.bazel`` at the root and, per package,
  ``pkgs/gGGG/pNNNNN/BUILD.bazel`` with ``py_library`` x2 + ``filegroup``.
* ``<out>/pants/``: a ``pants.toml`` at the root and, per package,
  ``pkgs/gGGG/pNNNNN/BUILD`` with ``python_sources`` x2 + ``resources``.

Packages are spread over groups of 100 (``pkgs/g042/p04213``). Cross-package dependencies
only point at lower-numbered packages (so the graph is acyclic) and always name targets that
exist. The dependency choice uses a fixed seed and draws in package order, so the first M
packages of any N >= M are identical.

Regeneration is skipped when ``<out>/.gen_monorepo.json`` already records the same N and
format for the requested dialects; ``--force`` regenerates.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

FORMAT_VERSION = 1
SEED = 20_240_601
PKGS_PER_GROUP = 100
TARGETS_PER_PACKAGE = 3
DIALECTS: tuple[str, ...] = ("bazel", "pants")
MARKER_NAME = ".gen_monorepo.json"
BENCH_DIR = Path(__file__).resolve().parent

PANTS_TOML = '[GLOBAL]\npants_version = "2.21.0"\nbackend_packages = ["pants.backend.python"]\n'


@dataclass(frozen=True)
class Package:
    """One generated package: its index, path from the root and dependency indices."""

    index: int
    path: str
    lib_dep: int | None
    util_deps: tuple[int, ...]


@dataclass(frozen=True)
class GenResult:
    """What :func:`generate` produced (or found already in place)."""

    n: int
    out: Path
    trees: dict[str, Path]
    regenerated: tuple[str, ...]

    @property
    def packages(self) -> int:
        return self.n

    @property
    def targets(self) -> int:
        return expected_targets(self.n)


def expected_targets(n: int) -> int:
    """Number of targets declared in BUILD files per dialect tree for ``n`` packages."""
    return TARGETS_PER_PACKAGE * n


def expected_listed(n: int, dialect: str) -> int:
    """Addresses `graphpub list ::` prints: in the Pants tree each of the three target
    generators also makes one target per file it owns (one file each), as `pants list` shows."""
    return expected_targets(n) * (2 if dialect == "pants" else 1)


def default_out(n: int) -> Path:
    return BENCH_DIR / ".work" / f"monorepo-{n}"


def package_path(index: int, n: int) -> str:
    """Path of package ``index`` relative to the tree root, e.g. ``pkgs/g042/p04213``."""
    pwidth = max(5, len(str(n - 1)))
    gwidth = max(3, len(str((n - 1) // PKGS_PER_GROUP)))
    return f"pkgs/g{index // PKGS_PER_GROUP:0{gwidth}d}/p{index:0{pwidth}d}"


def iter_packages(n: int) -> Iterator[Package]:
    """Yield the N packages with their (acyclic, lower-numbered) dependencies."""
    rng = random.Random(SEED)
    for i in range(n):
        lib_dep = rng.randrange(i) if i > 0 else None
        util_deps = tuple(sorted(rng.sample(range(i), min(2, i))))
        yield Package(i, package_path(i, n), lib_dep, util_deps)


def _str_list(items: Sequence[str], indent: str) -> str:
    if not items:
        return "[]"
    inner = "".join(f'{indent}    "{item}",\n' for item in items)
    return f"[\n{inner}{indent}]"


def bazel_build(pkg: Package, n: int) -> str:
    lib_deps = [":util"]
    if pkg.lib_dep is not None:
        lib_deps.append(f"//{package_path(pkg.lib_dep, n)}:lib")
    util_deps = [f"//{package_path(d, n)}:util" for d in pkg.util_deps]
    return (
        "py_library(\n"
        '    name = "lib",\n'
        '    srcs = glob(["lib/*.py"]),\n'
        f"    deps = {_str_list(lib_deps, '    ')},\n"
        ")\n\n"
        "py_library(\n"
        '    name = "util",\n'
        '    srcs = ["util.py"],\n'
        f"    deps = {_str_list(util_deps, '    ')},\n"
        ")\n\n"
        "filegroup(\n"
        '    name = "data",\n'
        '    srcs = ["data.txt"],\n'
        ")\n"
    )


def pants_build(pkg: Package, n: int) -> str:
    lib_deps = [":util"]
    if pkg.lib_dep is not None:
        lib_deps.append(f"{package_path(pkg.lib_dep, n)}:lib")
    util_deps = [f"{package_path(d, n)}:util" for d in pkg.util_deps]
    return (
        "python_sources(\n"
        '    name="lib",\n'
        '    sources=["lib/*.py"],\n'
        f"    dependencies={_str_list(lib_deps, '    ')},\n"
        ")\n\n"
        "python_sources(\n"
        '    name="util",\n'
        '    sources=["util.py"],\n'
        f"    dependencies={_str_list(util_deps, '    ')},\n"
        ")\n\n"
        "resources(\n"
        '    name="data",\n'
        '    sources=["data.txt"],\n'
        ")\n"
    )


BUILD_FILES = {"bazel": ("BUILD.bazel", bazel_build), "pants": ("BUILD", pants_build)}


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_package(root: str, pkg: Package, n: int, dialect: str) -> None:
    build_name, render = BUILD_FILES[dialect]
    pkg_dir = os.path.join(root, pkg.path)
    name = os.path.basename(pkg.path)
    os.makedirs(os.path.join(pkg_dir, "lib"))
    _write(os.path.join(pkg_dir, build_name), render(pkg, n))
    _write(os.path.join(pkg_dir, "lib", "__init__.py"), f'"""Library of package {name}."""\n')
    _write(
        os.path.join(pkg_dir, "util.py"),
        f'"""Utilities of package {name}."""\n\n\ndef ident() -> int:\n    return {pkg.index}\n',
    )
    _write(os.path.join(pkg_dir, "data.txt"), f"data of package {name}\n")


def write_root_files(root: Path, dialect: str) -> None:
    if dialect == "bazel":
        (root / "MODULE.bazel").write_text("", encoding="utf-8")
    else:
        (root / "pants.toml").write_text(PANTS_TOML, encoding="utf-8")


def write_tree(tree: Path, n: int, dialect: str) -> None:
    """Write one dialect tree atomically: into ``<tree>.tmp``, then rename."""
    tmp = tree.with_name(tree.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    write_root_files(tmp, dialect)
    root = str(tmp)
    for pkg in iter_packages(n):
        write_package(root, pkg, n, dialect)
    shutil.rmtree(tree, ignore_errors=True)
    tmp.rename(tree)


def read_marker(out: Path) -> dict[str, object]:
    try:
        data = json.loads((out / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_marker(out: Path, n: int, dialects: Sequence[str]) -> None:
    data = {"format": FORMAT_VERSION, "n": n, "dialects": sorted(dialects)}
    tmp = out / (MARKER_NAME + ".tmp")
    tmp.write_text(json.dumps(data) + "\n", encoding="utf-8")
    tmp.replace(out / MARKER_NAME)


def up_to_date(marker: dict[str, object], n: int, out: Path) -> set[str]:
    """Dialects recorded in ``marker`` as already generated for ``n`` (and still present)."""
    if marker.get("format") != FORMAT_VERSION or marker.get("n") != n:
        return set()
    recorded = marker.get("dialects")
    if not isinstance(recorded, list):
        return set()
    return {d for d in recorded if d in DIALECTS and (out / d).is_dir()}


def check_replaceable(out: Path, dialects: Sequence[str], marker: dict[str, object]) -> None:
    """Refuse to overwrite trees this script did not write, unless forced."""
    if marker:
        return
    foreign = [d for d in dialects if (out / d).exists()]
    if foreign:
        raise SystemExit(
            f"gen_monorepo: {out} already has {', '.join(foreign)} but no {MARKER_NAME}; "
            "use --force to overwrite"
        )


def generate(
    n: int, out: Path | None = None, dialects: Sequence[str] = DIALECTS, force: bool = False
) -> GenResult:
    """Generate (or reuse) the monorepo of ``n`` packages for ``dialects`` under ``out``."""
    if n < 1:
        raise ValueError("n must be >= 1")
    out = (out or default_out(n)).resolve()
    out.mkdir(parents=True, exist_ok=True)
    marker = read_marker(out)
    if not force:
        check_replaceable(out, dialects, marker)
    done = set() if force else up_to_date(marker, n, out)
    todo = tuple(d for d in dialects if d not in done)
    for dialect in todo:
        write_tree(out / dialect, n, dialect)
        done.add(dialect)
        write_marker(out, n, sorted(done))
    return GenResult(n, out, {d: out / d for d in dialects}, todo)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of packages (3 targets each)")
    parser.add_argument("--out", type=Path, help="output dir (default benchmarks/.work/monorepo-N)")
    parser.add_argument("--dialect", choices=(*DIALECTS, "both"), default="both")
    parser.add_argument("--force", action="store_true", help="regenerate even if up to date")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    dialects = DIALECTS if args.dialect == "both" else (args.dialect,)
    start = time.perf_counter()
    result = generate(args.n, args.out, dialects, args.force)
    elapsed = time.perf_counter() - start
    for dialect, tree in result.trees.items():
        state = "written" if dialect in result.regenerated else "up to date, reused"
        print(f"{dialect}: {tree} ({result.packages} packages, {result.targets} targets; {state})")
    if result.regenerated:
        print(f"generated {', '.join(result.regenerated)} in {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
