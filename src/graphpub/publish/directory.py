"""Directory repositories: a `file://` URL is a directory graphpub keeps as a PEP 503 static
index, which `pip install --index-url file://...` reads.

graphpub writes only into an index of its own: a directory it created or found empty, where it
puts MARKER. Any other directory is refused before anything is uploaded, so that a mistyped
URL (file:///home/me, file:///etc) never has its index.html files overwritten.

Inside the index nothing follows a symlink, whoever planted it: every name is opened relative
to its directory's descriptor with O_NOFOLLOW, new files with O_EXCL, pages are replaced by
rename (which replaces a symlink instead of writing through it), and a symlink where a file or
project directory should be is refused, never read. (The index's own path may go through
symlinks: that is where the user pointed it.) Writes are atomic, under a lock, so concurrent
runs take turns.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import html
import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from graphpub.errors import GraphpubError
from graphpub.publish.content import compare
from graphpub.publish.filenames import belongs_to
from graphpub.rules.requirements import normalize_project

MARKER = ".graphpub-index"
MARKER_TEXT = (
    "This directory is a Python package index (PEP 503) that graphpub keeps: `graphpub publish`\n"
    "adds distribution files here and rewrites the index.html pages.\n"
    "\n"
    "graphpub writes only into a directory holding this file (or an empty one, where it\n"
    "creates it), so that it never overwrites files it did not make. Delete it and graphpub\n"
    "will refuse to publish here.\n"
)
LOCK = ".graphpub.lock"
PAGE = "index.html"

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
# O_NONBLOCK: a FIFO planted where a file should be must not block the open.
_NO_SURPRISES = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class DirectoryIndexError(GraphpubError):
    """A directory graphpub will not use as an index, or a name in it that it will not follow."""


def check_index_directory(directory: Path) -> None:
    """Raise DirectoryIndexError unless graphpub may publish into `directory`: one that does not
    exist yet, is empty, or holds MARKER. Nothing is created."""
    try:
        root = os.open(directory, _DIRECTORY)
    except FileNotFoundError:
        return  # created, and marked, by the first publish
    except OSError as e:
        raise DirectoryIndexError(f"cannot use {directory} as an index: {e.strerror}") from None
    try:
        _ownership(root, directory)
    finally:
        os.close(root)


def directory_files(directory: Path, project: str) -> dict[str, str]:
    """The files of `project` in the directory index `directory`, name to sha256: regular
    files only (pages, dot files and symlinks left out)."""
    try:
        root = os.open(directory, _DIRECTORY)
    except FileNotFoundError:
        return {}
    try:
        with _subdirectory(root, directory, normalize_project(project)) as folder:
            return {} if folder is None else _files(folder)
    finally:
        os.close(root)


@dataclass(frozen=True)
class Placed:
    """What became of one file: `published`, `skipped` (there already: the same bytes, or
    the `same content`), `conflict` (another distribution of that name is there), or
    `withheld` (not copied, since another file of its distribution conflicts)."""

    status: str
    existing_sha256: str | None = None
    difference: str | None = None


def publish_to_directory(
    directory: Path, project: str, files: Mapping[Path, str]
) -> dict[Path, Placed]:
    """Copy `files` (path to sha256), the files of one distribution of `project`, into the
    directory index `directory`, all or none: under the index's lock every file is checked
    first, and if any conflicts none is copied."""
    for path in files:
        if not belongs_to(path.name, project):
            raise DirectoryIndexError(f"{path.name} is not a file of the project {project}")
    directory.mkdir(parents=True, exist_ok=True)
    root = os.open(directory, _DIRECTORY)
    try:
        if _ownership(root, directory) == "empty":
            _mark(root)
        with _locked(root, directory):
            statuses = _copy(root, directory, normalize_project(project), files)
            _write_pages(root, directory)
        return statuses
    finally:
        os.close(root)


def _ownership(root: int, directory: Path) -> str:
    """`ours` (MARKER is there) or `empty`; DirectoryIndexError for any other directory."""
    names = os.listdir(root)
    if MARKER in names:
        if not stat.S_ISREG(os.stat(MARKER, dir_fd=root, follow_symlinks=False).st_mode):
            raise DirectoryIndexError(
                f"{directory / MARKER} is not a regular file",
                hint=f"replace it with an empty file: rm {directory / MARKER}; "
                f"touch {directory / MARKER}",
            )
        return "ours"
    if not names:
        return "empty"
    raise DirectoryIndexError(
        f"{directory} is not a package index graphpub made: it holds files but no {MARKER}, "
        "and publishing would overwrite its index.html files",
        hint=f"choose a new or empty directory; if graphpub made this index before, "
        f"create the marker to let it go on: touch {directory / MARKER}",
    )


def _mark(root: int) -> None:
    try:
        descriptor = os.open(
            MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_SURPRISES, 0o666, dir_fd=root
        )
    except FileExistsError:  # a concurrent run marked it first
        return
    with os.fdopen(descriptor, "w", encoding="utf-8") as marker:
        marker.write(MARKER_TEXT)


@contextmanager
def _locked(root: int, directory: Path) -> Iterator[None]:
    kind = _kind(root, LOCK)
    if kind not in (None, "file"):
        raise _not_followed(directory / LOCK, kind)
    descriptor = _open_regular(root, LOCK, os.O_WRONLY | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # concurrent runs take turns
        yield
    finally:
        os.close(descriptor)  # and the lock with it


def _copy(
    root: int, directory: Path, project: str, files: Mapping[Path, str]
) -> dict[Path, Placed]:
    placed: dict[Path, Placed] = {}
    with contextlib.suppress(FileExistsError):  # a symlink too: _subdirectory refuses it
        os.mkdir(project, dir_fd=root)
    with _subdirectory(root, directory, project) as folder:
        assert folder is not None  # made just above
        for path, digest in files.items():
            there = _kind(folder, path.name)
            if there is None:
                continue
            if there != "file":
                raise _not_followed(directory / project / path.name, there)
            placed[path] = _compared(folder, path, digest)
        if any(p.status == "conflict" for p in placed.values()):
            return {path: placed.get(path, Placed("withheld")) for path in files}
        for path in files:
            if path not in placed:
                _write_atomically(folder, path.name, path.read_bytes())
                placed[path] = Placed("published")
    return {path: placed[path] for path in files}


def _compared(folder: int, path: Path, digest: str) -> Placed:
    """`path` (with sha256 `digest`) against the file of its name in `folder`."""
    existing = _sha256(folder, path.name)
    if existing == digest:
        return Placed("skipped")
    descriptor = _open_regular(folder, path.name, os.O_RDONLY)
    with os.fdopen(descriptor, "rb") as theirs:
        comparison = compare(path, theirs, path.name)
    status = "same content" if comparison.same else "conflict"
    return Placed(status, existing, comparison.difference)


@contextmanager
def existing_file(directory: Path, project: str, name: str) -> Iterator[IO[bytes]]:
    """The file `name` of `project` in the directory index, opened for reading (a regular
    file only, never through a symlink)."""
    root = os.open(directory, _DIRECTORY)
    try:
        with _subdirectory(root, directory, normalize_project(project)) as folder:
            if folder is None:
                raise FileNotFoundError(f"{directory / project} is gone")
            descriptor = _open_regular(folder, name, os.O_RDONLY)
    finally:
        os.close(root)
    with os.fdopen(descriptor, "rb") as file:
        yield file


def _write_pages(root: int, directory: Path) -> None:
    """Every project's page, and the root page listing the projects."""
    projects = sorted(
        entry.name
        for entry in os.scandir(root)
        if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(".")
    )
    for project in projects:
        with _subdirectory(root, directory, project) as folder:
            assert folder is not None
            links = "".join(
                f'<a href="{html.escape(name)}#sha256={digest}">{html.escape(name)}</a><br/>\n'
                for name, digest in _files(folder).items()
            )
            _write_atomically(folder, PAGE, _page(links))
    links = "".join(f'<a href="{html.escape(p)}/">{html.escape(p)}</a><br/>\n' for p in projects)
    _write_atomically(root, PAGE, _page(links))


