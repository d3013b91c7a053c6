"""Building a distribution's sdist and wheel from its contents, with hatchling (PEP 517).

The owned files are staged in a clean directory laid out as Python imports them (relative to
their source root, Bazel `strip_path_prefixes` applied, Buck2 `base_module` prefixed), next to
a generated PEP 621 `pyproject.toml` saying what Pants' generated setup.py says; hatchling runs
in-process, with SOURCE_DATE_EPOCH fixed so the same inputs give the same bytes. A project
that describes itself (Pants `generate_setup=False`) is staged as Pants stages it and built by
its own backend (publish.own_project).

Staging works out the project in memory and its key (everything the build reads); the files
are written (`lay_out`) only for a project the cache of builds (publish.build_cache) does not
hold, so an unchanged distribution costs reading its sources, not rewriting its project.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Literal

import tomli_w
from hatchling.__about__ import __version__ as HATCHLING_VERSION
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from graphpub import __version__
from graphpub.buildgraph.address import Address, label_path, parse_address
from graphpub.buildgraph.config import Config
from graphpub.buildgraph.confined import read_inside_root
from graphpub.buildgraph.graph import BuildGraph
from graphpub.errors import GraphpubError, SourceLocation
from graphpub.lifetime import die_with_parent
from graphpub.publish import bazel_wheel, buck2_wheel
from graphpub.publish.build_cache import BuildCache, CorruptEntry
from graphpub.publish.inference import BUCK2_KINDS, source_root_of, source_roots
from graphpub.publish.namespace_packages import Namespaces, namespaces
from graphpub.publish.ownership import Contents
from graphpub.publish.vcs_version import generated_file
from graphpub.publish.wheel_archive import WheelPlan
from graphpub.rules.distribution import Distribution, is_target_reference
from graphpub.workdir import NAME as WORK_DIRECTORY
from graphpub.workdir import work_directory

# Files packaged are read whole; beyond this size something is wrong (a device, a disk image).
MAX_PACKAGED_FILE_BYTES = 1 << 32
_CONTENT_TYPES = {".md": "text/markdown", ".rst": "text/x-rst"}


class BuildError(GraphpubError):
    """A distribution that could not be built."""


@dataclass(frozen=True)
class Artifact:
    path: Path
    size: int
    sha256: str


DistKind = Literal["sdist", "wheel"]


# An isolated environment: a backend's requirements, and the tools installed apart.
EnvironmentKey = tuple[tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class Backend:
    """The PEP 517 backend of a project that describes itself, and how to get it."""

    requires: tuple[str, ...]
    build_backend: str
    isolated: bool
    """Installed into an environment of its own from the package index (else graphpub's
    own Python must have it)."""
    secret_env: tuple[str, ...] = ()
    """Globs of the variables holding credentials, which its hooks never see."""
    tools: tuple[str, ...] = ()
    """Requirements installed apart and found after `requires` (as Pants adds a tool's PEX,
    such as mypy's for `uses_mypyc`, to the build): where both pin a project, `requires`
    wins."""

    @property
    def environment_key(self) -> EnvironmentKey:
        return self.requires, self.tools


@dataclass(frozen=True)
class StagedFile:
    """A file of a staged project: read again from the repository (`source`, whose sha256
    must still be the one staged), or made by graphpub (`data`)."""

    path: str
    """Where it goes, relative to the layout's root."""
    sha256: str
    source: str | None = None
    """Root-relative path in the repository."""
    data: bytes | None = None


@dataclass(frozen=True)
class Layout:
    """The files of a staged project, written into `root` only when it is built."""

    root: Path
    repository: Path
    files: tuple[StagedFile, ...] = ()
    directories: tuple[str, ...] = ()
    """Made even if no file goes into them (the directory a backend runs in)."""


@dataclass(frozen=True)
class Staged:
    """A distribution staged for its backend, and the key of everything its build reads."""

    address: Address
    label: str
    location: SourceLocation
    directory: Path
    """Where the backend runs: the staged project's directory (once laid out)."""
    destination: Path
    kinds: tuple[tuple[DistKind, dict[str, Any]], ...]
    environment: Mapping[str, str]
    key: str
    layout: Layout
    backend: Backend | None = None
    """None: graphpub's generated project, built by hatchling in-process."""
    wheel: WheelPlan | None = None
    """The wheel as a wheel rule's own tool writes it (py_wheel, python_wheel), instead of
    the backend's; twine's warnings about its metadata (the rule's) are not errors."""


def stage(
    graph: BuildGraph,
    contents: Contents,
    output: Path,
    epoch: int,
    roots: list[str],
    isolated: bool = True,
    *,
    generated: bool = False,
) -> Staged:
    """Lay out one distribution's files and pyproject.toml, checked, in a clean directory;
    `roots` are the repository's source roots (publish.inference.source_roots); `isolated`:
    whether a project that describes itself gets its backend from the package index. A wheel
    rule's wheel is planned as its tool writes it (`generated`: its project for an sdist)."""
    view = contents.distribution
    fields = graph.target(view.address).fields
    if view.kind in WHEEL_RULES and not generated:
        return _wheel_rule(graph, contents, output, epoch, roots)
    if view.own_project:
        from graphpub.publish.own_project import stage_own_project

        return stage_own_project(graph, contents, output, epoch, isolated)
    _validate(contents, graph.config)
    root = str(graph.config.root)
    payload: dict[str, bytes] = {}
    sources: dict[str, str] = {}  # staged path to the repository's, for files read from it
    for path in contents.files:
        staged = _staged_path(graph, contents, path, roots)
        payload[staged] = read_inside_root(
            root, path, MAX_PACKAGED_FILE_BYTES, location=view.location
        )
        sources[staged] = path
    for address in contents.generated:
        made = generated_file(graph, graph.target(address))
        staged = _staged_path(graph, contents, made.path, roots)
        payload[staged] = made.text.encode()
        sources.pop(staged, None)
    licenses: list[str] = []
    scripts: dict[str, bytes] = {}
    namespace = None
    if view.kind == "python_distribution":
        _add_package_inits(graph, contents, payload, sources, roots)
        scripts = _take_scripts(graph, view, payload)
        licenses = _add_package_data(graph, contents, payload, sources, roots)
        version = str(Version(view.checked_version()))
        namespace = namespaces(graph.config, view.name, version, payload, contents.requires_python)
    files = {
        staged: _staged_file(staged, data, sources.get(staged))
        for staged, data in sorted({**payload, **scripts}.items())
    }
    readme = _long_description(graph, contents)
    if readme:
        files[readme.path] = readme
    tag = wheel_tag(view, fields)
    name = readme.path if readme else None
    pyproject = _pyproject(
        graph, contents, name, sorted(payload), tag, licenses, sorted(scripts), namespace
    )
    files["pyproject.toml"] = _staged_file("pyproject.toml", pyproject.encode())
    if tag:
        hook = _NAMESPACE_HOOK_SOURCE if namespace else _TAG_HOOK_SOURCE
        files[TAG_HOOK] = _staged_file(TAG_HOOK, hook.encode())
    directory = stage_directory(graph, view)
    layout = Layout(directory, graph.config.root, tuple(files.values()))
    digest = hashlib.sha256(f"{__version__}\0{HATCHLING_VERSION}\0".encode())
    return _finish(view, fields, layout, directory, output, epoch, digest)


def _staged_file(path: str, data: bytes, source: str | None = None) -> StagedFile:
    """`data`, to go to `path`: read again from `source` when laid out, else kept."""
    digest = hashlib.sha256(data).hexdigest()
    return StagedFile(path, digest, source, None if source is not None else data)


def stage_directory(graph: BuildGraph, view: Distribution) -> Path:
    """Where `view`'s project is laid out (cleaned first): `.graphpub/stage/ADDRESS`."""
    name = _safe(view.address.render())
    if name in _VCS_BOUNDARIES:  # `//:.git`: not the stage's own
        name = f"_{name}"
    return graph.config.root / WORK_DIRECTORY / "stage" / name


# hatchling's sdist always carries the first `.gitignore` and `.hgignore` found walking up from
# the project, as far as a `.git` (`.hg`) that marks the repository's root (hatchling's
# builders/config.py vcs_exclusion_files, sdist.py get_default_build_data): from a stage, that
# would be graphpub's own `.graphpub/.gitignore`, the repository's, or one above it (a
# `~/.hgignore`). Pants builds in a sandbox outside the repository, where nothing is found
# above the project. These empty directories end hatchling's walk at the stage, so a project
# keeps the ignore files it has and gets none it lacks; being empty, they are no repository
# to git, which looks further up as before.
_VCS_BOUNDARIES = (".git", ".hg")


def stage_root(repository: Path) -> Path:
    """`.graphpub/stage/` (with graphpub's .gitignore above it), which ends the search of a
    backend for a project's VCS ignore files."""
    root = work_directory(repository, "stage")
    for name in _VCS_BOUNDARIES:
        (root / name).mkdir(exist_ok=True)
    return root


def lay_out(project: Staged) -> None:
    """Write `project`'s files into a clean directory, for its backend. A file read from the
    repository must still be what was staged (its key says so): else a BuildError."""
    layout = project.layout
    stage_root(layout.repository)
    if layout.root.exists():
        shutil.rmtree(layout.root)
    layout.root.mkdir(parents=True)
    for file in layout.files:
        data = file.data
        if data is None:
            assert file.source is not None
            data = read_inside_root(
                str(layout.repository),
                file.source,
                MAX_PACKAGED_FILE_BYTES,
                location=project.location,
            )
            if hashlib.sha256(data).hexdigest() != file.sha256:
                raise BuildError(
                    f"{file.source} changed while {project.label} was being packaged",
                    location=project.location,
                    hint="run the command again",
                )
        destination = layout.root / file.path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    for directory in layout.directories:
        (layout.root / directory).mkdir(parents=True, exist_ok=True)


def _add_package_inits(
    graph: BuildGraph,
    contents: Contents,
    payload: dict[str, bytes],
    sources: dict[str, str],
    roots: list[str],
) -> None:
    """Pants adds every `__init__.py` that exists above a Python file it packages, up to the
    file's source root, whether or not a target owns it."""
    view = contents.distribution
    for path in [*contents.files]:
        if not path.endswith((".py", ".pyi")):
            continue
        root = _root_of(path, roots)
        directory = posixpath.dirname(path)
        while directory and directory != root and (not root or directory.startswith(root)):
            for name in ("__init__.py", "__init__.pyi"):
                candidate = posixpath.join(directory, name)
                staged = _staged_path(graph, contents, candidate, roots)
                if staged not in payload and graph.tree_has_file(candidate):
                    payload[staged] = read_inside_root(
                        str(graph.config.root),
                        candidate,
                        MAX_PACKAGED_FILE_BYTES,
                        location=view.location,
                    )
                    sources[staged] = candidate
            directory = posixpath.dirname(directory)


def _take_scripts(
    graph: BuildGraph, view: Distribution, payload: dict[str, bytes]
) -> dict[str, bytes]:
    """The files `python_artifact(scripts=[...])` names (paths in the staged project, as in
    Pants' chroot), taken out of the payload: setuptools installs them as scripts (the
    wheel's .data/scripts), not as package files. One that is not staged is an error, as
    setuptools fails on it."""
    taken: dict[str, bytes] = {}
    for entry in view.metadata.get("scripts") or ():
        path = posixpath.normpath(str(entry))
        if path in taken:
            continue
        if path not in payload:
            target = graph.target(view.address)
            raise BuildError(
                f"{view.label}: the script {entry!r} of python_artifact(scripts=...) is not "
                "among the distribution's files",
                location=graph.locate_written(target, str(entry)),
                hint="add the target owning it to the distribution's dependencies (its path "
                "is from the source root, as in Pants' generated setup.py)",
            )
        taken[path] = payload.pop(path)
    return taken


def _add_package_data(
    graph: BuildGraph,
    contents: Contents,
    payload: dict[str, bytes],
    sources: dict[str, str],
    roots: list[str],
) -> list[str]:
    """Pants' `files` a closure has are package data where they lie inside one of the
    distribution's packages (a directory holding Python code), as resources are; elsewhere
    both are left out, except licence files beside setup.py, which setuptools puts in the
    wheel's .dist-info (its default license_files). Returns those licence files."""
    view = contents.distribution
    loose = {_staged_path(graph, contents, path, roots): path for path in contents.loose_files}
    packages = {posixpath.dirname(p) for p in payload if p.endswith(".py")}
    for staged, path in loose.items():
        if staged not in payload and (_in_package(staged, packages) or _is_license(staged)):
            payload[staged] = read_inside_root(
                str(graph.config.root), path, MAX_PACKAGED_FILE_BYTES, location=view.location
            )
            sources[staged] = path
    licenses = sorted(p for p in payload if _is_license(p) and not _in_package(p, packages))
    for staged in [p for p in payload if not p.endswith((".py", ".pyi"))]:
        if not _in_package(staged, packages) and staged not in licenses:
            del payload[staged]
    return licenses


# setuptools' default `license_files`: beside setup.py, they go to the wheel's .dist-info.
_LICENSE_PATTERNS = ("LICEN[CS]E*", "COPYING*", "NOTICE*", "AUTHORS*")


def _is_license(staged: str) -> bool:
    return "/" not in staged and any(fnmatch.fnmatchcase(staged, p) for p in _LICENSE_PATTERNS)


def _in_package(staged: str, packages: set[str]) -> bool:
    directory = posixpath.dirname(staged)
    while True:
        if directory in packages:
            return True
        if not directory:
            return False
        directory = posixpath.dirname(directory)


def _root_of(path: str, roots: list[str]) -> str:
    directory = posixpath.dirname(path)
    for root in roots:  # longest first
        if not root or directory == root or directory.startswith(root + "/"):
            return root
    return ""


def _finish(
    view: Distribution,
    fields: Mapping[str, Any],
    layout: Layout,
    directory: Path,
    output: Path,
    epoch: int,
    digest: Any,
    *,
    backend: Backend | None = None,
) -> Staged:
    """The Staged project: what to build, with which settings and environment, and the key
    of all its build reads (`digest` started, with the layout's files added here)."""
    every: tuple[DistKind, ...] = ("sdist", "wheel")
    kinds = tuple(
        (kind, dict(fields.get(f"{kind}_config_settings") or {}))
        for kind in every
        if fields.get(kind, True)
    )
    environment = {"SOURCE_DATE_EPOCH": str(epoch), **_env_vars(fields.get("env_vars") or ())}
    if backend is None:
        # setuptools writes any classifier given, and PyPI judges them on upload; hatchling
        # would refuse one its trove-classifiers release does not know yet.
        environment["HATCH_METADATA_CLASSIFIERS_NO_VERIFY"] = "1"
    backend_key = dataclasses.asdict(backend) if backend else None
    files = [(f.path, f.sha256) for f in layout.files]
    keyed = [files, list(layout.directories), kinds, environment, backend_key]
    digest.update(json.dumps(keyed, sort_keys=True).encode())
    return Staged(
        address=view.address,
        label=view.label,
        location=view.location,
        directory=directory,
        destination=output / str(fields.get("output_path") or ""),
        kinds=kinds,
        environment=environment,
        key=digest.hexdigest(),
        layout=layout,
        backend=backend,
    )


# The wheel rules: a wheel only (as `bazel build` / `buck2 build` make), an sdist as well when
# the configuration asks (`bazel_sdist`, `buck2_sdist`).
WHEEL_RULES = frozenset({"py_wheel", "python_wheel"})


def _wheel_rule(
    graph: BuildGraph, contents: Contents, output: Path, epoch: int, roots: list[str]
) -> Staged:
    """A py_wheel or python_wheel: its wheel planned as rules_python's wheelmaker or the
    Buck2 prelude's wheel.py writes it, with an sdist of a generated project if asked."""
    view = contents.distribution
    target = graph.target(view.address)
    if view.kind == "py_wheel":
        wheel = bazel_wheel.plan(graph, view, contents.files, MAX_PACKAGED_FILE_BYTES, graph.warn)
        with_sdist = graph.config.bazel_sdist
    else:
        placed = buck2_wheel.placed(graph, target)
        wheel = buck2_wheel.plan(graph, view, placed, MAX_PACKAGED_FILE_BYTES)
        with_sdist = graph.config.buck2_sdist
    digest = hashlib.sha256(f"{__version__}\0wheel rule\0{wheel.filename}\0".encode())
    for member in wheel.members:
        digest.update(
            f"{member.name}\0{member.streamed}\0{member.external_attr}\0{member.compress_type}"
            f"\0{member.force_zip64}\0{len(member.data)}\0".encode()
            + hashlib.sha256(member.data).digest()
        )
    if with_sdist:
        project = stage(graph, contents, output, epoch, roots, generated=True)
        digest.update(project.key.encode())
        return dataclasses.replace(
            project, kinds=(("sdist", {}), ("wheel", {})), wheel=wheel, key=digest.hexdigest()
        )
    directory = stage_directory(graph, view)
    return Staged(
        address=view.address,
        label=view.label,
        location=view.location,
        directory=directory,
        destination=output,
        kinds=(("wheel", {}),),
        environment={"SOURCE_DATE_EPOCH": str(epoch)},
        key=digest.hexdigest(),
        layout=Layout(directory, graph.config.root),
        wheel=wheel,
    )


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "root"


_PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def _validate(contents: Contents, config: Config) -> None:
    """PEP 508 names and requirements, a PEP 440 version: errors at the target's BUILD line."""
    view = contents.distribution
    for what, value in (("name", view.name), ("version", view.raw_version)):
        if not value:
            hint = (
                f"give python_artifact() a {what}, or set generate_setup=False to build the "
                "project's own pyproject.toml"
            )
            if config.pants_plugins and not config.setup_kwargs_plugin:
                hint += (
                    f"; if a plugin of the repository computes the {what} (a SetupKwargs "
                    "rule), port it to Starlark and name it in setup_kwargs_plugin"
                )
            raise BuildError(
                f"{view.label} has no {what}: graphpub generates its project from "
                f"python_artifact(...), which names none",
                location=view.location,
                hint=hint,
            )
    if not _PROJECT_NAME.match(view.name):
        raise BuildError(
            f"{view.label}: {view.name!r} is not a valid distribution name (PEP 508)",
            location=view.location,
            hint="letters, digits, and . _ - between them",
        )
    version = view.checked_version()
    try:
        Version(version)
    except InvalidVersion:
        raise BuildError(
            f"{view.label}: {version!r} is not a valid version (PEP 440)",
            location=view.location,
            hint="e.g. 1.2.3, 1.2.3rc1, 1.2.3.post1, 1.2.3.dev4",
        ) from None
    for requirement in contents.requirements:
        try:
            Requirement(requirement)
        except InvalidRequirement as e:
            raise BuildError(
                f"{view.label}: requirement {requirement!r} is not valid (PEP 508): {e}",
                location=view.location,
            ) from None


def build_all(
    staged: Sequence[Staged],
    cache: BuildCache,
    jobs: int,
    on_built: Callable[[Staged], None] = lambda _project: None,
    *,
    warn: Callable[[str], None],
    on_ready: Callable[[], None] = lambda: None,
) -> dict[Address, list[Artifact]]:
    """Build what the cache does not hold yet, `jobs` at a time, and copy every build into
    its destination (`dist/`); a new build passes `twine check` (`--strict` for graphpub's
    own metadata) before it enters the cache. A corrupt or foreign entry is `warn`ed about
    and built again. `on_ready` is called once nothing is left to build (after the cache
    lookups, or after the builds): no process is forked after it, so threads may start."""
    held: dict[str, dict[str, str]] = {}
    missing: dict[str, Staged] = {}  # one build per key
    for project in staged:
        if project.key in held or project.key in missing:
            continue
        try:
            found = cache.held(project.key)
        except CorruptEntry as e:
            warn(
                f"{project.label}: its cached build {e.path} is not one graphpub made whole "
                f"({e.reason}): building it again"
            )
            found = None
        if found is None:
            missing[project.key] = project
        else:
            held[project.key] = found
    for project in staged:
        if project.key in held:
            on_built(project)
    if missing:
        held.update(_build(list(missing.values()), cache, jobs, on_built))
    on_ready()
    results: dict[Address, list[Artifact]] = {}
    for project in staged:
        project.destination.mkdir(parents=True, exist_ok=True)
        artifacts = []
        for name in sorted(held[project.key]):
            try:
                data = cache.read(project.key, name, held[project.key])
            except CorruptEntry as e:
                raise BuildError(
                    f"{project.label}: its cached build {e.path} changed while it was used "
                    f"({e.reason})",
                    location=project.location,
                    hint="run the command again",
                ) from None
            target = project.destination / name
            if not _holds(target, data):
                target.write_bytes(data)
            artifacts.append(Artifact(target, len(data), hashlib.sha256(data).hexdigest()))
        results[project.address] = artifacts
    return results


def _holds(path: Path, data: bytes) -> bool:
    """Whether `path` is a file holding `data` already."""
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _build(
    missing: Sequence[Staged],
    cache: BuildCache,
    jobs: int,
    on_built: Callable[[Staged], None],
) -> dict[str, dict[str, str]]:
    """Lay out and build `missing`, check the builds, and put them in the cache: each key's
    files (name to sha256)."""
    from graphpub.publish.own_project import BackendEnvironments, build_own_project

    for project in missing:
        lay_out(project)
    workers = max(1, min(jobs, len(missing)))
    failures: dict[str, str | None] = {}
    temporaries = {project.key: cache.temporary(project.key) for project in missing}
    try:
        with (
            BackendEnvironments([p for p in missing if p.backend], jobs) as environments,
            ProcessPoolExecutor(
                max_workers=workers,
                mp_context=get_context("fork"),
                initializer=die_with_parent,
                initargs=(os.getpid(),),
            ) as pool,
        ):
            running = {
                pool.submit(
                    build_own_project,
                    p,
                    temporaries[p.key],
                    environments.runtime_for(p),
                )
                if p.backend
                else pool.submit(_build_project, p, temporaries[p.key]): p
                for p in missing
            }
            for future in as_completed(running):
                failures[running[future].key] = future.result()
                on_built(running[future])
        for project in missing:
            failure = failures[project.key]
            if failure is not None:
                raise BuildError(
                    f"building {project.label} failed: {failure}",
                    location=project.location,
                    hint=f"the staged project is in {project.directory}",
                )
        # graphpub's own metadata must be what PyPI accepts without a warning; a wheel rule's
        # wheel and a project that describes itself are checked as twine checks any upload.
        new = [(p, f) for p in missing for f in sorted(temporaries[p.key].iterdir())]
        for strict in (True, False):
            _twine_check([f for p, f in new if _strictly_checked(p, f) == strict], strict=strict)
        return {p.key: cache.commit(temporaries[p.key], p.key) for p in missing}
    finally:
        for temporary in temporaries.values():  # what was not committed: never reused
            shutil.rmtree(temporary, ignore_errors=True)


def _build_project(project: Staged, temporary: Path) -> str | None:
    """In a worker process: run hatchling's PEP 517 hooks in-process (no interpreter to
    start per hook) into `temporary`; the error text if it fails."""
    import hatchling.build as backend

    saved_environment, saved_cwd = dict(os.environ), os.getcwd()
    try:
        os.environ.update(project.environment)
        os.chdir(project.directory)
        for kind, settings in project.kinds:
            if kind == "wheel" and project.wheel is not None:
                project.wheel.write(temporary)
                continue
            hook = backend.build_sdist if kind == "sdist" else backend.build_wheel
            hook(str(temporary), settings or None)
        return None
    except Exception as e:  # a backend's error: reported for its distribution
        return f"{type(e).__name__}: {e}"
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_environment)


