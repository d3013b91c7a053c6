"""Targets, and the small interface through which rules turn a call in a build file into targets.

`buildgraph` knows no rule by heart: a `RuleSet` names the symbols a build file may call and
makes the targets. `GenericRuleSet` is the mechanism with no schema behind it: a call records a
target of its kind, with its `deps` / `dependencies` as edges.

A repository holds hundreds of thousands of targets, all in memory at once: a target keeps its
field values in a tuple, their names in a `FieldShape` shared by every target given the same
fields (most targets of a rule), and the strings and string lists that repeat across targets
(file names, labels, a kind) once each.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import FrozenInstanceError, dataclass, field
from sys import intern
from typing import Any, NoReturn, Protocol

from graphpub.buildgraph.address import Address, AddressInput, parse_address, parse_rooted
from graphpub.buildgraph.cells import Cells
from graphpub.buildgraph.config import Dialect
from graphpub.errors import BuildFileError, SourceLocation

FieldValue = Any
DEPENDENCY_FIELDS = ("deps", "dependencies")
SOURCE_FIELDS = ("srcs", "sources", "source")


class FieldShape:
    """The names of a target's fields, in order, and where each value is: one object for
    every target given the same fields. Made by `field_shape` only (one per set of names)."""

    __slots__ = ("names", "positions")

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.positions = {name: position for position, name in enumerate(names)}

    def __reduce__(self) -> tuple[object, ...]:
        return (field_shape, (self.names,))  # shared again where it is unpickled

    def __repr__(self) -> str:
        return f"FieldShape({self.names!r})"


# The shapes made so far, by their names: like `sys.intern`, a table that only grows, bounded by
# the distinct sets of field names the rules and build files use (a few hundred).
_SHAPES: dict[tuple[str, ...], FieldShape] = {}


def field_shape(names: tuple[str, ...]) -> FieldShape:
    """The one shape of these field names."""
    shape = _SHAPES.get(names)
    if shape is None:
        names = tuple([intern(name) for name in names])
        shape = _SHAPES[names] = FieldShape(names)
    return shape


class Fields(Mapping[str, "FieldValue"]):
    """A target's fields, read-only: values by position in a shape shared between targets."""

    __slots__ = ("_shape", "_values")

    def __init__(self, shape: FieldShape, values: tuple[FieldValue, ...]) -> None:
        self._shape = shape
        self._values = values

    def __getitem__(self, name: str) -> FieldValue:
        return self._values[self._shape.positions[name]]

    def get(self, name: str, default: Any = None) -> Any:
        position = self._shape.positions.get(name)
        return default if position is None else self._values[position]

    def __contains__(self, name: object) -> bool:
        return name in self._shape.positions

    def __iter__(self) -> Iterator[str]:
        return iter(self._shape.names)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Fields) and other._shape is self._shape:
            return self._values == other._values
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]  # (as a dict's: values may be unhashable)

    def __reduce__(self) -> tuple[object, ...]:
        return (Fields, (self._shape, self._values))

    def __repr__(self) -> str:
        return repr(dict(self.items()))


