"""Command-line specs, in Pants and Bazel/Buck2 forms, resolved to a sorted list of addresses.

dir:name  //dir:name  dir/f.py:gen   one target
dir                                  the target named like the directory, or a file's owners
dir:  //dir:all  //dir:*             every target in the directory
dir::  ::  //dir/...  //...          every target at or below the directory
path/to/file.py  src/**/*.py         the targets owning the files
-SPEC                                exclude what SPEC matches
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from typing import TypeVar

from graphpub.buildgraph.address import Address, generator_of_file, parse_address
from graphpub.buildgraph.config import Dialect
from graphpub.buildgraph.graph import BuildGraph, ancestors, gc_paused
from graphpub.buildgraph.target_index import Fields, residence
from graphpub.errors import AddressError, GraphpubError, SpecError

_T = TypeVar("_T")
_ALL_TARGET_NAMES = frozenset({"all", "*", "all-targets"})


@dataclass(frozen=True)
class AddressSpec:
    text: str
    address: Address


@dataclass(frozen=True)
class DirectorySpec:
    text: str
    directory: str


@dataclass(frozen=True)
class RecursiveSpec:
    text: str
    directory: str


@dataclass(frozen=True)
class FileSpec:
    text: str
    pattern: str
    parameters: tuple[tuple[str, str], ...] = ()


Spec = AddressSpec | DirectorySpec | RecursiveSpec | FileSpec


@dataclass(frozen=True)
class Specs:
    includes: tuple[Spec, ...]
    excludes: tuple[Spec, ...]


def parse_specs(texts: Sequence[str], graph: BuildGraph) -> Specs:
    """Parse command-line specs; `graph` tells files from directories."""
    includes: list[Spec] = []
    excludes: list[Spec] = []
    for text in texts:
        exclude = text.startswith("-") and len(text) > 1
        spec = parse_spec(text[1:] if exclude else text, graph)
        (excludes if exclude else includes).append(spec)
    if not includes:
        raise SpecError(
            "no specs to include" if excludes else "no specs given",
            hint="name targets, e.g. 'src/python:demo', 'src/python::' or '//...' ('::' for all)",
        )
    return Specs(tuple(includes), tuple(excludes))


def parse_spec(text: str, graph: BuildGraph) -> Spec:
    if "\x00" in text:  # no path holds one (specs come from the `skip` config key too)
        raise SpecError(f"invalid spec {text!r}: it contains a NUL character")
    if text.startswith("@"):
        raise SpecError(
            f"spec {text!r} names an external repository; specs select targets of this repository"
        )
    body = _without_cell(text, graph)
    body = body[2:] if body.startswith("//") else body
    body = body.removeprefix("./")
    if body.endswith("::") or body == "...":
        return RecursiveSpec(text, _directory(body.removesuffix("::").removesuffix("..."), text))
    if body.endswith("/..."):
        return RecursiveSpec(text, _directory(body[: -len("/...")], text))
    path, colon, name = body.partition(":")
    if colon and (not name or name in _ALL_TARGET_NAMES):
        return DirectorySpec(text, _directory(path, text))
    if not colon and (any(ch in path for ch in "*?[") or graph.tree_has_file(path)):
        return FileSpec(text, _directory(path, text))
    try:
        parsed = parse_address("//" + body, relative_to="")
    except AddressError as e:
        raise SpecError(
            f"invalid spec {text!r}: {e.message.split(': ', 1)[-1]}", hint=e.hint
        ) from None
    if graph.tree_has_file(parsed.path):
        if parsed.target is None:
            return FileSpec(text, parsed.path, parsed.parameters)
        return AddressSpec(text, _file_target(parsed.path, parsed.target, parsed.parameters, graph))
    return AddressSpec(text, parsed.directory_address)


def _without_cell(text: str, graph: BuildGraph) -> str:
    """Buck2's `cell//pkg:name` as `//<cell's directory>/pkg:name`."""
    cell, sep, rest = text.partition("//")
    if not sep or not cell or cell.startswith("@"):
        return text
    cells = graph.config.cells
    if cell not in cells and cell in cells.external:
        raise SpecError(
            f"spec {text!r} names the cell {cell!r}, which is not on disk ([external_cells]); "
            "specs select targets of this repository"
        )
    if cell not in cells:
        raise SpecError(
            f"spec {text!r} names the unknown cell {cell!r}",
            hint="cells are declared in the [cells] section of .buckconfig",
        )
    return "//" + posixpath.join(cells[cell], rest).lstrip("/") if cells[cell] else "//" + rest


def _file_target(
    path: str, name: str, parameters: tuple[tuple[str, str], ...], graph: BuildGraph
) -> Address:
    generator_directory, name = generator_of_file(path, name)
    for directory in ancestors(posixpath.dirname(path)):
        if generator_directory is not None and directory != generator_directory:
            continue
        graph.ensure_loaded(directory, needed=False)
        if directory in graph.failures:
            continue
        for target in graph.package_targets(directory):
            if target.address.name == name and not target.address.file:
                relative = posixpath.relpath(path, directory or ".")
                return Address(directory, name, file=relative, parameters=parameters)
    return Address(posixpath.dirname(path), name, file=posixpath.basename(path))


def _directory(path: str, text: str) -> str:
    path = path.strip("/")
    normalized = posixpath.normpath(path) if path else ""
    if normalized == ".":
        return ""
    if normalized == ".." or normalized.startswith("../") or path.startswith("/"):
        raise SpecError(f"spec {text!r} points outside the build root")
    return normalized


def resolve_specs(texts: Sequence[str], graph: BuildGraph) -> list[Address]:
    """The addresses the specs select, sorted; a spec that matches nothing is an error, and
    so is a build file that fails where a selected target is or one it depends on."""
    return sorted(select_specs(texts, graph), key=attrgetter("key"))


def select_specs(texts: Sequence[str], graph: BuildGraph) -> set[Address]:
    """`resolve_specs`, in no order (for a command that orders them otherwise)."""
    specs = parse_specs(texts, graph)
    _load_specs(specs, graph)
    selected = _select(specs, graph, lambda spec: _match(spec, graph))
    graph.check_complete(selected)
    return selected if isinstance(selected, set) else set(selected)


def select_listed(texts: Sequence[str], graph: BuildGraph) -> Selected | None:
    """`select_specs` for `list` (in no order): the selected targets the package cache holds
    by their index's strings, making no address of them, and the addresses of the others;
    None, having loaded nothing, when a spec is not a directory's (`dir:`, `dir::`, `::`):
    the others need addresses."""
    specs = parse_specs(texts, graph)
    every = (*specs.includes, *specs.excludes)
    if not all(isinstance(spec, (DirectorySpec, RecursiveSpec)) for spec in every):
        return None
    _load_specs(specs, graph)
    indexes, addresses = graph.indexes(), graph.loaded_addresses()
    # The targets by number: those of the indexes in turn, then the addresses.
    rendered = list(chain.from_iterable(index.rendered for index in indexes))
    kinds = list(chain.from_iterable(index.kinds for index in indexes))
    apart = len(rendered)
    fields: list[Fields] = []

    def match(spec: Spec) -> list[int]:
        assert isinstance(spec, (DirectorySpec, RecursiveSpec))
        if isinstance(spec, RecursiveSpec) and not spec.directory:  # `::`: this repository's
            if all(index.local for index in indexes):
                found = list(range(apart))
            else:
                found = [i for i, f in enumerate(every_field()) if not f[5]]
            found += [apart + i for i, a in enumerate(addresses) if not a.repository]
            return found
        found = [i for i, f in enumerate(every_field()) if not f[5] and _holds(spec, residence(f))]
        found += [
            apart + i
            for i, a in enumerate(addresses)
            if not a.repository and _holds(spec, a.residence)
        ]
        return found

    def every_field() -> list[Fields]:
        if not fields:
            fields.extend(f for index in indexes for f in index.fields())
        return fields

    selected = _select(specs, graph, match)
    graph.check_complete(
        Address(*every_field()[i]) if i < apart else addresses[i - apart] for i in selected
    )
    if len(selected) == apart + len(addresses):  # (all of them: `::`, as a rule)
        return Selected(rendered, kinds, addresses)
    held = [i for i in selected if i < apart]
    return Selected(
        [rendered[i] for i in held],
        [kinds[i] for i in held],
        [addresses[i - apart] for i in selected if i >= apart],
    )


@dataclass(frozen=True)
class Selected:
    """Targets selected: those held by their package's index, by their addresses rendered
    and their kinds (in the same order); the others, by address."""

    rendered: list[str]
    kinds: list[str]
    addresses: list[Address]


def _holds(spec: DirectorySpec | RecursiveSpec, residence: str) -> bool:
    """Whether a target living in `residence` is one of a directory's spec."""
    if isinstance(spec, DirectorySpec):
        return residence == spec.directory
    directory = spec.directory
    return not directory or residence == directory or residence.startswith(directory + "/")


def _load_specs(specs: Specs, graph: BuildGraph) -> None:
    with gc_paused():  # (walking a large tree makes as many objects as loading it)
        needed, above = _directories_to_load(specs, graph)
    graph.load(needed)
    graph.load(above, needed=False)


def _select(
    specs: Specs, graph: BuildGraph, match: Callable[[Spec], Collection[_T]]
) -> Collection[_T]:
    """What the includes match less what the excludes do, by `match` (to addresses, or to
    targets by number)."""
    if len(specs.includes) == 1 and not specs.excludes:  # (as matched: `::` is every target)
        spec = specs.includes[0]
        matched = match(spec)
        if not matched and not _may_select_nothing(spec, graph):
            raise _no_match(spec, graph)
        return matched
    selected: set[_T] = set()
    for spec in specs.includes:
        matched = match(spec)
        if not matched and not _may_select_nothing(spec, graph):
            raise _no_match(spec, graph)
        selected.update(matched)
    for spec in specs.excludes:
        excluded = set(match(spec))
        if not excluded & selected and not _holds_a_failed_package(spec, graph):
            # Pants accepts it silently; a typo would then exclude nothing, unnoticed. (A
            # package that fails has no targets to match: excluding it is the point.)
            what = "matches no target" if not excluded else "excludes nothing the specs select"
            graph.warn(f"the exclude -{spec.text} {what}", key=f"exclude {spec.text}")
        selected -= excluded
    return selected


def _holds_a_failed_package(spec: Spec, graph: BuildGraph) -> bool:
    if isinstance(spec, RecursiveSpec):
        return any(p in graph.failures for p in graph.tree.packages_under(spec.directory))
    if isinstance(spec, DirectorySpec):
        return spec.directory in graph.failures
    if isinstance(spec, AddressSpec):
        return spec.address.directory in graph.failures
    return False


def _directories_to_load(specs: Specs, graph: BuildGraph) -> tuple[list[str], list[str]]:
    """(The packages the specs select targets of, those others that may hold some: above
    them, the owners of files, excluded ones). A failure in the first is an error, in the
    others a warning: Pants evaluates every build file above a spec's, for the __defaults__
    they hand down, but one that fails blocks nothing below it unless it sets some
    (`BuildGraph._ancestor_failed`)."""
    excluded = {
        package
        for spec in specs.excludes
        if isinstance(spec, (RecursiveSpec, DirectorySpec))
        for package in (
            graph.tree.packages_under(spec.directory)
            if isinstance(spec, RecursiveSpec)
            else [spec.directory]
        )
    }
    needed: list[str] = []
    above: list[str] = []
    for spec in specs.includes:
        if isinstance(spec, AddressSpec):
            needed.append(spec.address.directory)
        elif isinstance(spec, DirectorySpec):
            needed.append(spec.directory)
            # Generators above the directory may make targets for files in it.
            above.extend(ancestors(spec.directory))
        elif isinstance(spec, RecursiveSpec):
            below = graph.tree.packages_under(spec.directory)
            needed.extend(d for d in below if d not in excluded)
            above.extend([*(d for d in below if d in excluded), *ancestors(spec.directory)])
        else:
            for path in _files(spec, graph):
                above.extend(ancestors(posixpath.dirname(path)))
    for spec in specs.excludes:
        if isinstance(spec, FileSpec):
            for path in _files(spec, graph):
                above.extend(ancestors(posixpath.dirname(path)))
        elif isinstance(spec, AddressSpec):  # to tell a typo from a target not selected
            above.append(spec.address.directory)
    return needed, above


def _files(spec: FileSpec, graph: BuildGraph) -> list[str]:
    if not any(ch in spec.pattern for ch in "*?["):
        return [spec.pattern]
    try:
        return graph.tree.glob("", [spec.pattern], [], cross_packages=True)
    except ValueError as e:
        raise SpecError(f"invalid spec {spec.text!r}: {e}") from None


def _match(spec: Spec, graph: BuildGraph) -> set[Address]:
    if isinstance(spec, AddressSpec):
        return {spec.address} if spec.address in graph else set()
    if isinstance(spec, DirectorySpec):
        return {a for a in graph.addresses() if not a.repository and a.residence == spec.directory}
    if isinstance(spec, RecursiveSpec):
        prefix = spec.directory + "/"
        return {
            address
            for address in graph.addresses()
            if not address.repository  # specs select this repository's targets
            and (
                not spec.directory
                or address.residence == spec.directory
                or address.residence.startswith(prefix)
            )
        }
    owners: set[Address] = set()
    for path in _files(spec, graph):
        owners.update(
            t.address
            for t in graph.owners_of(path)
            if not spec.parameters or t.address.parameters == spec.parameters
        )
    return owners


def _may_select_nothing(spec: Spec, graph: BuildGraph) -> bool:
    """Whether a spec may select nothing, as the build system allows: every one a directory
    that is a package (an empty build file: no targets); Pants any directory that exists
    (`::` of a repository without build files); Buck2 any directory with a recursive spec.
    Bazel's `//dir/...` needs a target."""
    if isinstance(spec, (AddressSpec, FileSpec)) or graph.tree.excluded_by(spec.directory):
        return False
    dialect = graph.config.dialect
    if isinstance(spec, DirectorySpec) and graph.is_package(spec.directory):
        return True
    if isinstance(spec, RecursiveSpec) and dialect is Dialect.BAZEL:
        return False
    pants = dialect in (Dialect.PANTS, Dialect.GRAPHPUB)
    exists = graph.tree.listing(spec.directory) is not None
    return exists and (pants or isinstance(spec, RecursiveSpec))


