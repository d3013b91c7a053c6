"""Buck2's python_wheel, built as the prelude builds it (prelude/python/python_wheel.bzl and
prelude/python/tools/wheel.py); the oracle of all its attributes is in test_oracles.py."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.conftest import Runner, failure, make_repo

BUCKCONFIG = "[cells]\n  root = .\n  prelude = prelude\n  toolchains = toolchains\n"


def buck2(tmp_path: Path, wheel: str, toolchains: str | None = None, **more: str) -> Path:
    files = {
        ".buckconfig": BUCKCONFIG,
        "lib/BUCK": 'python_library(name = "lib", srcs = ["m.py"], base_module = "pkg")\n',
        "lib/m.py": "X = 1\n",
        "w/BUCK": 'load("@prelude//python:python_wheel.bzl", "python_wheel")\n' + wheel,
        **more,
    }
    if toolchains is not None:
        files["toolchains/BUCK"] = toolchains
    return make_repo(tmp_path, files)


def package(run: Runner, root: Path, *args: str) -> list[Path]:
    code, out, err = run(["package", "--output", "json", *args], root=root)
    assert code == 0, err
    return [root / r["path"] for r in json.loads(out)]


def metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(name).decode()


@pytest.mark.parametrize(
    ("toolchains", "expected"),
    [
        # No python_wheel toolchain: PythonWheelToolchainInfo's defaults.
        (None, "w-1.0.0-py3-none-any.whl"),
        # The prelude's demo toolchains: system_python_wheel_toolchain's defaults.
        (
            'load("@prelude//toolchains:demo.bzl", "system_demo_toolchains")\n'
            "system_demo_toolchains()\n",
            "w-1.0.0-py3-none-linux_x86_64.whl",
        ),
        # A toolchain of the repository's own.
        (
            'load("@prelude//toolchains:python.bzl", "system_python_wheel_toolchain")\n'
            'system_python_wheel_toolchain(name = "python_wheel", python = "cp311",'
            ' abi = "abi3", platform = "any")\n',
            "w-1.0.0-cp311-abi3-any.whl",
        ),
    ],
)
def test_tags_default_to_the_toolchains(
    tmp_path: Path, run: Runner, toolchains: str | None, expected: str
) -> None:
    root = buck2(tmp_path, 'python_wheel(name = "w", libraries = ["//lib:lib"])\n', toolchains)
    [wheel] = package(run, root, "//w:w")
    assert wheel.name == expected  # version 1.0.0 and the target's name: the prelude's defaults


def test_python_tag_and_requires_python(tmp_path: Path, run: Runner) -> None:
    root = buck2(
        tmp_path,
        'python_wheel(name = "w", python = "py3.12", libraries = ["//lib:lib"])\n'
        'python_wheel(name = "c", python = "cp310", libraries = ["//lib:lib"])\n',
    )
    wheels = {w.name: w for w in package(run, root, "//w:")}
    assert sorted(wheels) == ["c-1.0.0-cp310-none-any.whl", "w-1.0.0-py312-none-any.whl"]
    assert "Requires-Python: ==3.12.*\n" in metadata(wheels["w-1.0.0-py312-none-any.whl"])
    assert "Requires-Python: ==3.10.*\n" in metadata(wheels["c-1.0.0-cp310-none-any.whl"])


def test_only_the_listed_libraries_are_packed(tmp_path: Path, run: Runner) -> None:
    root = buck2(
        tmp_path,
        'python_wheel(name = "w", libraries = [":app"])\n'
        'python_library(name = "app", srcs = {"cli/main.py": "main.py"}, deps = ["//lib:lib"])\n',
        **{"w/main.py": "import pkg.m\n"},
    )
    [wheel] = package(run, root, "//w:w")
    with zipfile.ZipFile(wheel) as archive:
        payload = [n for n in archive.namelist() if ".dist-info/" not in n]
    # No base_module: the package path; wheel.py adds the __init__.py files Python needs.
    assert payload == ["w/cli/main.py", "w/__init__.py", "w/cli/__init__.py"]


def test_a_version_written_with_a_dash_names_the_wheel_in_its_normal_form(
    tmp_path: Path, run: Runner
) -> None:
    root = buck2(tmp_path, 'python_wheel(name = "w", version = "2.0.0-rc1")\n')
    [wheel] = package(run, root, "//w:w")
    assert wheel.name == "w-2.0.0rc1-py3-none-any.whl"
    assert "\nVersion: 2.0.0-rc1\n" in metadata(wheel)  # METADATA says it as written


def test_buck2_sdist_asks_for_an_sdist_as_well(tmp_path: Path, run: Runner) -> None:
    root = buck2(
        tmp_path,
        'python_wheel(name = "w", libraries = ["//lib:lib"])\n',
        **{"graphpub.toml": "buck2_sdist = true\n"},
    )
    names = sorted(p.name for p in package(run, root, "//w:w"))
    assert names == ["w-1.0.0-py3-none-any.whl", "w-1.0.0.tar.gz"]


def test_requires_naming_another_wheel_of_the_repository_is_first_party(
    tmp_path: Path, run: Runner
) -> None:
    root = buck2(
        tmp_path,
        'python_wheel(name = "base", dist = "My_Base", version = "0.3.0",'
        ' libraries = ["//lib:lib"])\n'
        'python_wheel(name = "app", requires = ["my-base==0.3.0", "attrs"])\n',
    )
    code, out, err = run(["peek", "//w:app"], root=root)
    assert code == 0, err
    [record] = json.loads(out)
    assert record["distribution"]["requirements"] == ["my-base==0.3.0", "attrs"]
    root_publish = root / "graphpub.toml"
    root_publish.write_text('[[publish]]\ntargets = ["//w:app"]\nrepositories = ["@x"]\n')
    (root / ".pypirc").write_text(
        f"[distutils]\nindex-servers = x\n[x]\nrepository = {(tmp_path / 'i').as_uri()}\n"
    )
    err = failure(run, root, "publish", "//w:app")
    # Issue 13's publishing names the requirement it pins (name and version) in this message.
    assert "//w:app requires //w:base (My_Base==0.3.0), which does not go to @x" in err
    assert "and is not there" in err


def test_entry_points_configparser_refuses(tmp_path: Path, run: Runner) -> None:
    root = buck2(
        tmp_path,
        'python_wheel(name = "w", entry_points = {"console_scripts": {"a": "m:f %s"}})\n',
    )
    err = failure(run, root, "package", "//w:w")
    assert "//w:w: entry_points cannot be written as Buck2 writes them" in err
