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
from installed import as_installed

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
README = BENCH_DIR / "README.md"
FLOOR_SCRIPT = BENCH_DIR / "floor.py"
START_MARK = "<!-- load-results:start -->"
END_MARK = "<!-- load-results:end -->"
MEMORY_START = "<!-- memory-results:start -->"
MEMORY_END = "<!-- memory-results:end -->"
CACHE_DIRS: tuple[str, ...] = (".graphpub",)

GOAL_N = 10_000
MEMORY_N = 50_000
FLOOR_RATIO_GOAL = 1.3  # graphpub list :: / the one-process floor
FLOOR2_RATIO_GOAL = 2.0  # graphpub list :: / the two-process floor
WARM_GOAL_S = 0.5  # list :: on an unchanged tree, from the package cache
WARM_DEPS_GOAL_S = 1.0  # dependencies :: with inference, from the caches
MEMORY_GOAL_MIB = 250.0  # list :: at N = 50,000

README_INTRO = """# Benchmarks

See `load.py` for what is measured. Run `python benchmarks/load.py --n 10000 --write`.

## Results

"""


class BenchError(RuntimeError):
    """A benchmarked command failed or produced the wrong output."""


@dataclass(frozen=True)
class Sample:
    wall_s: float
    cpu_s: float
    maxrss_kib: int

    @property
    def rss_mib(self) -> float:
        return self.maxrss_kib / 1024


@dataclass(frozen=True)
class Series:
    """All timed samples of one command on one tree."""

    dialect: str
    label: str
    command: str
    samples: tuple[Sample, ...]

    @property
    def walls(self) -> list[float]:
        return [s.wall_s for s in self.samples]

    @property
    def cpus(self) -> list[float]:
        return [s.cpu_s for s in self.samples]

    @property
    def rsss(self) -> list[float]:
        return [s.rss_mib for s in self.samples]

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)

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


COLD, WARM, WARM_DEPS, FLOOR, FLOOR2, BAZEL = (
    "graphpub list ::, cold",
    "graphpub list ::, warm",
    "graphpub dependencies ::, warm",
    "floor.py",
    "floor.py --jobs 2",
    "bazel --batch query //...",
)


@dataclass(frozen=True)
class DialectResult:
    dialect: str
    n: int
    series: dict[str, Series]

    def goals(self) -> list[Goal]:
        s, goals = self.series, []
        cold = s[COLD]

        def ratio(name: str, floor: str, limit: float) -> None:
            if floor in s:
                value = cold.wall / s[floor].wall
                goals.append(
                    Goal(self.dialect, name, f"{value:.2f}x", f"<= {limit}x", value <= limit)
                )

        def at_most(name: str, label: str, limit: float) -> None:
            if label in s:
                value = s[label].wall
                goals.append(
                    Goal(self.dialect, name, f"{value:.3f} s", f"<= {limit} s", value <= limit)
                )

        if self.n == MEMORY_N:
            value = cold.rss
            goals.append(
                Goal(
                    self.dialect,
                    "peak RSS, list ::",
                    f"{value:.1f} MiB",
                    f"<= {MEMORY_GOAL_MIB:.0f} MiB",
                    value <= MEMORY_GOAL_MIB,
                )
            )
            return goals
        ratio("cold / one-process floor", FLOOR, FLOOR_RATIO_GOAL)
        ratio("cold / two-process floor", FLOOR2, FLOOR2_RATIO_GOAL)
        at_most("warm list ::", WARM, WARM_GOAL_S)
        at_most("warm dependencies ::", WARM_DEPS, WARM_DEPS_GOAL_S)
        return goals


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


