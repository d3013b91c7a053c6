"""What the packages and `.bzl` files being evaluated read, for the package cache.

Each package evaluated, and each `.bzl` file loaded, records its `Inputs` while it is
evaluated: the files it read (by content), the directories it listed, the environment
variables and the other packages it looked into, the warnings it gave. Evaluations nest (a
package evaluated inside another's for a `select()` or `__defaults__`, a `.bzl` file inside
the file loading it), and each read counts for all of them, innermost last: a package read
while another is evaluated is one of the outer one's inputs as a package, and what it read
the outer one may keep too.
"""

from __future__ import annotations

import os

from graphpub.buildgraph.files import FileTree
from graphpub.buildgraph.package_cache import Inputs, digest


class InputRecorder:
    """The `Inputs` being recorded, innermost last; nothing is recorded until `enable`."""

    def __init__(self, tree: FileTree) -> None:
        self._tree = tree
        self._recordings: list[Inputs] = []
        self.enabled = False
        """Whether evaluations record their inputs: only for a package cache to keep."""

    def enable(self) -> None:
        self.enabled = True

    def begin(self, inputs: Inputs) -> None:
        """Note what is read from now on (until `end`) in `inputs` as well."""
        if self.enabled:
            self._recordings.append(inputs)
            self._tree.on_listing = self.note_listing

    def end(self) -> None:
        if self.enabled:
            self._recordings.pop()
            if not self._recordings:  # (a walk outside any evaluation is told nothing)
                self._tree.on_listing = None

    def note_package(self, directory: str) -> None:
        for recording in self._recordings:
            recording.packages.add(directory)

    def note_listing(self, directory: str) -> None:
        for recording in self._recordings:
            recording.dirs.add(directory)

    def note_file(self, path: str, status: os.stat_result, data: bytes) -> None:
        if not self._recordings:  # (no digest of a file nothing records)
            return
        seen = (status.st_size, status.st_mtime_ns, digest(data))
        for recording in self._recordings:
            recording.files[path] = seen

    def note_environment(self, name: str, value: str | None) -> None:
        for recording in self._recordings:
            recording.env[name] = value

    def note_warning(self, key: str, message: str) -> None:
        """A warning given: a package taken from the cache gives it again."""
        for recording in self._recordings:
            recording.warnings.append((key, message))

    def note_inputs(self, inputs: Inputs) -> None:
        """What a `.bzl` file loaded before read, when it is loaded again."""
        for recording in self._recordings:
            recording.merge(inputs)
