#!/usr/bin/env python3
"""Publishing benchmark: `graphpub publish ::` against the loop a user would script.

Usage::

    python benchmarks/publish.py [--n 100] [--write]

Generates the packaging benchmark's monorepo of N distributions, each listing two local
pypiservers (started here on 127.0.0.1, free ports, htpasswd auth), builds them once, then times
as whole processes, in the same run: `graphpub publish ::` into empty servers; the same with
everything already there (it must upload nothing); and, into empty servers again, one
`twine upload` per distribution per repository. Each is repeated `--runs` times, with fresh
servers, and the medians compared. Goals: at least 10x faster than the loop, a rerun under 2 s.

The htpasswd file holds apr1-MD5 hashes, Apache `htpasswd`'s default. With passlib's
sha256_crypt (535,000 rounds) pypiserver spends 0.1 s checking the password of every request,
which then dominates both sides: that measures the server, not the uploader.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from statistics import median

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


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed: {result.stderr.decode()[-500:]}")
    return elapsed


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="graphpub-publish-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "PIP_"))}
    env.update(TWINE_USERNAME=USER, TWINE_PASSWORD=PASSWORD, NO_PROXY="127.0.0.1")
    monorepo, _ = generate(args.n, BENCH_DIR / ".work" / f"publish-{args.n}")
    firsts: list[float] = []
    reruns: list[float] = []
    loops: list[float] = []
    servers: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        command = [graphpub(), "-C", str(monorepo)]
        for _ in range(args.runs):
            servers = [start_server(work / f"server{i}") for i in range(2)]
            urls = [url for _, url in servers]
            list_repositories(monorepo, urls)  # the servers' ports change every run
            timed([*command, "package", "::"], env)  # both methods upload the same, built files
            files = sorted((monorepo / "dist").iterdir())
            firsts.append(timed([*command, "publish", "::"], env))
            check_complete(work, len(servers), files)
            report = work / "rerun.json"
            reruns.append(timed([*command, "publish", "::", "--output", str(report)], env))
            if '"published"' in report.read_text(encoding="utf-8"):
                raise RuntimeError("the rerun uploaded files that were already there")
            for process, _ in servers:
                process.kill()
            servers = [start_server(work / f"server{i}") for i in range(2)]
            loops.append(upload_loop(files, args.n, [url for _, url in servers], env))
            check_complete(work, len(servers), files)
            for process, _ in servers:
                process.kill()
            servers = []
    finally:
        for process, _ in servers:
            process.kill()
        shutil.rmtree(work, ignore_errors=True)
    first, rerun, loop = median(firsts), median(reruns), median(loops)
    speedup = loop / first
    table = "\n".join(
        [
            f"N = {args.n} distributions ({len(files)} files) to 2 local pypiservers "
            f"(htpasswd with Apache's default apr1-MD5 hashes); medians of {args.runs} runs.",
            "",
            "| process | wall (s) |",
            "|---|--:|",
            f"| `graphpub publish ::` into empty servers | {first:.2f} |",
            f"| `graphpub publish ::` again, everything there | {rerun:.2f} |",
            f"| `twine upload` per distribution per repository | {loop:.2f} |",
            "",
            "| goal | measured | result |",
            "|---|--:|---|",
            f"| at least 10x faster than the loop | {speedup:.1f}x | "
            f"{'PASS' if speedup >= 10 else '**FAIL**'} |",
            f"| rerun under 2 s, uploading nothing | {rerun:.2f} s | "
            f"{'PASS' if rerun < 2 else '**FAIL**'} |",
            "",
            f"Command: `python benchmarks/publish.py --n {args.n} --runs {args.runs} --write`",
        ]
    )
    print(table)
    if args.write:
        write_section(START_MARK, END_MARK, "Publishing results", table)
    return 0 if speedup >= 10 and rerun < 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
