"""rules_python's `py_wheel`, built as rules_python 2.3.2 builds it.

The rule (`python/private/py_wheel.bzl`) decides what goes in: the files of its `deps` (each
dep's own files, not its dependencies'; a `py_package` gathers a closure, filtered by its
`packages`), their path in the wheel (`strip_path_prefixes`, then `add_path_prefix`), the
METADATA lines in a fixed order, `entry_points.txt`, `.data` and extra `.dist-info` files.
`tools/wheelmaker.py` then writes the archive: Requires-Dist lines with markers re-rendered by
`packaging`, requirement files expanded, `Version:` appended last, the description (or
`UNKNOWN`) as the body, every member dated 1980 with mode 0777, RECORD in the order written.

The result is the wheel `bazel build :wheel` makes, byte for byte (see testdata/oracles).
Bazel knows generated files graphpub does not: a dep whose files a build makes (a genrule's)
is left out, with a warning.
"""

from __future__ import annotations

import posixpath
import re
import stat
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion

from graphpub.buildgraph.address import Address, AddressStyle, parse_address
from graphpub.buildgraph.confined import read_inside_root
from graphpub.buildgraph.graph import BuildGraph
from graphpub.buildgraph.target import Target, file_entries
from graphpub.errors import AddressError, SourceLocation
from graphpub.publish.wheel_archive import Member, WheelPlan, WheelRuleError
from graphpub.rules.bazel_outputs import maker_of, strings, written_file, written_output
from graphpub.rules.distribution import Distribution
from graphpub.rules.wheel_names import escaped_name

RULES_PYTHON_VERSION = "2.3.2"
"""The rules_python release whose py_wheel and wheelmaker this module follows."""

_PY_RULES = frozenset({"py_library", "py_binary", "py_test"})
# Rules whose files graphpub knows (their runfiles are read from their attributes).
_FILE_RULES = _PY_RULES | {"filegroup", "alias", "py_package", "write_file"}
# Rules a Python rule may depend on that bring no files to runfiles of their own.
_NO_RUNFILES = frozenset({"cc_library", "cc_import", "proto_library", "py_runtime"})
# The `.data` directories a wheel may hold (py_wheel.bzl's ALLOWED_DATA_FILE_PREFIX).
_DATA_PREFIXES = ("purelib", "platlib", "headers", "scripts", "data")
_PROJECT_URL_LABEL_LIMIT = 32
_DESCRIPTION_TYPES = {"md": "text/markdown", "rst": "text/x-rst"}
# wheelmaker's archive: every member -rwxrwxrwx, a regular file (so pip keeps the mode).
_MODE = (stat.S_IRWXU | stat.S_IRWXG | stat.S_IRWXO | stat.S_IFREG) << 16
_WHEEL_TEXT = "Wheel-Version: 1.0\nGenerator: bazel-wheelmaker 1.0\nRoot-Is-Purelib: {}\n"


# ---------------------------------------------------------------- what goes in


@dataclass(frozen=True)
class LeftOut:
    """Files of a dep that a build makes, which the wheel leaves out: `what` they are, and
    where the rule making them is."""

    what: str
    maker: Target
    path: str
    """Where in the repository they would be (a target's: its package and name)."""
    external: bool = False
    """The maker is in another repository (whose files the checkout does not hold)."""


@dataclass(frozen=True)
class Packaged:
    """The files a py_wheel packs (root-relative, sorted), the targets they come from, and
    what Bazel's wheel holds but graphpub's leaves out."""

    files: tuple[str, ...]
    owners: tuple[Address, ...]
    left_out: tuple[LeftOut, ...] = ()


def packaged(graph: BuildGraph, target: Target) -> Packaged:
    """`ctx.files.deps` plus the `.pyi` files of the deps (`PyInfo.direct_pyi_files`)."""
    files = _Files(graph, target)
    for address in graph.declared_dependencies(target.address):
        dependency = graph.target(address)
        outputs = files.default_outputs(dependency)
        if dependency.kind != "py_package":  # whose files are its closure's (owners added)
            files.add(address, outputs)
        else:
            files.found.update(outputs)
        if dependency.kind in _PY_RULES:
            files.add(address, files.entries(dependency, "pyi_srcs"))
    return Packaged(tuple(sorted(files.found)), tuple(sorted(files.owners)), tuple(files.left_out))


