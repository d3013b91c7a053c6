"""The packages evaluation takes from the package cache, and the ones it gives it.

A package whose inputs are unchanged is taken from the cache instead of evaluated, and gives
its warnings again. A command that needs no more of a package than its targets' addresses and
kinds (`list`) takes it lazily: the index the cache keeps beside the pickled package answers,
and the package is unpickled only if something asks for more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from graphpub.buildgraph.files import FileTree
from graphpub.buildgraph.package_cache import Entry, Inputs, PackageCache, unpickled
from graphpub.buildgraph.target_index import TargetIndex

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
        # yet (`keep_unopened`): unpickled when more is asked of them.
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

    def keep_unopened(self, directory: str, entry: Entry) -> None:
        """Take a package without unpickling it, for a command that may need no more than
        its targets' index (`index`)."""
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
