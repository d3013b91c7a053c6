"""Evaluated packages kept between runs, in `.graphpub/packages/`, each with what its result
came from: the build files and every `.bzl` file it loaded (transitively) and other file it
read, by content; the directory listings its globs read; the `env()` values it read; the
packages it looked into (Pants' `__defaults__` above it, a `select()`'s config_setting); the
warnings it gave. A file holds the entries of one configuration: its name is a digest of the
config (with `--define`, `--condition`, `--stamp`), the Pants prelude files, the platform and
graphpub itself, so anything changing those starts from nothing.

An entry is used only if every input is as it was: a file or directory whose size and
modification time are those recorded is taken as unchanged, unless it was modified within
`_RACY_NS` of being recorded (as git's index: a change in the same tick would not show), when
its content is compared. The file is authenticated with a key of the user's own (outside the
repository, `$XDG_CACHE_HOME/graphpub/cache-key`), since it is unpickled: a file anyone else
wrote (committed to the repository, say) is foreign, and ignored with one warning, as is a
corrupt one. Written whole to a temporary file and renamed: a concurrent run sees the old file
or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import hmac
import io
import os
import pickle
import platform
import secrets
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, BinaryIO, Protocol

import graphpub
from graphpub.buildgraph.address import Address
from graphpub.buildgraph.files import RACY_NS, Listing
from graphpub.buildgraph.target_index import TargetIndex
from graphpub.workdir import work_directory

try:
    import fcntl
except ImportError:  # Windows: no background writer (the file is written before exiting)
    fcntl = None  # type: ignore[assignment]

FORMAT = 4
_MAGIC = b"graphpub-packages\n"
_DIGEST_SIZE = 32
_RECORD_FIELDS = 9  # the directory, Entry's fields but the package, the package's size
# Files of configurations no longer in use kept besides the current one (switching back and
# forth between two `--define` values keeps both warm).
_KEPT_CONFIGURATIONS = 4
_LOCK = ".writing"
# How long a run waits for the file a run before it is still writing in the background.
_WRITER_WAIT_S = 30.0
CACHE_DIRECTORY = ".graphpub/packages"


def digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def listing_digest(listing: Listing | None) -> bytes:
    """What a directory listing holds, for comparing it with a later one."""
    if listing is None:
        return b""
    parts = [
        "\0".join(listing.files),
        # (The cache's own directory appearing in the root changes no package.)
        "\0".join(d for d in listing.dirs if d != ".graphpub"),
        "\0".join(listing.build_files),
        "\0".join(sorted(listing.symlinked_dirs)),
        "\0".join(sorted(listing.root_markers)),
        str(listing.is_virtualenv),
    ]
    return digest("\1".join(parts).encode("utf-8", "surrogateescape"))


@dataclass(slots=True)
class Inputs:
    """What one package (or `.bzl` file) read while it was evaluated."""

    files: dict[str, tuple[int, int, bytes]] = field(default_factory=dict)
    """Root-relative path: (size, modification time in ns, content digest)."""
    dirs: set[str] = field(default_factory=set)
    env: dict[str, str | None] = field(default_factory=dict)
    packages: set[str] = field(default_factory=set)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    cacheable: bool = True

    def merge(self, other: Inputs) -> None:
        self.files.update(other.files)
        self.dirs |= other.dirs
        self.env.update(other.env)
        self.packages |= other.packages
        self.warnings.extend(other.warnings)
        self.cacheable = self.cacheable and other.cacheable


class Indexed(Protocol):
    """A package, as the cache writes it: pickled, with its targets' index beside it."""

    def index(self) -> Iterable[tuple[Address, str]]: ...


_NO_TARGETS = TargetIndex.of((), str)


@dataclass(frozen=True, slots=True)
class Entry:
    """One package as the cache keeps it: its inputs, its targets' index, and the package
    pickled (unpickled only if something needs more of its targets than their addresses and
    kinds)."""

    recorded_ns: int
    files: tuple[tuple[str, int, int, bytes], ...]
    dirs: tuple[tuple[str, int, bytes | None], ...]
    """Directory, modification time, listing digest (None until `_digest_listings`)."""
    env: tuple[tuple[str, bytes | None], ...]
    packages: tuple[str, ...]
    warnings: tuple[tuple[str, str], ...]
    targets: TargetIndex
    package: bytes

    def __reduce__(self) -> tuple[object, ...]:
        fields = (self.recorded_ns, self.files, self.dirs, self.env, self.packages)
        return (Entry, (*fields, self.warnings, self.targets, self.package))