def _strictly_checked(project: Staged, file: Path) -> bool:
    """Whether `file` holds metadata graphpub wrote (its generated projects'), which passes
    `twine check --strict`; a self-describing project's backend or a wheel rule wrote the
    others' metadata."""
    return project.backend is None and not _as_the_rule_makes_it(project, file)


def _as_the_rule_makes_it(project: Staged, file: Path) -> bool:
    """A wheel rule's wheel: its metadata is what the rule writes (a py_wheel without a
    description says `UNKNOWN`), so twine's warnings about it are not graphpub's to fix."""
    return project.wheel is not None and file.name == project.wheel.filename


def _twine_check(files: Sequence[Path], *, strict: bool) -> None:
    if not files:
        return
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "twine",
            "--no-color",
            "check",
            *(["--strict"] if strict else []),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        failed = [
            line for line in result.stdout.splitlines() if "FAILED" in line or "ERROR" in line
        ]
        raise BuildError(
            f"twine check{' --strict' if strict else ''} failed: "
            + ("; ".join(failed) or result.stdout.strip()),
            hint="the distribution's metadata is not what PyPI accepts",
        )


def _env_vars(entries: Sequence[str]) -> dict[str, str]:
    """Pants `env_vars`: `NAME=value`, or `NAME` to pass graphpub's own value on."""
    found = {}
    for entry in entries:
        name, eq, value = entry.partition("=")
        if eq:
            found[name] = value
        elif name in os.environ:
            found[name] = os.environ[name]
    return found


