"""Building a distribution's sdist and wheel from its contents, with hatchling (PEP 517).

The owned files are staged in a clean directory laid out as Python imports them (relative to
their source root, Bazel `strip_path_prefixes` applied, Buck2 `base_module` prefixed), next to
a generated PEP 621 `pyproject.toml`; `build` runs the backend offline, without isolation, with
SOURCE_DATE_EPOCH fixed so the same inputs give the same bytes.
"""

from __future__ import annotations

import dataclasses
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
from importlib.metadata import version as installed_version
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import tomli_w
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from graphpub import __version__
from graphpub.buildgraph.address import Address, label_path
from graphpub.buildgraph.confined import read_inside_root
from graphpub.buildgraph.graph import BuildGraph
from graphpub.errors import GraphpubError, SourceLocation
from graphpub.lifetime import die_with_parent
from graphpub.publish import bazel_wheel, buck2_wheel
from graphpub.publish.inference import BUCK2_KINDS
from graphpub.publish.ownership import Contents
from graphpub.publish.wheel_archive import WheelPlan
from graphpub.rules.distribution import Distribution
from graphpub.workdir import work_directory

HATCHLING_VERSION = installed_version("hatchling")
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


@dataclass(frozen=True)
class Staged:
    """A distribution laid out for its backend, and the key of everything its build reads."""

    address: Address
    label: str
    location: SourceLocation
    directory: Path
    destination: Path
    kinds: tuple[tuple[str, dict[str, Any]], ...]
    environment: Mapping[str, str]
    key: str
    wheel: WheelPlan | None = None
    """The wheel as a wheel rule's own tool writes it (py_wheel, python_wheel), instead of
    the backend's; twine's warnings about its metadata (the rule's) are not errors."""


