"""Oracles: what graphpub builds against what the build systems' own tools made
(testdata/oracles/README.md).

The wheels of py_wheel and python_wheel targets are compared with the wheels rules_python's
wheelmaker and the Buck2 prelude made.

Released wheels that Pants built: testdata/oracles/<name>/repo is each project at its release
commit, in small (its BUILD files, pants.toml, pyproject.toml, and modules with the release's
file names and imports); testdata/oracles/<name>/facts.json holds what the released wheel
shows: its files, core metadata, entry points and tag. Four were built by Pants from a
generated setup.py, two by their own PEP 517 backend under `generate_setup=False` (built here
without isolation, by the setuptools and flit_core of the test environment).

What differs only because another tool wrote the wheel is compared for its meaning: names
by their PEP 503 form, requirements parsed (setuptools 63 wrote `numpy (~=1.24.2)`),
Requires-Python as a specifier set, and setuptools' own `namespace_packages.txt` and
`top_level.txt` (which Pants' generated setup.py gets from setuptools, not from the project)
left out of the file lists.
"""

from __future__ import annotations

import configparser
import email.parser
import email.policy
import hashlib
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

from graphpub.publish.wheel_archive import record_digest
from tests.conftest import TESTDATA, Runner, install_into_fresh_venv

ORACLES = TESTDATA / "oracles"
COMPARED_FIELDS = ("Name", "Version", "Summary", "Requires-Python")
LISTED_FIELDS = ("Classifier", "Requires-Dist", "Provides-Extra")


def facts_of(name: str) -> dict[str, Any]:
    facts: dict[str, Any] = json.loads((ORACLES / name / "facts.json").read_text("utf-8"))
    return facts


def package(run: Runner, tmp_path: Path, name: str, *args: str) -> tuple[Path, list[str]]:
    """A copy of the oracle's repository, and the files `graphpub package ARGS` made in it."""
    root = tmp_path / name
    shutil.copytree(ORACLES / name / "repo", root)
    code, out, err = run(["package", "--output", "json", *args], root=root)
    assert code == 0, err
    return root, [Path(r["path"]).name for r in json.loads(out)]


def zip_entries(wheel: zipfile.ZipFile) -> list[dict[str, Any]]:
    return [
        {
            "name": info.filename,
            "date_time": list(info.date_time),
            "compress_type": info.compress_type,
            "external_attr_hex": hex(info.external_attr),
            "create_system": info.create_system,
        }
        for info in wheel.infolist()
    ]


def dist_info(wheel: zipfile.ZipFile) -> str:
    return next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")).rpartition("/")[0]


def check_record(wheel: zipfile.ZipFile) -> list[str]:
    """RECORD's rows hash every member right; the paths, in order."""
    rows = wheel.read(f"{dist_info(wheel)}/RECORD").decode().splitlines()
    paths = []
    for row in rows:
        path, digest, size = row.split(",")
        paths.append(path)
        if path.endswith("/RECORD"):
            assert (digest, size) == ("", "")
            continue
        data = wheel.read(path)
        assert (digest, size) == (record_digest(data), str(len(data))), path
    return paths


def metadata_facts(text: str) -> tuple[str, dict[str, Any], list[str], str]:
    """(the header block verbatim, compared fields, field order, the body) of METADATA."""
    header, _, body = text.partition("\n\n")
    message = email.parser.Parser(policy=email.policy.compat32).parsestr(text)
    fields: dict[str, Any] = {f: message.get(f) for f in COMPARED_FIELDS}
    fields.update({f: message.get_all(f) or [] for f in LISTED_FIELDS})
    order = list(dict.fromkeys(key for key, _ in message.items()))
    return header, fields, order, body


def expected_fields(facts: dict[str, Any]) -> dict[str, Any]:
    metadata = facts["metadata"]
    found = {f: metadata.get(f) for f in COMPARED_FIELDS}
    found.update({f: metadata.get(f) or [] for f in LISTED_FIELDS})
    return found


# ---------------------------------------------------------------- rules_python py_wheel


@pytest.mark.parametrize("oracle", ["bazel-runfiles-2.3.2", "bazel-runfiles-0.24.0"])
def test_py_wheel_matches_the_released_wheel(oracle: str, run: Runner, tmp_path: Path) -> None:
    facts = facts_of(oracle)
    stamp = f"BUILD_EMBED_LABEL={facts['release_tag']}"
    root, files = package(run, tmp_path, oracle, "--stamp", stamp, facts["dist_target"])
    assert files == [facts["wheel_filename"]]  # a wheel only, as `bazel build` makes
    name, version, _, tags = parse_wheel_filename(files[0])
    assert "-".join(str(t) for t in tags) == facts["wheel_tag"]
    assert (name, str(version)) == (facts["project"], facts["version"])
    with zipfile.ZipFile(root / "dist" / files[0]) as wheel:
        assert sorted(wheel.namelist()) == facts["files"]
        assert wheel.namelist() == facts["archive_order"]
        prefix = dist_info(wheel)
        assert wheel.read(f"{prefix}/WHEEL").decode() == facts["WHEEL"]
        header, fields, order, body = metadata_facts(wheel.read(f"{prefix}/METADATA").decode())
        assert header == facts["metadata_header_verbatim"]
        assert order == facts["metadata_field_order"]  # wheelmaker's: Version last
        assert fields == expected_fields(facts)
        readme = next((root / "python" / "runfiles").glob("README.*")).read_text("utf-8")
        assert body == readme + "\n"  # the description file, and the newline wheelmaker adds
        assert body.splitlines()[0] == facts["description"]["first_line"]
        assert f"{prefix}/entry_points.txt" not in wheel.namelist()
        assert facts["entry_points"] == {}
        record = check_record(wheel)
        entries = zip_entries(wheel)
        record_text = wheel.read(f"{prefix}/RECORD").decode()
    for row in facts["constant_record_rows"]:  # WHEEL's hash is the same in every such wheel
        assert row in record_text.splitlines()
    if oracle == "bazel-runfiles-2.3.2":
        assert record == facts["record_rows"]
        assert entries == facts["zip_entries"]
    else:
        # graphpub writes as rules_python 2.3.2 does; rules_python 0.24.0 sorted RECORD and
        # kept the build's dates, 0644 for files and 0600 for dist-info.
        payload = [p for p in facts["record_rows"] if ".dist-info/" not in p]
        assert record == [*payload, f"{prefix}/WHEEL", f"{prefix}/METADATA", f"{prefix}/RECORD"]
        assert facts["record_rows"] == [
            *payload,
            f"{prefix}/METADATA",
            f"{prefix}/RECORD",
            f"{prefix}/WHEEL",
        ]
        theirs = {e["name"]: e for e in facts["zip_entries"]}
        for ours in entries:
            assert ours["date_time"] == [1980, 1, 1, 0, 0, 0]
            assert ours["external_attr_hex"] == "0x81ff0000"
            assert theirs[ours["name"]]["date_time"][0] == 2023
            assert theirs[ours["name"]]["external_attr_hex"] in ("0x81a40000", "0x1800000")
            assert ours["compress_type"] == theirs[ours["name"]]["compress_type"]


