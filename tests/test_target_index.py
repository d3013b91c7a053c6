"""The targets' index the package cache keeps beside each package (`target_index`): its rows
give back the very addresses and kinds, their rendering, and each target's residence."""

from __future__ import annotations

import pickle

from hypothesis import given
from hypothesis import strategies as st

from graphpub.buildgraph.address import Address, AddressStyle
from graphpub.buildgraph.target_index import TargetIndex, residence

names = st.text(alphabet="abcxyz_-.", min_size=1, max_size=6)
paths = st.lists(names, max_size=3).map("/".join)
addresses = st.builds(
    Address,
    directory=paths,
    name=names,
    file=st.one_of(st.just(""), st.lists(names, min_size=1, max_size=3).map("/".join)),
    generated=st.one_of(st.just(""), names),
    parameters=st.lists(st.tuples(names, names), max_size=2).map(tuple),
    repository=st.one_of(st.just(""), names),
)


@given(st.lists(st.tuples(addresses, names), max_size=8))
def test_rows_give_back_the_addresses_kinds_renderings_and_residences(
    pairs: list[tuple[Address, str]],
) -> None:
    index = TargetIndex.of(pairs, lambda a: a.render(AddressStyle.BAZEL))
    again = pickle.loads(pickle.dumps(index))
    assert again.pairs() == tuple(pairs) and list(again) == pairs and len(again) == len(pairs)
    for row, (address, kind) in zip(again.rows, pairs, strict=True):
        assert row[6] == kind
        assert row[7] == address.render(AddressStyle.BAZEL)
        assert residence(row) == address.residence


def test_addresses_are_made_once_and_only_when_asked_for() -> None:
    index = pickle.loads(pickle.dumps(TargetIndex.of([(Address("a", "b"), "k")], str)))
    assert index._pairs is None  # unpickled: rows of strings, no address yet
    assert index.pairs() is index.pairs()