def _staged_path(graph: BuildGraph, contents: Contents, path: str, roots: list[str]) -> str:
    """Where a file goes in the distribution: as Python imports it."""
    view = contents.distribution
    if view.kind in WHEEL_RULES:  # where the rule's wheel has it
        return _wheel_rule_path(graph, contents, path)
    for prefix in view.metadata.get("strip_path_prefixes") or ():
        prefix = str(prefix).strip("/")
        if path.startswith(prefix + "/"):
            return path[len(prefix) + 1 :]
    for address in contents.owned:
        target = graph.target(address)
        if target.kind in BUCK2_KINDS and path in graph.owned_files(target):
            base = target.fields.get("base_module")
            prefix = (
                base if isinstance(base, str) else address.directory.replace("/", ".")
            ).replace(".", "/")
            return posixpath.join(prefix, posixpath.relpath(path, address.directory or "."))
    directory = posixpath.dirname(path)
    for root in roots:  # longest first
        if not root or directory == root or directory.startswith(root + "/"):
            return posixpath.relpath(path, root or ".")
    return path


def _wheel_rule_path(graph: BuildGraph, contents: Contents, path: str) -> str:
    view = contents.distribution
    target = graph.target(view.address)
    if view.kind == "py_wheel":
        strip = [str(p) for p in view.metadata.get("strip_path_prefixes") or ()]
        add = str(view.metadata.get("add_path_prefix") or "")
        return bazel_wheel.arcname(path, "\0", strip, add).lstrip("/")
    placed = buck2_wheel.placed(graph, target)
    return next(destination for destination, source in placed.files if source == path)


