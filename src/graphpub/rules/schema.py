"""Declarative rule schemas, in the spirit of Pants' `Field` classes.

A rule is a `RuleSchema`: its kind, help text and `Field`s, each with a type, a default, help
and validation in one place. Adding a rule is adding a schema; validation, errors with
did-you-mean and `graphpub help RULE` all come from it.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from sys import intern
from typing import Any


class FieldError(ValueError):
    """A field value of the wrong type or form; the rule set adds where it was written."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class FieldType:
    """What values a field takes: its name in help texts and a check that normalises them."""

    name: str
    check: Callable[[Any], Any]

    def __call__(self, value: Any) -> Any:
        return self.check(value)


def _describe(value: Any) -> str:
    names = {str: "a string", bool: "a bool", int: "an int", list: "a list", dict: "a dict"}
    return names.get(type(value), f"a {type(value).__name__}") + f" ({value!r:.60})"


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError(f"expected a string, got {_describe(value)}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        if isinstance(value, int) and value in (0, 1):  # Bazel writes booleans as 0 / 1
            return bool(value)
        raise FieldError(f"expected True or False, got {_describe(value)}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(f"expected an int, got {_describe(value)}")
    return value


def _string_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise FieldError(
            f"expected a list of strings, got {_describe(value)}",
            hint='write ["value"] even for a single value',
        )
    try:
        # The same strings (`util.py`, `//common:lib`) in thousands of targets: one each.
        return tuple(map(intern, value))
    except TypeError:  # (not a str, or a subclass of str, which is not interned)
        pass
    for item in value:
        if not isinstance(item, str):
            raise FieldError(f"expected a list of strings, but one item is {_describe(item)}")
    return tuple(value)


def _string_dict(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise FieldError(f"expected a dict of strings, got {_describe(value)}")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise FieldError(f"expected a dict of strings, but {key!r} maps to {_describe(item)}")
    return dict(value)


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise FieldError(f"expected a dict, got {_describe(value)}")
    return dict(value)


def _any(value: Any) -> Any:
    return value


def one_of(*choices: str) -> FieldType:
    def check(value: Any) -> str:
        if value not in choices:
            close = difflib.get_close_matches(str(value), choices, n=1)
            raise FieldError(
                f"expected one of {', '.join(map(repr, choices))}, got {value!r}",
                hint=f"did you mean {close[0]!r}?" if close else None,
            )
        return str(value)

    return FieldType("one of: " + ", ".join(choices), check)


def either(*types: FieldType) -> FieldType:
    """A value that may take several forms (Buck2 `srcs` is a list or a dict)."""

    def check(value: Any) -> Any:
        errors = []
        for candidate in types:
            try:
                return candidate(value)
            except FieldError as e:
                errors.append(e.message)
        raise FieldError(f"expected {' or '.join(t.name for t in types)}, got {_describe(value)}")

    return FieldType(" or ".join(t.name for t in types), check)


def _string_list_dict(value: Any) -> dict[str, tuple[str, ...]]:
    """`attr.string_list_dict`: {key: [strings]}, as `entry_points` and `extra_requires` are."""
    if not isinstance(value, Mapping):
        raise FieldError(f"expected a dict of string to list of strings, got {value!r:.60}")
    checked: dict[str, tuple[str, ...]] = {}
    for key, items in value.items():
        if not isinstance(key, str):
            raise FieldError(f"expected string keys, but one key is {key!r:.60}")
        if isinstance(items, str) or not isinstance(items, (list, tuple)):
            raise FieldError(
                f"expected a list of strings for {key!r}, got {items!r:.60}",
                hint=f'write {{"{key}": ["value"]}} even for a single value',
            )
        for item in items:
            if not isinstance(item, str):
                raise FieldError(f"expected strings in {key!r}, but one item is {item!r:.60}")
        checked[key] = tuple(items)
    return checked


def _string_dict_dict(value: Any) -> dict[str, dict[str, str]]:
    """python_wheel's `entry_points`: {group: {name: "module:function"}}."""
    if not isinstance(value, Mapping):
        raise FieldError(f"expected a dict of group to dict of name to string, got {value!r:.60}")
    checked: dict[str, dict[str, str]] = {}
    for group, entries in value.items():
        if not isinstance(group, str) or not isinstance(entries, Mapping):
            raise FieldError(
                f"expected {{group: {{name: 'module:function'}}}}, but {group!r} maps to "
                f"{entries!r:.60}",
                hint='write {"console_scripts": {"name": "module:function"}}',
            )
        for name, reference in entries.items():
            if not isinstance(name, str) or not isinstance(reference, str):
                raise FieldError(f"expected strings in {group!r}, got {name!r}: {reference!r:.60}")
        checked[group] = dict(entries)
    return checked


STRING = FieldType("string", _string)
BOOL = FieldType("bool", _bool)
INT = FieldType("int", _int)
STRING_LIST = FieldType("list of strings", _string_list)
STRING_DICT = FieldType("dict of string to string", _string_dict)
DICT = FieldType("dict", _dict)
ANY = FieldType("any value", _any)
ADDRESSES = FieldType("list of addresses", _string_list)
SOURCES = FieldType("list of files or globs", _string_list)
STRING_LIST_DICT = FieldType("dict of string to list of strings", _string_list_dict)
STRING_DICT_DICT = FieldType("dict of group to dict of name to string", _string_dict_dict)


class Role(Enum):
    """What the build graph does with a field, beyond keeping its value."""

    PLAIN = "plain"
    DEPENDENCIES = "dependencies"  # addresses: edges of the graph
    SOURCES = "sources"  # files or globs the target owns


@dataclass(frozen=True)
class Field:
    """One argument of a rule."""

    name: str
    type: FieldType
    help: str
    default: Any = None
    required: bool = False
    role: Role = Role.PLAIN


class Generates(Enum):
    """How a target generator (Pants) makes its targets."""

    PER_SOURCE_FILE = "one target per source file"
    PER_REQUIREMENT = "one python_requirement per requirement"
    PANTS_DISTRIBUTIONS = "pantsbuild.pants and, with testutil, pantsbuild.pants.testutil"


@dataclass(frozen=True)
class Generator:
    kind: str
    how: Generates


@dataclass(frozen=True)
class RuleSchema:
    """One rule: what build files call, what it means, and what it accepts."""

    kind: str
    dialect: str
    help: str
    fields: tuple[Field, ...]
    name_required: bool = True
    generator: Generator | None = None
    distribution: bool = False  # offers the publish stage a `Distribution` view
    # Targets the rule also makes, named `name + suffix`, of the given kinds, depending on the
    # target (rules_python's py_wheel macro makes `w.dist` and `w.publish`).
    companions: tuple[tuple[str, str], ...] = ()
    field_map: Mapping[str, Field] = field(init=False, repr=False, compare=False)
    _by_role: Mapping[Role, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    required: tuple[Field, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_map", {f.name: f for f in self.fields})
        object.__setattr__(self, "required", tuple(f for f in self.fields if f.required))
        by_role = {role: tuple(f.name for f in self.fields if f.role is role) for role in Role}
        object.__setattr__(self, "_by_role", by_role)

    def with_fields(self, *fields: Field) -> RuleSchema:
        """This schema with more fields (the attributes every rule of a dialect accepts)."""
        known = set(self.field_map)
        extra = tuple(f for f in fields if f.name not in known)
        return dataclasses.replace(self, fields=self.fields + extra)

    def fields_with_role(self, role: Role) -> tuple[str, ...]:
        return self._by_role[role]