class Target:
    """One target: its address, kind, validated fields and the call that made it.

    Read-only. (A class of its own rather than a frozen dataclass: `fields` and `location`
    are made from the compact parts kept, when asked for.)"""

    __slots__ = (
        "_column",
        "_line",
        "_path",
        "_shape",
        "_values",
        "address",
        "dependencies",
        "generator",
        "kind",
        "sources",
    )
    address: Address
    kind: str
    _shape: FieldShape
    _values: tuple[FieldValue, ...]
    _path: str
    _line: int
    _column: int
    dependencies: tuple[AddressInput, ...]
    sources: tuple[str, ...]
    """Source entries as declared, package-relative: files, glob patterns, `!` excludes.

    Expanded only when files are needed (`BuildGraph.owned_files`), as Pants does."""
    generator: Address | None

    def __init__(
        self,
        address: Address,
        kind: str,
        fields: Mapping[str, FieldValue],
        location: SourceLocation,
        dependencies: tuple[AddressInput, ...] = (),
        sources: tuple[str, ...] = (),
        generator: Address | None = None,
    ) -> None:
        if type(fields) is Fields:  # (not isinstance: an ABC's check costs a microsecond)
            shape, values = fields._shape, fields._values
        else:
            names = tuple(fields)
            shape = _SHAPES.get(names) or field_shape(names)
            values = tuple(fields.values())
        _set_address(self, address)
        _set_kind(self, intern(kind))
        _set_shape(self, shape)
        _set_values(self, values)
        # (Not the SourceLocation: one object of 56 bytes per target, for its error messages.)
        _set_path(self, location.path)
        _set_line(self, location.line)
        _set_column(self, location.column)
        _set_dependencies(self, dependencies)
        _set_sources(self, sources)
        _set_generator(self, generator)

    @property
    def fields(self) -> Fields:
        """The validated field values by name (a read-only mapping)."""
        return Fields(self._shape, self._values)

    @property
    def location(self) -> SourceLocation:
        """Where the call that made the target is."""
        return SourceLocation(self._path, self._line, self._column)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __hash__(self) -> int:
        return hash(self.address)

    def __reduce__(self) -> tuple[object, ...]:
        # By position, the shape shared (the package cache unpickles every target of a warm run).
        return (
            _target,
            (
                self.address,
                self.kind,
                self._shape,
                self._values,
                self._path,
                self._line,
                self._column,
                self.dependencies,
                self.sources,
                self.generator,
            ),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Target) and (
            self.address,
            self.kind,
            (self._path, self._line, self._column),
            self.dependencies,
            self.sources,
            self.fields,
        ) == (
            other.address,
            other.kind,
            (other._path, other._line, other._column),
            other.dependencies,
            other.sources,
            other.fields,
        )

    def __repr__(self) -> str:
        return (
            f"Target(address={self.address!r}, kind={self.kind!r}, fields={self.fields!r}, "
            f"location={self.location!r}, dependencies={self.dependencies!r}, "
            f"sources={self.sources!r}, generator={self.generator!r})"
        )


def _target(
    address: Address,
    kind: str,
    shape: FieldShape,
    values: tuple[FieldValue, ...],
    path: str,
    line: int,
    column: int,
    dependencies: tuple[AddressInput, ...],
    sources: tuple[str, ...],
    generator: Address | None,
) -> Target:
    """A target unpickled (its parts already compact)."""
    target = Target.__new__(Target)
    _set_address(target, address)
    _set_kind(target, intern(kind))  # (each cached package pickled alone: its own copy)
    _set_shape(target, shape)
    _set_values(target, values)
    _set_path(target, path)
    _set_line(target, line)
    _set_column(target, column)
    _set_dependencies(target, dependencies)
    _set_sources(target, sources)
    _set_generator(target, generator)
    return target


# A target's parts are set through their slots' descriptors (its own __setattr__ refuses):
# a third of the time of object.__setattr__, for every target made or unpickled.
_set_address = Target.__dict__["address"].__set__
_set_kind = Target.__dict__["kind"].__set__
_set_shape = Target.__dict__["_shape"].__set__
_set_values = Target.__dict__["_values"].__set__
_set_path = Target.__dict__["_path"].__set__
_set_line = Target.__dict__["_line"].__set__
_set_column = Target.__dict__["_column"].__set__
_set_dependencies = Target.__dict__["dependencies"].__set__
_set_sources = Target.__dict__["sources"].__set__
_set_generator = Target.__dict__["generator"].__set__


