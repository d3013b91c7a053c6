"""What each distribution holds and requires, by Pants' ownership rules and the Bazel / Buck2
wheel rules.

Pants: a target is owned by the python_distribution that depends on it (directly or not) and
is its closest ancestor in the file tree. Code a distribution reaches but another owns becomes
a `name==version` requirement on that other distribution; third-party requirements reached by
owned code become Requires-Dist.
"""

from __future__ import annotations

import dataclasses
import itertools
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from graphpub.buildgraph.address import Address
from graphpub.buildgraph.graph import BuildGraph
from graphpub.errors import GraphpubError
from graphpub.publish import bazel_wheel, buck2_wheel
from graphpub.rules.distribution import Distribution, distributions, is_distributable
from graphpub.rules.requirements import REQUIREMENT_KIND

# Targets whose files a Pants python_distribution packages, owned by one distribution each
# (a python_test has a Python source field too; a vcs_version generates one).
EXPORTED_KINDS = frozenset({"python_source", "python_test", "resource", "vcs_version"})
# Pants `files`: not owned, in every distribution whose closure has them (and packaged by a
# generated project only where they lie inside one of its packages).
LOOSE_FILE_KINDS = frozenset({"file"})
# Pants generators of those: depending on one is depending on each file it generates for.
_SOURCE_GENERATORS = frozenset(
    {"python_sources", "python_tests", "python_test_utils", "resources", "files"}
)
# Targets with an `interpreter_constraints` field (Pants' InterpreterConstraintsField).
_CONSTRAINED_KINDS = frozenset(
    {"python_source", "python_test", "python_distribution", "pex_binary"}
)


class NoOwnerError(GraphpubError):
    """Code a distribution needs that no distribution owns."""


class AmbiguousOwnerError(GraphpubError):
    """Code two distributions could own, neither closer than the other."""


class FirstPartyVersionError(GraphpubError):
    """A requirement on a distribution of the repository that excludes the version it has."""


class IncompleteWheelError(GraphpubError):
    """A wheel that lacks files its own build system's wheel holds (files a build makes)."""


@dataclass(frozen=True)
class Contents:
    """What one distribution holds and requires."""

    distribution: Distribution
    owned: tuple[Address, ...]
    files: tuple[str, ...]
    """Its files: for a generated project those it owns, for a project that describes itself
    (generate_setup=False) everything its dependency closure brings, as Pants' chroot has it."""
    requirements: tuple[str, ...]
    """Requires-Dist: third-party requirements and pins of other distributions here, sorted as
    Pants sorts them (for a project that describes itself: what its backend reports)."""
    depends_on: tuple[Address, ...]
    """The other distributions of this repository it requires."""
    requires_python: str | None
    loose_files: tuple[str, ...] = ()
    """Files of `files` targets its closure has (a generated project packages those inside its
    packages, as Pants' setup.py package_data does)."""
    generated: tuple[Address, ...] = ()
    """The vcs_version targets whose generated file it holds."""
    first_party_conflicts: tuple[GraphpubError, ...] = ()
    """Requirements naming a distribution of this repository at a version it does not have:
    built as written (a warning), refused for publishing (the index of another could satisfy
    them: dependency confusion)."""
    incomplete: tuple[GraphpubError, ...] = ()
    """Files its build system's wheel holds that graphpub's lacks (a build makes them): built
    without them (a warning), refused for publishing (the wheel would not work)."""

    @property
    def describes_itself(self) -> bool:
        return self.distribution.own_project


Describe = Callable[[Sequence[Contents]], Mapping[Address, Contents]]
"""Contents of projects that describe themselves, with the name, version and requirements
their backends report (publish.build.describe_projects)."""


