"""Shared helpers: synthetic repositories in `tmp_path`, and running the CLI in-process."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from graphpub.buildgraph import BuildGraph, load_config
from graphpub.buildgraph import cached_packages as cached_packages_module
from graphpub.buildgraph import evaluator as evaluator_module
from graphpub.cli import main
from graphpub.rules import default_rules
from tests.spawner import Spawner

REPO_ROOT = Path(__file__).resolve().parent.parent
TESTDATA = REPO_ROOT / "testdata"

# Started with the session, while pytest is small (see tests/spawner.py).
_SPAWNER: list[Spawner] = []


def pytest_configure(config: pytest.Config) -> None:
    if sys.platform.startswith("linux"):
        _SPAWNER.append(Spawner())


def pytest_unconfigure(config: pytest.Config) -> None:
    for spawner in _SPAWNER:
        spawner.close()


def spawner() -> Spawner | None:
    """Where to start commands whose peak memory a test measures (Linux only)."""
    return _SPAWNER[0] if _SPAWNER else None


Result = tuple[int, str, str]
Runner = Callable[..., Result]


def make_repo(tmp_path: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `files` (root-relative path to text or bytes) below `tmp_path / "repo"`."""
    root = tmp_path / "repo"
    root.mkdir(parents=True, exist_ok=True)
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
    config = load_config(root)
    return BuildGraph(config, default_rules(config.pants_version), warn=sink.append)


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


def peek(run: Runner, root: Path, *args: str, allow_warnings: bool = False) -> list[dict[str, Any]]:
    """The records of `graphpub peek ARGS`, which must succeed (without warnings unless
    `allow_warnings`)."""
    code, out, err = run(["peek", *args], root=root)
    assert code == 0, err
    if not allow_warnings:
        assert err == "", err
    records: list[dict[str, Any]] = json.loads(out)
    return records


def failure(run: Runner, root: Path, *args: str) -> str:
    """stderr of a command that must fail with exit code 1 and print nothing on stdout."""
    code, out, err = run(list(args or ("list", "::")), root=root)
    assert (code, out) == (1, ""), err
    assert "Traceback" not in err
    return err


def assert_error(err: str, first_line: str, source_line: str, hint: str | None = None) -> None:
    """`path:LINE:COL: message` exactly, then the source line with a caret under COL, and the
    hint if given."""
    first, *rest = err.splitlines()
    assert first == first_line, err
    line, column = (int(n) for n in first_line.split(": ", 1)[0].split(":")[1:3])
    gutter = f"{line:>4} | "
    assert rest[0] == gutter + source_line, err
    assert rest[1] == " " * (len(gutter) + column - 1) + "^", err
    if hint is not None:
        assert f"hint: {hint}" in rest, err


# What `peek` adds to a distribution's view from ownership (publish.ownership.contents).
CONTENTS_KEYS = ("owns", "files", "requires_python")


def view_of(distribution: dict[str, Any]) -> dict[str, Any]:
    """A peeked distribution without its ownership contents: the rules' `Distribution` view."""
    return {k: v for k, v in distribution.items() if k not in CONTENTS_KEYS}


def install_into_fresh_venv(tmp_path: Path, name: str, *pip_install: str) -> Path:
    """A new virtualenv with `pip install PIP_INSTALL...` done; its bin directory.

    Third-party requirements come from the test environment (`--system-site-packages`), so
    no test needs the network; the repository's distributions only from where the test says.
    """
    import subprocess
    import sys

    from tests.servers import clean_env

    venv = tmp_path / f"venv-{name}"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", *pip_install],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return venv / "bin"


@pytest.fixture(autouse=True)
def _no_package_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run without the package cache (`.graphpub/packages/`): many evaluate the same
    testdata with graphpub's code or rules patched, which the cache's key cannot see.
    tests/test_package_cache.py turns it on."""
    monkeypatch.setenv("GRAPHPUB_NO_CACHE", "1")


@pytest.fixture
def evaluated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    """The package cache on (the suite runs without it), with a key of this test's own; the
    directories of the packages evaluated (not taken from the cache), in order."""
    monkeypatch.delenv("GRAPHPUB_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    directories: list[str] = []
    original = evaluator_module.Evaluator._load_package

    def counted(self: evaluator_module.Evaluator, directory: str, build_files: tuple[str, ...]):  # type: ignore[no-untyped-def]
        directories.append(directory)
        return original(self, directory, build_files)

    monkeypatch.setattr(evaluator_module.Evaluator, "_load_package", counted)
    yield directories


@pytest.fixture
def unpickled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The directories of the packages taken from the cache and unpickled, in order."""
    directories: list[str] = []
    original = cached_packages_module.unpickled

    def counted(entry):  # type: ignore[no-untyped-def]
        package = original(entry)
        directories.append(package.directory)
        return package

    monkeypatch.setattr(cached_packages_module, "unpickled", counted)
    return directories