class FrozenDict(dict[str, Any]):
    """A dict that refuses changes; unlike MappingProxyType it pickles (targets cross processes)."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise TypeError("target fields are read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]
    __ior__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[object, ...]:
        return (FrozenDict, (dict(self),)) if self else (_empty_frozen_dict, ())


_EMPTY_FROZEN_DICT = FrozenDict()


def _empty_frozen_dict() -> FrozenDict:
    """An empty FrozenDict unpickled: the one there is (read-only, so shared)."""
    return _EMPTY_FROZEN_DICT


def thaw(value: FieldValue) -> FieldValue:
    """The plain lists and dicts of a frozen value, for JSON and for Starlark."""
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    return value


_SCALARS = (str, int, float, bool, type(None))
# Single string values this short (a kind of target, a version, a file name) repeat across
# targets: kept once each. (Longer ones, descriptions, rarely repeat.)
_INTERNED_LENGTH = 200


def freeze(value: FieldValue) -> FieldValue:
    """Lists become tuples and dicts read-only, so a Target cannot change after it is made."""
    if isinstance(value, list):
        if all(isinstance(v, _SCALARS) for v in value):
            # The same few strings (`util.py`, `//common:lib`) in thousands of targets: one each.
            return tuple([intern(v) if type(v) is str else v for v in value])
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return FrozenDict({intern(k) if type(k) is str else k: freeze(v) for k, v in value.items()})
    if type(value) is str and len(value) <= _INTERNED_LENGTH:
        return intern(value)
    return value


class PackageContext(Protocol):
    """What a rule may know and do about the package whose build file is being evaluated."""

    @property
    def directory(self) -> str: ...

    @property
    def build_file(self) -> str: ...

    @property
    def dialect(self) -> Dialect: ...

    @property
    def cells(self) -> Mapping[str, str]:
        """Buck2 cell names and their root-relative directories."""
        ...

    @property
    def settings(self) -> dict[str, Any]:
        """Package-level values (Bazel `package()`, Pants `__defaults__`), for rules to keep."""
        ...

    def glob(self, include: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
        """Package-relative files matching the patterns (never entering a subpackage)."""
        ...

    def ancestor_settings(self, key: str) -> list[Any]:
        """`settings[key]` of the packages above this one that set it, nearest first."""
        ...

    @property
    def plugin_fields(self) -> bool:
        """Whether a field no schema knows may be a plugin's (Pants plugins of the repository
        add fields): then it is kept with a warning, not an error."""
        ...

    def warn(self, message: str, key: str) -> None:
        """A warning about the build file, once per `key`."""
        ...

    def environment(self, name: str) -> str | None:
        """An environment variable's value (None if unset), one of the package's inputs."""
        ...

    def is_credential_variable(self, name: str) -> bool:
        """Whether an environment variable holds a credential (TWINE_*, `secret_env`)."""
        ...

    def read_text(self, relative: str, near: SourceLocation | None = None) -> str:
        """A package-relative file's text (say `requirements.txt`), never from outside the
        root; errors point at the name as written in the build file, at or after `near`."""
        ...


@dataclass(frozen=True)
class RuleCall:
    """One call of a rule in a build file, after Starlark evaluated its arguments."""

    kind: str
    kwargs: Mapping[str, FieldValue]
    location: SourceLocation
    package: PackageContext
    args: tuple[FieldValue, ...] = field(default=())


class RuleSet(Protocol):
    """The rules build files may call: the interface `graphpub.rules` implements."""

    def rule_names(self) -> Collection[str]:
        """Symbols that make targets when called."""
        ...

    def functions(self) -> Mapping[str, Callable[..., object]]:
        """Other symbols (helpers such as `python_artifact`) and what they compute; each is
        called with the current `PackageContext` first, then the build file's arguments."""
        ...

    def prelude_source(self) -> str:
        """Starlark added to the prelude: helpers that need Starlark values, such as rule
        functions used as dict keys. A Pants dunder builtin `__x__` is defined as `x____`."""
        ...

    def instantiate(self, call: RuleCall) -> Sequence[Target]:
        """The targets one call makes; raises GraphpubError for invalid arguments."""
        ...

    def external_target(
        self, address: Address, referenced_at: SourceLocation, python_hubs: Collection[str]
    ) -> Target:
        """What a label of another repository (`@pypi//requests:pkg`) stands for."""
        ...

    def describes(self, kind: str, dialect: Dialect) -> bool:
        """Whether calls of `kind` are checked against a schema (not opaque targets)."""
        ...


EXTERNAL_KIND = "external"


class GenericRuleSet:
    """Rules known by name only: each call is one target of its kind, fields as written.

    `value_helpers` name functions like `python_artifact(...)` that return their keyword
    arguments as a dict, for a field's value.
    """

    def __init__(self, names: Iterable[str], value_helpers: Iterable[str] = ()) -> None:
        self._names = frozenset(names)
        self._helpers = {name: _keyword_dict for name in value_helpers}

    def rule_names(self) -> Collection[str]:
        return self._names

    def functions(self) -> Mapping[str, Callable[..., object]]:
        return self._helpers

    def prelude_source(self) -> str:
        return ""

    def describes(self, kind: str, dialect: Dialect) -> bool:
        return False

    def external_target(
        self, address: Address, referenced_at: SourceLocation, python_hubs: Collection[str]
    ) -> Target:
        return Target(address, EXTERNAL_KIND, FrozenDict(), referenced_at)

    def instantiate(self, call: RuleCall) -> Sequence[Target]:
        return [generic_target(call)]


