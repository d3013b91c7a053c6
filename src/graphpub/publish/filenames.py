"""What a distribution file's name says: its project and version, read as pip reads them.

A wheel's name is unambiguous (`packaging.utils.parse_wheel_filename`). An sdist's is
NAME-VERSION.tar.gz (or .zip), where a legacy NAME may hold `-` (`my-pkg-1.0.tar.gz`) and a
legacy VERSION too (`foo-1.0-1.tar.gz`: foo 1.0.post1, or foo-1.0 version 1): the split is
ambiguous, so the project being asked about decides it, and `parse_sdist_filename` (which
splits at the last `-`) is what is left when no project is known. Projects compare under PEP 503
normalisation, versions under PEP 440's: `p_b-1.0.0` is a file of `p-b==1.0`, `p_b-1.0.1` is not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from graphpub.rules.requirements import normalize_project

SDIST_SUFFIXES = (".tar.gz", ".zip")


@dataclass(frozen=True)
class FileName:
    """A distribution file's project (PEP 503 normalised) and version."""

    project: str
    version: Version
    wheel: bool


def parse_filename(filename: str, project: str | None = None) -> FileName | None:
    """The project and version `filename` names, or None when it is no wheel or sdist (of
    `project`, when given: then a legacy sdist name is split where the project's name ends)."""
    wanted = normalize_project(project) if project is not None else None
    if filename.endswith(".whl"):
        try:
            name, version, _build, _tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, InvalidVersion):
            return None
        if wanted is not None and name != wanted:
            return None
        return FileName(name, version, wheel=True)
    stem = next((filename[: -len(s)] for s in SDIST_SUFFIXES if filename.endswith(s)), None)
    if stem is None:
        return None
    if wanted is not None:
        return _legacy_sdist(stem, wanted)
    try:
        name, version = parse_sdist_filename(filename)
    except (InvalidSdistFilename, InvalidVersion):
        return None
    return FileName(name, version, wheel=False)


def _legacy_sdist(stem: str, wanted: str) -> FileName | None:
    """`stem` (the name without .tar.gz) as WANTED-VERSION, split at any `-` after which the
    name is `wanted` and the rest a valid version."""
    for position, character in enumerate(stem):
        if character == "-" and normalize_project(stem[:position]) == wanted:
            try:
                return FileName(wanted, Version(stem[position + 1 :]), wheel=False)
            except InvalidVersion:
                continue
    return None


def belongs_to(filename: str, project: str) -> bool:
    """Whether `filename` is a wheel or an sdist of `project`."""
    return parse_filename(filename, project) is not None


def pin(scheme: str, version: str) -> SpecifierSet:
    """The versions a dependent accepts of a distribution at `version`, under the
    `first_party_version_scheme` (exact `==`, compatible `~=`, any)."""
    operator = {"exact": "==", "compatible": "~="}.get(scheme)
    if operator is None:
        return SpecifierSet()
    try:
        return SpecifierSet(f"{operator}{version}")
    except InvalidSpecifier:  # `~=1` is not valid: only that version will do
        return SpecifierSet(f"=={version}")


def satisfies(filenames: Iterable[str], project: str, accepted: SpecifierSet) -> bool:
    """Whether any of `filenames` is a file of `project` at a version `accepted` allows (as pip
    reads a requirement: `==1.0` is satisfied by 1.0.0, not by 1.0.1; pre-releases count,
    since a pinned pre-release is what was published)."""
    return any(
        (parsed := parse_filename(name, project)) is not None
        and accepted.contains(parsed.version, prereleases=True)
        for name in filenames
    )