def test_py_wheel_oracle_is_reproducible(run: Runner, tmp_path: Path) -> None:
    facts = facts_of("bazel-runfiles-2.3.2")
    args = ("--stamp", "BUILD_EMBED_LABEL=2.3.2", facts["dist_target"])
    first, [name] = package(run, tmp_path / "a", "bazel-runfiles-2.3.2", *args)
    second, _ = package(run, tmp_path / "b", "bazel-runfiles-2.3.2", *args)
    digest = [hashlib.sha256((r / "dist" / name).read_bytes()).hexdigest() for r in (first, second)]
    assert digest[0] == digest[1]


def test_py_wheel_without_its_stamp_is_versioned_as_bazel_does(run: Runner, tmp_path: Path) -> None:
    """Unstamped, wheelmaker makes `0+build.embed.label` of `{BUILD_EMBED_LABEL}`."""
    root = tmp_path / "repo"
    shutil.copytree(ORACLES / "bazel-runfiles-2.3.2" / "repo", root)
    code, out, err = run(["package", "//python/runfiles:wheel"], root=root)
    assert code == 0, err
    assert "bazel_runfiles-0+build.embed.label-py3-none-any.whl" in out
    assert "{BUILD_EMBED_LABEL} has no value: its version is 0+build.embed.label" in err


# ---------------------------------------------------------------- Buck2 python_wheel


@pytest.mark.parametrize("target", ["//python/wheel:wheel", "//python/rich:rich"])
def test_python_wheel_matches_the_prelude(target: str, run: Runner, tmp_path: Path) -> None:
    facts = facts_of("buck2-python-wheel")["wheels"][target]
    root, files = package(run, tmp_path, "buck2-python-wheel", target)
    assert files == [facts["wheel_filename"]]  # a wheel only, as `buck2 build` makes
    _, _, _, tags = parse_wheel_filename(files[0])
    assert "-".join(str(t) for t in tags) == facts["wheel_tag"]
    with zipfile.ZipFile(root / "dist" / files[0]) as wheel:
        assert wheel.namelist() == facts["archive_order"]
        assert zip_entries(wheel) == facts["zip_entries"]
        prefix = dist_info(wheel)
        assert wheel.read(f"{prefix}/WHEEL").decode() == facts["WHEEL"]
        metadata = wheel.read(f"{prefix}/METADATA").decode()
        assert metadata == "Metadata-Version: 2.1\n" + facts["METADATA_by_the_prelude"]
        entry_points = facts["entry_points_txt"]
        if entry_points is None:
            assert f"{prefix}/entry_points.txt" not in wheel.namelist()
        else:
            assert wheel.read(f"{prefix}/entry_points.txt").decode() == entry_points
        paths = check_record(wheel)
    prelude = facts["record_paths_by_the_prelude"]
    assert [p for p in paths if not p.endswith("/entry_points.txt")] == prelude


def test_python_wheel_installs_with_its_script_and_entry_points(
    run: Runner, tmp_path: Path
) -> None:
    root, [wheel] = package(run, tmp_path, "buck2-python-wheel", "//python/rich:rich")
    bin_dir = install_into_fresh_venv(tmp_path, "rich", "--no-deps", str(root / "dist" / wheel))
    assert (bin_dir / "rich-tool").is_file()  # configparser lower-cased `Rich-Tool`
    assert (bin_dir / "rich-sh").read_text() == "#!/bin/sh\necho rich\n"  # a .data script
    site = next((bin_dir.parent / "lib").glob("python*/site-packages"))
    assert (site / "my_rich_extra" / "helpers" / "strings.py").is_file()
    assert (site / "my_rich" / "plugins" / "__init__.py").is_file()  # made by wheel.py


# ---------------------------------------------------------------- Pants: released wheels

GENERATED = ["era-5g-tf2json", "era-5g-server", "llamazure.msgraph", "llamazure.azrest"]
OWN_PROJECTS = ["reflex-vite-config-plugin", "podsmith"]
# What setuptools adds to every wheel it builds from Pants' generated setup.py, whatever the
# project: not the project's files.
SETUPTOOLS_ONLY = ("namespace_packages.txt", "top_level.txt")


def facts(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((ORACLES / name / "facts.json").read_text("utf-8"))
    return data


def package_all(root: Path, *args: str) -> list[dict[str, Any]]:
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
        records = package_all(root, "--no-build-isolation")
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