class _Files:
    """What Bazel gives of a target: its default outputs, and its runfiles (for py_package)."""

    def __init__(self, graph: BuildGraph, wheel: Target) -> None:
        self.graph = graph
        self.wheel = wheel
        self.found: set[str] = set()
        self.owners: set[Address] = set()
        self.left_out: list[LeftOut] = []

    def add(self, owner: Address, files: Iterable[str]) -> None:
        added = set(files)
        if added:
            self.found |= added
            self.owners.add(owner)

    def default_outputs(self, target: Target, seen: frozenset[Address] = frozenset()) -> list[str]:
        """The files of `DefaultInfo`: a Python rule's or a filegroup's `srcs` (labels in
        them give their own), an alias's target's, a py_package's filtered closure."""
        if target.address in seen:
            return []  # a cycle, which Bazel refuses
        if target.address.repository:
            rendered = self.graph.config.render(target.address)
            self.graph.warn(
                f"{self.wheel.location}: {rendered} is in another repository, which this "
                f"checkout does not hold: {self.graph.config.render(self.wheel.address)} "
                "leaves its files out",
                key=f"external-files:{target.address}",
            )
            made_at = posixpath.join(target.address.directory, target.address.name)
            self.left_out.append(LeftOut("the files", target, made_at, external=True))
            return []
        seen = seen | {target.address}
        if target.kind in _PY_RULES or target.kind == "filegroup":
            return self.entries(target, "srcs", seen)
        if target.kind == "alias":
            return self.entries(target, "actual", seen)
        if target.kind == "py_package":
            return self._py_package(target)
        written = written_output(target)
        if written is not None:
            return [written]  # its content is in the BUILD file
        self.graph.warn(
            f"{target.location}: {self.graph.config.render(target.address)} ({target.kind}) "
            f"makes its files in a build: {self.graph.config.render(self.wheel.address)} "
            "leaves them out (graphpub reads files of the repository only)",
            key=f"generated-files:{target.address}",
        )
        made_at = posixpath.join(target.address.directory, target.address.name)
        self.left_out.append(LeftOut("the files", target, made_at))
        return []

    def entries(
        self, target: Target, field: str, seen: frozenset[Address] = frozenset()
    ) -> list[str]:
        """The files an attribute of `target` names: files of its package, and the default
        outputs of the targets its labels name."""
        value = target.fields.get(field)
        written = [value] if isinstance(value, str) else list(value or ())
        files = []
        for entry in written:
            if not isinstance(entry, str):
                continue
            named: Address | None
            path: str | None
            same_package = Address(target.address.directory, entry)
            if file_entries([entry]) and same_package in self.graph:
                named, path = same_package, None  # Bazel: `x` is `:x`, a target if one is
            elif file_entries([entry]):
                named = None
                path = posixpath.normpath(posixpath.join(target.address.directory, entry))
            else:
                named, path = resolve_label(self.graph, target, entry)
            if named is not None:
                files.extend(self.default_outputs(self.graph.target(named), seen))
            elif path is not None and not self._generated(path):
                files.append(path)
        return files

    def _generated(self, path: str) -> bool:
        """Whether `path` is the output of a rule of its package rather than a file of the
        repository: a build makes it; the wheel leaves it out, with a warning."""
        maker = maker_of(self.graph, path)
        if maker is None or written_output(maker) == path:
            return False  # a file of the repository, or one whose content the BUILD file says
        self.graph.warn(
            f"{maker.location}: {path} is made by {self.graph.config.render(maker.address)}"
            f" ({maker.kind}) in a build: {self.graph.config.render(self.wheel.address)} "
            "leaves it out (graphpub reads files of the repository only)",
            key=f"generated-file:{path}",
        )
        self.left_out.append(LeftOut(path, maker, path))
        return True

    def runfiles(self, target: Target) -> list[str]:
        """The files a target brings into a binary's runfiles: its srcs, data and stubs."""
        fields: tuple[str, ...] = ()
        if target.kind in _PY_RULES:
            fields = ("srcs", "data", "pyi_srcs")
        elif target.kind == "filegroup":
            fields = ("srcs", "data")
        return [f for name in fields for f in self.entries(target, name)]

    def _py_package(self, target: Target) -> list[str]:
        """The runfiles of the declared closure of its deps, kept if their path in the wheel
        starts with one of `packages` (dots as slashes; a plain prefix, as rules_python). A
        target there that a build makes files of (a native extension) is left out, if its
        path passes the filter."""
        closure: list[Address] = []
        direct = self.graph.declared_dependencies(target.address)
        # Its own deps in another repository: their files are Bazel's, not this checkout's
        # (deeper ones, a pip hub's, are filtered out by `packages` as a rule).
        making = [a for a in direct if a.repository]
        frontier = [(a, True) for a in direct]
        while frontier:
            address, as_code = frontier.pop(0)
            if address in closure or address.repository:
                continue
            closure.append(address)
            dependency = self.graph.target(address)
            if as_code and dependency.kind not in _FILE_RULES | _NO_RUNFILES:
                making.append(address)  # its runfiles are files a build makes
            python = dependency.kind in _PY_RULES
            frontier.extend((a, python) for a in self.graph.declared_dependencies(address))
            for field in ("data", "srcs"):  # labels there bring their runfiles too
                for entry in strings(dependency.fields.get(field)):
                    if not file_entries([entry]):
                        named, _ = resolve_label(self.graph, dependency, entry)
                        if named is not None:
                            frontier.append((named, False))
        prefixes = [p.replace(".", "/") for p in target.fields.get("packages") or () if p]

        def kept(path: str, address: Address | None = None) -> bool:
            # A label among `packages` keeps what that target makes: some repositories'
            # own py_package rules (EnzymeAD/Enzyme-JAX's) filter by owner label.
            written = target.fields.get("packages") or ()
            if address is not None and address.render(AddressStyle.BAZEL).lstrip("@") in {
                str(p).lstrip("@") for p in written
            }:
                return True
            return not prefixes or any(path.startswith(p) for p in prefixes)

        files = []
        already_left_out = len(self.left_out)
        for address in closure:
            for path in self.runfiles(self.graph.target(address)):
                if kept(path):
                    files.append(path)
                    self.owners.add(address)
        for address in making:
            made_at = posixpath.join(address.directory, address.name)
            if kept(made_at, address):
                files.extend(self.default_outputs(self.graph.target(address)))
        self.left_out[already_left_out:] = [
            left for left in self.left_out[already_left_out:] if kept(left.path, left.maker.address)
        ]
        return files


