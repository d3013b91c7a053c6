"""Directory repositories write only into an index of their own, and never through a symlink,
whoever planted it: each test plants what an attacker would and checks that what lies outside
the index is untouched, byte for byte."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from graphpub.publish import directory as directory_module
from graphpub.publish.directory import (
    MARKER,
    MARKER_TEXT,
    DirectoryIndexError,
    Placed,
    directory_files,
    publish_to_directory,
)
from graphpub.publish.filenames import belongs_to
from tests.conftest import Runner
from tests.monorepos import chain_repo

PROJECT = "chain-p0"
SDIST = "chain_p0-1.0.tar.gz"
SECRET = b"root:$6$not-for-anyone$:19000:0:99999:7:::\n"


def snapshot(top: Path) -> dict[str, bytes | str]:
    """Every entry below `top`: a file's bytes, a symlink's target, `dir` for a directory."""
    entries: dict[str, bytes | str] = {}
    for path in sorted(top.rglob("*")):
        key = str(path.relative_to(top))
        if path.is_symlink():
            entries[key] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            entries[key] = "dir"
        else:
            entries[key] = path.read_bytes()
    return entries


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """What an attacker wants overwritten or read: files outside the index."""
    where = tmp_path / "outside"
    where.mkdir()
    (where / "shadow").write_bytes(SECRET)
    (where / "index.html").write_bytes(b"<html>the site's own page</html>\n")
    (where / "lock").write_bytes(b"keep me\n")
    return where


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """An index graphpub made (it holds the marker)."""
    where = tmp_path / "index"
    where.mkdir()
    (where / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    return where


@pytest.fixture
def sdist(tmp_path: Path) -> dict[Path, str]:
    """A file to publish, with its sha256."""
    path = tmp_path / "dist" / SDIST
    path.parent.mkdir()
    path.write_bytes(b"an sdist")
    return {path: hashlib.sha256(b"an sdist").hexdigest()}


def test_a_foreign_directory_is_refused_before_anything_is_written(
    tmp_path: Path, run: Runner
) -> None:
    site = tmp_path / "www"
    (site / "docs").mkdir(parents=True)
    (site / "index.html").write_bytes(b"<html>home</html>\n")
    (site / "docs" / "index.html").write_bytes(b"<html>docs</html>\n")
    before = snapshot(site)
    root = chain_repo(tmp_path / "repo", [site.as_uri()], count=1)
    code, out, err = run(["publish", "::"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(
        f"p0/BUILD:5:19: {site.as_uri()}: {site} is not a package index graphpub made: it "
        f"holds files but no {MARKER}, and publishing would overwrite its index.html files"
    ), err
    assert "hint: choose a new or empty directory; if graphpub made this index before, " in err
    assert f"touch {site / MARKER}" in err
    assert snapshot(site) == before
    # As the hint says: with the marker, graphpub may publish there.
    (site / MARKER).touch()
    code, out, err = run(["publish", "::"], root=root)
    assert code == 0, out + err
    assert (site / "chain-p0" / SDIST).is_file()


def test_a_new_or_empty_directory_becomes_graphpubs(tmp_path: Path, run: Runner) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    new = tmp_path / "new" / "index"
    root = chain_repo(tmp_path / "repo", [empty.as_uri(), new.as_uri()], count=1)
    code, out, err = run(["publish", "::"], root=root)
    assert code == 0, out + err
    for index in (empty, new):
        assert (index / MARKER).read_text(encoding="utf-8") == MARKER_TEXT
        assert (index / "chain-p0" / SDIST).is_file()


def test_a_marker_that_is_a_symlink_is_refused(
    index: Path, outside: Path, sdist: dict[Path, str]
) -> None:
    (index / MARKER).unlink()
    (index / MARKER).symlink_to(outside / "shadow")
    (index / "index.html").write_text("<html>someone's</html>")
    with pytest.raises(DirectoryIndexError, match=f"{MARKER} is not a regular file"):
        publish_to_directory(index, PROJECT, sdist)


def test_a_project_directory_that_is_a_symlink_is_not_followed(
    index: Path, outside: Path, sdist: dict[Path, str]
) -> None:
    before = snapshot(outside)
    (index / PROJECT).symlink_to(outside)
    refused = f"{index / PROJECT} is a symlink: graphpub does not follow or replace it"
    with pytest.raises(DirectoryIndexError, match=refused):
        directory_files(index, PROJECT)
    with pytest.raises(DirectoryIndexError, match=refused):
        publish_to_directory(index, PROJECT, sdist)
    assert snapshot(outside) == before


def test_another_projects_symlinked_directory_gets_no_page(
    index: Path, outside: Path, sdist: dict[Path, str]
) -> None:
    before = snapshot(outside)
    (index / "elsewhere").symlink_to(outside)
    assert publish_to_directory(index, PROJECT, sdist) == {next(iter(sdist)): Placed("published")}
    assert snapshot(outside) == before  # its index.html was not rewritten
    assert "elsewhere" not in (index / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", ["index.html", f"{PROJECT}/index.html"])
def test_pages_that_are_symlinks_are_replaced_not_written_through(
    index: Path, outside: Path, sdist: dict[Path, str], page: str
) -> None:
    before = snapshot(outside)
    (index / PROJECT).mkdir()
    (index / page).symlink_to(outside / "index.html")
    publish_to_directory(index, PROJECT, sdist)
    assert snapshot(outside) == before
    assert not (index / page).is_symlink()
    assert SDIST in (index / PROJECT / "index.html").read_text(encoding="utf-8")


def test_a_distribution_file_that_is_a_symlink_is_neither_read_nor_written(
    index: Path, outside: Path, sdist: dict[Path, str]
) -> None:
    before = snapshot(outside)
    (index / PROJECT).mkdir()
    (index / PROJECT / SDIST).symlink_to(outside / "shadow")
    # Not listed, not hashed: the secret's sha256 would be on the page for anyone to test.
    assert directory_files(index, PROJECT) == {}
    with pytest.raises(DirectoryIndexError, match=f"{SDIST} is a symlink"):
        publish_to_directory(index, PROJECT, sdist)
    # Another project's publish rewrites every page: the symlink stays off them.
    other = next(iter(sdist)).with_name("other-1.0.tar.gz")
    other.write_bytes(b"other")
    publish_to_directory(index, "other", {other: hashlib.sha256(b"other").hexdigest()})
    page = (index / PROJECT / "index.html").read_text(encoding="utf-8")
    assert SDIST not in page
    assert hashlib.sha256(SECRET).hexdigest() not in page
    assert snapshot(outside) == before


def test_a_fifo_where_a_file_should_be_does_not_hang(index: Path, sdist: dict[Path, str]) -> None:
    (index / PROJECT).mkdir()
    os.mkfifo(index / PROJECT / SDIST)
    assert directory_files(index, PROJECT) == {}
    with pytest.raises(DirectoryIndexError, match=f"{SDIST} is a special file"):
        publish_to_directory(index, PROJECT, sdist)


def test_a_lock_file_that_is_a_symlink_is_not_opened(
    index: Path, outside: Path, sdist: dict[Path, str]
) -> None:
    before = snapshot(outside)
    (index / ".graphpub.lock").symlink_to(outside / "lock")
    with pytest.raises(DirectoryIndexError, match=r"\.graphpub\.lock is a symlink"):
        publish_to_directory(index, PROJECT, sdist)
    assert snapshot(outside) == before  # not truncated, as open(…, "w") would


def test_a_temporary_file_planted_in_advance_is_not_written_through(
    index: Path, outside: Path, sdist: dict[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An attacker who could guess the temporary name: O_EXCL refuses the planted symlink.
    monkeypatch.setattr(directory_module.secrets, "token_hex", lambda _n: "guessed")
    before = snapshot(outside)
    (index / PROJECT).mkdir()
    (index / PROJECT / f".{SDIST}.guessed.tmp").symlink_to(outside / "shadow")
    with pytest.raises(FileExistsError):
        publish_to_directory(index, PROJECT, sdist)
    assert snapshot(outside) == before
    assert not (index / PROJECT / SDIST).exists()


def test_a_planted_symlink_fails_the_repository_with_its_reason(
    tmp_path: Path, run: Runner, index: Path, outside: Path
) -> None:
    before = snapshot(outside)
    (index / PROJECT).symlink_to(outside)
    root = chain_repo(tmp_path / "repo", [index.as_uri()], count=1)
    code, out, err = run(["publish", "::"], root=root)
    assert code == 1
    assert "Traceback" not in err
    assert out.startswith(
        f"✕ p0:dist failed for {index.as_uri()}: cannot read the index: "
        f"{index / PROJECT} is a symlink: graphpub does not follow or replace it"
    ), out
    assert snapshot(outside) == before


@pytest.mark.parametrize(
    ("filename", "project", "belongs"),
    [
        ("demo_greeting-1.0.0-py3-none-any.whl", "demo-greeting", True),
        ("demo_greeting-1.0.0.tar.gz", "Demo.Greeting", True),
        ("my-pkg-1.0.tar.gz", "my-pkg", True),  # legacy: the name holds `-`
        ("my-pkg-1.0.tar.gz", "my", False),  # `pkg-1.0` is no version
        # Ambiguous alone (foo 1.0-1, that is 1.0.post1, or foo-1.0 1): the known name decides.
        ("foo-1.0-1.tar.gz", "foo", True),
        ("foo-1.0-1.tar.gz", "foo-1.0", True),
        ("foo-1.0-1.tar.gz", "foo-1", False),
        ("My_Pkg-2.0.zip", "my-pkg", True),
        ("demo-1.0.0-py3-none-any.whl", "demo-greeting", False),
        ("demo_greeting-1.0.0.tar.gz", "demo", False),
        ("not-a-wheel.whl", "not", False),
        ("demo-1.0.0.egg", "demo", False),
    ],
)
def test_which_files_belong_to_a_project(filename: str, project: str, belongs: bool) -> None:
    assert belongs_to(filename, project) is belongs