def run_process(cmd: Sequence[str], stdout: int | IO[bytes], cwd: Path | None = None) -> Sample:
    """Run ``cmd`` to completion; its wall time, CPU time (user + system, with the children
    it waited for) and peak RSS (its own or a waited-for child's, the larger)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=stdout, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, tell Popen
    if proc.returncode != 0:
        raise BenchError(f"exit status {proc.returncode}: {shlex.join(cmd)}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def run_captured(cmd: Sequence[str], cwd: Path | None = None) -> list[str]:
    """Run ``cmd`` (via :func:`run_process`) and return its stdout lines."""
    with tempfile.TemporaryFile() as out:
        run_process(cmd, out, cwd)
        out.seek(0)
        return out.read().decode("utf-8", "replace").splitlines()


def clear_cache(tree: Path) -> None:
    for name in CACHE_DIRS:
        shutil.rmtree(tree / name, ignore_errors=True)


# --- the benchmark -----------------------------------------------------------------------


def commands(
    graphpub: str, tree: Path, dialect: str, n: int, bazel: str | None
) -> dict[str, list[str]]:
    floor = [sys.executable, str(FLOOR_SCRIPT), *(["--generate"] if dialect == "pants" else [])]
    found = {
        COLD: [graphpub, "-C", str(tree), "list", "::"],
        FLOOR: [*floor, str(tree)],
    }
    if n == MEMORY_N:
        return found
    found[FLOOR2] = [*floor, "--jobs", "2", str(tree)]
    found[WARM] = [graphpub, "-C", str(tree), "list", "::"]
    found[WARM_DEPS] = [graphpub, "-C", str(tree), "dependencies", "::"]
    if bazel is not None and dialect == "bazel":
        found[BAZEL] = [bazel, "--batch", f"--output_user_root={BAZEL_ROOT}", "query", "//..."]
    return found


BAZEL_ROOT = BENCH_DIR / ".work" / "bazel-root"
RACY_S = 2.5  # graphpub's racy window (files.RACY_NS, 2 s) and a margin


def verify(cmds: dict[str, list[str]], tree: Path, n: int, dialect: str) -> None:
    """Untimed warm-up of each command, checking that each sees all the targets: 3*N (and,
    Pants, one per generated file) everywhere; this also writes the package cache."""
    listed = expected_listed(n, dialect)
    clear_cache(tree)
    for label, cmd in cmds.items():
        lines = [line for line in run_captured(cmd, tree) if line.strip()]
        if label.startswith("floor"):
            if lines != [str(listed)]:
                raise BenchError(f"{label} printed {lines[:3]} for {tree}, expected {listed}")
        elif label in (COLD, WARM, BAZEL) and (len(lines) != listed or len(set(lines)) != listed):
            raise BenchError(
                f"{label} printed {len(lines)} lines ({len(set(lines))} distinct) for {tree}, "
                f"expected {listed} targets; first lines: {lines[:3]}"
            )


def bench_tree(
    dialect: str, tree: Path, n: int, runs: int, graphpub: str, bazel: str | None, peer_runs: int
) -> DialectResult:
    cmds = commands(graphpub, tree, dialect, n, bazel)
    if BAZEL in cmds:
        (tree / "WORKSPACE").touch()  # Bazel 2 reads WORKSPACE, not MODULE.bazel
    verify(cmds, tree, n, dialect)
    samples: dict[str, list[Sample]] = {label: [] for label in cmds}
    for run in range(max(runs, peer_runs)):
        for label, cmd in cmds.items():
            if run >= (peer_runs if label == BAZEL else runs):
                continue
            if label == COLD:
                clear_cache(tree)
            sample = run_process(cmd, subprocess.DEVNULL, tree)
            samples[label].append(sample)
            print(
                f"  {dialect} run {run + 1} {label}: {sample.wall_s:.3f} s wall, "
                f"{sample.cpu_s:.3f} s CPU, {sample.rss_mib:.1f} MiB "
                f"(load {os.getloadavg()[0]:.1f})",
                file=sys.stderr,
            )
            if label == COLD and WARM in cmds:
                # Warm means a second run of the same command with nothing changed: the
                # package cache, then the import cache and the graph snapshot, as the
                # cold run's removal of `.graphpub` left none of the latter two. The cold
                # run's cache writer made `.graphpub/`, which changed the tree's root: a run
                # within two seconds of that looks at the root again and keeps it anew (git's
                # racy rule), so the untimed runs start once a user's next command would.
                time.sleep(RACY_S)
                run_process(cmds[WARM], subprocess.DEVNULL, tree)
                run_process(cmds[WARM_DEPS], subprocess.DEVNULL, tree)
    clear_cache(tree)
    series = {
        label: Series(dialect, label, shlex.join(cmd), tuple(samples[label]))
        for label, cmd in cmds.items()
    }
    return DialectResult(dialect, n, series)


# --- reporting ---------------------------------------------------------------------------


def span(values: Sequence[float], fmt: str) -> str:
    return f"{min(values):{fmt}}–{max(values):{fmt}}"


def results_table(results: Sequence[DialectResult]) -> str:
    rows = [
        "| dialect | process | wall median (s) | wall min–max (s) | CPU median (s) "
        "| peak RSS median (MiB) | graphpub cold / it (wall) |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for res in results:
        cold = res.series[COLD]
        for s in res.series.values():
            rows.append(
                f"| {s.dialect} | `{s.label}` | {s.wall:.3f} | {span(s.walls, '.3f')} "
                f"| {s.cpu:.3f} | {s.rss:.1f} | {cold.wall / s.wall:.2f} |"
            )
    return "\n".join(rows)


def commands_list(results: Sequence[DialectResult]) -> str:
    rows = []
    for res in results:
        for s in res.series.values():
            rows.append(f"- {res.dialect}, {s.label}: `{s.command}`")
    return "\n".join(rows)


def goals_table(results: Sequence[DialectResult]) -> str:
    rows = ["| dialect | goal | measured (median) | limit | result |", "|---|---|--:|--:|---|"]
    for res in results:
        for g in res.goals():
            verdict = "PASS" if g.ok else "**FAIL**"
            rows.append(f"| {g.dialect} | {g.name} | {g.measured} | {g.limit} | {verdict} |")
    return "\n".join(rows)


def report(results: Sequence[DialectResult], n: int, runs: int, peer_runs: int) -> str:
    peers = f", Bazel {peer_runs}" if any(BAZEL in r.series for r in results) else ""
    return (
        f"N = {n:,} packages ({expected_targets(n):,} targets per tree), "
        f"timed runs per process: {runs}{peers}; medians. "
        f"Load average at the end: {os.getloadavg()[0]:.1f}.\n\n"
        f"{results_table(results)}\n\n{goals_table(results)}\n\n"
        f"Commands (in the tree):\n\n{commands_list(results)}\n"
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


def write_readme(section: str, start_mark: str = START_MARK, end_mark: str = END_MARK) -> None:
    block = f"{start_mark}\n{section.rstrip()}\n{end_mark}"
    text = README.read_text(encoding="utf-8") if README.exists() else README_INTRO
    start, end = text.find(start_mark), text.find(end_mark)
    if start == -1 or end < start:
        text = text.rstrip() + "\n\n" + block + "\n"
    else:
        text = text[:start] + block + text[end + len(end_mark) :]
    README.write_text(text, encoding="utf-8")


# --- main --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=GOAL_N, help="packages (default 10000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per process")
    parser.add_argument("--dialect", choices=(*DIALECTS, "both"), default="both")
    parser.add_argument("--write", action="store_true", help="record results in README.md")
    parser.add_argument("--graphpub", help="graphpub executable (default: next to python)")
    parser.add_argument(
        "--bazel",
        help="a Bazel 2.1.0 binary (`npm pack @bazel/bazel-linux_x64@2.1.0`) to time "
        "`bazel --batch query //...` on the Bazel tree",
    )
    parser.add_argument("--peer-runs", type=int, default=5, help="timed runs of Bazel")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.n < 1:
        parser.error("--n and --runs must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    dialects = DIALECTS if args.dialect == "both" else (args.dialect,)
    graphpub = args.graphpub or find_graphpub()
    as_installed(graphpub)
    gen = generate(args.n, dialects=dialects)
    print(f"monorepo: {gen.out} ({args.n} packages, graphpub: {graphpub})", file=sys.stderr)
    try:
        results = [
            bench_tree(d, gen.trees[d], args.n, args.runs, graphpub, args.bazel, args.peer_runs)
            for d in dialects
        ]
    except BenchError as exc:
        print(f"load: FAILED: {exc}", file=sys.stderr)
        return 2
    table = report(results, args.n, args.runs, args.peer_runs)
    print(table)
    if args.write:
        marks = (START_MARK, END_MARK) if args.n != MEMORY_N else (MEMORY_START, MEMORY_END)
        write_readme(f"{table}\n{machine_info()}\n- Command: `{invocation()}`\n", *marks)
        print(f"wrote results to {README}", file=sys.stderr)
    return 0 if all(g.ok for r in results for g in r.goals()) else 1


if __name__ == "__main__":
    sys.exit(main())
