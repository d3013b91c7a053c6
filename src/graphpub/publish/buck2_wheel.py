"""Buck2's `python_wheel`, built as the prelude builds it.

The rule (`prelude/python/python_wheel.bzl`) packs the listed `libraries`' own sources and
resources (not their dependencies'), each at its module path (`base_module`, else the package
path), plus its own `resources`; `scripts` go to `.data/scripts`. Tags: `python`, `abi` and
`platform`, each defaulting to the `python_wheel` toolchain's (`toolchains//:python_wheel`;
the prelude's `system_python_wheel_toolchain` says py3, none, linux_x86_64; with no toolchain
the provider's own defaults, py3, none, any); `py3.12` is written `py312`, and the wheel
requires `==3.12.*` of Python. `prelude/python/tools/wheel.py` writes the archive: every
directory holding a module gets an `__init__.py`, METADATA is `Name`, `Version`, the README's
content type, `extra_metadata`, `Requires-Python`, `Requires-Dist` in that order, then the
README; members are stored, dated 1980, each file with its own mode; entry points are written
by `configparser` (which lower-cases their names).

Two things differ, both so that the wheel can be published at all: METADATA starts with
`Metadata-Version: 2.1` (twine refuses a wheel without it; the prelude writes none), and RECORD
holds each member's sha256 and size, entry_points.txt included (the prelude's rows are bare
paths, without entry_points.txt).
"""

from __future__ import annotations

import configparser
import io
import posixpath
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from graphpub.buildgraph.address import Address
from graphpub.buildgraph.confined import read_inside_root
from graphpub.buildgraph.graph import BuildGraph
from graphpub.buildgraph.target import Target, file_entries
from graphpub.publish.bazel_wheel import resolve_label
from graphpub.publish.wheel_archive import Member, WheelPlan, WheelRuleError, file_mode
from graphpub.rules.distribution import Distribution
from graphpub.rules.wheel_names import escaped_name

# PythonWheelToolchainInfo's defaults (prelude/python/python_wheel_toolchain.bzl).
TOOLCHAIN_DEFAULTS = {"python": "py3", "abi": "none", "platform": "any"}
TOOLCHAIN_LABEL = "toolchains//:python_wheel"
_PYTHON_RULES = frozenset({"python_library"})


@dataclass(frozen=True)
class Tags:
    python: str
    abi: str
    platform: str
    requires_python: str


def toolchain(graph: BuildGraph) -> dict[str, str]:
    """The tags of the `python_wheel` toolchain (`toolchains//:python_wheel`), the provider's
    defaults for those it does not set or where there is none."""
    found = dict(TOOLCHAIN_DEFAULTS)
    directory = graph.config.cells.get("toolchains")
    if directory is None:
        return found
    graph.ensure_loaded(directory, needed=False)
    address = Address(directory, "python_wheel")
    if address in graph:
        fields = graph.target(address).fields
        found.update({k: str(fields[k]) for k in found if isinstance(fields.get(k), str)})
    return found


def tags(graph: BuildGraph, target: Target) -> Tags:
    """The wheel's tags and Requires-Python, as `python_wheel`'s implementation makes them."""
    fields = target.fields
    defaults = toolchain(graph)
    python = str(fields["python"]) if fields.get("python") is not None else defaults["python"]
    abi = str(fields["abi"]) if fields.get("abi") is not None else defaults["abi"]
    platform = str(fields.get("platform") or defaults["platform"])
    version = python
    for prefix in ("cp", "py"):
        if python.startswith(prefix):
            version = python[len(prefix) :]
            break
    if "." not in version and len(version) >= 2:
        version = version[0] + "." + version[1:]
    return Tags(python.replace(".", ""), abi, platform, f"=={version}.*")


# ---------------------------------------------------------------- what goes in


@dataclass(frozen=True)
class Placed:
    """The wheel's files: their path in the wheel (`dest`) and in the repository."""

    files: tuple[tuple[str, str], ...]
    owners: tuple[Address, ...]


def placed(graph: BuildGraph, target: Target) -> Placed:
    """The libraries' sources and resources, then the wheel's own resources, by path in the
    wheel (a later one replaces an earlier one there, as wheel.py's dict of sources)."""
    if target.fields.get("libraries_query"):
        graph.warn(
            f"{target.location}: {graph.config.render(target.address)}: libraries_query is a "
            "Buck2 query graphpub does not run: only `libraries` are packed",
            key=f"libraries-query:{target.address}",
        )
    files: dict[str, str] = {}
    owners: list[Address] = []
    for address in graph.declared_dependencies(target.address):
        library = graph.target(address)
        if library.kind not in _PYTHON_RULES or address.repository:
            continue
        for field in ("srcs", "resources"):
            files.update(_library_files(graph, library, field))
        owners.append(address)
    for destination, label in (target.fields.get("resources") or {}).items():
        files[posixpath.normpath(str(destination))] = _source(graph, target, str(label))
    return Placed(tuple(sorted(files.items())), tuple(owners))


