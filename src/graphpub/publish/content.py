"""Whether two distribution files of the same name hold the same distribution.

Two builds of the same sources differ in bytes when a timestamp or the order of the archive's
members does (another SOURCE_DATE_EPOCH, another builder's order, another compression level):
that is no conflict. What counts is the content: the members' names, kinds, bytes and
executable bits, with the core metadata (a wheel's METADATA, an sdist's PKG-INFO) compared as
parsed fields (header order and folding aside) and a wheel's RECORD as the set of files it
lists (its hashes are those of the members, compared anyway). Everything else of the
archive — timestamps, owners, member order, compression — is left out.

The other file comes from a server: it is read within what its members declare. Member names
and sizes are compared before any byte is decompressed, so a file there that differs is known
for it without inflating it, and one that matches inflates to no more than ours does.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# Core metadata and RECORD are read whole to be parsed: more than this is no metadata.
MAX_METADATA_BYTES = 16 * 1024 * 1024
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Comparison:
    """Whether the two files hold the same content; if not, the first difference, in words."""

    same: bool
    difference: str | None = None


@dataclass(frozen=True)
class _Member:
    kind: str  # file, symlink, hardlink
    size: int
    executable: bool
    link: str  # a link's target, else ""


class _Unreadable(Exception):
    """An archive that cannot be read as the kind its name says."""


def compare(ours: Path, theirs: IO[bytes], filename: str) -> Comparison:
    """Compare the distribution file `ours` with `theirs` (a seekable file of the same name)."""
    opener = _opener(filename)
    if opener is None:  # not an archive graphpub knows: only the same bytes are the same
        return _bytes_compared(ours, theirs)
    try:
        with ours.open("rb") as own, opener(own) as mine:
            try:
                with opener(theirs) as other:
                    return _archives_compared(mine, other)
            except _Unreadable as e:
                return Comparison(False, f"the file there is not a readable archive: {e}")
    except _Unreadable as e:  # ours was built here and checked by twine: a bug if it happens
        return Comparison(False, f"{ours.name} is not a readable archive: {e}")


def _bytes_compared(ours: Path, theirs: IO[bytes]) -> Comparison:
    theirs.seek(0)
    with ours.open("rb") as own:
        while True:
            mine, other = own.read(_CHUNK), theirs.read(_CHUNK)
            if mine != other:
                return Comparison(False, "the bytes differ")
            if not mine:
                return Comparison(True)


class _Archive:
    """The members of a zip or tar archive, by name, and a way to read each."""

    def __init__(self, members: dict[str, _Member], read: Callable[[str], IO[bytes]]) -> None:
        self.members = members
        self.read = read


def _opener(filename: str) -> Callable[[IO[bytes]], _ArchiveContext] | None:
    if filename.endswith((".whl", ".zip")):
        return _ArchiveContext.of_zip
    if filename.endswith(".tar.gz"):
        return _ArchiveContext.of_tar
    return None


class _ArchiveContext:
    """An open archive, closed at the end of the `with` block."""

    def __init__(self, archive: _Archive, close: Callable[[], None]) -> None:
        self.archive = archive
        self._close = close

    def __enter__(self) -> _Archive:
        return self.archive

    def __exit__(self, *_exc: object) -> None:
        self._close()

    @classmethod
    def of_zip(cls, stream: IO[bytes]) -> _ArchiveContext:
        stream.seek(0)
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
            raise _Unreadable(str(e) or type(e).__name__) from None
        members: dict[str, _Member] = {}
        for info in archive.infolist():
            if info.is_dir():
                continue  # some builders write directory entries, some do not: no content
            mode = info.external_attr >> 16
            symlink = (mode & 0o170000) == 0o120000
            members[info.filename] = _Member(
                "symlink" if symlink else "file", info.file_size, bool(mode & 0o111), ""
            )

        def read(name: str) -> IO[bytes]:
            return archive.open(name)

        return cls(_Archive(members, read), archive.close)

    @classmethod
    def of_tar(cls, stream: IO[bytes]) -> _ArchiveContext:
        stream.seek(0)
        try:
            archive = tarfile.open(fileobj=stream, mode="r:gz")  # noqa: SIM115 (closed by the context)
            infos = archive.getmembers()
        except (tarfile.TarError, OSError, EOFError, ValueError) as e:
            raise _Unreadable(str(e) or type(e).__name__) from None
        members: dict[str, _Member] = {}
        for info in infos:
            if info.isdir():
                continue
            if info.issym() or info.islnk():
                kind = "symlink" if info.issym() else "hardlink"
                members[info.name] = _Member(kind, 0, False, info.linkname)
            elif info.isfile():
                members[info.name] = _Member("file", info.size, bool(info.mode & 0o111), "")
            else:  # a device or FIFO in an sdist: compared by kind alone
                members[info.name] = _Member(f"type {info.type!r}", 0, False, "")

        def read(name: str) -> IO[bytes]:
            extracted = archive.extractfile(name)
            if extracted is None:
                raise _Unreadable(f"{name} cannot be read")
            return extracted

        return cls(_Archive(members, read), archive.close)


def _archives_compared(mine: _Archive, other: _Archive) -> Comparison:
    names = set(mine.members)
    if names != set(other.members):
        return Comparison(False, _names_differ(names, set(other.members)))
    parsed = {name for name in names if _compared_as_parsed(name)}
    for name in sorted(names):
        own, theirs = mine.members[name], other.members[name]
        if name in parsed:
            if own.kind != theirs.kind:
                return Comparison(False, f"{name} differs")
            continue
        if own != theirs:
            return Comparison(False, f"{name} differs ({_how(own, theirs)})")
    try:
        for name in sorted(parsed):
            if mine.members[name].kind == "file" and not _same_parsed(name, mine, other):
                return Comparison(False, f"{name} differs")
        for name in sorted(names - parsed):
            if mine.members[name].kind == "file" and _digest(mine, name) != _digest(other, name):
                return Comparison(False, f"{name} differs")
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, ValueError) as e:
        return Comparison(False, f"the file there cannot be read: {e}")
    return Comparison(True)


def _names_differ(mine: set[str], other: set[str]) -> str:
    only_ours, only_theirs = sorted(mine - other), sorted(other - mine)
    parts = []
    if only_ours:
        parts.append(f"only ours holds {_listed(only_ours)}")
    if only_theirs:
        parts.append(f"only the file there holds {_listed(only_theirs)}")
    return "; ".join(parts)


def _listed(names: list[str], shown: int = 3) -> str:
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")


def _how(own: _Member, theirs: _Member) -> str:
    if own.kind != theirs.kind:
        return f"a {own.kind} here, a {theirs.kind} there"
    if own.link != theirs.link:
        return f"links to {own.link} here, to {theirs.link} there"
    if own.size != theirs.size:
        return f"{own.size:,} bytes here, {theirs.size:,} there"
    return "executable here" if own.executable else "executable there"


def _compared_as_parsed(name: str) -> bool:
    """Core metadata and a wheel's RECORD, compared for what they say."""
    parts = name.split("/")
    if len(parts) == 2 and parts[0].endswith(".dist-info"):
        return parts[1] in ("METADATA", "RECORD")
    return parts[-1] == "PKG-INFO" and (len(parts) == 2 or parts[-2].endswith(".egg-info"))