def _no_match(spec: Spec, graph: BuildGraph) -> GraphpubError:
    if isinstance(spec, FileSpec):
        files = _files(spec, graph)
        if not files or not graph.tree_has_file(files[0]):
            return SpecError(
                f"no file matches {spec.text!r}", hint="file specs are relative to the build root"
            )
        failed = next(filter(None, map(graph.failure_above, files)), None)
        if failed is not None:
            return failed[1]  # the owner may be in the package that failed
        return SpecError(
            f"no target owns {spec.text!r}",
            hint="a file is owned by a target in its directory or above that lists it in its "
            "sources",
        )
    directory = spec.address.directory if isinstance(spec, AddressSpec) else spec.directory
    excluded = graph.tree.excluded_by(directory)
    if excluded is not None:
        where, why = excluded
        return SpecError(
            f"spec {spec.text!r} is not part of this build: '{where}' {why}",
            hint=f"run graphpub -C {where}" if why.endswith("another build") else None,
        )
    if isinstance(spec, AddressSpec):
        if not graph.is_package(directory):
            return SpecError(
                f"no build file in '{directory or '//'}' for spec {spec.text!r}",
                hint=_package_hint(directory, graph),
            )
        names = sorted({t.address.name for t in graph.package_targets(directory)})
        close = difflib.get_close_matches(spec.address.name, names, n=3, cutoff=0.5)
        shown = close or names
        return SpecError(
            f"'{spec.address.name}' was not found in '{directory or '//'}' (spec {spec.text!r})",
            hint=("did you mean one of: " if close else "targets there: ")
            + ", ".join(graph.config.render(Address(directory, n)) for n in shown),
        )
    if graph.tree.listing(directory) is None:
        return SpecError(
            f"no such directory '{directory}' (spec {spec.text!r})",
            hint=_package_hint(directory, graph),
        )
    if isinstance(spec, DirectorySpec):
        return SpecError(
            f"no build file in '{spec.directory or '//'}' for spec {spec.text!r}",
            hint=_package_hint(spec.directory, graph),
        )
    return SpecError(
        f"no targets found beneath '{spec.directory}' (spec {spec.text!r})",
        hint="build files are found by the build_patterns config key and skipped by build_ignore",
    )


def _package_hint(directory: str, graph: BuildGraph) -> str:
    parent = posixpath.dirname(directory)
    candidates = graph.tree.packages_under(parent) if graph.tree.listing(parent) else []
    close = difflib.get_close_matches(directory, candidates, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "use 'DIR::' to search below a directory, or '::' for the whole repository"