def resolve_label(
    graph: BuildGraph, target: Target, label: str
) -> tuple[Address | None, str | None]:
    """What a label written in `target` names: a target of the graph (its address), else a
    file (its root-relative path); neither for an external repository's label."""
    if not label.startswith(("//", "@", ":")) and ":" not in label:
        label = ":" + label  # `dir/file.txt` is a name in the package, as `:dir/file.txt`
    try:
        parsed = parse_address(
            label,
            relative_to=target.address.directory,
            bare_name_is_target=True,
            cells=graph.config.cells,
        )
    except AddressError as error:
        raise WheelRuleError(
            error.message, location=graph.locate_written(target, label), hint=error.hint
        ) from None
    if parsed.repository:
        return None, None
    address = parsed.directory_address
    graph.ensure_loaded(address.directory, needed=False)
    if address in graph:
        return address, None
    if parsed.target is None:
        return None, parsed.path
    return None, posixpath.join(parsed.path, parsed.target) if parsed.path else parsed.target


def label_file(graph: BuildGraph, target: Target, label: str, attribute: str) -> str:
    """The one file a label attribute names (`allow_single_file`): a file, or the single
    default output of the target it names."""
    named, path = resolve_label(graph, target, label)
    if named is not None:
        outputs = _Files(graph, target).default_outputs(graph.target(named))
        if len(outputs) != 1:
            raise WheelRuleError(
                f"{graph.config.render(target.address)}: {attribute} {label!r} must name one "
                f"file; {graph.config.render(named)} gives {len(outputs)}",
                location=graph.locate_written(target, label),
                hint="name the file itself",
            )
        return outputs[0]
    if path is None:
        raise WheelRuleError(
            f"{graph.config.render(target.address)}: {attribute} {label!r} is in another "
            "repository, which this checkout does not hold",
            location=graph.locate_written(target, label),
        )
    maker = maker_of(graph, path)
    if maker is not None and written_output(maker) != path:
        raise WheelRuleError(
            f"{graph.config.render(target.address)}: {attribute} {label!r} is made by "
            f"{graph.config.render(maker.address)} ({maker.kind}) in a build, and graphpub "
            "reads files of the repository only",
            location=graph.locate_written(target, label),
            related=(maker.location,),
            hint="check the file in and name it, or write its content into the BUILD file",
        )
    return path


