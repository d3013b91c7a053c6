"""The graph snapshot: a command that infers dependencies takes the whole repository's edges
from the run before while nothing they came from changed, and answers as a run without any
cache does after each kind of change."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from graphpub.buildgraph.package_cache import _KEPT_CONFIGURATIONS, CACHE_DIRECTORY
from tests.conftest import Runner, lines, make_repo
from tests.test_environments import ENVIRONMENTS
from tests.test_inference import AMBIGUITY_WARNING, AMBIGUOUS
from tests.test_package_cache import aged, wait_for_writers

# (The suite runs without the caches; `evaluated` turns them on, with a key of the test's own.)
pytestmark = pytest.mark.usefixtures("evaluated")

FILES = {
    "pants.toml": "",
    "a/BUILD": "python_sources()\n",
    "a/m.py": "import b.x\n",
    "b/BUILD": "python_sources()\npython_requirement(name = 'req', requirements = ['six'])\n",
    "b/x.py": "import six\n",
    "b/y.py": "",
    "c/BUILD": "python_sources(dependencies = ['b/y.py', '!!b/x.py'])\n",
    "c/n.py": "import a.m\n",
}


def snapshots(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIRECTORY).glob("*.graph"))


def answer(run: Runner, root: Path, *args: str) -> tuple[int, str, str]:
    return run(list(args), root=root)


def warm(run: Runner, root: Path) -> None:
    """Runs until the snapshot is written and taken (the first run creates `.graphpub/` in
    the root, which the second lists anew)."""
    for _ in range(2):
        assert answer(run, root, "dependencies", "::")[0] == 0
        wait_for_writers(root)
        aged(root)


def changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    past = time.time() - 30  # (newer than the aged tree, older than the racy window)
    os.utime(path, (past, past))
    os.utime(path.parent, (past, past))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return aged(make_repo(tmp_path, FILES))


COMMANDS = [
    ["dependencies", "::"],
    ["dependencies", "--transitive", "::"],
    ["dependencies", "--format", "json", "c/n.py"],
    ["dependents", "--transitive", "b/x.py"],
    ["graph", "--format", "json", "::"],
    ["peek", "c/n.py"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_a_warm_run_takes_the_edges_and_answers_as_without_caches(
    root: Path, run: Runner, evaluated: list[str], command: list[str]
) -> None:
    expected = answer(run, root, "--no-cache", *command)
    assert expected[0] == 0, expected[2]
    warm(run, root)
    assert snapshots(root)
    evaluated.clear()
    assert answer(run, root, *command) == expected
    assert evaluated == []


def test_dependencies_of_the_whole_repository_unpickle_no_package(
    root: Path, run: Runner, unpickled: list[str]
) -> None:
    warm(run, root)
    unpickled.clear()
    code, out, err = answer(run, root, "dependencies", "::")
    assert (code, err) == (0, "")
    assert "b/y.py" in lines(out) and "b/x.py" in lines(out)
    assert unpickled == []


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("a/m.py", "import b.y\n"),  # what a file imports
        ("c/BUILD", "python_sources(dependencies = ['b/x.py'])\n"),  # a dependency written
        ("b/z.py", ""),  # a new module (a directory's listing)
        ("d/BUILD", "python_sources()\n"),  # a new package
        ("d/q.py", "import a.m\n"),
        ("pants.toml", "[source]\nroot_patterns = ['/']\n"),  # the configuration
    ],
)
def test_each_kind_of_change_gives_the_answer_of_a_run_without_caches(
    root: Path, run: Runner, path: str, text: str
) -> None:
    warm(run, root)
    changed(root / path, text)
    if path == "d/q.py":
        changed(root / "d/BUILD", "python_sources()\n")
    for command in (["dependencies", "::"], ["dependents", "b/x.py"], ["dependencies", "d::"]):
        assert answer(run, root, *command) == answer(run, root, "--no-cache", *command)


def test_the_warnings_of_inferring_are_given_again_with_the_edges_kept(
    tmp_path: Path, run: Runner, unpickled: list[str]
) -> None:
    root = aged(make_repo(tmp_path, {"pants.toml": "", **AMBIGUOUS}))
    expected = answer(run, root, "--no-cache", "dependencies", "::")
    assert expected[0] == 0 and lines(expected[2]) == [AMBIGUITY_WARNING], expected
    warm(run, root)
    unpickled.clear()
    assert answer(run, root, "dependencies", "::") == expected
    assert snapshots(root) and unpickled == []  # (the edges, and the warning, kept)


def test_the_warnings_of_resolving_are_given_again_with_the_edges_kept(
    tmp_path: Path, run: Runner, unpickled: list[str]
) -> None:
    """A dependency on what a macro graphpub only imitates may make is left out with a
    warning while resolving: a run taking the edges gives it again."""
    root = tmp_path / "repo"
    shutil.copytree(ENVIRONMENTS / "bazel_imitated", root)
    aged(root)
    expected = answer(run, root, "--no-cache", "dependencies", "::")
    assert expected[0] == 0 and "fastmath.so" in expected[2], expected
    warm(run, root)
    unpickled.clear()
    assert answer(run, root, "dependencies", "::") == expected
    assert snapshots(root) and unpickled == []


def test_a_foreign_or_damaged_snapshot_is_not_taken(
    root: Path, run: Runner, evaluated: list[str]
) -> None:
    expected = answer(run, root, "--no-cache", "dependencies", "::")
    warm(run, root)
    [snapshot] = snapshots(root)
    data = snapshot.read_bytes()
    snapshot.write_bytes(data[:-20] + bytes(20))
    assert answer(run, root, "dependencies", "::") == expected
    snapshot.write_bytes(b"not a snapshot")
    assert answer(run, root, "dependencies", "::") == expected


def test_no_cache_neither_takes_nor_writes_a_snapshot(root: Path, run: Runner) -> None:
    assert answer(run, root, "--no-cache", "dependencies", "::")[0] == 0
    assert not (root / CACHE_DIRECTORY).exists()


def test_a_source_root_marked_where_no_package_looks_changes_the_edges(
    tmp_path: Path, run: Runner
) -> None:
    """A directory's listing that no package read (here, a marker file above a package,
    which makes a source root) is checked too: any directory listing anything else."""
    files = {
        "pants.toml": "[source]\nmarker_filenames = ['SOURCE_ROOT']\n",
        "code/lib/BUILD": "python_sources()\n",
        "code/lib/util.py": "",
        "app/BUILD": "python_sources()\n",
        "app/main.py": "import lib.util\n",
    }
    root = aged(make_repo(tmp_path, files))
    warm(run, root)
    assert lines(answer(run, root, "dependencies", "app/main.py")[1]) == []
    changed(root / "code/SOURCE_ROOT", "")
    assert lines(answer(run, root, "dependencies", "app/main.py")[1]) == ["code/lib/util.py"]


def test_a_package_evaluated_again_by_a_run_in_between_is_not_the_one_kept(
    root: Path, run: Runner
) -> None:
    """`list` keeps the package it evaluated again in the package cache, not the snapshot:
    the package's entry is then valid, but not the one the edges were worked out from."""
    warm(run, root)
    changed(root / "c/BUILD", "python_sources(dependencies = ['b/x.py'])\n")
    assert answer(run, root, "list", "::")[0] == 0
    wait_for_writers(root)
    command = ["dependencies", "c/n.py"]
    assert answer(run, root, *command) == answer(run, root, "--no-cache", *command)