def _long_description(graph: BuildGraph, contents: Contents) -> StagedFile | None:
    """The README the project's metadata takes its long description from."""
    view = contents.distribution
    written = view.metadata.get("long_description_path")
    explicit = view.metadata.get("long_description")
    if explicit is not None:
        target = graph.target(view.address)
        if written:
            raise BuildError(
                f"{view.label} sets long_description_path, and python_artifact() a "
                "long_description: only one of them may be set",
                location=graph.locate_keyword(target, ("long_description",)) or view.location,
                hint="keep the file (long_description_path) or the text, not both",
            )
        content_type = str(view.metadata.get("long_description_content_type") or "")
        suffixes = {v: k for k, v in _CONTENT_TYPES.items()}
        name = "README" + suffixes.get(content_type.partition(";")[0].strip(), ".txt")
        return _staged_file(name, str(explicit).encode())
    relative = written
    if written is None and view.metadata.get("description_file"):
        written = str(view.metadata["description_file"])
        relative = label_path(written, view.address.directory)
    if not relative:
        # PyPI shows a long description on every project page, and `twine check --strict`
        # fails without one: say what the distribution is, in plain text.
        text = str(view.metadata.get("description") or view.metadata.get("summary") or view.name)
        return _staged_file("README.txt", (text + "\n").encode())
    target = graph.target(view.address)
    data = read_inside_root(
        str(graph.config.root),
        str(relative),
        MAX_PACKAGED_FILE_BYTES,
        what=f"the long description of {view.label},",
        location=graph.locate_written(target, str(written)),
    )
    suffix = posixpath.splitext(str(relative))[1]
    name = "README" + (suffix if suffix in _CONTENT_TYPES else ".txt")
    return _staged_file(name, data, str(relative))


