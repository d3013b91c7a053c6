"""A PEP 517 build backend of a few lines, packaged as the wheel `graphpub-tiny-backend` by
tests (tests/test_own_projects.py): a backend that exists only on the test's own package index,
so a build that finds it proves isolation installed it from there.

It builds the `[project]` name and version of pyproject.toml, with every file of the packages
its `[tool.tiny] packages` lists. It imports the modules `[tool.tiny] imports` lists while it
builds the wheel (as a setup.py importing mypyc.build does), and writes into the wheel's
`.dist-info/tiny-build.json` what it found (each module's `__version__`, its own generator)
and the config settings each hook was given (`get_requires_for_build_wheel` keeps them in
`.tiny-hooks.jsonl` of the project directory, where `build_wheel` reads them).
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import json
import os
import tarfile
import zipfile

import tomllib

GENERATOR = "graphpub-tiny-backend 1.0"


def _project() -> tuple[str, str, list[str]]:
    document = _pyproject()
    project = document["project"]
    return project["name"], project["version"], document["tool"]["tiny"]["packages"]


def _pyproject() -> dict:
    with open("pyproject.toml", "rb") as file:
        return tomllib.load(file)


def _record_hook(hook: str, config_settings: object) -> None:
    with open(".tiny-hooks.jsonl", "a", encoding="utf-8") as file:
        file.write(json.dumps({"hook": hook, "config_settings": config_settings}) + "\n")


def _build_facts(config_settings: object) -> dict:
    hooks = []
    if os.path.exists(".tiny-hooks.jsonl"):
        with open(".tiny-hooks.jsonl", encoding="utf-8") as file:
            hooks = [json.loads(line) for line in file]
    hooks.append({"hook": "build_wheel", "config_settings": config_settings})
    imports = {}
    for module in _pyproject()["tool"]["tiny"].get("imports", []):
        imports[module] = importlib.import_module(module).__version__
    return {"generator": GENERATOR, "imports": imports, "hooks": hooks}


def get_requires_for_build_wheel(config_settings=None):
    _record_hook("get_requires_for_build_wheel", config_settings)
    return []


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
    members[f"{dist_info}/tiny-build.json"] = json.dumps(_build_facts(config_settings)).encode()
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
