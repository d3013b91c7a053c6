"""A package's targets as the package cache keeps them beside the pickled package: enough to
list them without unpickling it, and without making an object per target.

A warm `list ::` of 10,000 packages answers from these alone: each target's address rendered
as the repository's users write it (`Config.render`, which the cache's key covers) and its
kind, as two tuples of strings per package. The addresses' fields are kept pickled apart,
read only when something needs more (a directory's spec, the target's `Address`): at 60,000
targets, making the addresses and rendering them again took a third of a warm `list ::`.
"""

from __future__ import annotations

import pickle
import posixpath
from collections.abc import Callable, Iterable, Iterator
from itertools import starmap

from graphpub.buildgraph.address import Address

Fields = tuple[str, str, str, str, tuple[tuple[str, str], ...], str]
"""An address's fields, in `Address`'s order: directory, name, file, generated, parameters,
repository."""


class TargetIndex:
    """The targets of one package, in the package's order (the graph snapshot numbers them
    by it)."""

    __slots__ = ("_fields", "_pairs", "_pickled_fields", "kinds", "local", "rendered")

    def __init__(
        self, rendered: tuple[str, ...], kinds: tuple[str, ...], local: bool, fields: bytes
    ) -> None:
        self.rendered = rendered
        self.kinds = kinds
        self.local = local
        """Whether every target is of this repository (none of an external one)."""
        self._pickled_fields = fields
        self._fields: tuple[Fields, ...] | None = None
        self._pairs: tuple[tuple[Address, str], ...] | None = None

    @staticmethod
    def of(pairs: Iterable[tuple[Address, str]], render: Callable[[Address], str]) -> TargetIndex:
        pairs = tuple(pairs)
        fields = tuple(
            (a.directory, a.name, a.file, a.generated, a.parameters, a.repository) for a, _ in pairs
        )
        return TargetIndex(
            tuple(render(a) for a, _ in pairs),
            tuple(kind for _, kind in pairs),
            not any(a.repository for a, _ in pairs),
            pickle.dumps(fields, pickle.HIGHEST_PROTOCOL),
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (TargetIndex, (self.rendered, self.kinds, self.local, self._pickled_fields))

    def __len__(self) -> int:
        return len(self.kinds)

    def __iter__(self) -> Iterator[tuple[Address, str]]:
        return iter(self.pairs())

    def fields(self) -> tuple[Fields, ...]:
        """Each target's address's fields (read when first asked for)."""
        fields = self._fields
        if fields is None:
            fields = self._fields = pickle.loads(self._pickled_fields)
        return fields

    def pairs(self) -> tuple[tuple[Address, str], ...]:
        """(address, kind) of each target, the addresses made once, when first asked for."""
        pairs = self._pairs
        if pairs is None:
            made = zip(starmap(Address, self.fields()), self.kinds, strict=True)
            pairs = self._pairs = tuple(made)
        return pairs


def residence(fields: Fields) -> str:
    """The directory a target lives in, for `dir:` specs (`Address.residence`)."""
    directory, file = fields[0], fields[2]
    return posixpath.dirname(posixpath.join(directory, file)) if file else directory
