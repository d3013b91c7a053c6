"""One read-only view of every distributable target, whatever its dialect.

Pants `python_distribution`, rules_python `py_wheel` and Buck2 `python_wheel` say the same
things in different words; the publish stage reads only `Distribution`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphpub.buildgraph.address import Address, label_path
from graphpub.buildgraph.confined import inside_root_path, read_inside_root
from graphpub.buildgraph.graph import BuildGraph
from graphpub.buildgraph.hooks import Struct
from graphpub.buildgraph.specs import resolve_specs
from graphpub.buildgraph.target import Target, thaw
from graphpub.errors import (
    BuildFileError,
    GraphpubError,
    SourceLocation,
    describe_character,
    unsafe_character,
)
from graphpub.rules.bazel_outputs import written_file
from graphpub.rules.pants import check_artifact
from graphpub.rules.requirements import REQUIREMENT_KIND
from graphpub.rules.schema import FieldError
from graphpub.rules.wheel_names import wheelmaker_version

# Version stamps: Bazel's `{BUILD_EMBED_LABEL}` (filled by --stamp) and make variables
# `$(VERSION)` (filled by --define).
_STAMP = re.compile(
    r"\{(?P<stamp>[A-Za-z_][A-Za-z0-9_]*)\}|\$\((?P<define>[A-Za-z_][A-Za-z0-9_]*)\)"
)


@dataclass(frozen=True)
class Distribution:
    """What publishing needs to know of a distributable target."""

    address: Address
    label: str
    """The address as the repository's users write it, for messages."""
    kind: str
    name: str
    version: str
    """The version with every stamp whose value is known filled in."""
    unresolved_stamps: tuple[str, ...]
    carries: tuple[Address, ...]
    """The targets whose code it holds, as its rule names them (ownership refines this)."""
    requirements: tuple[str, ...]
    entry_points: Mapping[str, Mapping[str, str]]
    metadata: Mapping[str, Any]
    repositories: tuple[str, ...]
    skip_reason: str | None
    location: SourceLocation
    raw_version: str = field(repr=False, default="")
    own_project: bool = False
    """Pants `generate_setup=False`: the distribution is the project its directory describes
    (pyproject.toml, setup.py), built by its own backend; name, version and metadata are that
    backend's, and python_artifact() is not read."""
    plugin_inputs: tuple[str, ...] = ()
    """Root-relative files the setup_kwargs plugin read for it (the plugin's own first)."""

    def checked_version(self) -> str:
        """The version to publish; an error while a stamp in it has no value, but for a
        py_wheel, whose version is then what rules_python's wheelmaker makes of it
        (`{BUILD_EMBED_LABEL}` is `0+build.embed.label`), as Bazel builds without `--stamp`."""
        if self.kind == "py_wheel":
            return wheelmaker_version(self.version)
        if self.unresolved_stamps:
            first = self.unresolved_stamps[0]
            option = "--define" if first.startswith("$(") else "--stamp"
            key = first.strip("{}$()")
            raise GraphpubError(
                f"the version of {self.label} still holds {', '.join(self.unresolved_stamps)}: "
                f"{self.raw_version!r}",
                location=self.location,
                hint=(
                    f"give it a value: {option} {key}=1.2.3 "
                    "(or the `stamp` / `defines` config keys)"
                ),
            )
        return self.version

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "unresolved_stamps": list(self.unresolved_stamps),
            "carries": [str(a) for a in self.carries],
            "requirements": list(self.requirements),
            "entry_points": {g: dict(e) for g, e in self.entry_points.items()},
            "metadata": thaw(self.metadata),
            "repositories": list(self.repositories),
            "skip_reason": self.skip_reason,
        }


def distributions(graph: BuildGraph, addresses: Sequence[Address]) -> dict[Address, Distribution]:
    """The distribution views of those of `addresses` that are distributable."""
    extra = _configured_repositories(graph)
    views = {}
    for address in addresses:
        target = graph.target(address)
        build = _BUILDERS.get(target.kind)
        if build is not None:
            views[address] = _checked(build(target, graph, extra.get(address, ())), graph)
    return views


