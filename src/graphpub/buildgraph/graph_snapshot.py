"""The whole repository's dependency edges, kept between runs beside the package cache.

A command that infers dependencies looks at every target of the repository: it unpickles every
package, resolves every dependency and works out every import. While nothing those came from
changed, the next such command takes the edges from here instead, and unpickles only the
packages whose targets it needs more of than their addresses (`dependencies ::` needs none).

What the edges came from, and how each is known to be unchanged:
- every package: the package cache took each from its entry, unchanged (its build files, the
  `.bzl` files it loaded, the listings its globs read, `env()`), and the entry is the one the
  edges were worked out from (its recording time);
- the set of packages, and every file a dependency may name: no directory of the tree was
  listed anew in this run (each listing is the one remembered, by the directory's time);
- the config, `--define` and the rest: the file is named by the package cache's configuration
  key;
- each imported module: the file's content key (`publish.imports`), by the file's size and
  time or, if those changed, its content.

The warnings resolving and inferring gave are kept with the edges and given again with them. A
run in which a package failed, or a dependency could not be resolved, writes none. The file is
signed and written atomically, as the package cache's is.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import pickle
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from graphpub.buildgraph.address import Address
from graphpub.buildgraph.target import Target

_MAGIC = b"graphpub-graph\n"
_DIGEST_SIZE = 32
FORMAT = 4

InferenceFile = tuple[str, str, bool, str]
"""A file inference read: root-relative path, its module, whether a package's `__init__`, its
content key."""


@dataclass(frozen=True, slots=True)
class Inference:
    """The edges inferred from imports, and the files they came from."""

    edges: dict[Address, list[Address]]
    files: tuple[InferenceFile, ...]
    warnings: tuple[tuple[str, str], ...]
    """What inferring warned about, as (key, message): given again with the edges."""


@dataclass(frozen=True, slots=True)
class GraphSnapshot:
    """The edges by number: the targets of each package in `packages` in its index's order
    (`package_cache.TargetIndex`), then `external`'s. (By number, the snapshot holds no
    address of its own: reading it makes no object per target.)"""

    packages: tuple[tuple[str, int], ...]
    """Package directory, and the recording time of its cache entry."""
    external: tuple[Target, ...]
    """Targets of other repositories dependencies named (`@pypi//requests`), made then."""
    dependencies: tuple[tuple[int, ...], ...]
    """Each target's explicit dependencies, resolved (a generator's generated targets too)."""
    warnings: tuple[tuple[str, str], ...]
    """What resolving them warned about, as (key, message): given again when they are taken."""
    inferred: tuple[tuple[int, tuple[int, ...]], ...] | None
    """The targets dependencies were inferred for, and those dependencies."""
    inference_files: tuple[InferenceFile, ...]
    inference_warnings: tuple[tuple[str, str], ...]


def numbered(
    addresses: Sequence[Address],
    dependencies: Mapping[Address, Sequence[Address]],
    inferred: Mapping[Address, Sequence[Address]] | None,
) -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, tuple[int, ...]], ...] | None] | None:
    """The edges by the numbers of `addresses`; None if they name any other target."""
    number = {address: position for position, address in enumerate(addresses)}
    if len(number) != len(addresses) or not dependencies.keys() <= number.keys():
        return None
    try:
        explicit = tuple(tuple(number[d] for d in dependencies.get(a, ())) for a in addresses)
        implied = (
            tuple((number[s], tuple(number[d] for d in ds)) for s, ds in inferred.items())
            if inferred is not None
            else None
        )
    except KeyError:
        return None
    return explicit, implied


def addressed(
    addresses: Sequence[Address], edges: Iterable[tuple[int, Iterable[int]]]
) -> dict[Address, list[Address]]:
    """Numbered edges, by address again."""
    return {addresses[source]: [addresses[d] for d in ds] for source, ds in edges}


def snapshot_path(packages_file: Path) -> Path:
    """The snapshot of the configuration whose package cache is in `packages_file`."""
    return packages_file.with_suffix(".graph")


def read_snapshot(path: Path, secret: bytes) -> GraphSnapshot | None:
    """The snapshot in `path`; None if there is none, or it is not one graphpub wrote for this
    user, or it is of another format."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + _DIGEST_SIZE
    expected = hmac.new(secret, memoryview(data)[head:], hashlib.sha256).digest()
    if not data.startswith(_MAGIC) or not hmac.compare_digest(
        data[len(_MAGIC) : head], expected[:_DIGEST_SIZE]
    ):
        return None
    try:
        form, snapshot = pickle.loads(memoryview(data)[head:])
    except Exception:  # signed, so graphpub's own: of an older graphpub
        return None
    return snapshot if form == FORMAT and isinstance(snapshot, GraphSnapshot) else None


def write_snapshot(path: Path, snapshot: GraphSnapshot, secret: bytes) -> None:
    """Write it whole or not at all (a concurrent run reads the old file or the new one)."""
    body = pickle.dumps((FORMAT, snapshot), protocol=pickle.HIGHEST_PROTOCOL)
    signature = hmac.new(secret, body, hashlib.sha256).digest()[:_DIGEST_SIZE]
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(_MAGIC + signature)
            file.write(body)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
