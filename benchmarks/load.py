#!/usr/bin/env python3
"""Load benchmark: cold ``graphpub list ::`` on a synthetic monorepo, against the floor.

Usage::

    python benchmarks/load.py [--n 10000] [--runs 5] [--dialect bazel|pants|both] [--write]

Generates the monorepo if missing (``gen_monorepo.py``), then for each dialect checks that
``graphpub -C TREE list ::`` prints exactly 3*N addresses and that ``floor.py TREE`` counts
3*N targets (these untimed runs also warm the OS file cache), then times both as whole
processes, alternating run by run. Wall time is ``time.perf_counter()`` around
``Popen`` + ``os.wait4``; peak RSS is ``ru_maxrss`` from that process's own rusage.
"Cold" means a fresh process with no graphpub cache: ``TREE/.graphpub`` is removed before
each graphpub run. Prints a markdown table of medians (min-max) and pass/fail against the
goals; exits 1 if a goal is missed. ``--write`` also records the table in README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from gen_monorepo import DIALECTS, expected_listed, expected_targets, generate

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
README = BENCH_DIR / "README.md"
FLOOR_SCRIPT = BENCH_DIR / "floor.py"
START_MARK = "<!-- load-results:start -->"
END_MARK = "<!-- load-results:end -->"
CACHE_DIRS: tuple[str, ...] = (".graphpub",)

GOAL_N = 10_000
WALL_GOAL_S = 2.5
RSS_GOAL_MIB = 300.0
FLOOR_RATIO_GOAL = 1.5

README_INTRO = """# Benchmarks

See `load.py` for what is measured. Run `python benchmarks/load.py --n 10000 --write`.

## Results

"""


class BenchError(RuntimeError):
    """A benchmarked command failed or produced the wrong output."""


@dataclass(frozen=True)
class Sample:
    wall_s: float
    maxrss_kib: int

    @property
    def rss_mib(self) -> float:
        return self.maxrss_kib / 1024


@dataclass(frozen=True)
class Series:
    """All timed samples of one command on one tree."""

    dialect: str
    label: str
    samples: tuple[Sample, ...]

    @property
    def walls(self) -> list[float]:
        return [s.wall_s for s in self.samples]

    @property
    def rsss(self) -> list[float]:
        return [s.rss_mib for s in self.samples]

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def rss(self) -> float:
        return statistics.median(self.rsss)


@dataclass(frozen=True)
class Goal:
    dialect: str
    name: str
    measured: str
    limit: str
    ok: bool


@dataclass(frozen=True)
class DialectResult:
    dialect: str
    graphpub: Series
    floor: Series

    def goals(self) -> list[Goal]:
        g, f = self.graphpub, self.floor
        ratio = g.wall / f.wall
        return [
            Goal(
                self.dialect,
                "wall time",
                f"{g.wall:.3f} s",
                f"<= {WALL_GOAL_S} s",
                g.wall <= WALL_GOAL_S,
            ),
            Goal(
                self.dialect,
                "peak RSS",
                f"{g.rss:.1f} MiB",
                f"<= {RSS_GOAL_MIB:.0f} MiB",
                g.rss <= RSS_GOAL_MIB,
            ),
            Goal(
                self.dialect,
                "wall / floor",
                f"{ratio:.2f}x",
                f"<= {FLOOR_RATIO_GOAL}x",
                ratio <= FLOOR_RATIO_GOAL,
            ),
        ]


# --- running processes --------------------------------------------------------------------


def find_graphpub() -> str:
    """``graphpub`` next to the running interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "graphpub"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("graphpub")
    if found is None:
        raise SystemExit(f"load: no graphpub executable in {beside.parent} or on PATH")
    return found