def label_files(graph: BuildGraph, target: Target, label: str) -> list[str]:
    """Every file a label names: a file, or the default outputs of the target it names."""
    named, path = resolve_label(graph, target, label)
    if named is not None:
        return _Files(graph, target).default_outputs(graph.target(named))
    return [path] if path is not None else []


def other_inputs(graph: BuildGraph, target: Target) -> list[str]:
    """The files a py_wheel reads besides those it packs: its description, requirement
    files, `.data` and extra `.dist-info` files (for its SOURCE_DATE_EPOCH)."""
    fields = target.fields
    found: list[str] = []
    for attribute in ("description_file", "requires_file"):
        if isinstance(fields.get(attribute), str):
            found.extend(label_files(graph, target, fields[attribute]))
    for attribute in ("extra_requires_files", "data_files", "extra_distinfo_files"):
        for label in fields.get(attribute) or {}:
            found.extend(label_files(graph, target, label))
    return found


# ---------------------------------------------------------------- the wheel


@dataclass(frozen=True)
class _Reader:
    """Reads the repository's files for one py_wheel: inside the root, each error at the
    attribute that names the file."""

    graph: BuildGraph
    target: Target
    limit: int

    def bytes(self, path: str, written: str | None = None, what: str = "file") -> bytes:
        made = written_file(self.graph, path)
        if made is not None:
            return made  # a write_file's, whose content the BUILD file says
        location = (
            self.graph.locate_written(self.target, written) if written else self.target.location
        )
        return read_inside_root(
            str(self.graph.config.root), path, self.limit, what=what, location=location
        )

    def text(self, path: str, written: str, what: str) -> str:
        """A text file as wheelmaker opens it: UTF-8, universal newlines."""
        data = self.bytes(path, written, what)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise WheelRuleError(
                f"{what} {path} is not UTF-8 text ({e.reason} at byte {e.start})",
                location=self.graph.locate_written(self.target, written),
                hint="wheelmaker reads it as UTF-8",
            ) from None
        return text.replace("\r\n", "\n").replace("\r", "\n")