def _keyword_dict(package: PackageContext, **kwargs: FieldValue) -> dict[str, FieldValue]:
    return kwargs


def generic_target(call: RuleCall) -> Target:
    """The target a rule with no schema makes: the mechanism every rule set may fall back on."""
    if call.args:
        raise BuildFileError(
            f"{call.kind}() takes keyword arguments only, got {len(call.args)} positional",
            location=call.location,
            hint=f'write {call.kind}(name = "...", ...)',
        )
    package = call.package
    name = call.kwargs.get("name")
    if name is None:
        if package.dialect is not Dialect.PANTS:
            raise BuildFileError(
                f"{call.kind}() is missing the mandatory argument 'name'",
                location=call.location,
                hint=f'add name = "..." to the {call.kind}() call',
            )
        name = default_name(package.directory, call)
    if not isinstance(name, str) or not name:
        raise BuildFileError(
            f"{call.kind}(): 'name' must be a non-empty string, got {name!r}",
            location=call.location,
        )
    return Target(
        address=Address(package.directory, name),
        kind=call.kind,
        fields=FrozenDict({k: freeze(v) for k, v in call.kwargs.items() if k != "name"}),
        location=call.location,
        dependencies=parse_dependencies(call, DEPENDENCY_FIELDS),
        sources=collect_sources(call, SOURCE_FIELDS),
    )


def default_name(directory: str, call: RuleCall) -> str:
    """Pants: an unnamed target takes its directory's name; at the root it must be named."""
    if directory:
        return directory.rsplit("/", 1)[-1]
    raise BuildFileError(
        f"{call.kind}() at the build root needs a name",
        location=call.location,
        hint=f'add name = "..." to the {call.kind}() call',
    )


def parse_dependencies(call: RuleCall, field_names: Iterable[str]) -> tuple[AddressInput, ...]:
    """The address strings in the given fields, parsed relative to the call's package."""
    package = call.package
    parsed: list[AddressInput] = []
    for field_name in field_names:
        value = call.kwargs.get(field_name)
        if value is None:
            continue
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise BuildFileError(
                f"{call.kind}(): '{field_name}' must be a list of addresses, "
                f"got {type(value).__name__}",
                location=call.location,
                hint=f'write {field_name} = ["//path/to:target"]',
            )
        for entry in value:
            if not isinstance(entry, str):
                raise BuildFileError(
                    f"{call.kind}(): every entry of '{field_name}' must be a string, got {entry!r}",
                    location=call.location,
                )
            parsed.append(parse_in_package(entry, package, call.location))
    return tuple(parsed)


def parse_in_package(text: str, package: PackageContext, location: SourceLocation) -> AddressInput:
    """An address as the build file of `package` means it (its directory, dialect, cells)."""
    cells = package.cells
    # (`type` first: an ABC's isinstance check costs a microsecond, for every dependency.)
    home = ""
    if type(cells) is Cells or isinstance(cells, Cells):
        cells = cells.seen_from(package.directory)
        home = cells.home
    if not home and not text.startswith(":"):
        # Most dependencies: `//a/b:c` or `a/b:c`, the same in every package (as
        # parse_address reads them first), parsed once for all.
        rooted = parse_rooted(text)
        if rooted is not None:
            return rooted
    return parse_address(
        text,
        relative_to=package.directory,
        bare_name_is_target=package.dialect.bare_name_is_target,
        cells=cells,
        location=location,
    )


def collect_sources(call: RuleCall, field_names: Iterable[str]) -> tuple[str, ...]:
    """The file entries of source fields; labels (`:gen`, `//x:y`) name targets, not files."""
    declared: list[str] = []
    for field_name in field_names:
        value = call.kwargs.get(field_name)
        entries = [value] if isinstance(value, str) else value
        if not isinstance(entries, (list, tuple)):
            continue
        declared.extend(file_entries(entries))
    return tuple(declared)


def file_entries(entries: Iterable[object]) -> list[str]:
    """The entries of a source field that are files of the package: labels (`:gen`,
    `//x:y`, `@repo//...`) name other targets' outputs."""
    return [
        entry
        for entry in entries
        if isinstance(entry, str) and not entry.startswith((":", "//", "@")) and ":" not in entry
    ]
