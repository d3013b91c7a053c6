"""The rule set build files see: schemas per dialect, validated into targets.

A call's schema is chosen by the dialect of the file that made it (`python_test` is a Pants
file target and a Buck2 test rule); rules with no schema fall back to opaque targets.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import itertools
import sys
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphpub.buildgraph.address import Address, AddressInput
from graphpub.buildgraph.config import Dialect
from graphpub.buildgraph.target import (
    FrozenDict,
    PackageContext,
    RuleCall,
    Target,
    file_entries,
    freeze,
    generic_target,
    parse_in_package,
)
from graphpub.errors import BuildFileError, SourceLocation
from graphpub.rules import requirements
from graphpub.rules.schema import Field, FieldError, Generates, Role, RuleSchema

# `parametrize()` values, as JSON-able markers (rule arguments cross into Python as JSON).
PARAMETRIZE = "__parametrize__"
PARAMETRIZE_GROUP = "__parametrize_group__:"
PARAMETRIZE_LABELS = "__parametrize_labels__"  # names of `parametrize(a=..., b=...)` values
# `__defaults__` of a package, kept in its settings.
DEFAULTS_SETTING = "__defaults__"

# How a target generator finds what to generate: `(package, fields) -> [(suffix, fields)]`.
Expander = Callable[
    [PackageContext, Mapping[str, Any], RuleCall], Sequence[tuple[str, Mapping[str, Any]]]
]


class SchemaRuleSet:
    """Rules with schemas, per dialect, plus opaque rules known by name."""

    def __init__(
        self,
        schemas: Iterable[RuleSchema],
        *,
        opaque: Iterable[str] = (),
        functions: Mapping[str, Callable[..., object]] | None = None,
        prelude: str = "",
        common_fields: Mapping[str, Sequence[Field]] | None = None,
        expanders: Mapping[Generates, Expander] | None = None,
        default_sources: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self._by_dialect: dict[str, dict[str, RuleSchema]] = {}
        for schema in schemas:
            complete = schema.with_fields(*(common_fields or {}).get(schema.dialect, ()))
            self._by_dialect.setdefault(schema.dialect, {})[schema.kind] = complete
        self._defaults = {
            (dialect, kind): {f.name: f.default for f in s.fields if f.default is not None}
            for dialect, schemas_ in self._by_dialect.items()
            for kind, s in schemas_.items()
        }
        self._opaque = frozenset(opaque)
        self._functions = dict(functions or {})
        self._prelude = prelude
        self._expanders = dict(expanders or {})
        # Pants: the `sources` an opaque target generator owns when its call names none.
        self._default_sources = dict(default_sources or {})
        # Source lists repeat across targets (`["__init__.py"]`, `["util.py"]`): each is kept
        # once, by the targets' fields and their `sources` alike.
        self._source_lists: dict[tuple[str, ...], tuple[str, ...]] = {}
        # What one call of a rule needs of its schema, worked out once per rule (every target
        # of the repository is made through one).
        self._plans: dict[tuple[str, str], _Plan] = {}

    # ------------------------------------------------------------ RuleSet

    def rule_names(self) -> Collection[str]:
        names = set(self._opaque)
        for schemas in self._by_dialect.values():
            names.update(schemas)
        return names

    def functions(self) -> Mapping[str, Callable[..., object]]:
        return self._functions

    def prelude_source(self) -> str:
        return self._prelude

    def instantiate(self, call: RuleCall) -> Sequence[Target]:
        schema = self.schema_for(call.kind, call.package.dialect)
        if schema is None:
            defaults = self._default_sources.get(call.kind)
            if defaults and call.package.dialect is Dialect.PANTS and "sources" not in call.kwargs:
                call = dataclasses.replace(call, kwargs={**call.kwargs, "sources": list(defaults)})
            if "name" not in call.kwargs and call.package.dialect is not Dialect.PANTS:
                # A macro of the ecosystem making targets of its own naming (Buck2's
                # `erlang_tests(suites = [...])`): graphpub cannot see them.
                return []
            return [generic_target(call)]
        return _Instantiation(self, schema, call).targets()

    def external_target(
        self, address: Address, referenced_at: SourceLocation, python_hubs: Collection[str]
    ) -> Target:
        return requirements.external_target(address, referenced_at, python_hubs)

    def describes(self, kind: str, dialect: Dialect) -> bool:
        return self.schema_for(kind, dialect) is not None

    # ------------------------------------------------------------ schemas

    def schemas(self) -> list[RuleSchema]:
        return sorted(
            (s for schemas in self._by_dialect.values() for s in schemas.values()),
            key=lambda s: (s.dialect, s.kind),
        )

    def schema_for(self, kind: str, dialect: Dialect) -> RuleSchema | None:
        # (`_value_`, not `value`: a plain attribute, read for every rule call.)
        own = self._by_dialect.get(dialect._value_, {}).get(kind)
        if own is not None or dialect is not Dialect.GRAPHPUB:
            return own
        for candidate in (Dialect.PANTS, Dialect.BAZEL, Dialect.BUCK2):
            found = self._by_dialect.get(candidate.value, {}).get(kind)
            if found is not None:
                return found
        return None

    def schemas_named(self, kind: str) -> list[RuleSchema]:
        return [s for s in self.schemas() if s.kind == kind]

    def defaults(self, schema: RuleSchema) -> Mapping[str, Any]:
        return self._defaults[(schema.dialect, schema.kind)]

    def plan(self, schema: RuleSchema) -> _Plan:
        """What making a target of `schema` needs of it and of this rule set, looked up once."""
        key = (schema.dialect, schema.kind)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _Plan.of(self, schema)
        return plan

    def expander(self, how: Generates) -> Expander:
        return self._expanders[how]

    def shared_sources(self, sources: tuple[str, ...]) -> tuple[str, ...]:
        """The one tuple equal to `sources` that targets keep."""
        try:
            return self._source_lists.setdefault(sources, sources)
        except TypeError:  # (a value no schema of graphpub's makes: one that is not hashable)
            return sources


@dataclass(frozen=True, slots=True)
class _Plan:
    """What making the targets of one rule takes from its schema and the rule set: looked up
    once per rule, not once per call."""

    dialect: Dialect
    defaults: Mapping[str, Any]
    dependency_fields: tuple[str, ...]
    source_fields: tuple[str, ...]
    # The fields of the targets it generates that name dependencies (a generated target
    # whose values there are the generator's has the generator's dependencies, parsed once).
    generated_dependency_fields: tuple[str, ...]
    expander: Expander | None

    @staticmethod
    def of(rule_set: SchemaRuleSet, schema: RuleSchema) -> _Plan:
        generator = schema.generator
        dialect = Dialect(schema.dialect)
        generated_dependency_fields: tuple[str, ...] = ()
        expander = None
        if generator is not None:
            generated = rule_set.schema_for(generator.kind, dialect)
            if generated is not None:
                generated_dependency_fields = generated.fields_with_role(Role.DEPENDENCIES)
            with contextlib.suppress(KeyError):  # (then the call fails as it did before)
                expander = rule_set.expander(generator.how)
        return _Plan(
            dialect,
            rule_set.defaults(schema),
            schema.fields_with_role(Role.DEPENDENCIES),
            schema.fields_with_role(Role.SOURCES),
            generated_dependency_fields,
            expander,
        )


# Types of values that are never a `parametrize()` (a dict): most values, told apart by `type`
# alone rather than an ABC's isinstance check.
_PLAIN_TYPES = frozenset({str, list, tuple, bool, int, float, type(None)})


class _Instantiation:
    """One rule call made into its target(s)."""

    __slots__ = ("call", "package", "plan", "rule_set", "schema")

    def __init__(self, rule_set: SchemaRuleSet, schema: RuleSchema, call: RuleCall) -> None:
        self.rule_set = rule_set
        self.schema = schema
        self.call = call
        self.package = call.package
        self.plan = rule_set.plan(schema)

    def fail(self, message: str, hint: str | None = None) -> BuildFileError:
        return BuildFileError(
            f"{self.schema.kind}(): {message}", location=self.call.location, hint=hint
        )

    def targets(self) -> list[Target]:
        if self.call.args:
            raise self.fail(
                f"takes keyword arguments only, got {len(self.call.args)} positional",
                hint=f'write {self.schema.kind}(name = "...", ...)',
            )
        # `**parametrize("py3", ...)` groups arrive as keywords of their own (several in one
        # call: merged by buildgraph.python_compat).
        defaults = self._package_defaults()
        arguments = {**defaults, **self.call.kwargs} if defaults else self.call.kwargs
        if not _parametrized(arguments):  # (most calls: one target, or one generator's)
            return self._targets_of((), arguments)
        made: list[Target] = []
        for parameters, variant in self._parametrizations(arguments):
            made.extend(self._targets_of(parameters, variant))
        return made

    def _package_defaults(self) -> Mapping[str, Any]:
        """Pants `__defaults__` of this package and those above it, for this rule."""
        if self.plan.dialect is not Dialect.PANTS:
            return _NO_DEFAULTS
        own = self.package.settings.get(DEFAULTS_SETTING)
        above = self.package.ancestor_settings(DEFAULTS_SETTING)
        if not own and not above:  # (most packages: none set anywhere above them)
            return _NO_DEFAULTS
        collected: list[Mapping[str, Any]] = []
        for layer in (own, *above):  # nearest first
            if not layer:
                continue
            entry = {**layer["all"], **layer["types"].get(self.schema.kind, {})}
            if entry:
                collected.append(entry)
                if not layer["extend"]:
                    break  # without extend=True, the nearest defaults replace those above
        merged: dict[str, Any] = {}
        for entry in reversed(collected):
            merged.update(entry)
        return {k: v for k, v in merged.items() if k in self.schema.field_map}

    def _parametrizations(
        self, arguments: Mapping[str, Any]
    ) -> list[tuple[tuple[tuple[str, str], ...], dict[str, Any]]]:
        """`parametrize()` values multiplied out: one set of arguments per combination."""
        plain = {k: v for k, v in arguments.items() if not k.startswith(PARAMETRIZE_GROUP)}
        axes: list[list[tuple[tuple[str, str], dict[str, Any]]]] = []
        for key, value in plain.items():
            if isinstance(value, Mapping) and PARAMETRIZE in value:
                values = value[PARAMETRIZE]
                labels = value.get(PARAMETRIZE_LABELS) or [str(v) for v in values]
                axes.append(
                    [((key, label), {key: v}) for label, v in zip(labels, values, strict=True)]
                )
        groups = [
            (k[len(PARAMETRIZE_GROUP) :], v)
            for k, v in arguments.items()
            if k.startswith(PARAMETRIZE_GROUP)
        ]
        if groups:
            axes.append([(("parametrize", name), dict(fields)) for name, fields in groups])
        if not axes:
            return [((), dict(plain))]
        variants = []
        for combination in itertools.product(*axes):
            variant = dict(plain)
            for _, values in combination:
                variant.update(values)
            parameters = tuple(sorted(pair for pair, _ in combination))
            variants.append((parameters, variant))
        return variants

    def _targets_of(
        self, parameters: tuple[tuple[str, str], ...], arguments: Mapping[str, Any]
    ) -> list[Target]:
        plan = self.plan
        name = self._name(arguments)
        fields = self._validated(arguments)
        directory = self.package.directory
        location = self.call.location
        address = Address(directory, name, parameters=parameters)
        dependencies = self._dependencies(fields, plan.dependency_fields)
        sources = self.rule_set.shared_sources(_declared_sources(fields, plan.source_fields))
        target = Target(address, self.schema.kind, fields, location, dependencies, sources)
        made = [target]
        for suffix, kind in self.schema.companions:
            made.append(
                Target(
                    address=Address(directory, name + suffix, parameters=parameters),
                    kind=kind,
                    fields={"target": f":{name}"},
                    location=location,
                    dependencies=(AddressInput.of(address),),
                )
            )
        generator = self.schema.generator
        if generator is None:
            return made
        expander = plan.expander or self.rule_set.expander(generator.how)
        dependency_fields = plan.generated_dependency_fields
        if self.package.dialect is not plan.dialect:
            # (A file of another dialect using this one's rule: its own schema of the kind
            # generated, if it has one, says which fields name dependencies.)
            generated_schema = self.rule_set.schema_for(generator.kind, self.package.dialect)
            dependency_fields = (
                generated_schema.fields_with_role(Role.DEPENDENCIES) if generated_schema else ()
            )
        per_file = generator.how is Generates.PER_SOURCE_FILE
        shared = self.rule_set.shared_sources
        generated_kind = generator.kind
        for suffix, generated_fields in expander(self.package, fields, self.call):
            if all(generated_fields.get(f) is fields.get(f) for f in dependency_fields):
                inherited = dependencies  # as most are: parsed once
            else:
                inherited = self._dependencies(generated_fields, dependency_fields)
            made.append(
                Target(
                    Address(directory, name, suffix, "", parameters)
                    if per_file
                    else Address(directory, name, "", suffix, parameters),
                    generated_kind,
                    generated_fields,
                    location,
                    inherited,
                    shared((suffix,)) if per_file else (),
                    address,
                )
            )
        # (The generator first, then its companions and the targets it generated.)
        return made

    def _name(self, arguments: Mapping[str, Any]) -> str:
        name = arguments.get("name")
        if name is None:
            if self.schema.name_required:
                raise self.fail(
                    "missing the required field 'name'",
                    hint=f'add name = "..." to the {self.schema.kind}() call',
                )
            if not self.package.directory:
                raise self.fail("a target at the build root needs a name", hint='add name = "..."')
            return self.package.directory.rsplit("/", 1)[-1]
        if not isinstance(name, str) or not name:
            raise self.fail(f"'name' must be a non-empty string, got {name!r}")
        return sys.intern(name)  # `lib`, `tests`: the same few names in every package

    def _validated(self, arguments: Mapping[str, Any]) -> Mapping[str, Any]:
        """The fields checked and frozen (kept by each target made, in its compact form)."""
        values = self._checked(self.schema, arguments, dict(self.plan.defaults))
        for field_ in self.schema.required:
            if field_.name not in values:
                raise self.fail(
                    f"missing the required field '{field_.name}'",
                    hint=f"{field_.name}: {field_.help}",
                )
        overrides = values.get("overrides")
        generator = self.schema.generator
        if overrides and generator is not None:
            generated = self.rule_set.schema_for(generator.kind, self.package.dialect)
            if generated is not None:
                values["overrides"] = FrozenDict(
                    {
                        key: FrozenDict(
                            self._checked(generated, fields, {}, f"overrides[{key!r}]: ")
                        )
                        for key, fields in overrides.items()
                    }
                )
        return values

    def _checked(
        self,
        schema: RuleSchema,
        arguments: Mapping[str, Any],
        values: dict[str, Any],
        where: str = "",
    ) -> dict[str, Any]:
        """`values` with `arguments` added, each checked against its field in `schema`."""
        if type(arguments) is not dict and not isinstance(arguments, Mapping):
            raise self.fail(f"{where}expected a dict of field values, got {arguments!r:.60}")
        field_map = schema.field_map
        for key, value in arguments.items():
            if key == "name" or value is None:
                continue
            field_ = field_map.get(key)
            if field_ is None:
                close = difflib.get_close_matches(key, list(field_map), n=1, cutoff=0.6)
                hint = (
                    f"did you mean '{close[0]}'?"
                    if close
                    else f"see the fields with: graphpub help {schema.kind}"
                )
                if self.package.plugin_fields:  # a field the repository's own plugins add
                    self.package.warn(
                        f"{self.call.location}: {schema.kind}(): {where}field '{key}' is none "
                        f"graphpub knows: kept, as a plugin of the repository's may add it "
                        f"({hint}; strict_rules = true makes this an error)",
                        key=f"plugin-field:{schema.kind}:{key}",
                    )
                    values[key] = freeze(value)
                    continue
                raise self.fail(f"{where}unknown field '{key}'", hint=hint)
            try:
                checked = field_.type.check(value)
            except FieldError as e:
                raise self.fail(f"{where}field '{key}': {e.message}", hint=e.hint) from None
            if type(checked) is tuple:  # (already frozen: as freeze would leave it)
                if field_.role is Role.SOURCES:
                    checked = self.rule_set.shared_sources(checked)
            else:
                checked = freeze(checked)
                if field_.role is Role.SOURCES and type(checked) is tuple:
                    checked = self.rule_set.shared_sources(checked)
            # The schema's own name as the key: one string for every target's field.
            values[field_.name] = checked
        return values

    def _dependencies(
        self, fields: Mapping[str, Any], names: Iterable[str]
    ) -> tuple[AddressInput, ...]:
        package = self.package
        parsed = []
        for name in names:
            value = fields.get(name)
            if not value:
                continue
            for entry in (value,) if isinstance(value, str) else value:
                parsed.append(parse_in_package(entry, package, self.call.location))
        return tuple(parsed)


_NO_DEFAULTS: Mapping[str, Any] = FrozenDict()


def _parametrized(arguments: Mapping[str, Any]) -> bool:
    """Whether any argument is a `parametrize()` (a value, or a group of its own)."""
    for key, value in arguments.items():
        if key.startswith(PARAMETRIZE_GROUP):
            return True
        if type(value) not in _PLAIN_TYPES and isinstance(value, Mapping) and PARAMETRIZE in value:
            return True
    return False


def _declared_sources(fields: Mapping[str, Any], names: Iterable[str]) -> tuple[str, ...]:
    """File entries of source fields: lists, a single `source`, or Buck2 `{dest: src}`."""
    declared: list[str] = []
    for name in names:
        value = fields.get(name)
        if type(value) is not tuple and isinstance(value, Mapping):
            value = list(value.values())
        declared.extend(file_entries((value,) if isinstance(value, str) else value or ()))
    return tuple(declared)
