"""Rule definitions of the Pants, Bazel (rules_python) and Buck2 dialects."""

from __future__ import annotations

from graphpub.buildgraph.target import GenericRuleSet, RuleSet
from graphpub.rules.catalog import ALL_RULES, VALUE_HELPERS


def default_rules() -> RuleSet:
    """Every rule graphpub knows, for build files of any dialect."""
    return GenericRuleSet(ALL_RULES, VALUE_HELPERS)