def _env_digest(value: str | None) -> bytes | None:
    # Only a digest: a value never lands on disk (it may be anything the user set).
    return None if value is None else digest(value.encode("utf-8", "surrogateescape"))


def canonical(value: Any) -> Any:
    """`value` as plain, ordered data whose repr is the same in every run (sets sorted, as
    their order depends on string hashing, which differs between processes)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple((f.name, canonical(getattr(value, f.name))) for f in dataclasses.fields(value)),
        )
    if isinstance(value, enum.Enum):
        return (type(value).__name__, value.name)
    if isinstance(value, Mapping):
        return (
            "map",
            tuple(sorted(((repr(canonical(k)), canonical(v)) for k, v in value.items()))),
        )
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted(repr(canonical(v)) for v in value)))
    if isinstance(value, (list, tuple)):
        return tuple(canonical(v) for v in value)
    if isinstance(value, PurePath):
        return str(value)
    if value is None or isinstance(value, (str, int, float, bool, bytes)):
        return value
    return (type(value).__name__, repr(value))


def graphpub_fingerprint() -> list[tuple[str, int, int]]:
    """graphpub's own files (code, catalogs, prelude): a change to any is a new graphpub."""
    base = Path(graphpub.__file__).parent
    found = []
    for directory, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(directory, name)
            with contextlib.suppress(OSError):
                status = os.stat(path)
                found.append((os.path.relpath(path, base), status.st_size, status.st_mtime_ns))
    return found