def contents(
    graph: BuildGraph,
    addresses: Sequence[Address],
    *,
    required: bool = False,
    describe: Describe | None = None,
) -> dict[Address, Contents]:
    """The contents of the distributions at `addresses`, and with `required` of the other
    distributions of the repository they require, and so on (the graph should hold inferred
    dependencies, as `publish.inference.infer_dependencies` adds them). Projects that describe
    themselves are passed to `describe`, which tells what their backends make of them."""
    graph.load_all()  # an owner may be anywhere above the code it owns
    views = distributions(graph, [t.address for t in graph.targets() if is_distributable(t)])
    owners = _Owners(graph, views)
    names: dict[str, list[Distribution]] = {}
    for other in views.values():
        if other.name:
            names.setdefault(canonicalize_name(other.name), []).append(other)
    parts: dict[Address, _Parts] = {}
    wanted = set(addresses)
    pending = list(addresses)
    while pending:  # what is wanted, and what it requires (whose versions pin it)
        address = pending.pop(0)
        view = views.get(address)
        if view is None or address in parts:
            continue
        if view.kind == "python_distribution":
            parts[address] = owners.parts(view)
        else:
            parts[address] = _wheel_rule_parts(graph, view, names)
        if required:
            wanted.update(parts[address].depends_on)
        pending.extend(parts[address].depends_on)
    result: dict[Address, Contents] = {}
    for address, part in parts.items():
        view = _with_vcs_version(graph, views[address], part)
        views[address] = view
        if view.own_project:
            result[address] = part.contents(view, (), None)
    own = [result[a] for a in sorted(result)]
    if own and describe is not None:
        for address, described in describe(own).items():
            result[address] = described
            views[address] = described.distribution
    for address, part in parts.items():
        view = views[address]
        if view.own_project:
            continue
        if view.kind != "python_distribution":
            result[address] = part.contents(view, view.requirements, part.requires_python)
            continue
        requirements = _requirements(part.third_party, part.depends_on, views, graph)
        result[address] = part.contents(view, requirements, owners.requires_python(view))
    return {a: c for a, c in result.items() if a in wanted}


@dataclass(frozen=True)
class _Parts:
    """What the graph says of a distribution, before the versions of others are known."""

    owned: tuple[Address, ...]
    files: tuple[str, ...]
    third_party: tuple[str, ...]
    depends_on: tuple[Address, ...]
    loose_files: tuple[str, ...] = ()
    generated: tuple[Address, ...] = ()
    requires_python: str | None = None
    first_party_conflicts: tuple[GraphpubError, ...] = ()
    incomplete: tuple[GraphpubError, ...] = ()

    def contents(
        self, view: Distribution, requirements: Sequence[str], requires_python: str | None
    ) -> Contents:
        return Contents(
            distribution=view,
            owned=self.owned,
            files=self.files,
            requirements=tuple(requirements),
            depends_on=self.depends_on,
            requires_python=requires_python,
            loose_files=self.loose_files,
            generated=self.generated,
            first_party_conflicts=self.first_party_conflicts,
            incomplete=self.incomplete,
        )


def _with_vcs_version(graph: BuildGraph, view: Distribution, part: _Parts) -> Distribution:
    """A Pants distribution whose python_artifact() names no version takes it from the
    vcs_version target whose file it holds (the version Pants users wire in with a plugin)."""
    if view.raw_version or view.kind != "python_distribution" or view.own_project:
        return view
    if len(part.generated) != 1:
        return view
    from graphpub.publish.vcs_version import vcs_version

    version = vcs_version(graph, graph.target(part.generated[0]))
    return dataclasses.replace(view, version=version, raw_version=version)


