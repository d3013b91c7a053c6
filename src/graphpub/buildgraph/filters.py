"""Pants' target filters (`--filter-target-type`, `--filter-address-regex`): within one option
value, comma-separated alternatives of which one must match; a `-` in front negates the
value; the option repeated means all of its values must hold."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from graphpub.errors import GraphpubError


class FilterError(GraphpubError):
    """A filter that cannot be applied: an unknown target type, a bad regular expression."""


@dataclass(frozen=True)
class Filter:
    """One value of a filter option: alternatives, negated or not."""

    alternatives: tuple[str, ...]
    negated: bool

    @staticmethod
    def parse(value: str) -> Filter:
        negated = value.startswith("-")
        body = value[1:] if negated else value.removeprefix("+")
        return Filter(tuple(a.strip() for a in body.split(",") if a.strip()), negated)


Predicate = Callable[[str, str], bool]
"""A test of (rendered address, target kind)."""


def target_type_filter(values: Sequence[str], known: Collection[str]) -> Predicate:
    """`--filter-target-type` values as one predicate; an unknown type is an error, as in
    Pants, with the closest known ones."""
    filters = [Filter.parse(v) for v in values]
    for f in filters:
        for kind in f.alternatives:
            if kind not in known:
                close = difflib.get_close_matches(kind, sorted(known), n=3)
                raise FilterError(
                    f"--filter-target-type: unknown target type {kind!r}",
                    hint=f"did you mean {', '.join(close)}?"
                    if close
                    else "graphpub help --rules lists them",
                )

    def matches(_address: str, kind: str) -> bool:
        return all((kind in f.alternatives) != f.negated for f in filters)

    return matches


def address_regex_filter(values: Sequence[str]) -> Predicate:
    """`--filter-address-regex` values as one predicate (a search anywhere in the address,
    as Pants does)."""
    compiled: list[tuple[list[re.Pattern[str]], bool]] = []
    for value in values:
        f = Filter.parse(value)
        patterns = []
        for alternative in f.alternatives:
            try:
                patterns.append(re.compile(alternative))
            except re.error as e:
                raise FilterError(
                    f"--filter-address-regex: {alternative!r} is not a regular expression: {e}",
                    hint="Python regular expressions, e.g. '^src/python/.*:dist$'",
                ) from None
        compiled.append((patterns, f.negated))

    def matches(address: str, _kind: str) -> bool:
        return all(
            any(p.search(address) for p in patterns) != negated for patterns, negated in compiled
        )

    return matches
