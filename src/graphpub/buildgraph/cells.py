"""Buck2 cells as the labels of one build file name them.

A label `cell//pkg:name` names a package of a cell: its directory below the root when the cell
is on disk, an external repository when it is not (a prelude bundled into Buck2, a cell of
another repository). `//pkg:name` is a package of the file's own cell. Which names mean which
cell depends on where the file is: every cell sees the root's `[cell_aliases]`, and its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cells(Mapping[str, str]):
    """Cell names (aliases included) to the root-relative directories of the cells on disk, as
    a build file in the cell at `home` sees them."""

    directories: Mapping[str, str] = field(default_factory=dict)
    home: str = ""
    """The directory of the file's own cell: what `//` means."""
    external: Mapping[str, str] = field(default_factory=dict)
    """Names of declared cells that are not on disk (`[external_cells]`), to the cell's own
    name (an alias names the cell it stands for)."""
    open: bool = False
    """Whether a name no cell has is an external repository (Buck2: a cell this checkout does
    not hold) rather than an error."""
    within: Callable[[str], Cells] | None = field(default=None, compare=False, repr=False)
    """The cells as a file in another directory sees them (None: the same everywhere)."""

    def __getitem__(self, name: str) -> str:
        return self.directories[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.directories)

    def __len__(self) -> int:
        return len(self.directories)

    def is_external(self, name: str) -> bool:
        """Whether `name//...` labels name an external repository rather than a directory."""
        return name in self.external or (self.open and name not in self.directories)

    def seen_from(self, directory: str) -> Cells:
        """These cells as a build file in `directory` names them."""
        return self if self.within is None else self.within(directory)