def _library_files(graph: BuildGraph, library: Target, field: str) -> dict[str, str]:
    """A python_library's `srcs` or `resources` at their module paths: `base_module` (dots as
    slashes; the package path when unset) joined to each file's package-relative path, or to
    the key a `{destination: source}` dict gives it."""
    value = library.fields.get(field)
    if isinstance(value, Mapping):
        named = {str(k): _source(graph, library, str(v)) for k, v in value.items()}
    else:
        named = {}
        for entry in value or ():
            path = _source(graph, library, str(entry))
            named[posixpath.relpath(path, library.address.directory or ".")] = path
    base = library.fields.get("base_module")
    package = library.address.directory
    cell = graph.config.buck2.cell_of(package) if graph.config.buck2 is not None else None
    if cell is not None and cell.directory:  # a label's package is relative to its cell
        package = package[len(cell.directory) :].lstrip("/")
    prefix = str(base).replace(".", "/") if isinstance(base, str) else package
    return {
        posixpath.normpath(f"{prefix}/{destination}" if prefix else destination): path
        for destination, path in named.items()
    }


def _source(graph: BuildGraph, target: Target, label: str) -> str:
    """The root-relative file an `attrs.source()` names: a file of the package, or the one
    file of the target a label names."""
    if file_entries([label]):
        return posixpath.normpath(posixpath.join(target.address.directory, label))
    named, path = resolve_label(graph, target, label)
    if named is not None:
        files = graph.owned_files(graph.target(named))
        if len(files) == 1:
            return files[0]
        raise WheelRuleError(
            f"{graph.config.render(target.address)}: {label!r} names "
            f"{graph.config.render(named)}, whose output a build makes: graphpub packs files of "
            "the repository only",
            location=graph.locate_written(target, label),
            hint="name a file of the repository",
        )
    if path is None:
        raise WheelRuleError(
            f"{graph.config.render(target.address)}: {label!r} is in a cell this checkout "
            "does not hold",
            location=graph.locate_written(target, label),
        )
    return path


def other_inputs(graph: BuildGraph, target: Target) -> list[str]:
    """Files a python_wheel reads besides its libraries': scripts and its README."""
    fields = target.fields
    found = [_source(graph, target, str(s)) for s in (fields.get("scripts") or {}).values()]
    if isinstance(fields.get("readme"), str):
        found.append(_source(graph, target, fields["readme"]))
    return found


# ---------------------------------------------------------------- the wheel


def _content_type(path: str) -> str:
    extension = posixpath.splitext(path.lower())[1]
    if extension in (".md", ".markdown"):
        return "text/markdown"
    return "text/x-rst" if extension == ".rst" else "text/plain"


def plan(graph: BuildGraph, view: Distribution, placed: Placed, limit: int) -> WheelPlan:
    """The wheel of a python_wheel, as the prelude's wheel.py writes it (but for
    Metadata-Version and RECORD's hashes: see the module's documentation)."""
    target = graph.target(view.address)
    fields = target.fields
    render = graph.config.render(target.address)

    def read(path: str, written: str | None = None) -> bytes:
        location = graph.locate_written(target, written) if written else target.location
        return read_inside_root(str(graph.config.root), path, limit, location=location)

    version = view.checked_version()
    try:
        Version(version)
    except InvalidVersion:
        raise WheelRuleError(
            f"{render}: version {version!r} is not a version (PEP 440): installers refuse "
            "the wheel Buck2 names with it",
            location=graph.locate_keyword(target, ("version",)) or target.location,
            hint="e.g. 1.2.3, 1.2.3rc1",
        ) from None
    # A version in normal form is written as it is, as Buck2 does; a `-` would split the
    # file name wrongly, so a version written with one is named in its normal form.
    named_version = version if "-" not in version else str(Version(version))
    wheel_tags = tags(graph, target)
    prefix = f"{escaped_name(view.name)}-{named_version}"
    members: list[Member] = []
    packages: set[str] = set()
    with_init: set[str] = set()
    for destination, path in placed.files:
        if destination.endswith((".py", ".so")):
            package = posixpath.dirname(destination)
            while package:
                packages.add(package)
                package = posixpath.dirname(package)
            if posixpath.basename(destination) == "__init__.py":
                with_init.add(posixpath.dirname(destination))
        members.append(_file(destination, read(path), graph.config.root, path))
    for package in sorted(packages - with_init):
        members.append(_text(f"{package}/__init__.py", b""))
    for name, label in (fields.get("scripts") or {}).items():
        path = _source(graph, target, str(label))
        members.append(
            _file(f"{prefix}.data/scripts/{name}", read(path, str(label)), graph.config.root, path)
        )
    members.append(_text(f"{prefix}.dist-info/METADATA", _metadata(graph, target, view)))
    purelib = "true" if wheel_tags.platform == "any" else "false"
    wheel = (
        "Wheel-Version: 1.0\nGenerator: buck2\n"
        f"Root-Is-Purelib: {purelib}\n"
        f"Tag: {wheel_tags.python}-{wheel_tags.abi}-{wheel_tags.platform}\n"
    )
    members.append(_text(f"{prefix}.dist-info/WHEEL", wheel.encode()))
    entry_points = _entry_points(graph, target)
    if entry_points is not None:
        members.append(
            Member(
                name=f"{prefix}.dist-info/entry_points.txt",
                data=entry_points.encode(),
                streamed=True,
                external_attr=0,
                compress_type=zipfile.ZIP_STORED,
            )
        )
    return WheelPlan(
        filename=(f"{prefix}-{wheel_tags.python}-{wheel_tags.abi}-{wheel_tags.platform}.whl"),
        members=tuple(members),
        record=f"{prefix}.dist-info/RECORD",
        record_compress_type=zipfile.ZIP_STORED,
        record_external_attr=0,
    )