def run_process(cmd: Sequence[str], stdout: int | IO[bytes]) -> Sample:
    """Run ``cmd`` to completion; its wall time and its own peak RSS (not RUSAGE_CHILDREN)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, tell Popen
    if proc.returncode != 0:
        raise BenchError(f"exit status {proc.returncode}: {shlex.join(cmd)}")
    return Sample(wall, usage.ru_maxrss)


def run_captured(cmd: Sequence[str]) -> list[str]:
    """Run ``cmd`` (via :func:`run_process`) and return its stdout lines."""
    with tempfile.TemporaryFile() as out:
        run_process(cmd, out)
        out.seek(0)
        return out.read().decode("utf-8", "replace").splitlines()


def clear_cache(tree: Path) -> None:
    for name in CACHE_DIRS:
        shutil.rmtree(tree / name, ignore_errors=True)


# --- the benchmark -----------------------------------------------------------------------


def commands(graphpub: str, tree: Path) -> dict[str, list[str]]:
    return {
        "graphpub list ::": [graphpub, "-C", str(tree), "list", "::"],
        "floor.py": [sys.executable, str(FLOOR_SCRIPT), str(tree)],
    }


def verify(
    graphpub_cmd: Sequence[str], floor_cmd: Sequence[str], tree: Path, n: int, dialect: str
) -> None:
    """Untimed warm-up of both commands, checking that each sees all the targets: 3*N calls
    for the floor, and those plus generated file targets (Pants) for graphpub."""
    want = expected_targets(n)
    listed = expected_listed(n, dialect)
    clear_cache(tree)
    lines = [line for line in run_captured(graphpub_cmd) if line.strip()]
    if len(lines) != listed or len(set(lines)) != listed:
        raise BenchError(
            f"graphpub printed {len(lines)} lines ({len(set(lines))} distinct) for {tree}, "
            f"expected {listed} targets; first lines: {lines[:3]}"
        )
    floor_out = run_captured(floor_cmd)
    if floor_out != [str(want)]:
        raise BenchError(f"floor.py printed {floor_out[:3]} for {tree}, expected {want}")


def bench_tree(dialect: str, tree: Path, n: int, runs: int, graphpub: str) -> DialectResult:
    cmds = commands(graphpub, tree)
    gp_label, floor_label = cmds
    verify(cmds[gp_label], cmds[floor_label], tree, n, dialect)
    samples: dict[str, list[Sample]] = {label: [] for label in cmds}
    for run in range(runs):
        for label, cmd in cmds.items():
            if label == gp_label:
                clear_cache(tree)
            sample = run_process(cmd, subprocess.DEVNULL)
            samples[label].append(sample)
            print(
                f"  {dialect} run {run + 1}/{runs} {label}: "
                f"{sample.wall_s:.3f} s, {sample.rss_mib:.1f} MiB",
                file=sys.stderr,
            )
    clear_cache(tree)
    gp, fl = (Series(dialect, label, tuple(samples[label])) for label in cmds)
    return DialectResult(dialect, gp, fl)


# --- reporting ---------------------------------------------------------------------------


def span(values: Sequence[float], fmt: str) -> str:
    return f"{min(values):{fmt}}–{max(values):{fmt}}"


def results_table(results: Sequence[DialectResult]) -> str:
    rows = [
        "| dialect | process | wall median (s) | wall min–max (s) "
        "| peak RSS median (MiB) | peak RSS min–max (MiB) |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for res in results:
        for s in (res.graphpub, res.floor):
            rows.append(
                f"| {s.dialect} | `{s.label}` | {s.wall:.3f} | {span(s.walls, '.3f')} "
                f"| {s.rss:.1f} | {span(s.rsss, '.1f')} |"
            )
    return "\n".join(rows)


def goals_table(results: Sequence[DialectResult]) -> str:
    rows = ["| dialect | goal | measured (median) | limit | result |", "|---|---|--:|--:|---|"]
    for res in results:
        for g in res.goals():
            verdict = "PASS" if g.ok else "**FAIL**"
            rows.append(f"| {g.dialect} | {g.name} | {g.measured} | {g.limit} | {verdict} |")
    return "\n".join(rows)


def report(results: Sequence[DialectResult], n: int, runs: int) -> str:
    note = "" if n == GOAL_N else f" (the goals are set for N = {GOAL_N:,})"
    return (
        f"N = {n:,} packages ({expected_targets(n):,} targets per tree), "
        f"timed runs per process: {runs}; medians{note}.\n\n"
        f"{results_table(results)}\n\n{goals_table(results)}\n"
    )


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "no commit"
    return rev or "no commit"


def machine_info() -> str:
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"- Machine: {nproc} CPUs available (nproc), {cpu_model()}, {platform.platform()}\n"
        f"- Python: {platform.python_version()} ({sys.executable})\n"
        f"- graphpub revision: {git_revision()}\n"
        f"- Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC"
    )


def invocation() -> str:
    script = Path(sys.argv[0]).resolve()
    try:
        shown = str(script.relative_to(Path.cwd()))
    except ValueError:
        shown = str(script)
    return shlex.join(["python", shown, *sys.argv[1:]])


def write_readme(section: str) -> None:
    block = f"{START_MARK}\n{section.rstrip()}\n{END_MARK}"
    text = README.read_text(encoding="utf-8") if README.exists() else README_INTRO
    start, end = text.find(START_MARK), text.find(END_MARK)
    if start == -1 or end < start:
        text = text.rstrip() + "\n\n" + block + "\n"
    else:
        text = text[:start] + block + text[end + len(END_MARK) :]
    README.write_text(text, encoding="utf-8")


# --- main --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=GOAL_N, help="packages (default 10000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per process")
    parser.add_argument("--dialect", choices=(*DIALECTS, "both"), default="both")
    parser.add_argument("--write", action="store_true", help="record results in README.md")
    parser.add_argument("--graphpub", help="graphpub executable (default: next to python)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.n < 1:
        parser.error("--n and --runs must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    dialects = DIALECTS if args.dialect == "both" else (args.dialect,)
    graphpub = args.graphpub or find_graphpub()
    gen = generate(args.n, dialects=dialects)
    print(f"monorepo: {gen.out} ({args.n} packages, graphpub: {graphpub})", file=sys.stderr)
    try:
        results = [bench_tree(d, gen.trees[d], args.n, args.runs, graphpub) for d in dialects]
    except BenchError as exc:
        print(f"load: FAILED: {exc}", file=sys.stderr)
        return 2
    table = report(results, args.n, args.runs)
    print(table)
    if args.write:
        write_readme(f"{table}\n{machine_info()}\n- Command: `{invocation()}`\n")
        print(f"wrote results to {README}", file=sys.stderr)
    return 0 if all(g.ok for r in results for g in r.goals()) else 1


if __name__ == "__main__":
    sys.exit(main())