def _checked(view: Distribution, graph: BuildGraph) -> Distribution:
    """`view`, if its name, version and repositories are plain text."""
    target = graph.target(view.address)
    for what, value in (
        ("name", view.name),
        ("version", view.raw_version),
        *(("repository", r) for r in view.repositories),
    ):
        unsafe = unsafe_character(value)
        if unsafe is not None:
            # Pants writes name and version in `provides=python_artifact(...)`.
            within = (
                "provides" if view.kind == "python_distribution" and what != "repository" else None
            )
            raise GraphpubError(
                f"the {what} of {view.label}, {value!r}, holds {describe_character(unsafe)}",
                location=graph.locate_keyword(target, _KEYWORDS_OF[what], within) or view.location,
                hint="names, versions and repositories are plain text",
            )
    return view


# Where a BUILD file writes what `_checked` checks, in the three dialects.
_KEYWORDS_OF = {
    "name": ("name", "distribution", "dist"),
    "version": ("version",),
    "repository": ("repositories",),
}


def is_distributable(target: Target) -> bool:
    return target.kind in _BUILDERS


def _configured_repositories(graph: BuildGraph) -> dict[Address, tuple[str, ...]]:
    """Repositories `[[publish]]` config gives targets, by address."""
    extra: dict[Address, tuple[str, ...]] = {}
    for rule in graph.config.publish:
        for address in resolve_specs(rule.targets, graph):
            extra[address] = tuple(dict.fromkeys((*extra.get(address, ()), *rule.repositories)))
    return extra


def _stamped(
    version: str, graph: BuildGraph, *, stamps: bool = True, defines: bool = True
) -> tuple[str, tuple[str, ...]]:
    """`version` with the `{STAMP}` keys (if `stamps`) and `$(VAR)` make variables (if
    `defines`) that have values filled in, and those left unfilled."""
    unresolved: list[str] = []

    def fill(match: re.Match[str]) -> str:
        if match.group("stamp"):
            value = graph.config.stamp.get(match.group("stamp")) if stamps else None
        else:
            value = graph.config.defines.get(match.group("define")) if defines else None
        if value is None:
            unresolved.append(match.group(0))
            return match.group(0)
        return value

    return _STAMP.sub(fill, version), tuple(unresolved)


def _requirements_reached(target: Target, graph: BuildGraph) -> tuple[str, ...]:
    found: list[str] = []
    for address in sorted(graph.dependencies([target.address], transitive=True)):
        dependency = graph.target(address)
        if dependency.kind == REQUIREMENT_KIND:
            found.extend(dependency.fields.get("requirements", ()))
    return tuple(dict.fromkeys(found))


def _carried(target: Target, graph: BuildGraph) -> tuple[Address, ...]:
    return tuple(
        sorted(
            a
            for a in graph.dependencies([target.address], transitive=False)
            if graph.target(a).kind != REQUIREMENT_KIND
        )
    )


def _repositories(own: Sequence[str], configured: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*own, *configured)))


def _skip_reason(target: Target, repositories: Sequence[str], graph: BuildGraph) -> str | None:
    rendered = graph.config.render(target.address)
    if target.fields.get("skip_twine"):
        return f"by `skip_twine` on {rendered}"
    if not repositories:
        return f"no `repositories` specified for {rendered}"
    return None


def _pants_distribution(
    target: Target, graph: BuildGraph, configured: Sequence[str]
) -> Distribution:
    fields = target.fields
    provides = dict(fields.get("provides") or {})
    generate_setup = fields.get("generate_setup")
    if generate_setup is None:
        generate_setup = graph.config.generate_setup_default
    own_project = not generate_setup
    plugin_inputs: tuple[str, ...] = ()
    if generate_setup and graph.config.setup_kwargs_plugin:
        provides, plugin_inputs = _plugin_kwargs(target, graph, provides)
    from_provides = provides.pop("entry_points", None) or {}
    # Pants reads entry points only to generate a project: one that describes itself has its
    # own (podsmith lost its pytest11 entry point that way).
    entry_points = {} if own_project else _merged_entry_points(target, graph, from_provides)
    name = _stamped(str(provides.pop("name", "")), graph)[0]
    raw_version = str(provides.pop("version", ""))
    version, unresolved = _stamped(raw_version, graph)
    metadata = dict(provides)
    for key in ("long_description_path", "interpreter_constraints", "output_path"):
        if fields.get(key):
            metadata[key] = fields[key]
    repositories = _repositories(fields.get("repositories") or (), configured)
    return Distribution(
        address=target.address,
        label=graph.config.render(target.address),
        kind=target.kind,
        name=name,
        version=version,
        unresolved_stamps=unresolved,
        carries=_carried(target, graph),
        requirements=_requirements_reached(target, graph),
        entry_points=entry_points,
        metadata=metadata,
        repositories=repositories,
        skip_reason=_skip_reason(target, repositories, graph),
        location=target.location,
        raw_version=raw_version,
        own_project=own_project,
        plugin_inputs=plugin_inputs,
    )