def plan(
    graph: BuildGraph,
    view: Distribution,
    files: Sequence[str],
    limit: int,
    warn: Callable[[str], None],
) -> WheelPlan:
    """The wheel of a py_wheel whose packed files are `files`, as wheelmaker writes it."""
    target = graph.target(view.address)
    fields = target.fields
    reader = _Reader(graph, target, limit)
    render = graph.config.render(target.address)
    name = view.name
    _check_distribution_name(graph, target, str(fields.get("distribution", "")), name)
    if view.unresolved_stamps:
        warn(
            f"{target.location}: {render}: {', '.join(view.unresolved_stamps)} has no value: "
            f"its version is {view.checked_version()}, as Bazel builds it without --stamp "
            "(give it one with --stamp KEY=VALUE / --define KEY=VALUE)"
        )
    try:
        version = view.checked_version()
    except InvalidVersion:
        raise WheelRuleError(
            f"{render}: the version {view.version!r} makes no version, even as wheelmaker "
            "rewrites one",
            location=graph.locate_keyword(target, ("version",)) or target.location,
            hint="e.g. 1.2.3, or {BUILD_EMBED_LABEL} with --stamp BUILD_EMBED_LABEL=1.2.3",
        ) from None
    python_tag = _defined(str(fields.get("python_tag", "py3")), graph)
    abi = _defined(str(fields.get("abi", "none")), graph)
    platform = str(fields.get("platform", "any"))
    unfilled = sorted(set(re.findall(r"\$\([A-Za-z_][A-Za-z0-9_]*\)", python_tag + abi)))
    if unfilled:
        raise WheelRuleError(
            f"{render}: {', '.join(unfilled)} in its tags has no value (a toolchain of the "
            "`toolchains` attribute gives it in Bazel; graphpub knows only --define)",
            location=graph.locate_keyword(target, ("python_tag", "abi")) or target.location,
            hint=f"give it one: --define {unfilled[0][2:-1]}=...",
        )
    # rules_python 0.26 to 0.28 could turn the normalisation of names and versions off
    # (the default from 0.27; the attributes are gone since 0.29): the legacy escaping then.
    if fields.get("incompatible_normalize_version") is False:
        version = view.version
    named_version = version
    if fields.get("incompatible_normalize_version") is False:
        named_version = _escaped_segment(version)
    prefix = f"{escaped_name(name)}-{named_version}"
    file_prefix = f"{escaped_name(name)}-{version}"
    if fields.get("incompatible_normalize_name") is False:
        prefix = f"{_escaped_segment(name)}-{named_version}"
        file_prefix = f"{name}-{version}"
    compress = zipfile.ZIP_DEFLATED if fields.get("compress", True) else zipfile.ZIP_STORED

    def member(name: str, data: bytes, *, streamed: bool) -> Member:
        return Member(
            name=name.lstrip("/"),
            data=data,
            streamed=streamed,
            external_attr=_MODE,
            compress_type=compress,
            force_zip64=streamed,
        )

    strip = [str(p) for p in fields.get("strip_path_prefixes") or ()]
    add = str(fields.get("add_path_prefix") or "")
    members = [
        member(arcname(path, prefix, strip, add), reader.bytes(path), streamed=True)
        for path in sorted(files)
    ]
    tags = "-".join((python_tag, abi, platform))
    wheel = _WHEEL_TEXT.format("true" if platform == "any" else "false") + f"Tag: {tags}\n"
    members.append(member(f"{prefix}.dist-info/WHEEL", wheel.encode(), streamed=False))
    metadata = _metadata(graph, target, reader, name, version)
    members.append(member(f"{prefix}.dist-info/METADATA", metadata.encode(), streamed=False))
    entry_points = _entry_points(fields)
    if entry_points is not None:
        members.append(
            member(f"{prefix}.dist-info/entry_points.txt", entry_points.encode(), streamed=True)
        )
    for destination, path in sorted(_data_files(graph, target)):
        members.append(member(f"{prefix}.data/{destination}", reader.bytes(path), streamed=True))
    for destination, path in sorted(_distinfo_files(graph, target)):
        data = reader.bytes(path)
        members.append(member(f"{prefix}.dist-info/{destination}", data, streamed=True))
    _check_unique(graph, target, members)
    filename = f"{file_prefix}-{tags}.whl"
    try:
        parse_wheel_filename(filename)
    except InvalidWheelFilename as e:
        raise WheelRuleError(
            f"{render}: py_wheel names its wheel {filename!r}, which installers refuse: {e}",
            location=target.location,
            hint="remove incompatible_normalize_name / incompatible_normalize_version = False "
            "(normalised names and versions are the default since rules_python 0.27), and "
            "give tags without '-'",
        ) from None
    return WheelPlan(
        filename=filename,
        members=tuple(members),
        record=f"{prefix}.dist-info/RECORD",
        record_compress_type=compress,
        record_external_attr=_MODE,
    )


def _escaped_segment(segment: str) -> str:
    """wheelmaker's legacy `escape_filename_segment`: runs of anything but word characters and
    dots as one `_` (the case kept)."""
    return re.sub(r"[^\w\d.]+", "_", segment)


def _defined(text: str, graph: BuildGraph) -> str:
    """`$(VAR)` make variables with values filled in (py_wheel's `_replace_make_variables`)."""
    for key, value in graph.config.defines.items():
        text = text.replace(f"$({key})", value)
    return text