class _Owners:
    """Pants ownership over every python_distribution of the repository."""

    def __init__(self, graph: BuildGraph, views: dict[Address, Distribution]) -> None:
        self.graph = graph
        self.views = views
        self.pants = [a for a, v in views.items() if v.kind == "python_distribution"]
        self.closures = {d: graph.dependencies([d], transitive=True) for d in self.pants}

    def owner_of(self, target: Address, needed_by: Address) -> Address:
        residence = target.residence
        candidates = [
            d
            for d in self.pants
            if target in self.closures[d] and _is_ancestor(d.directory, residence)
        ]
        render = self.graph.config.render
        closest_depth = max((len(_parts(c.directory)) for c in candidates), default=-1)
        failed = [
            (directory, error)
            for directory, error in self.graph.failures.items()
            if _is_ancestor(directory, residence) and len(_parts(directory)) > closest_depth
        ]
        if failed:  # a closer owner may be in a package that failed: that is the error
            directory, error = max(failed, key=lambda item: len(_parts(item[0])))
            raise NoOwnerError(
                error.message,
                location=error.location,
                hint=f"the python_distribution that owns {render(target)}, which "
                f"{render(needed_by)} needs, may be in '{directory or '//'}'",
            )
        if not candidates:
            raise NoOwnerError(
                f"no python_distribution owns {render(target)}, which {render(needed_by)} needs",
                location=self.graph.target(target).location,
                hint=(
                    "the owner must be in or above the owned target's directory and depend "
                    f"on it (directly or not): add {render(target)} to the dependencies of a "
                    "python_distribution there, or move one up"
                ),
            )
        deepest = max(len(_parts(c.directory)) for c in candidates)
        closest = sorted(c for c in candidates if len(_parts(c.directory)) == deepest)
        if len(closest) > 1:
            raise AmbiguousOwnerError(
                f"{render(target)} is owned by several python_distributions as close to it: "
                + ", ".join(render(c) for c in closest),
                location=self.graph.target(target).location,
                related=tuple(self.graph.target(c).location for c in closest),
                hint=(
                    "only one may depend on it: remove it from the dependencies of all but one "
                    "(or exclude it there with `!`)"
                ),
            )
        return closest[0]

    def parts(self, view: Distribution) -> _Parts:
        if view.own_project:
            return self._own_project_parts(view)
        graph = self.graph
        owned: list[Address] = []
        depends_on: list[Address] = []
        third_party: list[str] = []
        seen: set[Address] = set()
        frontier = list(graph.dependencies([view.address], transitive=False))
        closure = self.closures[view.address]
        while frontier:
            current = frontier.pop()
            if current in seen:
                continue
            seen.add(current)
            target = graph.target(current)
            if current not in closure:
                # Excluded with `!!` by a target of the closure: neither owned nor required
                # (Pants leaves it out of TransitiveTargets), but what it needs stays.
                frontier.extend(graph.dependencies([current], transitive=False))
                continue
            if target.kind == REQUIREMENT_KIND:
                # Pants: a requirement's own requirement dependencies are the distribution's too.
                third_party.extend(_requirement_closure(graph, current))
                continue
            if is_distributable(target) and current != view.address:
                depends_on.append(current)  # a distribution named directly: require it
                continue
            if target.kind in EXPORTED_KINDS:
                owner = self.owner_of(current, view.address)
                if owner != view.address:
                    depends_on.append(owner)
                    continue  # its code, and what it needs, belong to the other distribution
                owned.append(current)
            dependencies = graph.dependencies([current], transitive=False)
            generated = [d for d in dependencies if graph.target(d).generator == current]
            # Pants: depending on a target generator is depending on what it generates.
            frontier.extend(generated or dependencies)
        loose = sorted(
            {
                f
                for t in map(graph.target, closure)  # a set, sorted once made
                if t.kind in LOOSE_FILE_KINDS
                for f in graph.owned_files(t)
            }
        )
        files = sorted({f for a in owned for f in graph.owned_files(graph.target(a))})
        return _Parts(
            owned=tuple(sorted(owned)),
            files=tuple(files),
            third_party=tuple(third_party),
            depends_on=tuple(sorted(set(depends_on))),
            loose_files=tuple(f for f in loose if f not in files),
            generated=tuple(a for a in sorted(owned) if graph.target(a).kind == "vcs_version"),
        )

    def _own_project_parts(self, view: Distribution) -> _Parts:
        """Pants' chroot for a project that describes itself: the sources, resources and files
        of its whole closure, where they lie, with their packages' __init__.py; no ownership
        (the backend decides what it packages). The other distributions its closure names are
        what it requires of this repository."""
        graph = self.graph
        closure = [graph.target(a) for a in sorted(self.closures[view.address])]
        kinds = EXPORTED_KINDS | LOOSE_FILE_KINDS | _SOURCE_GENERATORS
        chroot = {f for t in closure if t.kind in kinds for f in graph.owned_files(t)}
        chroot |= _ancestor_inits(graph, chroot)
        return _Parts(
            owned=tuple(t.address for t in closure if t.kind in EXPORTED_KINDS),
            files=tuple(sorted(chroot)),
            third_party=(),
            depends_on=tuple(
                t.address for t in closure if is_distributable(t) and t.address != view.address
            ),
            generated=tuple(t.address for t in closure if t.kind == "vcs_version"),
        )

    def requires_python(self, view: Distribution) -> str | None:
        """Requires-Python as Pants' generated setup.py has it: the one interpreter constraint
        its closure's targets merge to (each target's own, else its resolve's, else pants.toml's),
        with the interpreter's name left out."""
        graph = self.graph
        config = graph.config
        sets = []
        for address in [view.address, *sorted(self.closures[view.address])]:
            target = graph.target(address)
            if target.kind not in _CONSTRAINED_KINDS:
                continue
            own = target.fields.get("interpreter_constraints")
            resolve = str(target.fields.get("resolve") or config.default_resolve)
            sets.append(
                tuple(own or ())
                or config.resolves_to_interpreter_constraints.get(resolve)
                or config.interpreter_constraints
            )
        try:
            merged = merge_interpreter_constraints(sets)
        except ValueError as e:
            raise GraphpubError(
                f"{view.label}: {e}", location=view.location, hint=_CONSTRAINT_HINT
            ) from None
        if len(merged) > 1:
            raise GraphpubError(
                f"expected a single interpreter constraint for {view.label}, got: "
                + " OR ".join(merged),
                location=view.location,
                hint=_CONSTRAINT_HINT,
            )
        if not merged:
            return None
        return str(Requirement(merged[0]).specifier) or None


