"""Building a distribution's sdist and wheel from its contents, with hatchling (PEP 517).

The owned files are staged in a clean directory laid out as Python imports them (relative to
their source root, Bazel `strip_path_prefixes` applied, Buck2 `base_module` prefixed), next to
a generated PEP 621 `pyproject.toml`; `build` runs the backend offline, without isolation, with
SOURCE_DATE_EPOCH fixed so the same inputs give the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import posixpath
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from build import BuildBackendException, ProjectBuilder
from pyproject_hooks import default_subprocess_runner

from graphpub.buildgraph.graph import BuildGraph
from graphpub.errors import GraphpubError
from graphpub.publish.inference import BUCK2_KINDS, source_roots
from graphpub.publish.ownership import Contents

# The earliest time a zip file can hold: the date of files when nothing better is known.
EARLIEST_ZIP_TIME = 315532800
_CONTENT_TYPES = {".md": "text/markdown", ".rst": "text/x-rst"}


class BuildError(GraphpubError):
    """A distribution that could not be built."""


@dataclass(frozen=True)
class Artifact:
    path: Path
    size: int
    sha256: str


def source_date_epoch(root: Path) -> int:
    """The time of the last commit (so rebuilding a commit gives the same files), else 1980."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        result = subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return max(int(result.stdout.strip()), EARLIEST_ZIP_TIME)
    except (OSError, ValueError, subprocess.SubprocessError):
        return EARLIEST_ZIP_TIME


def build(graph: BuildGraph, contents: Contents, output: Path, epoch: int) -> list[Artifact]:
    """Stage and build one distribution; its sdist and wheel go to `output`."""
    view = contents.distribution
    stage = graph.config.root / ".graphpub" / "stage" / view.address.render().replace("/", "_")
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    roots = source_roots(graph)
    for path in contents.files:
        target_path = stage / _staged_path(graph, contents, path, roots)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(graph.config.root / path, target_path)
    readme = _long_description(graph, contents, stage)
    (stage / "pyproject.toml").write_text(_pyproject(contents, readme, stage), encoding="utf-8")
    fields = graph.target(view.address).fields
    destination = output / str(fields.get("output_path") or "")
    destination.mkdir(parents=True, exist_ok=True)
    environment = {"SOURCE_DATE_EPOCH": str(epoch), **_env_vars(fields.get("env_vars") or ())}
    builder = ProjectBuilder(stage, runner=functools.partial(_runner, environment=environment))
    artifacts = []
    kinds: tuple[tuple[Literal["sdist", "wheel"], Any, Any], ...] = (
        ("sdist", fields.get("sdist", True), fields.get("sdist_config_settings")),
        ("wheel", fields.get("wheel", True), fields.get("wheel_config_settings")),
    )
    for kind, wanted, settings in kinds:
        if not wanted:
            continue
        try:
            built = Path(builder.build(kind, destination, config_settings=dict(settings or {})))
        except BuildBackendException as e:
            raise BuildError(
                f"building the {kind} of {view.label} failed: {e.exception}",
                location=view.location,
                hint=f"the staged project is in {stage}",
            ) from None
        data = built.read_bytes()
        artifacts.append(Artifact(built, len(data), hashlib.sha256(data).hexdigest()))
    return artifacts


def _runner(
    cmd: Sequence[str],
    cwd: str | None = None,
    extra_environ: Mapping[str, str] | None = None,
    *,
    environment: Mapping[str, str],
) -> None:
    default_subprocess_runner(cmd, cwd, {**(extra_environ or {}), **environment})


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


def _long_description(graph: BuildGraph, contents: Contents, stage: Path) -> str | None:
    view = contents.distribution
    relative = view.metadata.get("long_description_path")
    if relative is None and view.metadata.get("description_file"):
        relative = posixpath.join(view.address.directory, str(view.metadata["description_file"]))
    if not relative:
        return None
    source = graph.config.root / str(relative)
    if not source.is_file():
        raise BuildError(
            f"the long description of {view.label}, {relative}, does not exist",
            location=view.location,
        )
    name = "README" + (source.suffix if source.suffix in _CONTENT_TYPES else ".txt")
    shutil.copyfile(source, stage / name)
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
    lines = ["[build-system]", 'requires = ["hatchling"]', 'build-backend = "hatchling.build"', ""]
    lines += _toml_table("project", project)
    lines += _toml_table(
        "tool.hatch.build.targets.wheel", {"packages": top_level, "only-include": top_level}
    )
    lines += _toml_table(
        "tool.hatch.build.targets.sdist", {"include": [*top_level, *([readme] if readme else [])]}
    )
    return "\n".join(lines) + "\n"


def _staged_files(stage: Path) -> list[Path]:
    return [p.relative_to(stage) for p in stage.rglob("*") if p.is_file()]


_INLINE_TABLES = frozenset({"readme", "license"})


def _toml_table(name: str, values: Mapping[str, Any]) -> list[str]:
    """A TOML table; nested dicts become sub-tables (JSON strings are valid TOML strings)."""
    lines = [f"[{name}]"]
    nested = []
    for key, value in values.items():
        if isinstance(value, Mapping) and key not in _INLINE_TABLES:
            nested.append((key, value))
        else:
            lines.append(f"{json.dumps(key)} = {_toml_value(value)}")
    lines.append("")
    for key, value in nested:
        lines += _toml_table(f"{name}.{json.dumps(key)}", value)
    return lines


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return (
            "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
        )
    return "[" + ", ".join(_toml_value(v) for v in value) + "]"
