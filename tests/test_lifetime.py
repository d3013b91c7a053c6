"""Killing graphpub stops its work: no process it started goes on, least of all an upload.

graphpub runs its command in a supervised child, which starts twine; both die with their
parent (`graphpub.lifetime`). Here graphpub is killed with SIGKILL (nothing of it can clean
up) while twine uploads to a real pypiserver through a proxy that throttles the upload.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faultproxy import FaultProxy
from tests.monorepos import chain_repo
from tests.servers import IndexServer, clean_env, start_pypiserver

PASSWORD = "Kq4-lifetime-S3CRET-7710"
# Random bytes do not compress: the wheel is about this large, more than the kernel's socket
# buffers of both ends of a loopback connection can hold (a process's unsent data outlives it
# there), and at THROTTLE bytes a second its upload takes minutes, unless stopped.
PAYLOAD = 16_000_000
THROTTLE = 20_000
# Seconds within which every process graphpub started must be gone after SIGKILL.
STOP_WITHIN = 5.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    started = start_pypiserver(tmp_path_factory.mktemp("lifetime"), "uploader", PASSWORD)
    yield started
    started.stop()


def processes_mentioning(text: str) -> list[int]:
    """The pids of live processes whose command line holds `text`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in command and state != "Z":
            found.append(int(entry))
    return found


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout} s")
        time.sleep(0.05)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_mid_upload_stops_every_process(tmp_path: Path, server: IndexServer) -> None:
    root = tmp_path / "killed-repo"
    with FaultProxy(("127.0.0.1", server.port)) as proxy:
        chain_repo(root, [proxy.url], count=1, name="killed")
        (root / "p0" / "payload.bin").write_bytes(os.urandom(PAYLOAD))
        (root / "p0" / "BUILD").write_text(
            (root / "p0" / "BUILD")
            .read_text()
            .replace('dependencies=[":p0"]', 'dependencies=[":p0", ":payload"]')
            + 'resources(name="payload", sources=["payload.bin"])\n'
        )
        proxy.set_mode("throttle", rate=THROTTLE, only_methods=("POST",))
        environment = clean_env({"TWINE_USERNAME": "uploader", "TWINE_PASSWORD": PASSWORD})
        graphpub = subprocess.Popen(
            [sys.executable, "-m", "graphpub", "-C", str(root), "publish", "::"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: proxy.bytes_forwarded["POST"] > 2 * THROTTLE, 60, "the upload started")
            started = processes_mentioning(str(root))
            assert len(started) >= 3, started  # graphpub, its supervised child, twine
            graphpub.send_signal(signal.SIGKILL)
            graphpub.wait()
            wait_for(
                lambda: not processes_mentioning(str(root)),
                STOP_WITHIN,
                "every process graphpub started stopped",
            )
            # What twine handed to the kernel before it died now reaches the server at full
            # speed: not the whole upload, so the server refuses it.
            proxy.set_mode("pass")
            wait_for(lambda: proxy.open_connections == 0, 60, "the connection ended")
            assert proxy.bytes_forwarded["POST"] < PAYLOAD
        finally:
            if graphpub.poll() is None:
                graphpub.kill()
            for pid in processes_mentioning(str(root)):
                os.kill(pid, signal.SIGKILL)
    assert not list(server.packages_dir.glob("killed*")), "a partial upload was accepted"