_CONSTRAINT_HINT = (
    "a distribution's Requires-Python is one constraint: write the alternatives as one with "
    "exclusions (>=2.7,<3 OR >=3.5 is >=2.7,!=3.0.*,!=3.1.*,!=3.2.*,!=3.3.*,!=3.4.*), or give "
    "python_artifact() a python_requires"
)


def merge_interpreter_constraints(sets: Iterable[Sequence[str]]) -> list[str]:
    """Pants' merge of interpreter constraints: alternatives (OR) within a set, all sets
    (AND) across; `>=3.8` means `CPython>=3.8`. The result's alternatives, sorted."""
    parsed = {frozenset(str(_constraint(c)) for c in one) for one in sets if one}
    if not parsed:
        return []
    if len(parsed) == 1:
        return sorted(next(iter(parsed)))
    merged: set[str] = set()
    for combination in itertools.product(*parsed):
        requirements = [Requirement(c) for c in combination]
        if len({r.name for r in requirements}) > 1:
            continue  # two interpreters at once: impossible
        specifier = SpecifierSet()
        for requirement in requirements:
            specifier &= requirement.specifier
        merged.add(f"{requirements[0].name}{specifier}")
    if not merged:
        raise ValueError(
            "these interpreter constraints cannot be merged, as they require different "
            "interpreters: " + " AND ".join(f"({' OR '.join(sorted(s))})" for s in parsed)
        )
    return sorted(merged)


def _constraint(text: str) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement:
        try:
            return Requirement(f"CPython{text}")
        except InvalidRequirement:
            raise ValueError(f"invalid interpreter constraint {text!r}") from None


def _requirement_closure(graph: BuildGraph, address: Address) -> list[str]:
    found = list(graph.target(address).fields.get("requirements", ()))
    for other in sorted(graph.dependencies([address], transitive=True)):
        target = graph.target(other)
        if target.kind == REQUIREMENT_KIND:
            found.extend(target.fields.get("requirements", ()))
    return found


def _ancestor_inits(graph: BuildGraph, files: Iterable[str]) -> set[str]:
    """The `__init__.py` / `__init__.pyi` files above Python files that exist, which Pants
    always adds to a chroot of Python sources."""
    found: set[str] = set()
    directories: set[str] = set()
    for path in files:
        if not path.endswith((".py", ".pyi")):
            continue
        directory = posixpath.dirname(path)
        while directory not in directories:
            directories.add(directory)
            if not directory:
                break
            directory = posixpath.dirname(directory)
    for directory in directories:
        for name in ("__init__.py", "__init__.pyi"):
            candidate = posixpath.join(directory, name)
            if graph.tree_has_file(candidate):
                found.add(candidate)
    return found


def _wheel_rule_parts(
    graph: BuildGraph, view: Distribution, names: Mapping[str, Sequence[Distribution]]
) -> _Parts:
    """py_wheel packs its deps' files (a py_package's filtered closure), Buck2 python_wheel
    its libraries' own files, as their rules do; a `requires` entry naming another
    distribution of the repository makes it a first-party dependency."""
    target = graph.target(view.address)
    incomplete: tuple[GraphpubError, ...] = ()
    if view.kind == "py_wheel":
        packed = bazel_wheel.packaged(graph, target)
        files, owned = packed.files, packed.owners
        incomplete = tuple(_left_out_error(graph, view, left) for left in packed.left_out)
    else:
        placed = buck2_wheel.placed(graph, target)
        files, owned = tuple(sorted({path for _, path in placed.files})), placed.owners
    depends_on, conflicts = _first_party(graph, view, names)
    return _Parts(
        owned=tuple(sorted(owned)),
        files=files,
        third_party=view.requirements,
        depends_on=depends_on,
        requires_python=view.metadata.get("python_requires"),
        first_party_conflicts=conflicts,
        incomplete=incomplete,
    )