def test_a_package_removed_takes_its_edges_with_it(root: Path, run: Runner) -> None:
    changed(root / "d/BUILD", "python_sources()\n")
    changed(root / "d/q.py", "")
    changed(root / "c/n.py", "import a.m\nimport d.q\n")
    aged(root)
    warm(run, root)
    assert "d/q.py" in lines(answer(run, root, "dependencies", "c/n.py")[1])
    (root / "d/BUILD").unlink()
    os.utime(root / "d", (time.time() - 30,) * 2)
    command = ["dependencies", "c/n.py"]
    assert answer(run, root, *command) == answer(run, root, "--no-cache", *command)


def test_a_snapshot_goes_with_the_entries_of_its_configuration(root: Path, run: Runner) -> None:
    """Only the newest configurations' entries are kept (`--define` values make others), and
    a snapshot is kept only beside its configuration's entries."""
    for value in range(_KEPT_CONFIGURATIONS + 3):
        code, _, err = answer(run, root, "--define", f"round={value}", "dependencies", "::")
        assert code == 0, err
        wait_for_writers(root)
    entries = {p.stem for p in (root / CACHE_DIRECTORY).glob("*.pickle")}
    assert len(entries) == _KEPT_CONFIGURATIONS + 1
    assert {p.stem for p in snapshots(root)} <= entries
    assert len(snapshots(root)) >= _KEPT_CONFIGURATIONS