def arcname(path: str, distribution_prefix: str, strip: Sequence[str], add: str) -> str:
    """wheelmaker's `arcname_from`: the first prefix of `strip` the path starts with (a plain
    string prefix) is removed, then `add` is put in front."""
    if path.startswith(distribution_prefix):
        return path
    for prefix in strip:
        if path.startswith(prefix):
            return add + path[len(prefix) :]
    return add + path


def _check_distribution_name(graph: BuildGraph, target: Target, written: str, name: str) -> None:
    """py_wheel's checks of `distribution` (letters, digits, `.`, `_`, `-` between them;
    `{STAMP}` keys allowed), then PEP 508's of the name it stamps to."""
    location = graph.locate_keyword(target, ("distribution",)) or target.location
    bare = written
    while "{" in bare and "}" in bare[bare.index("{") :]:
        start = bare.index("{")
        bare = bare[:start] + "x" + bare[bare.index("}", start) + 1 :]
    unfilled = re.findall(r"\{[A-Za-z_][A-Za-z0-9_]*\}", name)
    if unfilled:
        key = unfilled[0][1:-1]
        raise WheelRuleError(
            f"{graph.config.render(target.address)}: distribution {written!r} holds "
            f"{', '.join(unfilled)}, which has no value (Bazel fills it when stamping)",
            location=location,
            hint=f"give it one: --stamp {key}=... (or the `stamp` config key)"
            if target.fields.get("stamp", -1) not in (0, False)
            else "stamp = 0 keeps it unfilled: stamp the wheel, or write the name out",
        )
    problem = None
    if not bare or not bare[0].isalnum() or not bare[-1].isalnum():
        problem = "must start and end with a letter or a digit"
    elif any(not (c.isascii() and (c.isalnum() or c in "-_.")) for c in bare):
        problem = "may hold only ASCII letters, digits, '.', '_' and '-'"
    if problem is None:
        try:
            Requirement(name)
        except InvalidRequirement:
            problem = "is not a valid distribution name (PEP 508) once stamped"
    if problem is not None:
        raise WheelRuleError(
            f"{graph.config.render(target.address)}: distribution {name!r} {problem}",
            location=location,
            hint="as rules_python's py_wheel requires of it",
        )


def _header(graph: BuildGraph, target: Target, field: str, value: str) -> str:
    """A METADATA header value: one line (a line break would start another header)."""
    if "\n" in value or "\r" in value:
        raise WheelRuleError(
            f"{graph.config.render(target.address)}: {field} holds a line break, which would "
            "end its METADATA header",
            location=graph.locate_keyword(target, (field,)) or target.location,
            hint="a one-line value",
        )
    return value


def _metadata(graph: BuildGraph, target: Target, reader: _Reader, name: str, version: str) -> str:
    """METADATA: the rule's `<name>.metadata.txt`, its Requires-Dist lines rewritten by
    wheelmaker, `Version:` and the description."""
    fields = target.fields
    render = graph.config.render(target.address)

    def one(field: str) -> str:
        return _header(graph, target, field, str(fields.get(field) or ""))

    lines = ["Metadata-Version: 2.1", f"Name: {_header(graph, target, 'distribution', name)}"]
    for field, header in (
        ("author", "Author"),
        ("author_email", "Author-email"),
        ("homepage", "Home-page"),
        ("license", "License"),
    ):
        if fields.get(field):
            lines.append(f"{header}: {one(field)}")
    description_label = fields.get("description_file")
    description_path = None
    if isinstance(description_label, str):
        description_path = label_file(graph, target, description_label, "description_file")
    if fields.get("description_content_type"):
        lines.append(f"Description-Content-Type: {one('description_content_type')}")
    elif description_path is not None:
        extension = posixpath.basename(description_path).rpartition(".")[2]
        if "." not in posixpath.basename(description_path):
            extension = ""
        lines.append(f"Description-Content-Type: {_DESCRIPTION_TYPES.get(extension, 'text/plain')}")
    if fields.get("summary"):
        lines.append(f"Summary: {one('summary')}")
    for label, url in sorted((fields.get("project_urls") or {}).items()):
        if len(label) > _PROJECT_URL_LABEL_LIMIT:
            raise WheelRuleError(
                f"{render}: the project_urls label {label!r} is {len(label)} characters long, "
                f"more than {_PROJECT_URL_LABEL_LIMIT}",
                location=graph.locate_written(target, label),
                hint="as rules_python's py_wheel (and the core metadata) require",
            )
        lines.append(f"Project-URL: {_header(graph, target, 'project_urls', f'{label}, {url}')}")
    for classifier in fields.get("classifiers") or ():
        lines.append(f"Classifier: {_header(graph, target, 'classifiers', classifier)}")
    if fields.get("python_requires"):
        python_requires = one("python_requires")
        try:
            SpecifierSet(python_requires)
        except InvalidSpecifier:
            raise WheelRuleError(
                f"{render}: python_requires {python_requires!r} is not a version specifier "
                "(PEP 440): installers and indexes refuse the wheel",
                location=graph.locate_keyword(target, ("python_requires",)) or target.location,
                hint="e.g. >=3.9 (a value a .bzl file computes may be empty here: map its "
                "repository with external_loads)",
            ) from None
        lines.append(f"Requires-Python: {python_requires}")
    requirements = _Requirements(graph, target, reader)
    lines.extend(requirements.lines())
    metadata = "".join(line + "\n" for line in lines)
    metadata += f"Version: {version}\n\n"
    if description_path is not None:
        description = reader.text(description_path, str(description_label), "description_file")
    else:
        description = ""
    # setuptools writes UNKNOWN when there is no description; so does wheelmaker.
    return metadata + (description or "UNKNOWN") + "\n"


