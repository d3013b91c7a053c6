"""A PEP 517 build backend of a few lines, packaged as the wheel `graphpub-tiny-backend` by
tests (tests/test_own_projects.py): a backend that exists only on the test's own package index,
so a build that finds it proves isolation installed it from there.

It builds the `[project]` name and version of pyproject.toml, with every file of the packages
its `[tool.tiny] packages` lists.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import zipfile

import tomllib

GENERATOR = "graphpub-tiny-backend 1.0"


def _project() -> tuple[str, str, list[str]]:
    with open("pyproject.toml", "rb") as file:
        document = tomllib.load(file)
    project = document["project"]
    return project["name"], project["version"], document["tool"]["tiny"]["packages"]


def _files(packages: list[str]) -> list[str]:
    found = []
    for package in packages:
        for directory, _, names in os.walk(package):
            found.extend(os.path.join(directory, n) for n in names if not n.endswith(".pyc"))
    return sorted(found)


def _metadata(name: str, version: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name, version, packages = _project()
    stem = f"{name.replace('-', '_')}-{version}"
    dist_info = f"{stem}.dist-info"
    members = {}
    for path in _files(packages):
        with open(path, "rb") as file:
            members[path] = file.read()
    members[f"{dist_info}/METADATA"] = _metadata(name, version).encode()
    members[f"{dist_info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: {GENERATOR}\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    ).encode()
    record = io.StringIO()
    for path, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.write(f"{path},sha256={digest},{len(data)}\n")
    record.write(f"{dist_info}/RECORD,,\n")
    members[f"{dist_info}/RECORD"] = record.getvalue().encode()
    wheel = f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as archive:
        for path, data in members.items():
            archive.writestr(zipfile.ZipInfo(path, (1980, 1, 1, 0, 0, 0)), data)
    return wheel


def build_sdist(sdist_directory, config_settings=None):
    name, version, packages = _project()
    stem = f"{name.replace('-', '_')}-{version}"
    with tarfile.open(os.path.join(sdist_directory, f"{stem}.tar.gz"), "w:gz") as archive:
        for path in ["pyproject.toml", *_files(packages)]:
            archive.add(path, f"{stem}/{path}")
        info = tarfile.TarInfo(f"{stem}/PKG-INFO")
        data = _metadata(name, version).encode()
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return f"{stem}.tar.gz"
