"""The order distributions go up in: dependencies first, and among those free to go, by the
natural order of their labels, as networkx's lexicographical topological sort gives it."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphpub.buildgraph.address import Address
from graphpub.publish.order import dependency_order, natural_key
from tests import fuzz_strategies as fs

LABELS = ["p10", "p2", "p1", "a", "b3", "b20", "z", "p2x", "c", "q9", "q10", "m"]


@st.composite
def acyclic(draw: st.DrawFn) -> dict[Address, list[Address]]:
    """Up to 12 addresses, each depending on some of those before it in a shuffled order."""
    names = draw(st.permutations(LABELS))[: draw(st.integers(0, len(LABELS)))]
    addresses = [Address(name, "dist") for name in names]
    graph: dict[Address, list[Address]] = {}
    for index, address in enumerate(addresses):
        earlier = addresses[:index]
        graph[address] = draw(st.lists(st.sampled_from(earlier), max_size=4)) if earlier else []
    order = draw(st.permutations(addresses))
    outside = Address("outside", "dist")  # not among them: ignored
    return {a: [*graph[a], *([outside] if draw(st.booleans()) else [])] for a in order}


def label(address: Address) -> str:
    return address.directory


@fs.fuzz_settings(ci_examples=300)
@given(acyclic())
def test_the_order_is_networkxs_lexicographical_topological_sort(
    depends_on: dict[Address, list[Address]],
) -> None:
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(depends_on)
    graph.add_edges_from((d, a) for a, ds in depends_on.items() for d in ds if d in depends_on)
    expected = list(
        nx.lexicographical_topological_sort(graph, key=lambda a: natural_key(a.directory))
    )
    assert dependency_order(depends_on, label) == expected


def test_a_cycle_is_an_error() -> None:
    a, b, c = (Address(n, "dist") for n in "abc")
    with pytest.raises(ValueError, match="cycle"):
        dependency_order({a: [c], b: [a], c: [b]}, label)
    with pytest.raises(ValueError, match="cycle"):
        dependency_order({a: [a]}, label)
