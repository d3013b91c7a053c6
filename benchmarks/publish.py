#!/usr/bin/env python3
"""Publishing benchmark: `graphpub publish ::` against `uv publish` and a by-hand loop.

Usage::

    python benchmarks/publish.py [--n 100] [--runs 5] [--loop-runs 1] [--write]

Generates the packaging benchmark's monorepo of N distributions, each listing two local
pypiservers (started here on 127.0.0.1, free ports, htpasswd auth), builds them once, then times
as whole processes, in the same run: `graphpub publish ::` into empty servers; the same with
everything already there (it must upload nothing); into empty servers again, `uv publish` of the
same files, one process per repository, both at once (as a user would run them), then the same
again with `--check-url` (the server's simple index: uv's rerun, uploading nothing); and, into
empty servers again, one `twine upload` per distribution per repository. graphpub and uv are
repeated `--runs` times, with fresh servers, and the medians compared; the twine loop (about a
minute a run) `--loop-runs` times. Besides the wall time, each measure has the CPU time (user
and system) of the processes timed and that the two servers spent meanwhile (from /proc): on a
shared machine the wall time moves with the load, what each side costs much less. Goals: the
first upload at most uv's time, the rerun at most uv's `--check-url` rerun, at least 10x
faster than the loop.

uv is a benchmark-only dependency (`pip install uv`, or the `bench` extra): `uv` beside this
Python, else on PATH.

The htpasswd file holds apr1-MD5 hashes, Apache `htpasswd`'s default. With passlib's
sha256_crypt (535,000 rounds) pypiserver spends 0.1 s checking the password of every request,
which then dominates both sides: that measures the server, not the uploader.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from installed import as_installed
from package import BENCH_DIR, generate, graphpub, write_section

START_MARK = "<!-- publish-results:start -->"
END_MARK = "<!-- publish-results:end -->"
USER, PASSWORD = "bench", "bench-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    from passlib.apache import HtpasswdFile  # type: ignore[import-untyped]

    packages = directory / "packages"
    shutil.rmtree(directory, ignore_errors=True)
    packages.mkdir(parents=True)
    htpasswd = HtpasswdFile(str(directory / "htpasswd"), new=True, default_scheme="apr_md5_crypt")
    htpasswd.set_password(USER, PASSWORD)
    htpasswd.save()
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pypiserver",
            "run",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-P",
            str(directory / "htpasswd"),
            "-a",
            "update",
            "--disable-fallback",
            "--server",
            "wsgiref",
            str(packages),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "health", timeout=1).close()
            return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("pypiserver did not start")


Servers = Sequence[tuple[subprocess.Popen[bytes], str]]


@dataclass(frozen=True)
class Cost:
    """What one timed run took: wall seconds, the CPU seconds (user + system) of the processes
    timed, and those the servers spent meanwhile."""

    wall: float
    cpu: float
    servers: float


def children_cpu() -> float:
    """User + system seconds of the child processes ended so far (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def servers_cpu(servers: Servers) -> float:
    """User + system seconds the servers have spent; NaN where /proc cannot tell."""
    total = 0.0
    for process, _ in servers:
        try:
            stat = Path(f"/proc/{process.pid}/stat").read_text(encoding="ascii")
        except OSError:
            return math.nan
        fields = stat.rpartition(")")[2].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def measured(run: Callable[[], None], servers: Servers) -> Cost:
    """The cost of `run()`, which starts processes and waits for them all."""
    cpu, served, start = children_cpu(), servers_cpu(servers), time.perf_counter()
    run()
    wall = time.perf_counter() - start
    return Cost(wall, children_cpu() - cpu, servers_cpu(servers) - served)


def medians(costs: Sequence[Cost]) -> Cost:
    return Cost(*(median(getattr(c, f) for c in costs) for f in ("wall", "cpu", "servers")))


def timed(command: list[str], env: dict[str, str], servers: Servers = ()) -> Cost:
    def run() -> None:
        result = subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{command[:4]} failed: {result.stderr.decode()[-500:]}")

    return measured(run, servers)


def uv() -> str:
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    if not found:
        raise SystemExit("uv is not installed: pip install uv (a benchmark-only dependency)")
    return found


def uv_publish(files: list[Path], servers: Servers, env: dict[str, str], check: bool) -> Cost:
    """`uv publish` of `files` to each of the servers, one process per repository, all at
    once; with `check`, `--check-url` the server's simple index (files there are skipped)."""
    return measured(lambda: _uv_publish(files, [u for _, u in servers], env, check), servers)


def _uv_publish(files: list[Path], urls: list[str], env: dict[str, str], check: bool) -> None:
    processes = [
        subprocess.Popen(
            [
                uv(),
                "publish",
                "--publish-url",
                url,
                *(["--check-url", url + "simple/"] if check else []),
                *map(str, files),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for url in urls
    ]
    failures = []
    for process in processes:
        _, err = process.communicate()
        if process.returncode != 0:
            failures.append(err.decode(errors="replace")[-500:])
    if failures:
        raise RuntimeError(f"uv publish failed: {failures[0]}")


def upload_loop(files: list[Path], n: int, urls: list[str], env: dict[str, str]) -> float:
    """The loop a user would script: one `twine upload` per distribution per repository."""
    start = time.perf_counter()
    for index in range(n):
        distribution = [f for f in files if f.name.startswith(f"bench_d{index:03d}-")]
        for url in urls:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "twine",
                    "upload",
                    "--non-interactive",
                    "--disable-progress-bar",
                    "--repository-url",
                    url,
                    *map(str, distribution),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=True,
            )
    return time.perf_counter() - start


def list_repositories(monorepo: Path, urls: list[str]) -> None:
    """Every distribution of `monorepo` goes to `urls`."""
    repositories = ", ".join(f'"{url}"' for url in urls)
    for build in monorepo.glob("*/BUILD"):
        text = re.sub(r"repositories = \[[^]]*\], ", "", build.read_text(encoding="utf-8"))
        build.write_text(
            text.replace(
                'python_distribution(name = "dist",',
                f'python_distribution(name = "dist", repositories = [{repositories}], ',
            ),
            encoding="utf-8",
        )


def check_complete(work: Path, servers: int, files: list[Path]) -> None:
    """The timing means nothing unless everything was uploaded."""
    for index in range(servers):
        held = list((work / f"server{index}" / "packages").iterdir())
        if len(held) != len(files):
            raise RuntimeError(f"server {index} holds {len(held)} files, not {len(files)}")


def stop(servers: list[tuple[subprocess.Popen[bytes], str]]) -> None:
    for process, _ in servers:
        process.kill()
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--loop-runs", type=int, default=1)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--graphpub", default=None, help="the graphpub executable to time")
    args = parser.parse_args(argv)
    as_installed(args.graphpub or graphpub())
    work = Path(tempfile.mkdtemp(prefix="graphpub-publish-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "PIP_", "UV_"))}
    env.update(TWINE_USERNAME=USER, TWINE_PASSWORD=PASSWORD, NO_PROXY="127.0.0.1")
    env.update(UV_PUBLISH_USERNAME=USER, UV_PUBLISH_PASSWORD=PASSWORD)
    monorepo, _ = generate(args.n, BENCH_DIR / ".work" / f"publish-{args.n}")
    firsts: list[Cost] = []
    reruns: list[Cost] = []
    uv_firsts: list[Cost] = []
    uv_reruns: list[Cost] = []
    loops: list[float] = []
    servers: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        command = [args.graphpub or graphpub(), "-C", str(monorepo)]
        for run in range(max(args.runs, args.loop_runs)):
            servers = [start_server(work / f"server{i}") for i in range(2)]
            urls = [url for _, url in servers]
            list_repositories(monorepo, urls)  # the servers' ports change every run
            timed([*command, "package", "::"], env)  # every side uploads the same, built files
            files = sorted((monorepo / "dist").iterdir())
            if run < args.runs:
                firsts.append(timed([*command, "publish", "::"], env, servers))
                check_complete(work, len(servers), files)
                report = work / "rerun.json"
                rerun_command = [*command, "publish", "::", "--output", str(report)]
                reruns.append(timed(rerun_command, env, servers))
                uploads = json.loads(report.read_text(encoding="utf-8"))["uploads"]
                if any(u["status"] != "skipped" for u in uploads):
                    raise RuntimeError("the rerun uploaded files that were already there")
                stop(servers)
                servers = [start_server(work / f"server{i}") for i in range(2)]
                urls = [url for _, url in servers]
                uv_firsts.append(uv_publish(files, servers, env, check=False))
                check_complete(work, len(servers), files)
                uv_reruns.append(uv_publish(files, servers, env, check=True))
                check_complete(work, len(servers), files)
                stop(servers)
                servers = [start_server(work / f"server{i}") for i in range(2)]
            if run < args.loop_runs:
                loops.append(upload_loop(files, args.n, [url for _, url in servers], env))
                check_complete(work, len(servers), files)
            stop(servers)
            servers = []
    finally:
        stop(servers)
        shutil.rmtree(work, ignore_errors=True)
    costs = {
        "first": medians(firsts),
        "uv_first": medians(uv_firsts),
        "rerun": medians(reruns),
        "uv_rerun": medians(uv_reruns),
    }
    first, rerun = costs["first"].wall, costs["rerun"].wall
    uv_first, uv_rerun = costs["uv_first"].wall, costs["uv_rerun"].wall
    loop = median(loops) if loops else math.nan  # --loop-runs 0: not timed
    speedup = loop / first
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    version = subprocess.run([uv(), "--version"], capture_output=True, text=True).stdout.strip()
    uv_command = "uv publish --publish-url URL FILES..."

    def row(what: str, cost: Cost, versus: float) -> str:
        return (
            f"| {what} | {cost.wall:.2f} | {cost.cpu:.2f} | {cost.servers:.2f} | "
            f"{cost.wall / versus:.2f} |"
        )

    table = "\n".join(
        [
            f"N = {args.n} distributions ({len(files)} files) to 2 local pypiservers "
            f"(htpasswd with Apache's default apr1-MD5 hashes); medians of {args.runs} runs "
            f"(the twine loop: {args.loop_runs}). {version}, Python {platform.python_version()}; "
            f"load average after the run {load} (1/5/15 min) on {os.cpu_count()} cores.",
            "",
            "| process | wall (s) | CPU, user + sys (s) | servers' CPU (s) | wall, ratio to "
            "graphpub |",
            "|---|--:|--:|--:|--:|",
            row("`graphpub publish ::` into empty servers", costs["first"], first),
            row(
                f"`{uv_command}`, one per repository, both at once, into empty servers",
                costs["uv_first"],
                first,
            ),
            row("`graphpub publish ::` again, everything there", costs["rerun"], rerun),
            row(
                "`uv publish --check-url URL/simple/ ...` again, everything there",
                costs["uv_rerun"],
                rerun,
            ),
            f"| `twine upload` per distribution per repository | {loop:.2f} | | | "
            f"{loop / first:.1f} |",
            "",
            "| goal | measured | result |",
            "|---|--:|---|",
            f"| first upload at most uv's time | {first / uv_first:.2f}x uv | "
            f"{'PASS' if first <= uv_first else '**FAIL**'} |",
            f"| rerun at most uv's `--check-url` rerun | {rerun / uv_rerun:.2f}x uv | "
            f"{'PASS' if rerun <= uv_rerun else '**FAIL**'} |",
            f"| at least 10x faster than the loop | {speedup:.1f}x | "
            f"{'PASS' if speedup >= 10 else '**FAIL**'} |",
            f"| rerun under 2 s, uploading nothing | {rerun:.2f} s | "
            f"{'PASS' if rerun < 2 else '**FAIL**'} |",
            "",
            f"Command: `python benchmarks/publish.py --n {args.n} --runs {args.runs} "
            f"--loop-runs {args.loop_runs} --write`",
        ]
    )
    print(table)
    if args.write:
        write_section(START_MARK, END_MARK, "Publishing results", table)
    passed = (not loops or speedup >= 10) and rerun < 2 and first <= uv_first and rerun <= uv_rerun
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