def configuration_key(config: object, extra: Iterable[tuple[str, bytes]] = ()) -> str:
    """The digest naming the file of one configuration's entries."""
    import starlark

    parts = repr(
        (
            FORMAT,
            graphpub.__version__,
            graphpub_fingerprint(),
            getattr(starlark, "__version__", ""),
            sys.version,
            platform.system(),
            platform.machine(),
            canonical(config),
            sorted(extra),
        )
    )
    return hashlib.blake2b(parts.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def user_cache_key() -> bytes | None:
    """This user's key authenticating cache files, made on first use; None if there is no
    private place for it (then nothing is cached)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "graphpub", "cache-key")
    try:
        with open(path, "rb") as file:
            key = file.read()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        key = secrets.token_bytes(32)
        descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path))
        with os.fdopen(descriptor, "wb") as file:
            file.write(key)
        try:
            os.link(temporary, path)  # first one wins: every run uses the same key
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
        with open(path, "rb") as file:
            key = file.read()
        return key if len(key) >= 32 else None
    except OSError:
        return None


class PackageCache:
    """The entries of one configuration, read at start, written back if anything changed."""

    def __init__(
        self,
        root: Path,
        key: str,
        warn: Callable[[str], None],
        render: Callable[[Address], str],
        user_key: bytes | None = None,
    ) -> None:
        self._directory = root / CACHE_DIRECTORY
        self._render = render
        """How the configuration writes addresses (`Config.render`): the index keeps them so."""
        self._path = self._directory / f"{key}.pickle"
        self._root = str(root)
        self._warn = warn
        self._secret = user_key if user_key is not None else user_cache_key()
        self._entries: dict[str, Entry] = {}
        self.listings: dict[str, tuple[int, int, Listing]] = {}
        """Directory listings of the last run (`FileTree.remembered`)."""
        self._fresh: dict[str, bytes] = {}
        """The entries of the packages evaluated in this run, pickled (without the package):
        as objects, at 50,000 packages, they took 30 MB until the cache was written."""
        self._dropped: set[str] = set()
        self._released: set[str] = set()
        """Entries whose package the evaluator holds unpickled, without their bytes."""
        self._valid: dict[str, bool] = {}
        self._file_checks: dict[str, bool] = {}
        self._dir_checks: dict[str, bool] = {}
        self.directory_times: Mapping[str, int] = {}
        """Directories' modification times this run already took (`FileTree.stamps`)."""
        if self._secret is not None:
            self._entries = self._read()

    @property
    def enabled(self) -> bool:
        return self._secret is not None

    @property
    def path(self) -> Path:
        """The file of this configuration's entries."""
        return self._path

    @property
    def secret(self) -> bytes | None:
        """The user's key authenticating graphpub's files (None: nothing is cached)."""
        return self._secret

    def make_directory(self) -> Path:
        """The cache's directory, made (with graphpub's working directory) if missing."""
        return work_directory(Path(self._root), *PurePath(CACHE_DIRECTORY).parts[1:])

    def recorded_ns(self, directory: str) -> int | None:
        """When the entry of a package this run took from the cache, or evaluated and keeps,
        was recorded: which evaluation of it that is. None if it has no such entry."""
        fresh = self._fresh.get(directory)
        if fresh is not None:  # (kept pickled: unpickled for this only)
            made: Entry = pickle.loads(fresh)
            return made.recorded_ns
        if not self._valid.get(directory):
            return None
        entry = self._entries.get(directory)
        return entry.recorded_ns if entry is not None else None

    # ------------------------------------------------------------------ reading

    def _read(self) -> dict[str, Entry]:
        self._wait_for_writer()
        try:
            with open(self._path, "rb") as file:
                data = file.read()
        except FileNotFoundError:
            return {}
        except OSError as error:
            self._warn(f"the package cache {self._relative()} cannot be read ({error}): ignored")
            return {}
        assert self._secret is not None
        head = len(_MAGIC) + _DIGEST_SIZE
        signature = data[len(_MAGIC) : head]
        signer = hmac.new(self._secret, memoryview(data)[head:], "sha256")
        expected = signer.digest()[:_DIGEST_SIZE]
        if not data.startswith(_MAGIC) or not hmac.compare_digest(signature, expected):
            self._foreign("was not written by graphpub for this user")
            return {}
        try:
            stream = io.BytesIO(data)
            stream.seek(head)
            form, listings = pickle.load(stream)
            if form != FORMAT or not isinstance(listings, dict):
                raise ValueError("another format")
            # The records by one unpickler, as one pickler wrote them (see _write), each
            # followed by its package's pickled bytes.
            records = pickle.Unpickler(stream)
            entries: dict[str, Entry] = {}
            while (record := records.load()) is not None:
                if not (isinstance(record, tuple) and len(record) == _RECORD_FIELDS):
                    raise ValueError("not an entry")
                directory, recorded, files, dirs, env, packages, warnings, targets, size = record
                package = stream.read(size)
                if len(package) != size:
                    raise ValueError("cut short")
                fields = (recorded, files, dirs, env, packages)
                entries[directory] = Entry(*fields, warnings, targets, package)
            self.listings = listings
            return entries
        except Exception as error:  # corrupt, whatever way
            self._foreign(f"is corrupt ({type(error).__name__})")
            return {}

    def _foreign(self, why: str) -> None:
        self._warn(
            f"the package cache {self._relative()} {why}: ignored, and written anew "
            "(--no-cache does without it)"
        )
        self._dropped.add("")  # rewrite it even if nothing else changes

    def _relative(self) -> str:
        return os.path.relpath(self._path, self._root)

    def get(self, directory: str, listing_of: Callable[[str], Listing | None]) -> Entry | None:
        """The entry of the package in `directory` if every input of it (and of the packages
        it looked into) is unchanged; else None."""
        if directory in self._fresh:
            return None  # evaluated in this run: the evaluator has it
        entry = self._entries.get(directory)
        if entry is None:
            return None
        if self._is_valid(directory, entry, listing_of, set()):
            return entry
        return None

    def release(self, directory: str) -> None:
        """The evaluator holds the package of `directory`, unpickled: its pickled bytes are
        not kept as well (at 50,000 packages, 45 MB). If the cache is written again, the
        package is pickled anew from the evaluator's."""
        entry = self._entries.get(directory)
        if entry is not None and entry.package:
            # (Not dataclasses.replace: a fifth of the time, for every package of a warm run.)
            fields = (entry.recorded_ns, entry.files, entry.dirs, entry.env, entry.packages)
            self._entries[directory] = Entry(*fields, entry.warnings, entry.targets, b"")
            self._released.add(directory)

    def _is_valid(
        self,
        directory: str,
        entry: Entry,
        listing_of: Callable[[str], Listing | None],
        visiting: set[str],
    ) -> bool:
        known = self._valid.get(directory)
        if known is not None:
            return known
        if directory in self._fresh:
            return True
        visiting.add(directory)
        self._valid[directory] = valid = self._inputs_unchanged(entry, listing_of, visiting)
        if not valid:
            self._entries.pop(directory, None)
            self._dropped.add(directory)
        return valid

    def _inputs_unchanged(
        self, entry: Entry, listing_of: Callable[[str], Listing | None], visiting: set[str]
    ) -> bool:
        # (Loops, not all() over generators: run for every package of every warm run.)
        at = entry.recorded_ns
        file_checks, dir_checks = self._file_checks, self._dir_checks
        for path, size, mtime, seen in entry.files:
            known = file_checks.get(path)
            if known is None:
                known = file_checks[path] = self._check_file(path, size, mtime, seen, at)
            if not known:
                return False
        for path, mtime, seen_listing in entry.dirs:
            if seen_listing is None:
                return False
            known = dir_checks.get(path)
            if known is None:
                known = self._check_dir(path, mtime, seen_listing, at, listing_of)
                dir_checks[path] = known
            if not known:
                return False
        for name, seen_value in entry.env:
            if _env_digest(os.environ.get(name)) != seen_value:
                return False
        for other in entry.packages:
            if other not in visiting and not self._other_valid(other, listing_of, visiting):
                return False
        return True

    def _other_valid(
        self, directory: str, listing_of: Callable[[str], Listing | None], visiting: set[str]
    ) -> bool:
        if directory in self._fresh:
            return True
        entry = self._entries.get(directory)
        return entry is not None and self._is_valid(directory, entry, listing_of, visiting)

    def _check_file(self, path: str, size: int, mtime: int, seen: bytes, at: int) -> bool:
        absolute = os.path.join(self._root, path)
        try:
            status = os.stat(absolute)
        except OSError:
            return False
        if status.st_size != size:
            return False
        if status.st_mtime_ns == mtime and mtime < at - RACY_NS:
            return True
        try:
            with open(absolute, "rb") as file:
                return digest(file.read()) == seen
        except OSError:
            return False

    def _check_dir(
        self,
        path: str,
        mtime: int,
        seen: bytes,
        at: int,
        listing_of: Callable[[str], Listing | None],
    ) -> bool:
        now = self.directory_times.get(path)
        if now is None:
            try:
                now = os.stat(os.path.join(self._root, path) if path else self._root).st_mtime_ns
            except OSError:
                now = -1
        if now == mtime and mtime < at - RACY_NS:
            return True
        return listing_digest(listing_of(path)) == seen

    # ------------------------------------------------------------------ writing

    def put(
        self,
        directory: str,
        inputs: Inputs,
        recorded_ns: int,
        time_of: Callable[[str], int],
    ) -> None:
        """Keep a package just evaluated (pickled when the cache is saved), with what it
        read. What its directory listings held is digested later, once per directory, where
        it is handed on or written (`fresh`, `save`): not on the way to the answer."""
        if not inputs.cacheable:
            return
        # (Lists made into tuples, not generators: this runs for every package evaluated.)
        files, env = inputs.files, inputs.env
        others = inputs.packages
        if directory in others:
            others = others - {directory}
        entry = Entry(
            recorded_ns,
            tuple([(p, *files[p]) for p in sorted(files)]),
            tuple([(d, time_of(d), None) for d in sorted(inputs.dirs)]),
            tuple([(n, _env_digest(env[n])) for n in sorted(env)]) if env else (),
            tuple(sorted(others)),
            tuple(inputs.warnings),
            _NO_TARGETS,
            b"",
        )
        self._fresh[directory] = pickle.dumps(entry, pickle.HIGHEST_PROTOCOL)
        self._valid.pop(directory, None)  # (found changed before, if at all: now it is new)

    def fresh(self, listing_of: Callable[[str], Listing | None]) -> dict[str, bytes]:
        """The entries made in this process, complete and pickled (a worker hands them to its
        parent)."""
        self._digest_listings(listing_of)
        return self._fresh

    def _digest_listings(self, listing_of: Callable[[str], Listing | None]) -> None:
        digests: dict[str, bytes] = {}
        for directory, pickled in self._fresh.items():
            entry: Entry = pickle.loads(pickled)
            if not any(seen is None for _, _, seen in entry.dirs):
                continue
            dirs = []
            for path, mtime, seen in entry.dirs:
                if seen is None:
                    seen = digests.get(path)
                    if seen is None:
                        seen = digests[path] = listing_digest(listing_of(path))
                dirs.append((path, mtime, seen))
            complete = dataclasses.replace(entry, dirs=tuple(dirs))
            self._fresh[directory] = pickle.dumps(complete, pickle.HIGHEST_PROTOCOL)

    def adopt(self, entries: Mapping[str, bytes]) -> None:
        """Entries another process made (from `fresh`)."""
        for directory, pickled in entries.items():
            self._fresh.setdefault(directory, pickled)
            self._valid.pop(directory, None)

    def save(
        self,
        listings: Mapping[str, tuple[int, int, Listing]],
        listed: bool,
        package_of: Callable[[str], Indexed | None],
        listing_of: Callable[[str], Listing | None],
        *,
        background: bool = False,
    ) -> None:
        """Write the entries (the packages of new ones from `package_of`) and `listings`
        back if anything changed (`listed`: a directory was listed anew), atomically, one
        entry at a time; a failure to is a warning (the next run evaluates again).
        `background`: by a detached process, so that the command's answer does not wait for
        the pickling (the next run waits for the file instead, if it comes that soon)."""
        if self._secret is None or not (self._fresh or self._dropped or listed):
            return
        role = _fork_writer(self._writer_lock) if background else _Role.CALLER_WRITES
        if role is _Role.WRITER:
            try:
                self._digest_listings(listing_of)
                self._write_now(listings, package_of)
            finally:
                os._exit(0)  # the detached writer: nothing of the command runs on here
        if role is _Role.CALLER_WRITES:
            self._digest_listings(listing_of)
            self._write_now(listings, package_of)
        self._dropped = set()  # (the new entries stay new: the evaluator holds their packages)

    def _writer_lock(self) -> int | None:
        """The lock a background writer holds while it writes (readers wait for it); None
        when there is none to take (no fcntl, or another writer has it)."""
        if fcntl is None:
            return None
        try:
            directory = self.make_directory()
        except OSError:
            return None
        lock = _open_lock(directory / _LOCK, os.O_WRONLY | os.O_CREAT)
        if lock is None:
            return None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock)
            return None
        return lock

    def _wait_for_writer(self) -> None:
        """Wait (a while) for a background writer of this directory to finish its file."""
        if fcntl is None:
            return
        lock = _open_lock(self._directory / _LOCK, os.O_RDONLY)
        if lock is None:
            return
        try:
            deadline = time.monotonic() + _WRITER_WAIT_S
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    return
                except OSError:
                    if time.monotonic() > deadline:
                        return  # read what is there: the old file, or none
                    time.sleep(0.01)
        finally:
            os.close(lock)

    def _write_now(
        self,
        listings: Mapping[str, tuple[int, int, Listing]],
        package_of: Callable[[str], Indexed | None],
    ) -> None:
        try:
            self.make_directory()
            descriptor, temporary = tempfile.mkstemp(dir=self._directory, suffix=".tmp")
            try:
                with os.fdopen(descriptor, "wb") as file:
                    self._write(file, listings, package_of)
                os.replace(temporary, self._path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            self._prune()
        except OSError as error:
            self._warn(f"the package cache {self._relative()} cannot be written ({error})")

    def _write(
        self,
        file: BinaryIO,
        listings: Mapping[str, tuple[int, int, Listing]],
        package_of: Callable[[str], Indexed | None],
    ) -> None:
        assert self._secret is not None
        file.write(_MAGIC + bytes(_DIGEST_SIZE))  # the signature, once known
        signed = _Signed(file, hmac.new(self._secret, digestmod="sha256"))
        protocol = pickle.HIGHEST_PROTOCOL
        signed.write(pickle.dumps((FORMAT, dict(listings)), protocol))
        # The records by one pickler, written as made: what many share (a directory above
        # many packages, a kind, an empty name) is written once and read back as one object
        # (at 10,000 Pants packages, two fifths of reading the file). Each is followed by its
        # package's pickled bytes, outside the pickler, which would otherwise keep them all.
        # The last record is None.
        records = _Records(signed, protocol)
        for directory, entry in self._entries.items():
            if directory in self._fresh:
                continue
            if directory in self._released:
                package = package_of(directory)
                if package is None:
                    continue
                try:
                    entry = _with_package(entry, package, protocol, self._render)
                except Exception:  # as for a new entry: evaluated again next time
                    continue
            records.write(directory, entry)
        for directory, fresh in self._fresh.items():
            package = package_of(directory)
            if package is None:
                continue
            try:
                entry = _with_package(pickle.loads(fresh), package, protocol, self._render)
            except Exception:  # a value graphpub cannot keep: evaluated again next time
                continue
            records.write(directory, entry)
        records.end()
        file.seek(len(_MAGIC))
        file.write(signed.signer.digest()[:_DIGEST_SIZE])

    def _prune(self) -> None:
        """Only the newest configurations' files are kept: their entries, and the graph
        snapshots beside them (`graph_snapshot`, named by the same key)."""
        try:
            files = sorted(
                (p for p in self._directory.glob("*.pickle") if p != self._path),
                key=lambda p: p.stat().st_mtime_ns,
                reverse=True,
            )
            kept = {p.stem for p in files[:_KEPT_CONFIGURATIONS]} | {self._path.stem}
            snapshots = [p for p in self._directory.glob("*.graph") if p.stem not in kept]
        except OSError:
            return
        for stale in [*files[_KEPT_CONFIGURATIONS:], *snapshots]:
            with contextlib.suppress(OSError):
                stale.unlink()


def _open_lock(path: Path, flags: int) -> int | None:
    """The writer lock's file, if it is a regular file: a symlink is not followed, and a FIFO
    planted there is neither waited on (O_NONBLOCK) nor locked."""
    try:
        lock = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK, 0o600)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(lock).st_mode):
        os.close(lock)
        return None
    return lock