# hatchling's custom build hook file: it sets the wheel's tag (build_data["tag"]), which
# hatchling would otherwise derive from Requires-Python.
TAG_HOOK = "hatch_build.py"
_TAG_HOOK_SOURCE = """\
# Written by graphpub: the wheel's tag, as the distribution's BUILD file asks for it.
from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class WheelTag(BuildHookInterface):
    def initialize(self, version, build_data):
        build_data["tag"] = self.config["tag"]
"""
# The same, and the files setuptools adds to the wheel of a distribution with namespace
# packages (publish.namespace_packages), written apart while the wheel is built.
_NAMESPACE_HOOK_SOURCE = """\
# Written by graphpub: the wheel's tag, as the distribution's BUILD file asks for it, and the
# files setuptools adds to it for the namespace packages Pants' setup.py declares.
import os
import shutil
import tempfile

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class WheelTag(BuildHookInterface):
    def initialize(self, version, build_data):
        build_data["tag"] = self.config["tag"]
        self.scratch = tempfile.mkdtemp()
        for number, (path, text) in enumerate(sorted(self.config["files"].items())):
            written = os.path.join(self.scratch, str(number))
            with open(written, "w", encoding="utf-8", newline="") as file:
                file.write(text)
            build_data["force_include"][written] = path

    def finalize(self, version, build_data, artifact_path):
        shutil.rmtree(self.scratch, ignore_errors=True)
"""


