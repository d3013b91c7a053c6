"""The orders publishing works and reports in: names as people sort them, dependencies first."""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

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
    in the natural order of their labels (then as given). A cycle is a ValueError."""
    position = {address: index for index, address in enumerate(depends_on)}
    waiting = dict.fromkeys(depends_on, 0)  # how many of its dependencies are not placed yet
    dependents: dict[Address, list[Address]] = {a: [] for a in depends_on}
    for address, needed in depends_on.items():
        for dependency in dict.fromkeys(needed):  # a dependency listed twice counts once
            if dependency in waiting:
                waiting[address] += 1
                dependents[dependency].append(address)

    def entry(address: Address) -> tuple[tuple[tuple[int, int | str], ...], int, Address]:
        return natural_key(label(address)), position[address], address

    free = [entry(a) for a, count in waiting.items() if count == 0]
    heapq.heapify(free)
    order = []
    while free:
        address = heapq.heappop(free)[2]
        order.append(address)
        for dependent in dependents[address]:
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(free, entry(dependent))
    if len(order) != len(waiting):
        raise ValueError("the dependencies form a cycle")
    return order


def upload_order(paths: Sequence[Path]) -> list[Path]:
    """A distribution's files as twine uploads them (wheels first), by name within each kind:
    every run uploads the same file first, so of two runs racing with different files the
    second is refused at its first file, before anything of it is on the index."""
    return sorted(paths, key=lambda p: (not p.name.endswith(".whl"), p.name))