class _Requirements:
    """Requires-Dist and Provides-Extra, in the rule's order, as wheelmaker rewrites them."""

    def __init__(self, graph: BuildGraph, target: Target, reader: _Reader) -> None:
        self.graph = graph
        self.target = target
        self.reader = reader
        self.render = graph.config.render(target.address)

    def _exclusive(self, one: str, other: str) -> None:
        fields = self.target.fields
        if fields.get(one) and fields.get(other):
            raise WheelRuleError(
                f"{self.render}: `{one}` and `{other}` are mutually exclusive",
                location=self.graph.locate_keyword(self.target, (other,)) or self.target.location,
                hint="use one of them (as rules_python's py_wheel requires)",
            )

    def lines(self) -> list[str]:
        fields = self.target.fields
        self._exclusive("requires", "requires_file")
        self._exclusive("extra_requires", "extra_requires_files")
        found = [self._written(r, "requires") for r in fields.get("requires") or ()]
        if isinstance(fields.get("requires_file"), str):
            found.extend(self._file(fields["requires_file"], "requires_file", ""))
        for extra, requirements in sorted((fields.get("extra_requires") or {}).items()):
            found.append(f"Provides-Extra: {extra}")
            found.extend(
                self._written(f"{r}; extra == '{extra}'", "extra_requires") for r in requirements
            )
        by_extra: dict[str, str] = {}
        for label, extra in (fields.get("extra_requires_files") or {}).items():
            if extra in by_extra:
                raise WheelRuleError(
                    f"{self.render}: the extra {extra!r} has two extra_requires_files",
                    location=self.graph.locate_written(self.target, label),
                    hint="one requirements file per extra",
                )
            by_extra[str(extra)] = label
        for extra, label in sorted(by_extra.items()):
            found.append(f"Provides-Extra: {extra}")
            found.extend(self._file(label, "extra_requires_files", f"extra == '{extra}'"))
        return found

    def _written(self, text: str, field: str) -> str:
        """A Requires-Dist written in the BUILD file: verbatim, unless it holds a `;` (a
        marker, an extra): then the part before the last `;` is re-rendered."""
        package, _, extra = text.rpartition(";")
        if not package:
            self._rendered(text, "", field, text)  # checked: it must be a requirement
            return f"Requires-Dist: {_header(self.graph, self.target, field, text)}"
        return self._rendered(package, extra.strip(), field, text)

    def _rendered(self, requirement: str, extra: str, field: str, written: str) -> str:
        """wheelmaker's `get_new_requirement_line`."""
        try:
            parsed = Requirement(requirement.strip())
        except InvalidRequirement as e:
            raise WheelRuleError(
                f"{self.render}: {field}: {written!r} is not a requirement (PEP 508): {e}",
                location=self.graph.locate_written(self.target, written.partition(";")[0]),
            ) from None
        extras = f"[{','.join(sorted(parsed.extras))}]" if parsed.extras else ""
        specification = f" @ {parsed.url}" if parsed.url else str(parsed.specifier)
        base = f"Requires-Dist: {parsed.name}{extras}{specification}"
        if parsed.marker:
            return f"{base}; ({parsed.marker}) and {extra}" if extra else f"{base}; {parsed.marker}"
        return f"{base}; {extra}" if extra else base

    def _file(self, label: str, field: str, extra: str) -> list[str]:
        """A requirements file's lines, each re-rendered; comments, blank lines and pip
        options (`-r`, `--hash`) left out."""
        path = label_file(self.graph, self.target, label, field)
        text = self.reader.text(path, label, field)
        found = []
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped or stripped.startswith(("#", "-")):
                continue
            requirement = stripped.partition("#")[0]
            try:
                found.append(self._rendered(requirement, extra, field, requirement))
            except WheelRuleError as error:
                error.location = SourceLocation(path)
                raise
        return found


