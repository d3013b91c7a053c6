"""Evaluating BUILD / BUCK files into one target graph, and resolving address specs."""

from graphpub.buildgraph.address import Address, AddressInput, AddressStyle, parse_address
from graphpub.buildgraph.config import Config, Dialect, find_root, load_config
from graphpub.buildgraph.graph import BuildGraph
from graphpub.buildgraph.specs import resolve_specs
from graphpub.buildgraph.target import GenericRuleSet, RuleCall, RuleSet, Target

__all__ = [
    "Address",
    "AddressInput",
    "AddressStyle",
    "BuildGraph",
    "Config",
    "Dialect",
    "GenericRuleSet",
    "RuleCall",
    "RuleSet",
    "Target",
    "find_root",
    "load_config",
    "parse_address",
    "resolve_specs",
]