def stage(
    graph: BuildGraph,
    contents: Contents,
    output: Path,
    epoch: int,
    roots: list[str],
    *,
    generated: bool = False,
) -> Staged:
    """Lay out one distribution's files and pyproject.toml, checked, in a clean directory;
    `roots` are the repository's source roots (publish.inference.source_roots). A wheel
    rule's wheel is planned as its tool writes it (`generated`: its project for an sdist)."""
    view = contents.distribution
    fields = graph.target(view.address).fields
    if view.kind in WHEEL_RULES and not generated:
        return _wheel_rule(graph, contents, output, epoch, roots)
    if fields.get("generate_setup") is False:
        return _own_project(graph, contents, output, epoch)
    _validate(contents)
    directory = work_directory(graph.config.root, "stage") / _safe(view.address.render())
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    digest = hashlib.sha256(f"{__version__}\0{HATCHLING_VERSION}\0".encode())
    for path in contents.files:
        staged = _staged_path(graph, contents, path, roots)
        data = read_inside_root(
            str(graph.config.root), path, MAX_PACKAGED_FILE_BYTES, location=view.location
        )
        digest.update(f"{staged}\0{len(data)}\0".encode() + data)
        destination = directory / staged
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    readme = _long_description(graph, contents, directory)
    if readme:
        digest.update((directory / readme).read_bytes())
    pyproject = _pyproject(contents, readme, directory)
    (directory / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return _finish(view, fields, directory, output, epoch, digest, pyproject)


def _own_project(graph: BuildGraph, contents: Contents, output: Path, epoch: int) -> Staged:
    """`generate_setup=False`: the target's directory is a project of its own, built as is."""
    view = contents.distribution
    directory = graph.config.root / view.address.directory
    if not (directory / "pyproject.toml").is_file():
        raise BuildError(
            f"{view.label} has generate_setup=False, but {view.address.directory or '.'} "
            "has no pyproject.toml",
            location=view.location,
            hint="add the project's pyproject.toml there, or let graphpub generate it",
        )
    fields = graph.target(view.address).fields
    digest = hashlib.sha256(f"{__version__}\0{HATCHLING_VERSION}\0own\0".encode())
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if set(relative.parts) & {"dist", ".graphpub", "__pycache__"} or path.is_dir():
            continue
        # The backend reads the project as it is: nothing in it may lead out of the root.
        data = read_inside_root(
            str(graph.config.root),
            str(path.relative_to(graph.config.root)),
            MAX_PACKAGED_FILE_BYTES,
            location=view.location,
        )
        digest.update(f"{relative}\0".encode() + data)
    return _finish(view, fields, directory, output, epoch, digest)


def _finish(
    view: Distribution,
    fields: Mapping[str, Any],
    directory: Path,
    output: Path,
    epoch: int,
    digest: Any,
    *keyed: str,
) -> Staged:
    """The Staged project: what to build, with which settings and environment, and the key
    of all its build reads (`digest` holds the files; `keyed` adds more text)."""
    kinds = tuple(
        (kind, dict(fields.get(f"{kind}_config_settings") or {}))
        for kind in ("sdist", "wheel")
        if fields.get(kind, True)
    )
    environment = {"SOURCE_DATE_EPOCH": str(epoch), **_env_vars(fields.get("env_vars") or ())}
    digest.update(json.dumps([*keyed, kinds, environment], sort_keys=True).encode())
    return Staged(
        address=view.address,
        label=view.label,
        location=view.location,
        directory=directory,
        destination=output / str(fields.get("output_path") or ""),
        kinds=kinds,
        environment=environment,
        key=digest.hexdigest(),
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
    directory = graph.config.root / ".graphpub" / "stage" / _safe(view.address.render())
    directory.mkdir(parents=True, exist_ok=True)
    return Staged(
        address=view.address,
        label=view.label,
        location=view.location,
        directory=directory,
        destination=output,
        kinds=(("wheel", {}),),
        environment={"SOURCE_DATE_EPOCH": str(epoch)},
        key=digest.hexdigest(),
        wheel=wheel,
    )


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "root"


_PROJECT_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def _validate(contents: Contents) -> None:
    """PEP 508 names and requirements, a PEP 440 version: errors at the target's BUILD line."""
    view = contents.distribution
    for what, value in (("name", view.name), ("version", view.raw_version)):
        if not value:
            raise BuildError(
                f"{view.label} has no {what}: graphpub generates its project from "
                f"python_artifact(...), which names none",
                location=view.location,
                hint=f"give python_artifact() a {what}, or set generate_setup=False to build "
                "the project's own pyproject.toml",
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
    cache: Path,
    jobs: int,
    on_built: Callable[[Staged], None] = lambda _project: None,
) -> dict[Address, list[Artifact]]:
    """Build what the cache does not hold yet, `jobs` at a time; every artifact new to the
    cache passes `twine check --strict` before it is reported built."""
    missing = [s for s in staged if not (cache / s.key).is_dir()]
    for project in staged:
        if project not in missing:
            on_built(project)
    if missing:
        workers = max(1, min(jobs, len(missing)))
        failures: dict[str, str | None] = {}
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("fork"),
            initializer=die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            running = {pool.submit(_build_into_cache, p, cache): p for p in missing}
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
        new = [(s, f) for s in missing for f in sorted((cache / s.key).iterdir())]
        _twine_check([f for s, f in new if not _as_the_rule_makes_it(s, f)], strict=True)
        _twine_check([f for s, f in new if _as_the_rule_makes_it(s, f)], strict=False)
    results: dict[Address, list[Artifact]] = {}
    for project in staged:
        project.destination.mkdir(parents=True, exist_ok=True)
        artifacts = []
        for built in sorted((cache / project.key).iterdir()):
            data = built.read_bytes()
            target = project.destination / built.name
            if not target.exists() or target.read_bytes() != data:
                shutil.copyfile(built, target)
            artifacts.append(Artifact(target, len(data), hashlib.sha256(data).hexdigest()))
        results[project.address] = artifacts
    return results


def _build_into_cache(project: Staged, cache: Path) -> str | None:
    """In a worker process: run hatchling's PEP 517 hooks in-process (no interpreter to
    start per hook), into a temporary directory renamed into the cache when complete."""
    import hatchling.build as backend

    temporary = cache / f"{project.key}.{os.getpid()}.tmp"
    saved_environment, saved_cwd = dict(os.environ), os.getcwd()
    try:
        temporary.mkdir(parents=True, exist_ok=True)
        os.environ.update(project.environment)
        os.chdir(project.directory)
        for kind, settings in project.kinds:
            if kind == "wheel" and project.wheel is not None:
                project.wheel.write(temporary)
                continue
            hook = backend.build_sdist if kind == "sdist" else backend.build_wheel
            hook(str(temporary), settings or None)
        os.replace(temporary, cache / project.key)
        return None
    except Exception as e:  # a backend's error: reported for its distribution
        shutil.rmtree(temporary, ignore_errors=True)
        return f"{type(e).__name__}: {e}"
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_environment)


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
        for file in files:
            shutil.rmtree(file.parent, ignore_errors=True)  # never reuse an unchecked build
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


def _long_description(graph: BuildGraph, contents: Contents, stage: Path) -> str | None:
    view = contents.distribution
    written = view.metadata.get("long_description_path")
    relative = written
    if written is None and view.metadata.get("description_file"):
        written = str(view.metadata["description_file"])
        relative = label_path(written, view.address.directory)
    if not relative:
        # PyPI shows a long description on every project page, and `twine check --strict`
        # fails without one: say what the distribution is, in plain text.
        text = str(view.metadata.get("description") or view.metadata.get("summary") or view.name)
        (stage / "README.txt").write_text(text + "\n", encoding="utf-8")
        return "README.txt"
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
    (stage / name).write_bytes(data)
    return name


def _pyproject(contents: Contents, readme: str | None, stage: Path) -> str:
    view = contents.distribution
    metadata = view.metadata
    project: dict[str, Any] = {"name": view.name, "version": view.checked_version()}
    description = metadata.get("description") or metadata.get("summary")
    if description:
        project["description"] = str(description)
    if readme:
        suffix = Path(readme).suffix
        project["readme"] = {
            "file": readme,
            "content-type": _CONTENT_TYPES.get(suffix, "text/plain"),
        }
    if contents.requires_python:
        project["requires-python"] = contents.requires_python
    if contents.requirements:
        project["dependencies"] = list(contents.requirements)
    author = {
        k: str(metadata[m])
        for k, m in (("name", "author"), ("email", "author_email"))
        if metadata.get(m)
    }
    if author:
        project["authors"] = [author]
    if metadata.get("license"):
        project["license"] = {"text": str(metadata["license"])}
    if metadata.get("classifiers"):
        project["classifiers"] = list(metadata["classifiers"])
    if metadata.get("keywords"):
        keywords = metadata["keywords"]
        project["keywords"] = keywords.split() if isinstance(keywords, str) else list(keywords)
    extras = metadata.get("extras_require") or {}  # setup()'s, as Pants passes it on
    if extras:
        project["optional-dependencies"] = {str(k): [str(r) for r in v] for k, v in extras.items()}
    urls = dict(metadata.get("project_urls") or {})
    for key in ("url", "homepage"):
        if metadata.get(key):
            urls.setdefault("Homepage", str(metadata[key]))
    if urls:
        project["urls"] = urls
    scripts = dict(view.entry_points.get("console_scripts", {}))
    if scripts:
        project["scripts"] = scripts
    others = {g: dict(e) for g, e in view.entry_points.items() if g != "console_scripts"}
    if others:
        project["entry-points"] = others
    top_level = sorted(
        {p.parts[0] for p in _staged_files(stage)}
        - {"pyproject.toml"}
        - ({readme} if readme else set())
    )
    document = {
        "build-system": {"requires": ["hatchling"], "build-backend": "hatchling.build"},
        "project": project,
        "tool": {
            "hatch": {
                "build": {
                    "targets": {
                        "wheel": {"packages": top_level, "only-include": top_level},
                        "sdist": {"include": [*top_level, *([readme] if readme else [])]},
                    }
                }
            }
        },
    }
    return tomli_w.dumps(document)


def _staged_files(stage: Path) -> list[Path]:
    return [p.relative_to(stage) for p in stage.rglob("*") if p.is_file()]