def _left_out_error(
    graph: BuildGraph, view: Distribution, left: bazel_wheel.LeftOut
) -> IncompleteWheelError:
    maker = graph.config.render(left.maker.address)
    if left.external:
        return IncompleteWheelError(
            f"{view.label} lacks {left.what} of {maker} (in a repository this checkout does "
            "not hold), which the wheel Bazel builds holds: it is not published without them",
            location=view.location,
            hint="publish the wheel `bazel build` makes (twine upload bazel-bin/...)",
        )
    return IncompleteWheelError(
        f"{view.label} lacks {left.what} made by {maker} ({left.maker.kind}) in a build, "
        "which the wheel Bazel builds holds: it is not published without them",
        location=left.maker.location,
        related=(view.location,),
        hint="check the files in and name them, or publish the wheel `bazel build` makes "
        "(twine upload bazel-bin/...)",
    )


def _first_party(
    graph: BuildGraph, view: Distribution, names: Mapping[str, Sequence[Distribution]]
) -> tuple[tuple[Address, ...], tuple[GraphpubError, ...]]:
    """The other distributions of the repository a wheel rule's requirements name (PEP 503
    names compared): published before it, and where it goes, as Pants' pins are; and the
    requirements excluding the version such a distribution has, which would come from
    elsewhere."""
    found: list[Address] = []
    conflicts: list[GraphpubError] = []
    for text in view.requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue  # the build says what is wrong with it, at its line
        for other in names.get(canonicalize_name(requirement.name), ()):
            if other.address == view.address:
                continue
            version = other.checked_version()
            if requirement.specifier and not requirement.specifier.contains(
                version, prereleases=True
            ):
                target = graph.target(view.address)
                conflict = FirstPartyVersionError(
                    f"{view.label} requires {text!r}, but {other.label} of this repository "
                    f"is version {version}: installing {view.name} would take {other.name} "
                    "from elsewhere",
                    location=graph.locate_written(target, text),
                    related=(other.location,),
                    hint=f"require the version the repository builds ({other.name}=={version})",
                )
                graph.warn(f"{conflict.location}: {conflict.message}", key=f"{conflict}")
                conflicts.append(conflict)
                continue
            found.append(other.address)
    return tuple(sorted(set(found))), tuple(conflicts)


def _requirements(
    third_party: Iterable[str],
    depends_on: Iterable[Address],
    views: Mapping[Address, Distribution],
    graph: BuildGraph,
) -> tuple[str, ...]:
    """Pants' install_requires: each requirement as `packaging` writes it, and a pin of each
    other distribution required (`name==version`, `~=` or none by the version scheme), all
    sorted together, as Pants' ExportedTargetRequirements sorts them."""
    scheme = graph.config.first_party_version_scheme
    found = {_written(r) for r in third_party}
    for address in set(depends_on):
        other = views[address]
        if not other.name:
            raise GraphpubError(
                f"{other.label} is required by another distribution, but its "
                "python_artifact() names no name to require it by",
                location=other.location,
                hint="give python_artifact() a name",
            )
        version = other.checked_version()
        if scheme != "any" and not version:
            raise GraphpubError(
                f"{other.label} is required by another distribution as {other.name}"
                f"{'==' if scheme == 'exact' else '~='}VERSION, but it has no version",
                location=other.location,
                hint="give python_artifact() a version (or a vcs_version target), or set "
                '[setup-py-generation] first_party_dependency_version_scheme = "any"'
                + (
                    "; if a plugin of the repository computes it (a SetupKwargs rule), port it "
                    "to Starlark and name it in setup_kwargs_plugin"
                    if graph.config.pants_plugins and not graph.config.setup_kwargs_plugin
                    else ""
                ),
            )
        if scheme == "exact":
            found.add(f"{other.name}=={version}")
        elif scheme == "compatible":
            found.add(f"{other.name}~={version}")
        else:
            found.add(other.name)
    return tuple(sorted(found))


def _written(requirement: str) -> str:
    """A requirement as `packaging` writes it (`requests>=2,<3` is `requests<3,>=2`), as Pants
    writes install_requires; an invalid one as it is (packaging reports it)."""
    try:
        return str(Requirement(requirement))
    except InvalidRequirement:
        return requirement


def _is_ancestor(directory: str, path: str) -> bool:
    return not directory or path == directory or path.startswith(directory + "/")


def _parts(directory: str) -> list[str]:
    return [p for p in posixpath.normpath(directory).split("/") if p and p != "."]
