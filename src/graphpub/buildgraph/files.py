"""Finding build files below the root, and `glob()` over a package's files.

Both walk the same directory listings, cached per load, so a directory is read once however
many packages and globs look at it. Neither leaves the root: symlinks pointing out of it are
not listed, and glob patterns are package-relative, without `.` or `..`.

Glob patterns come from build files anyone may edit: they compile to regular expressions that
cannot backtrack without end (`*a*a*a*b` against a long name), and a glob checks back with its
caller (`check`) as it goes, which stops it when the file's evaluation runs out of time.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import pickle
import posixpath
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import pathspec

from graphpub.buildgraph.config import MAX_IGNORE_STARS_PER_SEGMENT, ROOT_MARKERS, Config, Dialect
from graphpub.errors import ConfigError
from graphpub.lifetime import die_with_parent

# Where two build files of different systems sit in one directory, Bazel reads only
# BUILD.bazel and Buck2 only BUCK.v2; every other combination merges (Pants BUILD + BUILD.pants).
_SHADOWED_BY = {"BUILD": "BUILD.bazel", "BUCK": "BUCK.v2"}
# No path is longer: a longer pattern matches nothing, and would compile to a huge regex.
MAX_PATTERN_LENGTH = 4096
# A directory or file modified this close to when it was listed or read is looked at again,
# whatever its modification time says: a change in the same tick would not show in it.
RACY_NS = 2_000_000_000
# Entries a glob matches between two calls of its `check`.
_CHECK_EVERY = 1024


@dataclass(frozen=True, slots=True)
class Listing:
    """One directory's entries, symlinks resolved and those leaving the root dropped."""

    files: tuple[str, ...]
    dirs: tuple[str, ...]
    build_files: tuple[str, ...]
    symlinked_dirs: frozenset[str] = frozenset()
    is_virtualenv: bool = False
    root_markers: frozenset[str] = frozenset()
    """The files that mark the root of a build (`MODULE.bazel`, `.buckroot`, ...)."""

    def __reduce__(self) -> tuple[object, ...]:
        fields = (self.files, self.dirs, self.build_files, self.symlinked_dirs)
        return (Listing, (*fields, self.is_virtualenv, self.root_markers))


class GlobPatternError(ValueError):
    """A glob pattern that is malformed or reaches outside the package."""