def _plugin_kwargs(
    target: Target, graph: BuildGraph, explicit: dict[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """What the repository's SetupKwargs plugin (ported to Starlark) makes of the explicit
    python_artifact() arguments, checked as python_artifact() checks them; and the files it
    read."""
    config = graph.config
    plugin = str(config.setup_kwargs_plugin)
    label = config.render(target.address)
    about = Struct(
        {
            "address": label,
            "spec_path": target.address.directory,
            "name": target.address.name,
            "interpreter_constraints": list(
                target.fields.get("interpreter_constraints") or config.interpreter_constraints
            ),
        }
    )
    result = graph.hooks.call(plugin, "setup_kwargs", thaw(explicit), about, caller=label)
    if not isinstance(result.value, dict):
        raise BuildFileError(
            f"setup_kwargs() returned {type(result.value).__name__}, not a dict, for {label}",
            location=SourceLocation(plugin),
            hint="return the setup() keyword arguments: return kwargs",
        )
    kwargs = dict(result.value)
    if isinstance(kwargs.get("version"), str):
        # A version read whole from a file ends in a newline, which setuptools strips (as
        # PEP 440 allows) when Pants' generated setup.py runs.
        kwargs["version"] = kwargs["version"].strip()
    try:
        return check_artifact(kwargs), result.reads
    except FieldError as e:
        raise BuildFileError(
            f"setup_kwargs() for {label}: {e.message}",
            location=SourceLocation(plugin),
            hint=e.hint,
        ) from None


def _merged_entry_points(
    target: Target, graph: BuildGraph, from_provides: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """Entry points of the `entry_points` field and of `provides=python_artifact(entry_points=
    ...)`, merged as Pants merges them: one name registered by both is an error."""
    merged: dict[str, dict[str, str]] = {}
    sources = (
        ("its field `entry_points`", target.fields.get("entry_points") or {}),
        ("its field `provides=python_artifact()`", from_provides),
    )
    seen: dict[tuple[str, str], str] = {}
    for origin, entry_points in sources:
        for group, entries in entry_points.items():
            for name, reference in entries.items():
                if (group, name) in seen:
                    raise GraphpubError(
                        f"multiple entry_points registered for {group} {name} in "
                        f"{graph.config.render(target.address)}: {seen[group, name]}, {origin}",
                        location=graph.locate_keyword(target, ("entry_points",)) or target.location,
                        hint="register each entry point in one place only",
                    )
                seen[group, name] = origin
                reference = reference.strip()
                if _names_no_function(group, reference):
                    raise GraphpubError(
                        f"every entry point in `{group}` of {graph.config.render(target.address)}"
                        f" must end in `:function`, but {name} is {reference!r}",
                        location=graph.locate_written(target, reference),
                        hint=f'e.g. {{"{group}": {{"{name}": "{reference}:main"}}}}',
                    )
                merged.setdefault(group, {})[name] = reference
    return merged


def is_target_reference(reference: str) -> bool:
    """Pants: an entry point starting with `:` or holding `/` is the address of a pex_binary,
    whose own entry point it stands for."""
    return reference.startswith(":") or "/" in reference


def _names_no_function(group: str, reference: str) -> bool:
    if group not in ("console_scripts", "gui_scripts") or is_target_reference(reference):
        return False
    return not reference.partition(":")[2].strip()


_PY_WHEEL_METADATA = (
    "summary",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "license",
    "classifiers",
    "project_urls",
    "homepage",
    "description_file",
    "description_content_type",
    "python_requires",
    "python_tag",
    "abi",
    "platform",
    "strip_path_prefixes",
    "add_path_prefix",
)


def _py_wheel(target: Target, graph: BuildGraph, configured: Sequence[str]) -> Distribution:
    fields = target.fields
    raw_version = str(fields.get("version", ""))
    # rules_python fills make variables in the version (never in the name), and `{STAMP}`
    # keys in both unless `stamp = 0` keeps the build unstamped.
    stamping = fields.get("stamp", -1) not in (0, False)
    version, unresolved = _stamped(raw_version, graph, stamps=stamping)
    requirements = list(fields.get("requires") or ())
    requirements.extend(_requirements_file(target, graph, fields.get("requires_file")))
    for extra, extra_requirements in (fields.get("extra_requires") or {}).items():
        requirements.extend(f"{r}; extra == '{extra}'" for r in extra_requirements)
    for label, extra in (fields.get("extra_requires_files") or {}).items():
        requirements.extend(
            f"{r}; extra == '{extra}'" for r in _requirements_file(target, graph, label)
        )
    entry_points: dict[str, dict[str, str]] = {}
    for group, lines in (fields.get("entry_points") or {}).items():
        for line in lines:
            script, _, reference = str(line).partition("=")
            entry_points.setdefault(group, {})[script.strip()] = reference.strip()
    for script, reference in (fields.get("console_scripts") or {}).items():
        entry_points.setdefault("console_scripts", {})[script] = reference
    repositories = _repositories((), configured)
    return Distribution(
        address=target.address,
        label=graph.config.render(target.address),
        kind=target.kind,
        name=_stamped(str(fields.get("distribution", "")), graph, stamps=stamping, defines=False)[
            0
        ],
        version=version,
        unresolved_stamps=unresolved,
        carries=_carried(target, graph),
        requirements=tuple(dict.fromkeys(requirements)),
        entry_points=entry_points,
        metadata={k: fields[k] for k in _PY_WHEEL_METADATA if fields.get(k) is not None},
        repositories=repositories,
        skip_reason=_skip_reason(target, repositories, graph),
        location=target.location,
        raw_version=raw_version,
    )


def _requirements_file(target: Target, graph: BuildGraph, label: object) -> list[str]:
    """`requires_file`: a label naming a requirements file of this repository."""
    if not isinstance(label, str):
        return []
    where = graph.locate_written(target, label)
    root = str(graph.config.root)
    relative = inside_root_path(label_path(label, target.address.directory), location=where)
    if os.path.lexists(graph.config.root / relative):
        data = read_inside_root(root, relative, graph.config.max_build_file_bytes, location=where)
    else:  # a generated file: known only to a real build, unless a write_file says it
        data = written_file(graph, relative) or b""
    lines = data.decode("utf-8", errors="replace").splitlines()
    # As wheelmaker reads it: no blank lines, comments, nor pip options (`-r`, `--hash`).
    return [
        line.partition("#")[0].strip()
        for line in lines
        if line.strip() and not line.strip().startswith(("#", "-"))
    ]


def _buck2_wheel(target: Target, graph: BuildGraph, configured: Sequence[str]) -> Distribution:
    fields = target.fields
    raw_version = str(fields.get("version", ""))
    version, unresolved = _stamped(raw_version, graph)
    repositories = _repositories((), configured)
    metadata = dict(fields.get("extra_metadata") or {})
    return Distribution(
        address=target.address,
        label=graph.config.render(target.address),
        kind=target.kind,
        name=_stamped(str(fields.get("dist") or target.address.name), graph)[0],
        version=version,
        unresolved_stamps=unresolved,
        carries=_carried(target, graph),
        requirements=tuple(fields.get("requires") or ()),
        entry_points={g: dict(e) for g, e in (fields.get("entry_points") or {}).items()},
        metadata=metadata,
        repositories=repositories,
        skip_reason=_skip_reason(target, repositories, graph),
        location=target.location,
        raw_version=raw_version,
    )


_BUILDERS: dict[str, Callable[[Target, BuildGraph, Sequence[str]], Distribution]] = {
    "python_distribution": _pants_distribution,
    "py_wheel": _py_wheel,
    "python_wheel": _buck2_wheel,
}
