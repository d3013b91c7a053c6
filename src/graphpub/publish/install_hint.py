"""The `pip install` line printed after publishing into a directory repository.

It installs what was published, and nothing a public project of the same name could stand in
for: with `--extra-index-url`, pip takes the highest version of a name from any index, so a
public `mathx 9.9` would beat the repository's own `mathx 0.2.0` (dependency confusion). When
the repository's distributions need nothing else, the index is pip's only one
(`--index-url`). When they also need third-party projects, which a directory index does not
hold, each of the repository's distributions is named by its file in the index (`name @
file:///...`): pip takes a direct reference as the only candidate for its name, and only the
third-party projects come from pip's own index.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from graphpub.buildgraph.address import Address
from graphpub.publish.directory import directory_files
from graphpub.publish.ownership import Contents
from graphpub.publish.repositories import Repository


def install_hint(
    repository: Repository, chosen: Sequence[Address], held: Mapping[Address, Contents]
) -> str | None:
    """The command installing the `chosen` distributions from the directory `repository`;
    None when one they need is not in it (then no command would be right)."""
    needed = _with_first_party_dependencies(chosen, held)
    names: set[str] = {canonicalize_name(held[a].distribution.name) for a in needed}
    if not any(_third_party(r, names) for a in needed for r in held[a].requirements):
        projects = " ".join(sorted(held[a].distribution.name for a in chosen))
        return f"pip install --index-url {repository.url} {projects}"
    references = []
    for address in sorted(needed, key=lambda a: canonicalize_name(held[a].distribution.name)):
        view = held[address].distribution
        file = _file_in_index(repository, view.name, view.checked_version())
        if file is None:
            return None
        project_directory = repository.directory / canonicalize_name(view.name)
        references.append(shlex.quote(f"{view.name} @ {(project_directory / file).as_uri()}"))
    return "pip install " + " ".join(references)


def _with_first_party_dependencies(
    chosen: Sequence[Address], held: Mapping[Address, Contents]
) -> list[Address]:
    found: list[Address] = []
    frontier = list(chosen)
    while frontier:
        address = frontier.pop()
        if address not in found and address in held:
            found.append(address)
            frontier.extend(held[address].depends_on)
    return found


def _third_party(requirement: str, first_party: set[str]) -> bool:
    try:
        return canonicalize_name(Requirement(requirement).name) not in first_party
    except InvalidRequirement:
        return True


def _file_in_index(repository: Repository, project: str, version: str) -> str | None:
    """The file of `project` at `version` in the index: its wheel, else its sdist."""
    wanted = Version(version)
    wheels, sdists = [], []
    for name in directory_files(repository.directory, project):
        try:
            if name.endswith(".whl") and parse_wheel_filename(name)[1] == wanted:
                wheels.append(name)
            elif not name.endswith(".whl") and parse_sdist_filename(name)[1] == wanted:
                sdists.append(name)
        except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
            continue
    found = sorted(wheels) or sorted(sdists)
    return found[0] if found else None