def _page(links: str) -> bytes:
    return f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n".encode()


def _files(folder: int) -> dict[str, str]:
    return {
        entry.name: _sha256(folder, entry.name)
        for entry in sorted(os.scandir(folder), key=lambda e: e.name)
        # Not a temporary file of a write in progress, nor a page, nor a symlink.
        if entry.is_file(follow_symlinks=False)
        and not entry.name.startswith(".")
        and entry.name != PAGE
    }


@contextmanager
def _subdirectory(root: int, directory: Path, name: str) -> Iterator[int | None]:
    """The descriptor of the directory `name` in `root`, None when there is none; a symlink
    or anything else there is refused."""
    kind = _kind(root, name)
    if kind is None:
        yield None
        return
    if kind != "directory":
        raise _not_followed(directory / name, kind)
    descriptor = os.open(name, _DIRECTORY | os.O_NOFOLLOW, dir_fd=root)
    try:
        yield descriptor
    finally:
        os.close(descriptor)


def _kind(folder: int, name: str) -> str | None:
    try:
        mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    return "symlink" if stat.S_ISLNK(mode) else "special file"


def _not_followed(path: Path, kind: str) -> DirectoryIndexError:
    return DirectoryIndexError(
        f"{path} is a {kind}: graphpub does not follow or replace it in a directory index",
        hint=f"remove {path} if it is not meant to be there",
    )


def _open_regular(folder: int, name: str, flags: int) -> int:
    """Open `name` in `folder`, refusing anything but a regular file. Callers look first, to
    say what is there; this holds if the name changes in between (a symlink is then ELOOP)."""
    descriptor = os.open(name, flags | _NO_SURPRISES, 0o666, dir_fd=folder)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise DirectoryIndexError(f"{name} is not a regular file")
    return descriptor


def _sha256(folder: int, name: str) -> str:
    descriptor = _open_regular(folder, name, os.O_RDONLY)
    digest = hashlib.sha256()
    with os.fdopen(descriptor, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(folder: int, name: str, data: bytes) -> None:
    """`name` in `folder` replaced by `data` at once: written to a new temporary file first
    (O_EXCL: never an existing file or symlink), then renamed over it."""
    temporary = f".{name}.{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    descriptor = os.open(temporary, flags | _NO_SURPRISES, 0o666, dir_fd=folder)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary, dir_fd=folder)
        raise
