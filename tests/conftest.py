"""Shared helpers: synthetic repositories in `tmp_path`, and running the CLI in-process."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from graphpub.buildgraph import BuildGraph, load_config
from graphpub.cli import main
from graphpub.rules import default_rules

REPO_ROOT = Path(__file__).resolve().parent.parent
TESTDATA = REPO_ROOT / "testdata"

Result = tuple[int, str, str]
Runner = Callable[..., Result]


def make_repo(tmp_path: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `files` (root-relative path to text or bytes) below `tmp_path / "repo"`."""
    root = tmp_path / "repo"
    root.mkdir(exist_ok=True)
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def load_graph(root: Path, warnings: list[str] | None = None) -> BuildGraph:
    """A BuildGraph of the repository at `root`, warnings collected into `warnings`."""
    sink = warnings if warnings is not None else []
    return BuildGraph(load_config(root), default_rules(), warn=sink.append)


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Runner:
    """Run `graphpub ARGS` in-process: `run(args, root=None)` returns (exit code, out, err).

    With `root`, `-C root` is put in front of the arguments.
    """

    def runner(args: Sequence[str], root: Path | None = None) -> Result:
        argv = [*(["-C", str(root)] if root is not None else []), *args]
        capsys.readouterr()  # drop anything printed before
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse
            code = exit_.code if isinstance(exit_.code, int) else 2
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return runner


def lines(text: str) -> list[str]:
    """The non-empty lines of a command's output."""
    return [line for line in text.splitlines() if line]
