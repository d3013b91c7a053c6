#!/usr/bin/env python3
"""Packaging benchmark: `graphpub package ::` against the loop a user would script.

Usage::

    python benchmarks/package.py [--n 100] [--runs 3] [--write]
    python benchmarks/package.py --own 20 [--runs 3] [--write]

Generates a Pants monorepo of N small distributions, each depending on up to two
lower-numbered ones (so each needs first-party pins), and the same N projects as plain
directories with a hand-written pyproject.toml. Then, in the same run, times as whole
processes: cold `graphpub package ::` (no `.graphpub/` cache, empty `dist/`), an unchanged
second `graphpub package ::`, `python -m build --no-isolation` run on each project
directory in turn, and `uv build --all-packages --no-build-isolation` on the projects as one uv
workspace (uv is a benchmark-only dependency: `pip install uv`). Goals: cold at least 10x
faster than the loop; unchanged rerun under 1 s.

With `--own N`: a Pants monorepo of N projects that describe themselves (generate_setup=False,
each its own setuptools pyproject.toml), packaged by `graphpub package ::` against
`python -m build` run on each project directory, both with build isolation (the backend from
the package index pip is configured with) and without. Goal: graphpub faster than the loop.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from installed import as_installed

BENCH_DIR = Path(__file__).resolve().parent
README = BENCH_DIR / "README.md"
START_MARK = "<!-- package-results:start -->"
END_MARK = "<!-- package-results:end -->"
OWN_START = "<!-- own-project-results:start -->"
OWN_END = "<!-- own-project-results:end -->"


def write_section(start: str, end: str, title: str, table: str) -> None:
    """Put `table` between the `start` / `end` markers of README.md (a new section if none)."""
    text = README.read_text(encoding="utf-8")
    section = f"{start}\n{table}\n{end}"
    if start in text:
        before, _, rest = text.partition(start)
        text = before + section + rest.partition(end)[2]
    else:
        text += f"\n## {title}\n\n{section}\n"
    README.write_text(text, encoding="utf-8")


def dependencies_of(index: int) -> list[int]:
    return sorted({index - 1, index // 2} - {index}) if index else []


def generate(n: int, out: Path) -> tuple[Path, Path]:
    monorepo, projects = out / "monorepo", out / "projects"
    shutil.rmtree(out, ignore_errors=True)
    (monorepo).mkdir(parents=True)
    (monorepo / "pants.toml").write_text('[source]\nroot_patterns = ["/"]\n', encoding="utf-8")
    for index in range(n):
        name = f"d{index:03d}"
        imports = "".join(f"import d{d:03d}\n" for d in dependencies_of(index))
        code = f'"""Package {name}."""\n{imports}\nVALUE = {index}\n'
        package = monorepo / name
        package.mkdir()
        (package / "__init__.py").write_text(code, encoding="utf-8")
        (package / "BUILD").write_text(
            "python_sources()\n"
            f'python_distribution(name = "dist", dependencies = [":{name}"],\n'
            f'    provides = python_artifact(name = "bench-{name}", version = "1.0.0",\n'
            f'        description = "Benchmark package {name}."))\n',
            encoding="utf-8",
        )
        project = projects / name
        (project / name).mkdir(parents=True)
        (project / name / "__init__.py").write_text(code, encoding="utf-8")
        (project / "README.txt").write_text(f"Benchmark package {name}.\n", encoding="utf-8")
        requirements = ", ".join(f'"bench-d{d:03d}==1.0.0"' for d in dependencies_of(index))
        (project / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
            f'[project]\nname = "bench-{name}"\nversion = "1.0.0"\n'
            f'description = "Benchmark package {name}."\n'
            f'readme = {{file = "README.txt", content-type = "text/plain"}}\n'
            # Python 3 only, so hatchling tags the wheel py3-none-any as Pants does.
            'requires-python = ">=3.7"\n'
            f"dependencies = [{requirements}]\n\n"
            f'[tool.hatch.build.targets.wheel]\npackages = ["{name}"]\n',
            encoding="utf-8",
        )
    return monorepo, projects


def generate_own(n: int, out: Path) -> Path:
    """A Pants monorepo of `n` projects that describe themselves, setuptools-built."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / "pants.toml").write_text(
        '[GLOBAL]\npants_version = "2.26.0"\n[setup-py-generation]\n'
        "generate_setup_default = false\n",
        encoding="utf-8",
    )
    for index in range(n):
        name = f"own{index:03d}"
        project = out / name
        (project / "src" / name).mkdir(parents=True)
        (project / "src" / name / "__init__.py").write_text(
            f'"""Package {name}."""\n\nVALUE = {index}\n', encoding="utf-8"
        )
        (project / "src" / name / "BUILD").write_text("python_sources()\n", encoding="utf-8")
        (project / "README.md").write_text(f"# {name}\n\nBenchmark project.\n", encoding="utf-8")
        (project / "pyproject.toml").write_text(
            '[build-system]\nrequires = ["setuptools>=61"]\n'
            'build-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "bench-{name}"\nversion = "1.0.0"\n'
            f'description = "Benchmark project {name}."\nreadme = "README.md"\n'
            'requires-python = ">=3.9"\n',
            encoding="utf-8",
        )
        (project / "BUILD").write_text(
            'files(name="project", sources=["pyproject.toml", "README.md"])\n'
            'python_distribution(name="dist", provides=python_artifact(),\n'
            f'    dependencies=[":project", "{name}/src/{name}"])\n',
            encoding="utf-8",
        )
    return out


