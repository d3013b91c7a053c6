"""Run commands from a small process started with the test session, to measure their memory.

Linux gives a new process its parent's peak resident memory as its own (fork copies it, exec
keeps it), so a command started by the test process late in a session reports the peak of
pytest itself: hundreds of MiB. Commands started from this process, which is started when
pytest has imported little, report their own peak above a few tens of MiB.

Protocol: one JSON line per command on stdin (`argv`, `env`, `address_space`, `kill_after`),
one JSON line per result on stdout (`code`, `stdout`, `stderr`, `seconds`, `peak_rss_mib`).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any


def run(request: dict[str, Any]) -> dict[str, Any]:
    limit = request.get("address_space")

    def limited() -> None:
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        process = subprocess.Popen(
            request["argv"], stdout=out, stderr=err, env=request["env"], preexec_fn=limited
        )
        killer = threading.Timer(request.get("kill_after", 60.0), process.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return {
            "code": os.waitstatus_to_exitcode(status),
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
            "seconds": seconds,
            "peak_rss_mib": usage.ru_maxrss / 1024,
        }


def main() -> None:
    for line in sys.stdin:
        print(json.dumps(run(json.loads(line))), flush=True)


class Spawner:
    """The client: a spawner process, started now; `run` sends it one command."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.spawner"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        self._lock = threading.Lock()

    def run(self, **request: Any) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        with self._lock:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            result: dict[str, Any] = json.loads(self._process.stdout.readline())
            return result

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=10)


if __name__ == "__main__":
    main()
