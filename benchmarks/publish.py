#!/usr/bin/env python3
"""Publishing benchmark: `graphpub publish ::` against the loop a user would script.

Usage::

    python benchmarks/publish.py [--n 100] [--write]

Generates the packaging benchmark's monorepo of N distributions, each listing two local
pypiservers (started here on 127.0.0.1, free ports, htpasswd auth), builds them once, then times
as whole processes, in the same run: `graphpub publish ::` into empty servers; the same with
everything already there (it should upload nothing); and, into empty servers again, one
`twine upload` per distribution per repository. Goals: at least 10x faster than the loop, a
rerun under 2 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

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
    htpasswd = HtpasswdFile(str(directory / "htpasswd"), new=True, default_scheme="sha256_crypt")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="graphpub-publish-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINE_", "PIP_"))}
    env.update(TWINE_USERNAME=USER, TWINE_PASSWORD=PASSWORD, NO_PROXY="127.0.0.1")
    servers = [start_server(work / f"server{i}") for i in range(2)]
    try:
        monorepo, _ = generate(args.n, BENCH_DIR / ".work" / f"publish-{args.n}")
        repositories = ", ".join(f'"{url}"' for _, url in servers)
        for build in monorepo.glob("*/BUILD"):
            text = build.read_text(encoding="utf-8")
            build.write_text(
                text.replace(
                    'python_distribution(name = "dist",',
                    f'python_distribution(name = "dist", repositories = [{repositories}],',
                ),
                encoding="utf-8",
            )
        command = [graphpub(), "-C", str(monorepo)]
        timed([*command, "package", "::"], env)  # both methods upload the same, built files
        first = timed([*command, "publish", "::"], env)
        files = sorted((monorepo / "dist").iterdir())
        for index, _ in enumerate(servers):
            held = list((work / f"server{index}" / "packages").iterdir())
            if len(held) != len(files):  # the timing means nothing unless all was uploaded
                raise RuntimeError(f"server {index} holds {len(held)} files, not {len(files)}")
        rerun = timed([*command, "publish", "::"], env)
        for process, _ in servers:
            process.kill()
        servers = [start_server(work / f"server{i}") for i in range(2)]
        loop_start = time.perf_counter()
        for index in range(args.n):
            distribution = [f for f in files if f.name.startswith(f"bench_d{index:03d}-")]
            for _, url in servers:
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
        loop = time.perf_counter() - loop_start
    finally:
        for process, _ in servers:
            process.kill()
        shutil.rmtree(work, ignore_errors=True)
    speedup = loop / first
    table = "\n".join(
        [
            f"N = {args.n} distributions ({len(files)} files) to 2 local pypiservers.",
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
            f"Command: `python benchmarks/publish.py --n {args.n} --write` (one run of each: the "
            "loop alone takes minutes)",
        ]
    )
    print(table)
    if args.write:
        write_section(START_MARK, END_MARK, "Publishing results", table)
    return 0 if speedup >= 10 and rerun < 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
