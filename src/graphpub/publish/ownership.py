"""What each distribution holds and requires, by Pants' ownership rules and the Bazel / Buck2
wheel rules.

Pants: a target is owned by the python_distribution that depends on it (directly or not) and
is its closest ancestor in the file tree. Code a distribution reaches but another owns becomes
a `name==version` requirement on that other distribution; third-party requirements reached by
owned code become Requires-Dist.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from graphpub.buildgraph.address import Address
from graphpub.buildgraph.graph import BuildGraph
from graphpub.errors import GraphpubError
from graphpub.publish import bazel_wheel, buck2_wheel
from graphpub.rules.distribution import Distribution, distributions, is_distributable
from graphpub.rules.requirements import REQUIREMENT_KIND

# Targets whose files a Pants python_distribution packages.
EXPORTED_KINDS = frozenset({"python_source", "resource"})


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
    requirements: tuple[str, ...]
    """Requires-Dist: third-party requirements, then pins of other distributions here."""
    depends_on: tuple[Address, ...]
    """The other distributions of this repository it requires."""
    requires_python: str | None
    first_party_conflicts: tuple[GraphpubError, ...] = ()
    """Requirements naming a distribution of this repository at a version it does not have:
    built as written (a warning), refused for publishing (the index of another could satisfy
    them: dependency confusion)."""
    incomplete: tuple[GraphpubError, ...] = ()
    """Files its build system's wheel holds that graphpub's lacks (a build makes them): built
    without them (a warning), refused for publishing (the wheel would not work)."""


def contents(
    graph: BuildGraph, addresses: Sequence[Address], *, required: bool = False
) -> dict[Address, Contents]:
    """The contents of the distributions at `addresses`, and with `required` of the other
    distributions of the repository they require, and so on (the graph should hold inferred
    dependencies, as `publish.inference.infer_dependencies` adds them)."""
    graph.load_all()  # an owner may be anywhere above the code it owns
    views = distributions(graph, [t.address for t in graph.targets() if is_distributable(t)])
    owners = _Owners(graph, views)
    names: dict[str, list[Distribution]] = {}
    for other in views.values():
        if other.name:
            names.setdefault(canonicalize_name(other.name), []).append(other)
    result: dict[Address, Contents] = {}
    pending = list(addresses)
    while pending:
        address = pending.pop(0)
        view = views.get(address)
        if view is None or address in result:
            continue
        if view.kind == "python_distribution":
            result[address] = owners.pants_contents(view)
        else:
            result[address] = _wheel_rule_contents(graph, view, names)
        if required:
            pending.extend(result[address].depends_on)
    return result


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

    def pants_contents(self, view: Distribution) -> Contents:
        graph = self.graph
        owned: list[Address] = []
        depends_on: list[Address] = []
        third_party: list[str] = []
        seen: set[Address] = set()
        frontier = list(graph.dependencies([view.address], transitive=False))
        while frontier:
            current = frontier.pop()
            if current in seen:
                continue
            seen.add(current)
            target = graph.target(current)
            if target.kind == REQUIREMENT_KIND:
                third_party.extend(target.fields.get("requirements", ()))
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
        files = sorted({f for a in owned for f in graph.owned_files(graph.target(a))})
        return Contents(
            distribution=view,
            owned=tuple(sorted(owned)),
            files=tuple(files),
            requirements=_requirements(third_party, depends_on, self.views, graph),
            depends_on=tuple(sorted(set(depends_on))),
            requires_python=_requires_python(
                view.metadata.get("interpreter_constraints") or graph.config.interpreter_constraints
            ),
        )


def _wheel_rule_contents(
    graph: BuildGraph, view: Distribution, names: Mapping[str, Sequence[Distribution]]
) -> Contents:
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
    return Contents(
        distribution=view,
        owned=tuple(sorted(owned)),
        files=files,
        requirements=view.requirements,
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
    views: dict[Address, Distribution],
    graph: BuildGraph,
) -> tuple[str, ...]:
    scheme = graph.config.first_party_version_scheme
    pins = []
    for address in sorted(set(depends_on)):
        other = views[address]
        version = other.checked_version()
        if scheme == "exact":
            pins.append(f"{other.name}=={version}")
        elif scheme == "compatible":
            pins.append(f"{other.name}~={version}")
        else:
            pins.append(other.name)
    return tuple(sorted(set(third_party) | set(pins), key=str.lower))


def _requires_python(constraints: Sequence[str]) -> str | None:
    """Pants interpreter constraints (`CPython>=3.9,<3.13`) as Requires-Python."""
    if len(constraints) != 1:
        return None  # several are alternatives, which Requires-Python cannot say
    constraint = str(constraints[0])
    return re.sub(r"^[A-Za-z]+(?=[<>=!~])", "", constraint).strip() or None


def _is_ancestor(directory: str, path: str) -> bool:
    return not directory or path == directory or path.startswith(directory + "/")


def _parts(directory: str) -> list[str]:
    return [p for p in posixpath.normpath(directory).split("/") if p and p != "."]