def _same_parsed(name: str, mine: _Archive, other: _Archive) -> bool:
    own, theirs = _small(mine, name), _small(other, name)
    if own is None or theirs is None:
        return own == theirs
    if name.endswith("/RECORD"):
        return _record_paths(own) == _record_paths(theirs)
    return _metadata(own) == _metadata(theirs)


def _small(archive: _Archive, name: str) -> bytes | None:
    """A metadata member's bytes; None when it is too large to be metadata."""
    if archive.members[name].size > MAX_METADATA_BYTES:
        return None
    with archive.read(name) as stream:
        return stream.read(MAX_METADATA_BYTES + 1)


def _record_paths(data: bytes) -> frozenset[str]:
    """The files a RECORD lists (its first column, as CSV)."""
    import csv

    rows = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")))
    return frozenset(row[0] for row in rows if row)


def _metadata(data: bytes) -> tuple[object, ...]:
    """Core metadata as parsed fields: each field's values, multi-valued ones as a set (their
    order carries no meaning), the description with its trailing blank lines dropped."""
    # Imported here: a publish compares contents only when a file of the same name is there
    # with other bytes, and the module costs its start 15 ms.
    from packaging.metadata import parse_email

    raw, unparsed = parse_email(data)
    fields: list[tuple[str, object]] = []
    for key, value in {**raw, **unparsed}.items():
        if isinstance(value, str):
            normalised: object = value.rstrip() if key == "description" else value
        elif isinstance(value, list):
            normalised = tuple(sorted(map(str, value)))
        elif isinstance(value, dict):
            normalised = tuple(sorted((str(k), str(v)) for k, v in value.items()))
        else:
            normalised = repr(value)
        fields.append((key, normalised))
    return tuple(sorted(fields))


def _digest(archive: _Archive, name: str) -> str:
    """The sha256 of a member's bytes, read at most as far as its declared size (and a byte
    more, to notice a member longer than it says)."""
    expected = archive.members[name].size
    digest = hashlib.sha256()
    with archive.read(name) as stream:
        left = expected + 1
        while left > 0 and (chunk := stream.read(min(_CHUNK, left))):
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()