def wheel_tag(view: Distribution, fields: Mapping[str, Any]) -> str | None:
    """The tag of a Pants distribution's wheel: `py3-none-any`, as setuptools' bdist_wheel
    gives a pure distribution whatever its interpreter constraints, unless
    `wheel_config_settings` passes bdist_wheel a `--python-tag` (as Pants documents it).
    None for the wheel rules of other build systems (hatchling's own then)."""
    if view.kind != "python_distribution":
        return None
    settings = fields.get("wheel_config_settings") or {}
    options: list[str] = []
    for key in ("--global-option", "--build-option"):
        value = settings.get(key) or ()
        options.extend([value] if isinstance(value, str) else [str(v) for v in value])
    python_tag = "py3"
    for index, option in enumerate(options):
        if option == "--python-tag" and index + 1 < len(options):
            python_tag = options[index + 1]
        elif option.startswith("--python-tag="):
            python_tag = option.partition("=")[2]
    return f"{python_tag}-none-any"


# setup() keywords with no place in core metadata, or that only steer setuptools' own build
# (Pants passes them on; setuptools writes nothing of them to METADATA).
_SETUP_ONLY_KEYWORDS = frozenset(
    {
        "cmdclass",
        "distclass",
        "eager_resources",
        "ext_modules",
        "ext_package",
        "include_package_data",
        "exclude_package_data",
        "libraries",
        "license_files",
        "options",
        "py_modules",
        "script_args",
        "script_name",
        "setup_requires",
        "test_suite",
        "tests_require",
        "use_2to3",
        "zip_safe",
    }
)
# Keywords graphpub reads, of python_artifact() and of the Bazel and Buck2 wheel rules.
_METADATA_KEYWORDS = frozenset(
    {
        "author",
        "author_email",
        "classifiers",
        "description",
        "description_content_type",
        "description_file",
        "download_url",
        "extras_require",
        "homepage",
        "interpreter_constraints",
        "keywords",
        "license",
        "long_description",
        "long_description_content_type",
        "long_description_path",
        "maintainer",
        "maintainer_email",
        "output_path",
        "project_urls",
        "python_requires",
        "scripts",
        "summary",
        "url",
        "python_tag",
        "abi",
        "platform",
        "strip_path_prefixes",
    }
)