def own_projects(n: int, runs: int) -> tuple[str, bool]:
    """The --own figure: (its Markdown table, whether graphpub beat the loop both ways)."""
    monorepo = generate_own(n, BENCH_DIR / ".work" / f"own-{n}")
    projects = sorted(p for p in monorepo.iterdir() if p.is_dir())
    rows, passed = [], True
    for isolated in (True, False):
        flag = [] if isolated else ["--no-build-isolation"]
        times = []
        for _ in range(runs):
            shutil.rmtree(monorepo / ".graphpub", ignore_errors=True)
            shutil.rmtree(monorepo / "dist", ignore_errors=True)
            times.append(timed([graphpub(), "-C", str(monorepo), "package", *flag, "::"]))
        built = sorted(p.name for p in (monorepo / "dist").iterdir())
        out = monorepo.parent / f"own-by-hand-{n}"
        shutil.rmtree(out, ignore_errors=True)
        build_flags = [] if isolated else ["--no-isolation"]
        start = time.perf_counter()
        for project in projects:
            subprocess.run(
                [sys.executable, "-m", "build", *build_flags, "--outdir", str(out), str(project)],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        loop = time.perf_counter() - start
        by_hand = sorted(p.name for p in out.iterdir())
        if built != by_hand:
            raise SystemExit(f"different files: graphpub {built[:4]}..., by hand {by_hand[:4]}...")
        median = statistics.median(times)
        passed &= median < loop
        mode = "isolated" if isolated else "without isolation"
        build_flag = "" if isolated else " --no-isolation"
        rows.append(
            f"| {mode} | `graphpub package{' ' + flag[0] if flag else ''} ::` | "
            f"{median:.2f} (min {min(times):.2f}) | `python -m build{build_flag}` on each | "
            f"{loop:.2f} | {loop / median:.1f}x |"
        )
    table = "\n".join(
        [
            f"N = {n} projects that describe themselves (generate_setup=False, setuptools "
            f"backend), cold (no cache, empty dist/); graphpub runs {runs}, medians; the loop "
            "one run.",
            "",
            "| build isolation | graphpub | wall (s) | loop | wall (s) | speedup |",
            "|---|---|--:|---|--:|--:|",
            *rows,
            "",
            f"Command: `python benchmarks/package.py --own {n} --runs {runs} --write`",
        ]
    )
    return table, passed


def timed(command: list[str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


UV_BUILD = "uv build --all-packages --no-build-isolation"


def uv_build(projects: Path) -> tuple[float, list[str]]:
    """`uv build --all-packages --no-build-isolation` on `projects` made a uv workspace (a
    virtual root listing them), with this Python's hatchling: seconds, and the files built.
    uv is a benchmark-only dependency (`pip install uv`)."""
    uv = Path(sys.executable).parent / "uv"
    command = str(uv) if uv.exists() else shutil.which("uv")
    if not command:
        raise SystemExit("uv is not installed: pip install uv (a benchmark-only dependency)")
    (projects / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["d*"]\n', encoding="utf-8"
    )
    out = projects.parent / "uv-dist"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(
        [command, *UV_BUILD.split()[1:], "--python", sys.executable, "--out-dir", str(out)],
        cwd=projects,
        env={**os.environ, "UV_OFFLINE": "1"},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    built = sorted(p.name for p in out.iterdir() if p.name.endswith((".whl", ".tar.gz")))
    return time.perf_counter() - start, built  # uv writes a .gitignore there too


def graphpub() -> str:
    beside = Path(sys.executable).parent / "graphpub"
    return str(beside) if beside.exists() else shutil.which("graphpub") or "graphpub"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--own", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    as_installed(graphpub())
    if args.own:
        table, passed = own_projects(args.own, args.runs)
        print(table)
        if args.write:
            write_section(OWN_START, OWN_END, "Packaging projects that describe themselves", table)
        return 0 if passed else 1
    monorepo, projects = generate(args.n, BENCH_DIR / ".work" / f"package-{args.n}")
    command = [graphpub(), "-C", str(monorepo), "package", "::"]
    cold, warm = [], []
    for _ in range(args.runs):
        shutil.rmtree(monorepo / ".graphpub", ignore_errors=True)
        shutil.rmtree(monorepo / "dist", ignore_errors=True)
        cold.append(timed(command))
        warm.append(timed(command))
    built = sorted(p.name for p in (monorepo / "dist").iterdir())
    loop_start = time.perf_counter()
    out = projects.parent / "by-hand-dist"
    shutil.rmtree(out, ignore_errors=True)
    for project in sorted(p for p in projects.iterdir() if p.is_dir()):
        subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(project)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    loop = time.perf_counter() - loop_start
    by_hand = sorted(p.name for p in out.iterdir())
    if built != by_hand:
        print(f"different files: graphpub {len(built)}, by hand {len(by_hand)}", file=sys.stderr)
        return 2
    uv_runs = [uv_build(projects) for _ in range(args.runs)]
    uv_seconds, uv_built = statistics.median(t for t, _ in uv_runs), uv_runs[-1][1]
    if built != uv_built:
        print(f"different files: graphpub {len(built)}, uv {len(uv_built)}", file=sys.stderr)
        return 2
    cold_median, warm_median = statistics.median(cold), statistics.median(warm)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    speedup = loop / cold_median
    table = "\n".join(
        [
            f"N = {args.n} distributions ({len(built)} files), graphpub and uv runs {args.runs}, "
            f"medians; load average after the run {load} (1/5/15 min) on {os.cpu_count()} cores.",
            "",
            "| process | wall (s) |",
            "|---|--:|",
            f"| `graphpub package ::`, cold | {cold_median:.2f} (min {min(cold):.2f}) |",
            f"| `graphpub package ::`, unchanged rerun | {warm_median:.2f} (min {min(warm):.2f}) |",
            f"| `python -m build --no-isolation` on each project, in turn (one run) | {loop:.2f} |",
            f"| `{UV_BUILD}` on the same projects as a uv workspace | {uv_seconds:.2f} |",
            f"| ratio of uv build to graphpub cold | {uv_seconds / cold_median:.1f}x |",
            "",
            "| goal | measured | result |",
            "|---|--:|---|",
            f"| cold at least 10x faster than the loop | {speedup:.1f}x | "
            f"{'PASS' if speedup >= 10 else '**FAIL**'} |",
            f"| unchanged rerun under 1 s | {warm_median:.2f} s | "
            f"{'PASS' if warm_median < 1 else '**FAIL**'} |",
            "",
            f"Command: `python benchmarks/package.py --n {args.n} --runs {args.runs} --write`",
        ]
    )
    print(table)
    if args.write:
        write_section(START_MARK, END_MARK, "Packaging results", table)
    return 0 if speedup >= 10 and warm_median < 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