class FileTree:
    """Cached, ignore-aware view of the files below the build root."""

    def __init__(self, config: Config, *, jobs: int = 1) -> None:
        self.root = config.root
        # Processes a walk of a large tree may use: with two or more, a forked helper lists
        # about half of the directories meanwhile (`_list_in_two`).
        self.jobs = jobs
        self._root_str = str(config.root)
        self._build_file = _compile_any(config.build_patterns)
        # Innermost first: a Buck2 cell inside another reads its own names.
        self._build_file_names = sorted(
            config.build_file_names.items(), key=lambda item: -len(item[0])
        )
        self._ignore = _IgnoreMatcher(config.build_ignore + config.ignore)
        self._file_ignore = _IgnoreMatcher(config.ignore) if config.ignore else None
        self._other_roots = _other_root_markers(config)
        cells = config.buck2.cells.values() if config.buck2 is not None else ()
        self._cells = frozenset(cell.directory for cell in cells)
        self._listings: dict[str, Listing | None] = {}
        self._ignored: dict[str, bool] = {}
        # For the package cache: called with each directory whose listing is consulted, and
        # each directory's modification time taken before it was listed (if `stamps` is set).
        self.on_listing: Callable[[str], None] | None = None
        self.stamps: dict[str, int] | None = None
        # Listings of an earlier run (the package cache), by directory: (its modification
        # time then, when it was listed, the listing), taken again while its time is unchanged.
        self.remembered: Mapping[str, tuple[int, int, Listing]] = {}
        self._listed_anew = False
        self._with_links: set[str] = set()
        self._started_ns = time.time_ns()
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._walks: dict[str, list[tuple[str, Listing]]] = {}
        # Listings (and their tuples of names) are read-only: equal ones are kept once.
        self._shared_names: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._shared_listings: dict[Listing, Listing] = {}

    def is_ignored(self, directory: str) -> bool:
        """Whether a directory is outside this build: it or one above it is matched by
        build_ignore or ignore, a virtualenv (of any name: it holds `pyvenv.cfg`), or the
        root of another build (`other_root`)."""
        unknown = []  # the directory and those above it not looked at yet, nearest first
        while directory and directory not in self._ignored:
            unknown.append(directory)
            directory = posixpath.dirname(directory)
        ignored = bool(directory) and self._ignored[directory]
        for below in reversed(unknown):
            ignored = ignored or self._ignore.matches_dir(below) or self._is_apart(below)
            self._ignored[below] = ignored
        return ignored

    def _is_apart(self, directory: str) -> bool:
        listing = self.listing(directory)
        return listing is not None and (
            listing.is_virtualenv
            or (bool(listing.root_markers) and self.other_root(directory) is not None)
        )

    def excluded_by(self, directory: str) -> tuple[str, str] | None:
        """Why a directory is not part of this build, if it is not: (the directory at or above
        it that is ignored, a virtualenv or the root of another build, and which)."""
        parts = directory.split("/") if directory else []
        for depth in range(1, len(parts) + 1):
            above = "/".join(parts[:depth])
            if self._ignore.matches_dir(above):
                return above, "is ignored (build_ignore, or what the build system ignores)"
            listing = self.listing(above)
            if listing is None:
                return None
            if listing.is_virtualenv:
                return above, "is a virtualenv"
            marker = self.other_root(above)
            if marker is not None:
                return above, f"holds {marker}: it is the root of another build"
        return None

    def other_root(self, directory: str) -> str | None:
        """The root marker that makes a directory below the root the root of another build,
        whose labels mean paths from it, not from here (a Bazel module of its own in
        `examples/`, a Buck2 project with its own `.buckroot`); None if it has none. A Buck2
        cell is not another build: it is part of this one."""
        listing = self.listing(directory)
        if not directory or listing is None or directory in self._cells:
            return None
        return next((m for m in self._other_roots if m in listing.root_markers), None)

    def listing(self, directory: str) -> Listing | None:
        """The entries of a root-relative directory, or None if it does not exist."""
        if self.on_listing is not None:
            self.on_listing(directory)
        if directory in self._listings:
            return self._listings[directory]
        result = self._read_listing(directory)
        self._listings[directory] = result
        return result

    def _read_listing(self, directory: str) -> Listing | None:
        absolute = f"{self._root_str}/{directory}" if directory else self._root_str
        files: list[str] = []
        dirs: list[str] = []
        symlinked_dirs: list[str] = []
        intern = sys.intern  # the same few names (BUILD, __init__.py) in every directory
        if self.stamps is not None:  # before listing: a change meanwhile shows next time
            try:
                modified = os.stat(absolute).st_mtime_ns
            except (OSError, ValueError):
                modified = -1
            self.stamps[directory] = modified
            known = self.remembered.get(directory)
            # (Unless changed in the tick it was listed in, when its time may not show it.)
            if known is not None and known[0] == modified >= 0 and modified < known[1] - RACY_NS:
                return known[2]
            self._listed_anew = True
        try:
            with os.scandir(absolute) as entries:
                for entry in entries:
                    try:
                        if entry.is_symlink():
                            self._with_links.add(directory)
                            if not self._inside_root(entry.path):
                                continue
                            if entry.is_dir():
                                dirs.append(intern(entry.name))
                                symlinked_dirs.append(entry.name)
                            elif entry.is_file():
                                files.append(intern(entry.name))
                        elif entry.is_dir(follow_symlinks=False):
                            dirs.append(intern(entry.name))
                        elif entry.is_file(follow_symlinks=False):
                            files.append(intern(entry.name))
                    except OSError:
                        continue  # a dangling link or a file removed while we read
        except (OSError, ValueError):  # missing, not a directory, unreadable, a NUL in the name
            return None
        if self._file_ignore is not None:
            prefix = f"{directory}/" if directory else ""
            files = [name for name in files if not self._file_ignore.matches(prefix + name)]
        markers = _ROOT_MARKERS.intersection(files)
        # Listings are kept for the whole load, and many directories hold the same entries
        # (`__init__.py` and a BUILD file): equal tuples of names, and equal listings, are
        # kept once.
        shared = self._shared_names.setdefault
        names, subdirectories = tuple(files), tuple(dirs)
        build_files = self._build_files(directory, files)
        listing = Listing(
            shared(names, names),
            shared(subdirectories, subdirectories),
            shared(build_files, build_files),
            frozenset(symlinked_dirs) if symlinked_dirs else _NONE,
            is_virtualenv="pyvenv.cfg" in files,
            root_markers=markers if markers else _NONE,
        )
        return self._shared_listings.setdefault(listing, listing)

    def listed_anew(self) -> list[str]:
        """The directories listed in this run rather than taken from `remembered`."""
        remembered, stamps = self.remembered, self.stamps or {}
        return [
            directory
            for directory in stamps
            if (known := remembered.get(directory)) is None
            or self._listings.get(directory) is not known[2]
        ]

    @property
    def listed_now(self) -> bool:
        """Whether a directory was listed in this run, not taken from `remembered`."""
        return self._listed_anew

    def listings_to_remember(self) -> dict[str, tuple[int, int, Listing]]:
        """The listings an earlier run gave and those read in this one, for the next run: not
        those with symlinks, whose targets may change without the directory's time."""
        kept = dict(self.remembered)
        stamps = self.stamps or {}
        for directory, stamp in stamps.items():
            listing = self._listings.get(directory)
            known = self.remembered.get(directory)
            if known is not None and listing is known[2]:
                continue  # taken from the earlier run (what it read anew is another object)
            if listing is None or directory in self._with_links or stamp < 0:
                kept.pop(directory, None)
            else:
                kept[directory] = (stamp, self._started_ns, listing)
        return kept

    def _build_files(self, directory: str, files: list[str]) -> tuple[str, ...]:
        """The build files among a directory's files: the first of its names present where
        one build file is read (Bazel, Buck2), else every file a pattern matches."""
        for below, names in self._build_file_names:
            if not below or directory == below or directory.startswith(below + "/"):
                present = set(files)
                return next(((name,) for name in names if name in present), ())
        match = self._build_file.fullmatch
        build_files = sorted(f for f in files if match(f))
        for shadowed, preferred in _SHADOWED_BY.items():
            if shadowed in build_files and preferred in build_files:
                build_files.remove(shadowed)
        return tuple(build_files)

    def _inside_root(self, path: str) -> bool:
        real = os.path.realpath(path)
        return real == self._root_str or real.startswith(self._root_str + os.sep)

    def inside_root(self, relative: str) -> bool:
        """Whether a root-relative path, symlinks resolved, stays inside the root."""
        try:
            return self._inside_root(os.path.join(self._root_str, relative))
        except (OSError, ValueError):
            return False

    def is_package(self, directory: str) -> bool:
        listing = self.listing(directory)
        return listing is not None and bool(listing.build_files) and not self.is_ignored(directory)

    def packages_under(self, directory: str) -> list[str]:
        """Every package directory at or below `directory`, in sorted order."""
        return sorted(d for d, listing in self.walk(directory) if listing.build_files)

    def walk(self, directory: str) -> list[tuple[str, Listing]]:
        """Every directory at or below `directory` not ignored, with its listing; symlinks
        are followed once and never into a loop. (Walked once a run, as each listing is
        read once: several steps of a command walk the whole tree.)"""
        walked = self._walks.get(directory)
        if walked is None:
            self._list_in_two(directory)
            walked = self._walks[directory] = list(self._walk(directory))
        return walked

    def _list_in_two(self, directory: str) -> None:
        """Before a first walk of a large tree (a cold run: no listings remembered), list the
        directories it enters in two processes: this one and a forked helper, each about half
        of the subtrees a few levels down. The walk then finds them listed. (Listing is system
        calls, most of a walk's time; a helper that fails only leaves its share unlisted.)"""
        if (
            self.jobs < 2
            or self.remembered
            or self.on_listing is not None  # (inside an evaluation, which records listings)
            or not hasattr(os, "fork")
            or threading.active_count() > 1  # (a fork copies other threads' locks, held)
            or self.is_ignored(directory)
        ):
            return
        subtrees = self._subtrees(directory)
        if len(subtrees) < _MIN_SUBTREES_TO_SHARE:
            return  # a small tree: a second process costs more than it saves
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        known = set(self._listings)
        helper = os.fork()
        if helper == 0:  # the helper: lists its share, sends the listings, never returns
            status = 0
            try:
                os.close(read_fd)
                die_with_parent(parent)
                for subtree in subtrees[1::2]:
                    self._list_below(subtree)
                stamps = self.stamps or {}
                listed = {
                    d: (listing, stamps.get(d))
                    for d, listing in self._listings.items()
                    if d not in known
                }
                links = {d for d in self._with_links if d not in known}
                payload = pickle.dumps((listed, links, self._listed_anew), pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(payload)
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        os.close(write_fd)
        try:
            for subtree in subtrees[0::2]:
                self._list_below(subtree)
            with os.fdopen(read_fd, "rb") as pipe:
                read_fd = -1
                payload = pipe.read()
        finally:
            if read_fd >= 0:  # (interrupted: the helper's write then fails, and it exits)
                os.close(read_fd)
            os.waitpid(helper, 0)
        try:
            listed, links, anew = pickle.loads(payload)
        except Exception:  # (the helper died: the walk lists its share itself)
            return
        self._adopt_listings(listed, links, anew)

    def _subtrees(self, directory: str) -> list[str]:
        """The directories a walk from `directory` enters, a few levels down: as many as it
        takes to share them out evenly (or all there are), listed on the way."""
        level = [directory]
        for _ in range(_MAX_SHARING_DEPTH):
            below = []
            for current in level:
                listing = self.listing(current)
                if listing is not None:
                    below.extend(self._entered(current, listing))
            if not below or len(below) >= _MIN_SUBTREES_TO_SHARE:
                return below
            level = below
        return []

    def _entered(self, current: str, listing: Listing) -> list[str]:
        """The subdirectories of `current` a walk enters, but for symlinked ones (which only
        the walk itself follows, once each)."""
        entered = []
        for name in listing.dirs:
            if name in listing.symlinked_dirs:
                continue
            child = f"{current}/{name}" if current else name
            if not self._child_ignored(child):
                entered.append(child)
        return entered

    def _child_ignored(self, child: str) -> bool:
        """`is_ignored` of a directory whose parent is not, decided once (walks and the
        listing helper ask of every directory they meet)."""
        ignored = self._ignored.get(child)
        if ignored is None:
            ignored = self._ignore.matches_dir(child) or self._is_apart(child)
            self._ignored[child] = ignored
        return ignored

    def _list_below(self, directory: str) -> None:
        """List `directory` and every directory below it that a walk enters."""
        stack = [directory]
        while stack:
            current = stack.pop()
            listing = self.listing(current)
            if listing is not None:
                stack.extend(self._entered(current, listing))

    def _adopt_listings(
        self,
        listed: Mapping[str, tuple[Listing | None, int | None]],
        links: set[str],
        anew: bool,
    ) -> None:
        """Listings the helper read (`_list_in_two`), with their directories' times."""
        shared_listing = self._shared_listings.setdefault
        for directory, (listing, stamp) in listed.items():
            if directory in self._listings:
                continue
            self._listings[directory] = (
                listing if listing is None else shared_listing(listing, listing)
            )
            if stamp is not None and self.stamps is not None:
                self.stamps.setdefault(directory, stamp)
        self._with_links |= links
        self._listed_anew = self._listed_anew or anew

    def _walk(self, directory: str) -> Iterator[tuple[str, Listing]]:
        seen_links: set[str] = set()
        if self.is_ignored(directory):
            return
        stack = [directory]
        while stack:
            current = stack.pop()
            listing = self.listing(current)
            if listing is None:
                continue
            yield current, listing
            for name in listing.dirs:
                # (Interned: the same directory is named by labels, `//a/b:c`, as their path.)
                child = sys.intern(f"{current}/{name}" if current else name)
                if name in listing.symlinked_dirs and not self._first_visit(child, seen_links):
                    continue
                if not self._child_ignored(child):
                    stack.append(child)

    def _first_visit(self, link: str, seen_real: set[str]) -> bool:
        """Whether a walk may enter a symlinked directory: never into one of its own
        ancestors (a loop), and never twice into the same place."""
        real = os.path.realpath(os.path.join(self._root_str, link))
        parent_real = os.path.realpath(os.path.join(self._root_str, posixpath.dirname(link)))
        if real in seen_real or parent_real == real or parent_real.startswith(real + os.sep):
            return False
        seen_real.add(real)
        return True

    def glob(
        self,
        package: str,
        include: list[str],
        exclude: list[str],
        exclude_directories: bool = True,
        *,
        cross_packages: bool = False,
        check: Callable[[], None] | None = None,
    ) -> list[str]:
        """Bazel's glob: package-relative matches, sorted, never entering a subpackage (unless
        `cross_packages`, for file specs on the command line). `check` is called now and then
        (per pattern, per thousand entries): it may raise to stop a glob that takes too long."""
        check = check or _no_check
        if _any_to_normalize(include) or _any_to_normalize(exclude):
            # `./a.py` is `a.py` (Pants' globs take both).
            exclude = [_here(p) for p in exclude]
            include = [_here(p) for p in include]
            # A pattern naming a directory (`tests/`), as gitignore and Pants excludes read
            # it: the directory and everything below it.
            exclude = [
                e for p in exclude for e in ((p[:-1], p + "**") if _names_a_directory(p) else (p,))
            ]
            include = [p[:-1] if _names_a_directory(p) else p for p in include]
        exclude_matchers = []
        for pattern in exclude:
            check()
            exclude_matchers.append(self._compiled(pattern))
        work = 0  # entries matched since the last check, times the patterns each is matched to
        results: set[str] = set()
        for pattern in include:
            check()
            if not _has_magic(pattern):  # a plain file name: one listing lookup, no walk
                if self._is_package_file(package, pattern, cross_packages) and not (
                    exclude_matchers and any(m.fullmatch(pattern) for m in exclude_matchers)
                ):
                    results.add(pattern)
                continue
            matcher = self._compiled(pattern)
            segments = pattern.split("/")
            prefix: list[str] = []
            for segment in segments[:-1]:
                if _has_magic(segment):
                    break
                prefix.append(segment)
            recursive = "**" in segments
            depth_limit = None if recursive else len(segments) - len(prefix)
            start = "/".join(prefix)
            walk = self._walk_package(package, start, depth_limit, cross_packages, check)
            for relative, is_dir in walk:
                work += 1 + len(exclude_matchers)
                if work > _CHECK_EVERY:
                    check()
                    work = 0
                if is_dir and exclude_directories:
                    continue
                if matcher.fullmatch(relative) and not (
                    exclude_matchers and any(m.fullmatch(relative) for m in exclude_matchers)
                ):
                    results.add(relative)
        return sorted(results)

    def _is_package_file(self, package: str, relative: str, cross_packages: bool) -> bool:
        """Whether `relative` is a file of the package (not inside one of its subpackages,
        unless `cross_packages`)."""
        self._compiled(relative)  # the same checks as any pattern: no `..`, not absolute
        directory, _, name = relative.rpartition("/")
        listing = self.listing(posixpath.join(package, directory) if directory else package)
        if listing is None or name not in listing.files:
            return False
        parts = directory.split("/") if directory else []
        for depth in range(1, len(parts) + 1):
            below = posixpath.join(package, *parts[:depth]) if package else "/".join(parts[:depth])
            if self.is_ignored(below) or (not cross_packages and self.is_package(below)):
                return False
        return True

    def _compiled(self, pattern: str) -> re.Pattern[str]:
        compiled = self._patterns.get(pattern)
        if compiled is None:
            compiled = self._patterns[pattern] = _compile_glob(pattern)
        return compiled

    def _walk_package(
        self,
        package: str,
        start: str,
        depth_limit: int | None,
        cross_packages: bool,
        check: Callable[[], None],
    ) -> list[tuple[str, bool]]:
        """(package-relative path, is_dir) for entries below `start`, up to `depth_limit` deep."""
        entries: list[tuple[str, bool]] = []
        seen_links: set[str] = set()
        stack: list[tuple[str, int]] = [(start, 0)]
        checked = 0
        while stack:
            if len(entries) - checked > _CHECK_EVERY:
                check()
                checked = len(entries)
            relative, depth = stack.pop()
            # (Interned: the package's inputs, for its cache entry, keep it.)
            directory = sys.intern(posixpath.join(package, relative)) if relative else package
            if relative and (
                self.is_ignored(directory) or (not cross_packages and self.is_package(directory))
            ):
                continue
            listing = self.listing(directory)
            if listing is None:
                continue
            if relative:
                entries.append((relative, True))
            if depth_limit is not None and depth >= depth_limit:
                continue
            for name in listing.files:
                entries.append((f"{relative}/{name}" if relative else name, False))
            for name in listing.dirs:
                child = f"{relative}/{name}" if relative else name
                link = f"{directory}/{name}" if directory else name
                if name in listing.symlinked_dirs and not self._first_visit(link, seen_links):
                    continue
                stack.append((child, depth + 1))
        return entries


_ROOT_MARKERS = frozenset((*ROOT_MARKERS, ".buckroot"))
# Subtrees a walk is shared out in, at least (fewer: not worth a second process), and how
# many levels down they are looked for.
_MIN_SUBTREES_TO_SHARE = 64
_MAX_SHARING_DEPTH = 4
_NONE: frozenset[str] = frozenset()  # shared by the listings of most directories


def _other_root_markers(config: Config) -> tuple[str, ...]:
    """The files that make a directory below the root the root of another build. In Buck2 a
    `.buckconfig` alone does not (Buck2 takes the outermost one as the project's, and its
    subdirectories often have their own): a `.buckroot` does."""
    if config.dialect is Dialect.BUCK2:
        return (*(m for m in ROOT_MARKERS if m != ".buckconfig"), ".buckroot")
    return ROOT_MARKERS


def _no_check() -> None:
    return None


def _any_to_normalize(patterns: list[str]) -> bool:
    """Whether any pattern starts with `./` or ends with `/` (few do)."""
    for pattern in patterns:  # noqa: SIM110 (a loop, not any(): run for every glob)
        if pattern.startswith("./") or pattern.endswith("/"):
            return True
    return False


def _here(pattern: str) -> str:
    while pattern.startswith("./"):
        pattern = pattern[2:]
    return pattern


def _names_a_directory(pattern: str) -> bool:
    return len(pattern) > 1 and pattern.endswith("/") and not pattern.endswith("//")


def _has_magic(segment: str) -> bool:
    return "*" in segment or "?" in segment or "[" in segment


def _compile_any(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def _compile_glob(pattern: str) -> re.Pattern[str]:
    """A package-relative glob as a regex: `*` and `?` within one segment, `**` any depth."""
    if not pattern:
        raise GlobPatternError("empty glob pattern")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise GlobPatternError(
            f"glob pattern {pattern[:40]!r}... is {len(pattern)} characters long, more than "
            f"any path ({MAX_PATTERN_LENGTH})"
        )
    if "\0" in pattern:
        raise GlobPatternError(f"glob pattern {pattern!r} holds a NUL character")
    if pattern.startswith("/"):
        raise GlobPatternError(
            f"glob pattern {pattern!r} is absolute; patterns are package-relative"
        )
    segments = pattern.split("/")
    if any(s in ("..", ".") for s in segments):
        raise GlobPatternError(f"glob pattern {pattern!r} may not contain '.' or '..' segments")
    if any(s == "" for s in segments):
        raise GlobPatternError(f"glob pattern {pattern!r} has an empty path segment")
    if any("**" in s and s != "**" for s in segments):
        raise GlobPatternError(
            f"glob pattern {pattern!r}: '**' must be a whole path segment, as in 'a/**/b.py'"
        )
    names = iter(range(len(pattern)))
    # Whole segments, each matching exactly one name, and None for `**` (any number of them).
    units: list[str | None] = []
    for segment in segments:
        if segment != "**":
            units.append(_atomic(_segment_units(segment), "[^/]*", names))
        elif not units or units[-1] is not None:  # `**/**` is `**`
            units.append(None)
    last = units.pop()
    tail = ".*" if last is None else last
    regex = _atomic([u if u is None else u + "/" for u in units], "(?:[^/]+/)*", names) + tail
    try:
        return re.compile(regex)
    except re.error as e:
        raise GlobPatternError(f"glob pattern {pattern!r} is malformed: {e}") from None


def _atomic(units: list[str | None], star: str, names: Iterator[int]) -> str:
    """A regex for fixed-width parts and stars (None): each star but the last matches up to
    the first place the parts after it match, and never backtracks from there (as fnmatch
    does): `*a*a*a*b` against a long name takes linear time, not centuries."""
    stars = [index for index, unit in enumerate(units) if unit is None]
    if not stars:
        return "".join(u for u in units if u is not None)
    out = [u for u in units[: stars[0]] if u is not None]
    for star_index, next_star in itertools.pairwise(stars):
        chunk = "".join(u for u in units[star_index + 1 : next_star] if u is not None)
        name = f"g{next(names)}"
        out.append(f"(?=(?P<{name}>{star}?{chunk}))(?P={name})")
    out.append(star)
    out.extend(u for u in units[stars[-1] + 1 :] if u is not None)
    return "".join(out)


def _segment_units(segment: str) -> list[str | None]:
    """One segment's parts: a regex matching one character each, None for `*`."""
    out: list[str | None] = []
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            out.append(None)
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = segment.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = segment[i + 1 : end].replace("\\", "\\\\")
                if body.startswith(("!", "^")):
                    body = "^/" + body[1:]  # never a `/`: a class matches within one segment
                out.append(f"[{body}]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return out


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


class _IgnoreMatcher:
    """gitignore-style matching, the last pattern matching a path deciding (a `!pattern`
    includes again); one combined regex answers for the paths no pattern matches."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        for line in patterns:
            if any(s.count("*") > MAX_IGNORE_STARS_PER_SEGMENT for s in line.split("/")):
                raise ConfigError(
                    f"build_ignore pattern {line!r} has more than "
                    f"{MAX_IGNORE_STARS_PER_SEGMENT} '*' in one path segment",
                    hint="simplify it: every '*' more makes matching a long name slower",
                )
        ordered: list[tuple[re.Pattern[str], bool]] = []
        for pattern in pathspec.GitIgnoreSpec.from_lines(patterns).patterns:
            regex = getattr(pattern, "regex", None)
            if regex is None:
                continue
            # pathspec's regexes name their groups; unnamed, they can share one alternation.
            unnamed = re.compile(_NAMED_GROUP.sub("(?:", regex.pattern))
            ordered.append((unnamed, bool(pattern.include)))
        self._any = re.compile("|".join(f"(?:{r.pattern})" for r, _ in ordered) or "(?!)")
        negated = any(not include for _, include in ordered)
        self._ordered = ordered[::-1] if negated else None

    def matches_dir(self, directory: str) -> bool:
        return self.matches(directory + "/")

    def matches(self, path: str) -> bool:
        """Whether `path` (a directory's with a trailing `/`) is ignored."""
        if self._any.match(path) is None:
            return False
        if self._ordered is None:
            return True
        return next(include for regex, include in self._ordered if regex.match(path))