def _pyproject(
    graph: BuildGraph,
    contents: Contents,
    readme: str | None,
    payload: Sequence[str],
    tag: str | None,
    licenses: Sequence[str] = (),
    setup_scripts: Sequence[str] = (),
    namespace: Namespaces | None = None,
) -> str:
    """The PEP 621 pyproject.toml (hatchling's) saying what Pants' generated setup.py says:
    each setup() keyword in the core metadata field setuptools writes it to; namespace
    packages in the wheel as setuptools builds them (the build hook adds its files)."""
    view = contents.distribution
    metadata = view.metadata
    version = view.checked_version()
    if view.kind == "python_distribution":
        # Pants' generated setup.py runs setuptools, which writes the normalized version
        # (3.10dev as 3.10.dev0), as the file names have it.
        version = str(Version(version))
    project: dict[str, Any] = {"name": view.name, "version": version}
    description = metadata.get("description") or metadata.get("summary")
    if description:
        project["description"] = str(description)
    if readme:
        project["readme"] = {"file": readme, "content-type": _readme_type(graph, view, readme)}
    # An explicit python_requires wins over the interpreter constraints (Pants: setdefault).
    requires_python = metadata.get("python_requires") or contents.requires_python
    if requires_python:
        project["requires-python"] = str(requires_python)
    if contents.requirements:
        project["dependencies"] = list(contents.requirements)
    for key, (name, email) in (
        ("authors", ("author", "author_email")),
        ("maintainers", ("maintainer", "maintainer_email")),
    ):
        # One table each, so that setuptools' `Author:` and `Author-email:` stay two fields.
        people = [
            {part: str(metadata[field])}
            for part, field in (("name", name), ("email", email))
            if metadata.get(field)
        ]
        if people:
            project[key] = people
    if metadata.get("license"):
        project["license"] = {"text": str(metadata["license"])}
    if licenses:
        project["license-files"] = list(licenses)
    if metadata.get("classifiers"):
        project["classifiers"] = [str(c) for c in metadata["classifiers"]]
    if metadata.get("keywords"):
        keywords = metadata["keywords"]
        project["keywords"] = (
            [k for k in re.split(r"[,\s]+", keywords) if k]
            if isinstance(keywords, str)
            else [str(k) for k in keywords]
        )
    extras = metadata.get("extras_require") or {}  # setup()'s, as Pants passes it on
    if extras:
        project["optional-dependencies"] = {
            str(k): [r for r in (v.splitlines() if isinstance(v, str) else map(str, v)) if r]
            for k, v in extras.items()
        }
    urls = {str(k): str(v) for k, v in dict(metadata.get("project_urls") or {}).items()}
    for key, label in (("url", "Homepage"), ("homepage", "Homepage"), ("download_url", "Download")):
        if metadata.get(key):
            urls.setdefault(label, str(metadata[key]))
    if urls:
        project["urls"] = urls
    entry_points = _resolved_entry_points(graph, view)
    scripts = {
        group: dict(entry_points[group])
        for group in ("console_scripts", "gui_scripts")
        if entry_points.get(group)
    }
    if scripts.get("console_scripts"):
        project["scripts"] = scripts["console_scripts"]
    if scripts.get("gui_scripts"):
        project["gui-scripts"] = scripts["gui_scripts"]
    others = {
        g: dict(e) for g, e in entry_points.items() if g not in ("console_scripts", "gui_scripts")
    }
    if others:
        project["entry-points"] = others
    _warn_unused_keywords(graph, view)
    left_out = {*licenses, *(namespace.left_out if namespace else ())}
    wheel: dict[str, Any] = {"only-include": [p for p in payload if p not in left_out]}
    if not wheel["only-include"]:
        # A distribution of requirements alone (setuptools builds it): a wheel of metadata.
        wheel["bypass-selection"] = True
    if setup_scripts:
        wheel["shared-scripts"] = {p: posixpath.basename(p) for p in setup_scripts}
    if tag:
        hook: dict[str, Any] = {"path": TAG_HOOK, "tag": tag}
        if namespace:
            hook["files"] = dict(namespace.wheel_files)
        wheel["hooks"] = {"custom": hook}
    sdist_files = [
        *payload,
        *setup_scripts,
        *([readme] if readme else []),
        *([TAG_HOOK] if tag else []),
    ]
    document = {
        "build-system": {"requires": ["hatchling"], "build-backend": "hatchling.build"},
        "project": project,
        "tool": {
            "hatch": {
                # setuptools takes `name @ url` requirements (st2's orquesta @ git+https://...)
                "metadata": {"allow-direct-references": True},
                "build": {"targets": {"wheel": wheel, "sdist": {"only-include": sdist_files}}},
            }
        },
    }
    return tomli_w.dumps(document)


