"""The orders publishing works and reports in: names as people sort them, dependencies first."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import networkx as nx

from graphpub.buildgraph.address import Address

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """`p2` before `p10`: runs of digits compare as numbers, the rest as text."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in _DIGITS.split(text)
        if part != ""
    )


def dependency_order(
    depends_on: Mapping[Address, Sequence[Address]], label: Callable[[Address], str]
) -> list[Address]:
    """Every address of `depends_on` after the ones it depends on; among those free to go,
    in the natural order of their labels."""
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(depends_on)
    graph.add_edges_from((d, a) for a, ds in depends_on.items() for d in ds if d in depends_on)
    return list(nx.lexicographical_topological_sort(graph, key=lambda a: natural_key(label(a))))


def upload_order(paths: Sequence[Path]) -> list[Path]:
    """A distribution's files as twine uploads them (wheels first), by name within each kind:
    every run uploads the same file first, so of two runs racing with different files the
    second is refused at its first file, before anything of it is on the index."""
    return sorted(paths, key=lambda p: (not p.name.endswith(".whl"), p.name))
