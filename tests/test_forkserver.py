"""The fork server that runs `python -m twine` for each upload (`publish.forkserver`): a forked
twine says what a started one says, though the server read the installed distributions'
metadata once for all of them (`lifetime._read_metadata_once`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from graphpub.publish.forkserver import ForkServer


@pytest.mark.parametrize(
    "arguments",
    [
        ["--version"],  # every dependency's version (importlib.metadata.version)
        ["--help"],  # its subcommands (importlib.metadata.entry_points)
        ["no-such-command"],  # refused among those subcommands
    ],
    ids=["version", "help", "unknown-command"],
)
def test_a_forked_twine_answers_as_a_started_one(tmp_path: Path, arguments: list[str]) -> None:
    environment = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    started = subprocess.run(
        [sys.executable, "-m", "twine", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    server = ForkServer("twine", [], ("twine.cli",), environment, str(tmp_path))
    try:
        meter_read, meter_write = os.pipe()
        forked = server.start(arguments, meter_write)
        os.close(meter_write)
        output = forked.stdout.read().decode()
        code = forked.wait()
        forked.stdout.close()
        os.close(meter_read)
    finally:
        server.close()
    assert (code, in_order(output)) == (
        started.returncode,
        in_order(started.stdout + started.stderr),
    )
    assert "twine" in output


def in_order(text: str) -> str:
    """twine's text with its subcommands in one order: it lists them as the entry points
    come, which is not the same from one process to the next."""
    text = re.sub(r"\{([a-z,]+)\}", lambda m: ",".join(sorted(m[1].split(","))).join("{}"), text)
    return re.sub(
        r"choose from ('[a-z]+'(?:, '[a-z]+')*)",
        lambda m: "choose from " + ", ".join(sorted(m[1].split(", "))),
        text,
    )