# What a long description's content type may be named, short of its MIME type.
_CONTENT_TYPE_NAMES = {
    "markdown": "text/markdown",
    "md": "text/markdown",
    "rst": "text/x-rst",
    "restructuredtext": "text/x-rst",
    "plain": "text/plain",
    "text": "text/plain",
    "txt": "text/plain",
}


def _resolved_entry_points(graph: BuildGraph, view: Distribution) -> dict[str, dict[str, str]]:
    """The distribution's entry points, each pex_binary address among them (`:app`) replaced
    by that binary's own entry point, a file (`app.py:main`) as its module, as Pants does."""
    resolved: dict[str, dict[str, str]] = {}
    for group, entries in view.entry_points.items():
        for name, reference in entries.items():
            if is_target_reference(reference):
                reference = _pex_entry_point(graph, view, reference)
                if group in ("console_scripts", "gui_scripts") and ":" not in reference:
                    raise BuildError(
                        f"every entry point in `{group}` of {view.label} must end in "
                        f"`:function`, but {name} names a pex_binary whose entry point is "
                        f"{reference!r}",
                        location=view.location,
                        hint=f'e.g. {{"{group}": {{"{name}": "{reference}:main"}}}}',
                    )
            resolved.setdefault(group, {})[name] = reference
    return resolved


def _pex_entry_point(graph: BuildGraph, view: Distribution, reference: str) -> str:
    target = graph.target(view.address)
    location = graph.locate_written(target, reference)
    written = parse_address(
        reference,
        relative_to=view.address.directory,
        bare_name_is_target=False,
        location=location,
    )
    binaries = [graph.target(a) for a in graph.resolve(written, target)]
    if len(binaries) != 1 or binaries[0].kind != "pex_binary":
        kinds = ", ".join(sorted({b.kind for b in binaries})) or "no target"
        raise BuildError(
            f"the entry point {reference!r} of {view.label} must be the address of a "
            f"pex_binary, but it is {kinds}",
            location=location,
            hint='or name a module, like "project.app:main"',
        )
    binary = binaries[0]
    entry_point = str(binary.fields.get("entry_point") or "")
    module, colon, function = entry_point.partition(":")
    if not module:
        raise BuildError(
            f"{graph.config.render(binary.address)}, an entry point of {view.label}, has "
            "no `entry_point`",
            location=binary.location,
        )
    if module.endswith(".py"):
        path = posixpath.normpath(posixpath.join(binary.address.directory, module))
        root = source_root_of(posixpath.dirname(path), source_roots(graph))
        module = posixpath.relpath(path[: -len(".py")], root or ".").replace("/", ".")
    return f"{module}:{function}" if colon else module


def _readme_type(graph: BuildGraph, view: Distribution, readme: str) -> str:
    """The long description's content type: the one given (`text/markdown; charset=UTF-8`:
    its MIME type), else by the file's extension."""
    given = view.metadata.get("long_description_content_type") or view.metadata.get(
        "description_content_type"
    )
    if not given:
        return _CONTENT_TYPES.get(posixpath.splitext(readme)[1], "text/plain")
    mime = str(given).partition(";")[0].strip().lower()
    if mime in _CONTENT_TYPES.values():
        return mime
    if mime in _CONTENT_TYPE_NAMES:
        # setuptools writes any text; PyPI takes only the three MIME types.
        graph.warn(
            f"{view.label}: long_description_content_type {given!r} is not a MIME type: "
            f"taken as {_CONTENT_TYPE_NAMES[mime]}",
            key=f"content-type:{view.address}",
        )
        return _CONTENT_TYPE_NAMES[mime]
    target = graph.target(view.address)
    raise BuildError(
        f"{view.label}: long_description_content_type {given!r} is none PyPI accepts",
        location=graph.locate_written(target, str(given)),
        hint="text/markdown, text/x-rst or text/plain",
    )


def _warn_unused_keywords(graph: BuildGraph, view: Distribution) -> None:
    if view.kind != "python_distribution":
        return
    unused = sorted(
        k for k in view.metadata if k not in _METADATA_KEYWORDS and k not in _SETUP_ONLY_KEYWORDS
    )
    if unused:
        graph.warn(
            f"{view.label}: python_artifact() keywords core metadata has no field for, left "
            f"out: {', '.join(unused)}",
            key=f"unused-keywords:{view.address}",
        )