def _file(name: str, data: bytes, root: Path, path: str) -> Member:
    """A file copied in (`ZipInfo.from_file`): stored, with its own permissions."""
    return Member(
        name=name,
        data=data,
        streamed=True,
        external_attr=(stat.S_IFREG | file_mode(root / path)) << 16,
        compress_type=zipfile.ZIP_STORED,
    )


def _text(name: str, data: bytes) -> Member:
    """A member written whole (`writestr(ZipInfo(name), ...)`): stored, no mode bits (a bare
    ZipInfo keeps external_attr 0)."""
    return Member(
        name=name, data=data, streamed=False, external_attr=0, compress_type=zipfile.ZIP_STORED
    )


def _metadata(graph: BuildGraph, target: Target, view: Distribution) -> bytes:
    fields = target.fields
    render = graph.config.render(target.address)
    headers: list[tuple[str, str]] = []
    extra = {str(k): str(v) for k, v in (fields.get("extra_metadata") or {}).items()}
    if "Metadata-Version" not in extra:
        headers.append(("Metadata-Version", "2.1"))
    headers += [("Name", view.name), ("Version", view.checked_version())]
    readme = fields.get("readme")
    readme_path = _source(graph, target, readme) if isinstance(readme, str) else None
    if readme_path is not None:
        headers.append(("Description-Content-Type", _content_type(readme_path)))
    headers.extend(extra.items())
    headers.append(("Requires-Python", tags(graph, target).requires_python))
    for requirement in fields.get("requires") or ():
        try:
            Requirement(str(requirement))
        except InvalidRequirement as e:
            raise WheelRuleError(
                f"{render}: requires {requirement!r} is not a requirement (PEP 508): {e}",
                location=graph.locate_written(target, str(requirement)),
            ) from None
        headers.append(("Requires-Dist", str(requirement)))
    for key, value in headers:
        if "\n" in key + value or "\r" in key + value:
            raise WheelRuleError(
                f"{render}: the METADATA field {key!r} holds a line break",
                location=target.location,
                hint="one line per field",
            )
    text = "".join(f"{key}: {value}\n" for key, value in headers)
    if readme_path is not None:
        data = read_inside_root(
            str(graph.config.root),
            readme_path,
            1 << 32,
            location=graph.locate_written(target, str(readme)),
        )
        try:
            body = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError as e:
            raise WheelRuleError(
                f"{render}: readme {readme_path} is not UTF-8 text ({e.reason})",
                location=graph.locate_written(target, str(readme)),
            ) from None
        text += "\n" + body
    return text.encode("utf-8")


def _entry_points(graph: BuildGraph, target: Target) -> str | None:
    """entry_points.txt as wheel.py writes it: with `configparser`, as it does."""
    groups = target.fields.get("entry_points") or {}
    if not groups:
        return None
    parser = configparser.ConfigParser()
    try:
        parser.read_dict(
            {str(g): {str(k): str(v) for k, v in e.items()} for g, e in groups.items()}
        )
    except (ValueError, configparser.Error) as e:
        raise WheelRuleError(
            f"{graph.config.render(target.address)}: entry_points cannot be written as "
            f"Buck2 writes them: {e}",
            location=graph.locate_keyword(target, ("entry_points",)) or target.location,
            hint="a '%' must be written '%%' (configparser's interpolation)",
        ) from None
    with io.StringIO() as out:
        parser.write(out)
        return out.getvalue()
