"""SOURCE_DATE_EPOCH per distribution: a commit elsewhere changes none of its bytes."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from graphpub.publish.epochs import EARLIEST_ZIP_TIME, epochs
from tests.conftest import Runner, make_repo

T1, T2, T3 = 1_700_000_000, 1_710_000_000, 1_720_000_000

DIST = (
    "python_sources()\n"
    'python_distribution(name = "dist", dependencies = [":{name}"],\n'
    '    provides = python_artifact(name = "{name}", version = "1.0.0"))\n'
)


def git(root: Path, *args: str, at: int | None = None) -> None:
    environment = dict(os.environ)
    if at is not None:
        environment["GIT_AUTHOR_DATE"] = environment["GIT_COMMITTER_DATE"] = f"@{at} +0000"
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        env=environment,
        check=True,
        capture_output=True,
    )


def commit(root: Path, at: int, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, at=at)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/"]\n',
            "alpha/BUILD": DIST.format(name="alpha"),
            "alpha/__init__.py": "A = 1\n",
            "beta/BUILD": DIST.format(name="beta"),
            "beta/__init__.py": "B = 1\n",
            "docs/notes.txt": "not an input of any distribution\n",
        },
    )
    (root / ".gitignore").write_text("dist/\n.graphpub/\n", encoding="utf-8")
    git(root, "init", "-q")
    commit(root, T1, "first")
    return root


def package(run: Runner, root: Path) -> dict[str, str]:
    """File name to sha256 of everything `graphpub package ::` makes."""
    code, out, err = run(["package", "--output", "json", "::"], root=root)
    assert code == 0, err
    return {Path(r["path"]).name: r["sha256"] for r in json.loads(out)}


def wheel_dates(root: Path, name: str) -> set[tuple[int, ...]]:
    [path] = (root / "dist").glob(f"{name}-1.0.0-*.whl")
    with zipfile.ZipFile(path) as wheel:
        return {info.date_time for info in wheel.infolist()}


def date_of(epoch: int) -> tuple[int, ...]:
    import time

    parts = time.gmtime(epoch)[:6]
    return (*parts[:5], parts[5] - parts[5] % 2)  # zip times have 2-second steps


def test_an_unrelated_commit_changes_no_bytes(
    repo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = package(run, repo)
    (repo / "docs" / "notes.txt").write_text("changed\n", encoding="utf-8")
    commit(repo, T2, "unrelated")
    assert package(run, repo) == first


def test_a_commit_touching_an_owned_file_changes_that_distribution_only(
    repo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = package(run, repo)
    (repo / "beta" / "__init__.py").write_text("B = 2\n", encoding="utf-8")
    commit(repo, T2, "beta changes")
    second = package(run, repo)
    alpha = [name for name in first if name.startswith("alpha")]
    beta = [name for name in first if name.startswith("beta")]
    assert all(second[name] == first[name] for name in alpha)
    assert all(second[name] != first[name] for name in beta)
    assert wheel_dates(repo, "alpha") <= {date_of(T1)}  # hatchling dates members so
    assert wheel_dates(repo, "beta") <= {date_of(T2)}


def test_a_commit_to_its_build_file_or_the_configuration_dates_it(
    repo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    (repo / "alpha" / "BUILD").write_text(DIST.format(name="alpha") + "# a comment\n")
    commit(repo, T2, "alpha's BUILD")
    package(run, repo)
    assert wheel_dates(repo, "alpha") <= {date_of(T2)}
    assert wheel_dates(repo, "beta") <= {date_of(T1)}
    (repo / "pants.toml").write_text('[source]\nroot_patterns = ["/"]\n# shapes all\n')
    commit(repo, T3, "configuration")
    package(run, repo)
    assert wheel_dates(repo, "alpha") | wheel_dates(repo, "beta") <= {date_of(T3)}


def test_uncommitted_changes_date_it_by_their_modification_time(
    repo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = package(run, repo)
    edited = repo / "alpha" / "__init__.py"
    edited.write_text("A = 3\n", encoding="utf-8")
    os.utime(edited, (T3, T3))
    second = package(run, repo)
    assert wheel_dates(repo, "alpha") <= {date_of(T3)}
    assert all(second[n] == first[n] for n in first if n.startswith("beta"))
    assert package(run, repo) == second  # the same working tree, the same bytes


def test_source_date_epoch_from_the_environment_wins(
    repo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(T3))
    package(run, repo)
    assert wheel_dates(repo, "alpha") | wheel_dates(repo, "beta") <= {date_of(T3)}


def test_outside_git_every_distribution_dates_from_1980(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"a.py": "", "b.py": ""})
    found = epochs(root, {"one": ["a.py"], "two": ["b.py", "missing.py"]})
    if (root / ".git").exists() or subprocess.run(
        ["git", "rev-parse"], cwd=root, capture_output=True
    ).returncode == 0:
        pytest.skip("the temporary directory is inside a git repository")
    assert found == {"one": EARLIEST_ZIP_TIME, "two": EARLIEST_ZIP_TIME}


def test_each_key_gets_the_newest_commit_of_its_own_paths(repo: Path) -> None:
    (repo / "beta" / "__init__.py").write_text("B = 5\n", encoding="utf-8")
    commit(repo, T2, "beta")
    (repo / "docs" / "notes.txt").write_text("x\n", encoding="utf-8")
    commit(repo, T3, "docs")
    found = epochs(
        repo,
        {
            "alpha": ["alpha/__init__.py", "alpha/BUILD"],
            "beta": ["beta/__init__.py", "alpha/BUILD"],
            "docs": ["docs/notes.txt", "beta/__init__.py"],
            "nothing": [],
        },
    )
    assert found == {"alpha": T1, "beta": T2, "docs": T3, "nothing": EARLIEST_ZIP_TIME}
