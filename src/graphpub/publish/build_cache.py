"""The cache of built distributions, `.graphpub/cache/ENTRY/`: the files (sdist, wheel) one
staged project's build made, named by a digest of the project's key (`build.Staged.key`:
everything its build reads) and of the toolchain that built it (graphpub's version and its
own files, hatchling's and packaging's versions, the Python and the platform).

An entry holds a manifest (`MANIFEST`: the entry's name, each file's name, size and sha256),
written once the files have passed `twine check` and signed with the user's own key (the
package cache's, outside the repository: `package_cache.user_cache_key`), and appears whole:
it is made in a directory of its own, renamed into place. A run stopped midway leaves a
`.tmp` directory, never an entry. An entry is taken only as its manifest says: every file
there and no other, each a regular file of the size and sha256 listed, and the manifest signed
with the user's key. Anything else (no manifest, another entry's, a file missing, changed or
added, a link, an entry that came with the repository or from another user) is a corrupt or
foreign entry: the caller warns, builds the project again, and the new entry replaces it.
Without a key (no private place for it) nothing is taken from the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import platform
import shutil
import stat
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import packaging
from hatchling.__about__ import __version__ as hatchling_version

import graphpub
from graphpub.buildgraph.package_cache import graphpub_fingerprint, user_cache_key
from graphpub.workdir import work_directory

MANIFEST = "graphpub-build.json"
FORMAT = 1
# A manifest lists two or three files: anything this large is not one.
_MAX_MANIFEST_BYTES = 1 << 20
_CHUNK = 1 << 20


class CorruptEntry(Exception):
    """An entry that is not as its manifest says (or has none)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class BuildCache:
    """The cache in `directory`, for builds made by `toolchain` (`toolchain_digest()`),
    its manifests signed with `secret` (None: nothing is taken from it)."""

    directory: Path
    toolchain: str
    secret: bytes | None

    def entry(self, key: str) -> Path:
        """Where the build of the project keyed `key` is kept."""
        name = hashlib.sha256(f"{FORMAT}\0{self.toolchain}\0{key}".encode()).hexdigest()
        return self.directory / name

    def held(self, key: str) -> dict[str, str] | None:
        """The files of `key`'s entry (name to sha256), each checked against the manifest;
        None when there is no entry; CorruptEntry when it is not one."""
        if self.secret is None:
            return None  # no key: nothing from the cache can be told to be this user's
        entry = self.entry(key)
        try:
            names = sorted(os.listdir(entry))
        except FileNotFoundError:
            return None
        except OSError as e:  # a file of that name, unreadable, ...
            raise CorruptEntry(entry, e.strerror or type(e).__name__) from None
        listed = _manifest(entry, self.secret)
        if sorted([*listed, MANIFEST]) != names:
            raise CorruptEntry(entry, "it holds other files than its manifest lists")
        found = {}
        for name, (size, digest) in listed.items():
            try:
                with _open_regular(entry / name) as file:
                    actual_size, actual = _digest(file)
            except OSError as e:
                raise CorruptEntry(entry, f"{name}: {e.strerror or type(e).__name__}") from None
            if (actual_size, actual) != (size, digest):
                raise CorruptEntry(entry, f"{name} is not the file its manifest lists")
            found[name] = actual
        return found

    def read(self, key: str, name: str, listed: Mapping[str, str]) -> bytes:
        """The bytes of `name` in `key`'s entry, still the file `held` listed (`listed`)."""
        entry = self.entry(key)
        try:
            with _open_regular(entry / name) as file:
                data = file.read()
        except OSError as e:
            raise CorruptEntry(entry, f"{name}: {e.strerror or type(e).__name__}") from None
        if hashlib.sha256(data).hexdigest() != listed[name]:
            raise CorruptEntry(entry, f"{name} is not the file its manifest lists")
        return data

    def temporary(self, key: str) -> Path:
        """A new, empty directory to build `key`'s entry in (`commit` makes it the entry)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        return Path(
            tempfile.mkdtemp(prefix=self.entry(key).name + ".", suffix=".tmp", dir=self.directory)
        )

    def commit(self, temporary: Path, key: str) -> dict[str, str]:
        """Make `temporary` (its files checked) `key`'s entry, with its manifest; its files
        (name to sha256). An entry another run made meanwhile is kept if it is whole (the
        same build: its files are returned); a corrupt one is replaced."""
        files = {}
        for path in sorted(temporary.iterdir()):
            with _open_regular(path) as file:
                files[path.name] = _digest(file)
        entry = self.entry(key)
        listed = {name: {"size": s, "sha256": d} for name, (s, d) in files.items()}
        manifest = {
            "entry": entry.name,
            "files": listed,
            "signature": _signature(self.secret, entry.name, listed),
        }
        (temporary / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        for _attempt in range(3):
            try:
                os.replace(temporary, entry)
                return {name: digest for name, (_, digest) in files.items()}
            except OSError:
                if not os.path.lexists(entry):
                    raise
            with contextlib.suppress(CorruptEntry):
                theirs = self.held(key)
                if theirs is not None:  # another run's, whole: the same build
                    shutil.rmtree(temporary, ignore_errors=True)
                    return theirs
            _remove(entry)
        raise OSError(f"cannot make {entry} the cache entry (other runs keep replacing it)")


def build_cache(root: Path) -> BuildCache:
    """The cache of builds of the repository at `root`, for this toolchain and user."""
    return BuildCache(work_directory(root, "cache"), toolchain_digest(), user_cache_key())


def toolchain_digest() -> str:
    """What, besides a project's own inputs, decides the bytes of its build."""
    parts = repr(
        (
            graphpub.__version__,
            graphpub_fingerprint(),
            hatchling_version,
            packaging.__version__,
            sys.version,
            platform.system(),
            platform.machine(),
        )
    )
    return hashlib.sha256(parts.encode("utf-8", "surrogateescape")).hexdigest()


