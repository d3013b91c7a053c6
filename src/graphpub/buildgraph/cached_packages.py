"""The packages evaluation takes from the package cache, and the ones it gives it.

A package whose inputs are unchanged is taken from the cache instead of evaluated, and gives
its warnings again. A command that needs no more of a package than its targets' addresses and
kinds (`list`) takes it lazily: the index the cache keeps beside the pickled package answers,
and the package is unpickled only if something asks for more.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from typing import TYPE_CHECKING

from graphpub.buildgraph.files import FileTree
from graphpub.buildgraph.package_cache import Entry, Inputs, PackageCache, unpickled
from graphpub.buildgraph.target_index import TargetIndex
from graphpub.errors import unsafe_character

if TYPE_CHECKING:
    from graphpub.buildgraph.evaluator import Package


class CachedPackages:
    """One run's use of the package cache: entries taken (opened or not yet) and put."""

    def __init__(
        self, cache: PackageCache, tree: FileTree, warn: Callable[[str, str], None]
    ) -> None:
        """`warn(message, key)` gives a cached package's warnings again."""
        self.cache = cache
        self._tree = tree
        self._warn = warn
        # Packages the cache holds unchanged whose targets only an index has been asked of
        # yet (`take_unchanged(lazily=True)`): unpickled when more is asked of them.
        self._unopened: dict[str, Entry] = {}
        # The cache's record of the listings the file tree takes (and of the last run's).
        tree.stamps = cache.directory_times = {}
        tree.remembered = cache.listings

    def unchanged(self, directory: str) -> Entry | None:
        """The entry of the package in `directory` if its inputs are as they were."""
        entry = self.cache.get(directory, self._tree.listing)
        if entry is None or not entry.package:  # (released: evaluated and dropped since)
            return None
        return entry

    def take(self, directory: str) -> Package | None:
        """The package from the cache, its warnings given again, if its inputs are as they
        were."""
        entry = self._unopened.pop(directory, None)
        if entry is None:
            entry = self.unchanged(directory)
            if entry is None:
                return None
            self._give_warnings(entry)
        try:
            package: Package = unpickled(entry)
        except Exception:  # (signed, so graphpub's own: a package of an older graphpub)
            return None
        self.cache.release(directory)
        return package

    def take_unchanged(
        self,
        directories: Sequence[str],
        known: Container[str],
        take: Callable[[str], object],
        *,
        lazily: bool,
    ) -> None:
        """Take the packages among `directories` the cache holds unchanged, but those
        `known` already: each by `take(directory)` (which unpickles it), or `lazily` kept
        unopened, for a command that may need no more than their targets' index (`index`)."""
        for directory in directories:
            if directory in known or directory in self._unopened:
                continue
            entry = self.unchanged(directory)
            if entry is None:
                continue
            if not lazily:
                take(directory)
            elif self._tree.is_package(directory) and unsafe_character(directory) is None:
                # (What `Evaluator.package` checks before it looks in the cache; one that
                # fails those is left to it, and so to its error.)
                self._give_warnings(entry)
                self._unopened[directory] = entry

    def is_unopened(self, directory: str) -> bool:
        return directory in self._unopened

    def index(self, directory: str) -> TargetIndex | None:
        """The addresses and kinds of the targets of a package kept unopened; None for any
        other."""
        entry = self._unopened.get(directory)
        return entry.targets if entry is not None else None

    def put(self, directory: str, inputs: Inputs, recorded_at: int) -> None:
        """Keep the package just evaluated in `directory`, made from `inputs`."""
        self.cache.put(directory, inputs, recorded_at, self._time_of)

    def _time_of(self, directory: str) -> int:
        """A listed directory's modification time, taken before it was listed."""
        return (self._tree.stamps or {}).get(directory, -1)

    def _give_warnings(self, entry: Entry) -> None:
        for key, message in entry.warnings:
            self._warn(message, key)
