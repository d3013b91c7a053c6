"""A package's targets as the package cache keeps them beside the pickled package: enough to
list them without unpickling it, and without making an object per target.

A warm `list ::` of 10,000 packages answers from these alone. Each target is a row of
strings: its address's fields, its kind, and its address rendered as the repository's users
write it (`Config.render`, which the cache's key covers). `Address` objects are made only
when something asks for them (`pairs`): at 60,000 targets, making them and rendering them
again took a third of a warm `list ::`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Iterator

from graphpub.buildgraph.address import Address

Row = tuple[str, str, str, str, tuple[tuple[str, str], ...], str, str, str]
"""(directory, name, file, generated, parameters, repository, kind, rendered)."""


class TargetIndex:
    """The targets of one package, in the package's order (the graph snapshot numbers them
    by it)."""

    __slots__ = ("_pairs", "rows")

    def __init__(self, rows: tuple[Row, ...]) -> None:
        self.rows = rows
        self._pairs: tuple[tuple[Address, str], ...] | None = None

    @staticmethod
    def of(pairs: Iterable[tuple[Address, str]], render: Callable[[Address], str]) -> TargetIndex:
        rows = tuple(
            (a.directory, a.name, a.file, a.generated, a.parameters, a.repository, kind, render(a))
            for a, kind in pairs
        )
        return TargetIndex(rows)

    def __reduce__(self) -> tuple[object, ...]:
        return (TargetIndex, (self.rows,))

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Address, str]]:
        return iter(self.pairs())

    def pairs(self) -> tuple[tuple[Address, str], ...]:
        """(address, kind) of each target, the addresses made once, when first asked for."""
        pairs = self._pairs
        if pairs is None:
            pairs = self._pairs = tuple((Address(*row[:6]), row[6]) for row in self.rows)
        return pairs


def residence(row: Row) -> str:
    """The directory a row's target lives in, for `dir:` specs (`Address.residence`)."""
    directory, file = row[0], row[2]
    return posixpath.dirname(posixpath.join(directory, file)) if file else directory
