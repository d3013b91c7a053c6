"""The modules a third-party project provides by default, as Pants maps them: the catalog
`catalogs/python_modules.toml` (Pants' DEFAULT_MODULE_MAPPING, its type-stub mapping and the
patterns of both), read once."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from graphpub.rules.catalog import catalog_table
from graphpub.rules.requirements import normalize_project


@dataclass(frozen=True)
class ProvidedModules:
    """The modules a project provides, and whether it provides their type stubs only."""

    modules: tuple[str, ...]
    type_stubs: bool = False


@dataclass(frozen=True)
class _Pattern:
    """Projects named alike (`^azure-.+`) and the modules each provides (`{0:.}`)."""

    project: re.Pattern[str]
    modules: tuple[str, ...]

    def provided(self, name: str) -> tuple[str, ...]:
        if self.project.match(name) is None:
            return ()
        return tuple(
            self.project.sub(functools.partial(_fill, template), name, count=1)
            for template in self.modules
        )


@dataclass(frozen=True)
class _Catalog:
    modules: Mapping[str, tuple[str, ...]]
    type_stub_modules: Mapping[str, tuple[str, ...]]
    type_stub_patterns: tuple[_Pattern, ...]
    patterns: tuple[_Pattern, ...]


# `{N:S}` in a pattern's module: group N of the match, each hyphen in it as S.
_PLACEHOLDER = re.compile(r"\{(\d+):([._]?)\}")


def _fill(template: str, match: re.Match[str]) -> str:
    return _PLACEHOLDER.sub(
        lambda slot: (match.group(int(slot.group(1))) or "").replace("-", slot.group(2)),
        template,
    )


@functools.cache
def _catalog() -> _Catalog:
    document = catalog_table("python_modules.toml")

    def table(key: str) -> dict[str, tuple[str, ...]]:
        return {project: tuple(modules) for project, modules in document[key].items()}

    def patterns(key: str) -> tuple[_Pattern, ...]:
        return tuple(
            _Pattern(re.compile(entry["project"]), tuple(entry["modules"]))
            for entry in document[key]
        )

    return _Catalog(
        modules=table("modules"),
        type_stub_modules=table("type_stub_modules"),
        type_stub_patterns=patterns("type_stub_patterns"),
        patterns=patterns("patterns"),
    )


@functools.cache
def default_modules(name: str) -> ProvidedModules:
    """The modules the project `name` (as a requirement writes it) provides when its target
    names none, as Pants' module mapper finds them: the catalog's mapping by the PEP 503 name,
    then its type-stub mapping, its type-stub patterns and its patterns (the first that
    matches), else the name itself, lowercased, `-` as `_` and a `.` kept."""
    catalog = _catalog()
    project = normalize_project(name)
    if project in catalog.modules:
        return ProvidedModules(catalog.modules[project])
    if project in catalog.type_stub_modules:
        return ProvidedModules(catalog.type_stub_modules[project], type_stubs=True)
    # (Stub patterns first, as Pants: `django-stubs` matches `^django-` too.)
    for pattern in catalog.type_stub_patterns:
        if found := pattern.provided(project):
            return ProvidedModules(found, type_stubs=True)
    for pattern in catalog.patterns:
        if found := pattern.provided(project):
            return ProvidedModules(found)
    return ProvidedModules((name.strip().lower().replace("-", "_"),))