class _Role(enum.Enum):
    CALLER_WRITES = "the caller writes the file itself"
    CALLER_DONE = "a detached process writes it"
    WRITER = "this is that detached process"


def _fork_writer(take_lock: Callable[[], int | None]) -> _Role:
    """Fork a detached writer (a grandchild holding the writer lock), where it can be done
    safely: not without fork, nor with other threads (a fork copies their locks, held), nor
    when another writer holds the lock."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return _Role.CALLER_WRITES
    lock = take_lock()
    if lock is None:
        return _Role.CALLER_WRITES
    child = os.fork()
    if child:
        os.close(lock)  # the grandchild holds it (a flock lock follows the open file)
        os.waitpid(child, 0)  # the child exits at once: no zombie is left
        return _Role.CALLER_DONE
    try:
        os.setsid()  # no terminal: the shell's prompt is back, and its signals are not ours
        if os.fork():
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):  # nothing waits for output from it
            os.dup2(devnull, stream)
    except BaseException:
        os._exit(0)
    return _Role.WRITER


class _Signed:
    """A file written through, signing what is written."""

    def __init__(self, file: BinaryIO, signer: hmac.HMAC) -> None:
        self._file = file
        self.signer = signer

    def write(self, data: bytes) -> int:
        self.signer.update(data)
        return self._file.write(data)


class _Records:
    """Entries written by one pickler, each followed by its package's bytes (`_read`)."""

    def __init__(self, file: _Signed, protocol: int) -> None:
        self._file = file
        self._pickler = pickle.Pickler(file, protocol)
        self._shared: dict[tuple[str, int, bytes | None], tuple[str, int, bytes | None]] = {}

    def write(self, directory: str, entry: Entry) -> None:
        # (Equal directory inputs made one object, which the pickler then writes once.)
        dirs = tuple(self._shared.setdefault(seen, seen) for seen in entry.dirs)
        fields = (entry.recorded_ns, entry.files, dirs, entry.env, entry.packages)
        self._pickler.dump((directory, *fields, entry.warnings, entry.targets, len(entry.package)))
        self._file.write(entry.package)

    def end(self) -> None:
        self._pickler.dump(None)


def _with_package(
    entry: Entry, package: Indexed, protocol: int, render: Callable[[Address], str]
) -> Entry:
    pickled = pickle.dumps(package, protocol=protocol)
    index = TargetIndex.of(package.index(), render)
    return dataclasses.replace(entry, targets=index, package=pickled)


def unpickled(entry: Entry) -> Any:
    return pickle.loads(entry.package)


def now_ns() -> int:
    return time.time_ns()