def _entry_points(fields: Mapping[str, Any]) -> str | None:
    """entry_points.txt as the rule writes it: groups and entries sorted, `console_scripts`
    (the deprecated dict) merged in, a blank line between groups, no final newline."""
    groups = {group: list(entries) for group, entries in (fields.get("entry_points") or {}).items()}
    scripts = fields.get("console_scripts") or {}
    if scripts:
        groups.setdefault("console_scripts", [])
        groups["console_scripts"].extend(f"{name} = {ref}" for name, ref in scripts.items())
    if not groups:
        return None
    lines: list[str] = []
    for group, entries in sorted(groups.items()):
        if lines:
            lines.append("")
        lines.append(f"[{group}]")
        lines.extend(sorted(entries))
    return "\n".join(lines)


def _data_files(graph: BuildGraph, target: Target) -> list[tuple[str, str]]:
    """`data_files`: (path under `.data/`, file); a destination ending in `/` takes every
    file of the label under its own name."""
    found = []
    render = graph.config.render(target.address)
    for label, destination in (target.fields.get("data_files") or {}).items():
        destination = str(destination)
        if destination.partition("/")[0] not in _DATA_PREFIXES:
            raise WheelRuleError(
                f"{render}: data_files puts {label!r} at {destination!r}, which is in none of "
                "the .data directories " + ", ".join(_DATA_PREFIXES),
                location=graph.locate_written(target, destination),
                hint="start the destination with one of them, e.g. scripts/tool or data/",
            )
        files = label_files(graph, target, label)
        if len(files) != 1 and not destination.endswith("/"):
            raise WheelRuleError(
                f"{render}: data_files {label!r} gives {len(files)} files for the one "
                f"destination {destination!r}",
                location=graph.locate_written(target, label),
                hint="end the destination with '/' to put each file there by its name",
            )
        for path in files:
            name = destination + posixpath.basename(path) if destination.endswith("/") else None
            found.append((name or destination, path))
    return found


def _distinfo_files(graph: BuildGraph, target: Target) -> list[tuple[str, str]]:
    found = []
    for label, destination in (target.fields.get("extra_distinfo_files") or {}).items():
        files = label_files(graph, target, label)
        if len(files) != 1:
            raise WheelRuleError(
                f"{graph.config.render(target.address)}: extra_distinfo_files {label!r} gives "
                f"{len(files)} files; it must give one",
                location=graph.locate_written(target, label),
            )
        found.append((str(destination), files[0]))
    return found


def _check_unique(graph: BuildGraph, target: Target, members: Sequence[Member]) -> None:
    """Two files at one path in the wheel: an archive installers refuse."""
    seen: set[str] = set()
    for member in members:
        if member.name in seen:
            raise WheelRuleError(
                f"{graph.config.render(target.address)}: two files go to {member.name} in the "
                "wheel",
                location=target.location,
                hint="strip_path_prefixes / add_path_prefix map both there: package one",
            )
        seen.add(member.name)
