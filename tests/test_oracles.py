"""Oracles: released wheels that Pants built, and what graphpub builds of the same project.

testdata/oracles/<name>/repo is each project at its release commit, in small (its BUILD files,
pants.toml, pyproject.toml, and modules with the release's file names and imports);
testdata/oracles/<name>/facts.json holds what the released wheel shows: its files, core
metadata, entry points and tag. Four were built by Pants from a generated setup.py, two by
their own PEP 517 backend under `generate_setup=False` (built here without isolation, by the
setuptools and flit_core of the test environment).

What differs only because another tool wrote the wheel is compared for its meaning: names
by their PEP 503 form, requirements parsed (setuptools 63 wrote `numpy (~=1.24.2)`),
Requires-Python as a specifier set, and setuptools' own `namespace_packages.txt` and
`top_level.txt` (which Pants' generated setup.py gets from setuptools, not from the project)
left out of the file lists.
"""

from __future__ import annotations

import configparser
import json
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from tests.conftest import TESTDATA

ORACLES = TESTDATA / "oracles"
GENERATED = ["era-5g-tf2json", "era-5g-server", "llamazure.msgraph", "llamazure.azrest"]
OWN_PROJECTS = ["reflex-vite-config-plugin", "podsmith"]
# What setuptools adds to every wheel it builds from Pants' generated setup.py, whatever the
# project: not the project's files.
SETUPTOOLS_ONLY = ("namespace_packages.txt", "top_level.txt")


def facts(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ORACLES / name / "facts.json").read_text("utf-8"))
    return data


def package(root: Path, *args: str) -> list[dict[str, Any]]:
    """`graphpub package --output json ARGS ::` in `root`, a process of its own."""
    command = [sys.executable, "-m", "graphpub", "-C", str(root), "package", "--output", "json"]
    result = subprocess.run(
        [*command, *args, "::"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    records: list[dict[str, Any]] = json.loads(result.stdout)
    return records


@pytest.fixture(scope="module")
def built_wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every oracle packaged by graphpub, once: name to its wheel."""
    wheels = {}
    for name in GENERATED + OWN_PROJECTS:
        root = tmp_path_factory.mktemp("oracle") / name
        shutil.copytree(ORACLES / name / "repo", root)
        records = package(root, "--no-build-isolation")
        [wheel] = [r["path"] for r in records if r["path"].endswith(".whl")]
        wheels[name] = root / wheel
    return wheels


def read_wheel(wheel: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(f"{dist_info}/METADATA").decode("utf-8"))
        entry_points: dict[str, dict[str, str]] = {}
        if f"{dist_info}/entry_points.txt" in names:
            parser = configparser.ConfigParser(delimiters=("=",))
            parser.optionxform = str  # type: ignore[assignment,method-assign]
            parser.read_string(archive.read(f"{dist_info}/entry_points.txt").decode("utf-8"))
            entry_points = {s: dict(parser[s]) for s in parser.sections()}
    return {"names": names, "metadata": metadata, "entry_points": entry_points}


def comparable_files(names: list[str]) -> list[str]:
    """The wheel's files, its .dist-info directory named by the PEP 503 form of the name,
    without setuptools' own files."""
    found = []
    for name in names:
        top, _, rest = name.partition("/")
        if top.endswith(".dist-info"):
            if rest in SETUPTOOLS_ONLY:
                continue
            project, _, version = top[: -len(".dist-info")].rpartition("-")
            name = f"{canonicalize_name(project)}-{Version(version)}.dist-info/{rest}"
        found.append(name)
    return sorted(found)


def requirement_form(line: str) -> str:
    """A Requires-Dist line as packaging reads it: name, extras, specifiers, marker."""
    requirement = Requirement(line)
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    marker = f"; {requirement.marker}" if requirement.marker else ""
    return f"{canonicalize_name(requirement.name)}{extras}{requirement.specifier}{marker}"


@pytest.mark.parametrize("name", GENERATED + OWN_PROJECTS)
def test_the_wheel_graphpub_builds_is_the_released_one(
    name: str, built_wheels: dict[str, Path]
) -> None:
    expected = facts(name)
    wheel = built_wheels[name]
    got = read_wheel(wheel)
    metadata = got["metadata"]
    want = expected["metadata"]
    # The tag, from the file name as from .dist-info/WHEEL.
    project, version, _, tags = parse_wheel_filename(wheel.name)
    assert "-".join(str(t) for t in tags) == expected["wheel_tag"]
    assert project == canonicalize_name(want["Name"])
    assert version == Version(want["Version"])
    assert canonicalize_name(metadata["Name"]) == canonicalize_name(want["Name"])
    assert Version(metadata["Version"]) == Version(want["Version"])
    assert metadata["Summary"] == want["Summary"]
    classifiers = metadata.get_all("Classifier", [])
    if name in GENERATED:  # hatchling writes them sorted, setuptools as given
        assert sorted(classifiers) == sorted(want["Classifier"])
    else:
        assert classifiers == want["Classifier"]
    assert sorted(canonicalize_name(e) for e in metadata.get_all("Provides-Extra", [])) == sorted(
        canonicalize_name(e) for e in want["Provides-Extra"]
    )
    assert sorted(map(requirement_form, metadata.get_all("Requires-Dist", []))) == sorted(
        map(requirement_form, want["Requires-Dist"])
    )
    if want["Requires-Python"] is None:
        assert metadata["Requires-Python"] is None
    else:
        assert SpecifierSet(metadata["Requires-Python"]) == SpecifierSet(want["Requires-Python"])
    assert (
        got["entry_points"]
        == {
            group: {k: v.replace(" ", "") for k, v in entries.items()}
            for group, entries in expected["entry_points"].items()
        }
        or got["entry_points"] == expected["entry_points"]
    )
    released = comparable_files(expected["files"])
    assert comparable_files(got["names"]) == released


def test_requirements_are_sorted_as_pants_sorts_them(built_wheels: dict[str, Path]) -> None:
    """Pants sorts install_requires, and requirement strings are packaging's: `requests>=2,<3`
    of requirements.txt is written `requests<3,>=2`."""
    metadata = read_wheel(built_wheels["llamazure.azrest"])["metadata"]
    assert metadata.get_all("Requires-Dist")[:4] == [
        "click~=8.0",
        "pydantic>=2.0",
        "requests<3,>=2",
        "types-requests",
    ]


def test_pants_long_description_is_the_file_it_names(built_wheels: dict[str, Path]) -> None:
    metadata = read_wheel(built_wheels["llamazure.msgraph"])["metadata"]
    readme = ORACLES / "llamazure.msgraph" / "repo" / "llamazure" / "msgraph" / "readme.md"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload() == readme.read_text(encoding="utf-8")


def test_podsmith_keeps_its_pytest_plugin(built_wheels: dict[str, Path]) -> None:
    """Its own pyproject.toml's entry point, which the flit_core backend writes: Pants reads
    no entry point of a project that describes itself."""
    assert read_wheel(built_wheels["podsmith"])["entry_points"] == {
        "pytest11": {"podsmith": "podsmith.pytest_plugin"}
    }
