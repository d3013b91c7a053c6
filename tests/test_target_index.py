"""The targets' index the package cache keeps beside each package (`target_index`): it gives
back the very addresses and kinds, their rendering, and each target's residence."""

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
def test_an_index_gives_back_the_addresses_kinds_renderings_and_residences(
    pairs: list[tuple[Address, str]],
) -> None:
    index = TargetIndex.of(pairs, lambda a: a.render(AddressStyle.BAZEL))
    again = pickle.loads(pickle.dumps(index))
    assert again.pairs() == tuple(pairs) and list(again) == pairs and len(again) == len(pairs)
    assert again.kinds == tuple(kind for _, kind in pairs)
    assert again.rendered == tuple(a.render(AddressStyle.BAZEL) for a, _ in pairs)
    assert again.local == (not any(a.repository for a, _ in pairs))
    assert [residence(f) for f in again.fields()] == [a.residence for a, _ in pairs]


def test_addresses_are_read_and_made_once_and_only_when_asked_for() -> None:
    index = pickle.loads(pickle.dumps(TargetIndex.of([(Address("a", "b"), "k")], str)))
    assert index._fields is None and index._pairs is None  # unpickled: strings alone
    assert index.rendered == ("a:b",) and index._fields is None  # (`str`: as Pants writes it)
    assert index.pairs() is index.pairs()