def _signature(secret: bytes | None, entry: str, files: Mapping[str, object]) -> str:
    """The HMAC of a manifest's entry name and files with `secret` ("" without one)."""
    if secret is None:
        return ""
    signed = json.dumps([entry, files], sort_keys=True).encode()
    return hmac.new(secret, signed, "sha256").hexdigest()


def _manifest(entry: Path, secret: bytes) -> dict[str, tuple[int, str]]:
    """The manifest of `entry`: file name to (size, sha256); CorruptEntry if it is missing,
    not one, another entry's, or not signed with `secret`."""
    try:
        with _open_regular(entry / MANIFEST) as file:
            data = file.read(_MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise CorruptEntry(entry, "it has no manifest") from None
    except OSError as e:
        raise CorruptEntry(entry, f"{MANIFEST}: {e.strerror or type(e).__name__}") from None
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        raise CorruptEntry(entry, "its manifest is not JSON") from None
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict) or len(data) > _MAX_MANIFEST_BYTES:
        raise CorruptEntry(entry, "its manifest is not one")
    if document.get("entry") != entry.name:
        raise CorruptEntry(entry, "its manifest is another entry's")
    signature = document.get("signature")
    if not (
        isinstance(signature, str)
        and hmac.compare_digest(signature, _signature(secret, entry.name, files))
    ):
        raise CorruptEntry(entry, "its manifest is not signed with this user's key")
    listed = {}
    for name, record in files.items():
        size = record.get("size") if isinstance(record, dict) else None
        digest = record.get("sha256") if isinstance(record, dict) else None
        if not isinstance(size, int) or not isinstance(digest, str) or name == MANIFEST:
            raise CorruptEntry(entry, "its manifest is not one")
        listed[name] = (size, digest)
    return listed


def _open_regular(path: Path) -> IO[bytes]:
    """`path` opened for reading, if it is a regular file and no link (OSError otherwise)."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(0, "not a regular file")
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def _digest(file: IO[bytes]) -> tuple[int, str]:
    """(size, sha256) of what `file` holds."""
    digest, size = hashlib.sha256(), 0
    while chunk := file.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _remove(path: Path) -> None:
    """Take `path` (an entry, or a file in its place) out of the way, first renaming it, so
    that no run ever reads half of it."""
    aside = path.with_name(f"{path.name}.{os.getpid()}.stale")
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            aside.unlink()
