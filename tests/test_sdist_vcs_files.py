"""What a VCS ignore file outside a project does to its sdist: nothing, as in Pants' sandbox.

hatchling's sdist always carries the first `.gitignore` and `.hgignore` it finds walking up
from the project, up to the repository's root (a `.git` or `.hg`). Projects are built in
`.graphpub/stage/`, which ends that walk: graphpub's own `.graphpub/.gitignore`, the
repository's and one above it stay out of every sdist, while a project's own ignore file is
still carried and still excludes what it names, as hatchling documents.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import Runner, make_repo

# A Buck2 python_wheel's library, a Bazel py_wheel's, a Pants distribution's: `pkg/m.py`.
KINDS: dict[str, dict[str, str]] = {
    "pants generated": {
        "pants.toml": '[GLOBAL]\npants_version = "2.21.0"\n[source]\nroot_patterns = ["src"]\n',
        "src/pkg/BUILD": (
            "python_sources()\n"
            'python_distribution(name="dist", dependencies=[":pkg"],\n'
            '    provides=python_artifact(name="pkg", version="1.0.0"))\n'
        ),
        "src/pkg/__init__.py": "",
        "src/pkg/m.py": "X = 1\n",
    },
    "bazel py_wheel": {
        "MODULE.bazel": "",
        "graphpub.toml": "bazel_sdist = true\n",
        "BUILD.bazel": (
            'py_library(name = "lib", srcs = ["src/pkg/__init__.py", "src/pkg/m.py"])\n'
            'py_wheel(name = "dist", distribution = "pkg", version = "1.0.0",'
            ' strip_path_prefixes = ["src/"], deps = [":lib"])\n'
        ),
        "src/pkg/__init__.py": "",
        "src/pkg/m.py": "X = 1\n",
    },
    "buck2 python_wheel": {
        ".buckconfig": "[cells]\n  root = .\n  prelude = prelude\n",
        "graphpub.toml": "buck2_sdist = true\n",
        "lib/BUCK": 'python_library(name = "lib", srcs = ["m.py"], base_module = "pkg")\n',
        "lib/m.py": "X = 1\n",
        "w/BUCK": (
            'load("@prelude//python:python_wheel.bzl", "python_wheel")\n'
            'python_wheel(name = "dist", dist = "pkg", version = "1.0.0",'
            ' libraries = ["//lib:lib"])\n'
        ),
    },
    "own hatchling project": {
        "pants.toml": '[GLOBAL]\npants_version = "2.21.0"\n',
        "own/BUILD": (
            'python_distribution(name="dist", generate_setup=False, provides=python_artifact(),\n'
            '    dependencies=[":project", "own/pkg"])\n'
            'files(name="project", sources=["pyproject.toml"])\n'
        ),
        "own/pyproject.toml": (
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
            '[project]\nname = "pkg"\nversion = "1.0.0"\n'
            '[tool.hatch.build.targets.wheel]\npackages = ["pkg"]\n'
        ),
        "own/pkg/BUILD": "python_sources()\n",
        "own/pkg/__init__.py": "",
        "own/pkg/m.py": "X = 1\n",
    },
    "own setuptools project": {
        "pants.toml": '[GLOBAL]\npants_version = "2.21.0"\n',
        "own/BUILD": (
            'python_distribution(name="dist", generate_setup=False, provides=python_artifact(),\n'
            '    dependencies=[":project", "own/pkg"])\n'
            'files(name="project", sources=["setup.py"])\n'
        ),
        "own/setup.py": (
            'from setuptools import setup\nsetup(name="pkg", version="1.0.0", packages=["pkg"])\n'
        ),
        "own/pkg/BUILD": "python_sources()\n",
        "own/pkg/__init__.py": "",
        "own/pkg/m.py": "X = 1\n",
    },
}
TARGETS = {
    "pants generated": "src/pkg:dist",
    "bazel py_wheel": "//:dist",
    "buck2 python_wheel": "//w:dist",
    "own hatchling project": "own:dist",
    "own setuptools project": "own:dist",
}
# Each sdist whole: the sources and what its backend writes beside them, nothing else.
SDISTS = {
    "pants generated": [
        *("PKG-INFO", "README.txt", "hatch_build.py", "pkg/__init__.py", "pkg/m.py"),
        "pyproject.toml",
    ],
    "bazel py_wheel": ["PKG-INFO", "README.txt", "pkg/__init__.py", "pkg/m.py", "pyproject.toml"],
    "buck2 python_wheel": ["PKG-INFO", "README.txt", "pkg/m.py", "pyproject.toml"],
    "own hatchling project": ["PKG-INFO", "pkg/__init__.py", "pkg/m.py", "pyproject.toml"],
    "own setuptools project": [
        *("PKG-INFO", "pkg.egg-info/PKG-INFO", "pkg.egg-info/SOURCES.txt"),
        *("pkg.egg-info/dependency_links.txt", "pkg.egg-info/top_level.txt"),
        *("pkg/__init__.py", "pkg/m.py", "setup.cfg", "setup.py"),
    ],
}


def in_a_git_checkout(tmp_path: Path, files: dict[str, str]) -> Path:
    """`files` as a git checkout whose `.gitignore` ignores `dist/`, below a directory with
    an `.hgignore` (as a home directory may hold one)."""
    (tmp_path / ".hgignore").write_text("syntax: glob\n*.orig\n", encoding="utf-8")
    root = make_repo(tmp_path, {".gitignore": "dist/\n", **files})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def package(run: Runner, root: Path, target: str) -> list[Path]:
    code, out, err = run(["package", "--no-build-isolation", "--output", "json", target], root=root)
    assert code == 0, err
    return [root / r["path"] for r in json.loads(out)]


def members(sdist: Path) -> list[str]:
    """The sdist's files, without its top directory."""
    with tarfile.open(sdist) as archive:
        return sorted(m.name.partition("/")[2] for m in archive.getmembers() if m.isfile())


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_sdist_carries_an_ignore_file_its_project_lacks(
    kind: str, tmp_path: Path, run: Runner
) -> None:
    root = in_a_git_checkout(tmp_path, KINDS[kind])
    [sdist] = [p for p in package(run, root, TARGETS[kind]) if p.name.endswith(".tar.gz")]
    found = members(sdist)
    assert ".gitignore" not in found  # not .graphpub's (`*`), nor the repository's
    assert ".hgignore" not in found  # nor the one above the repository
    assert found == SDISTS[kind]
    assert (root / ".graphpub" / ".gitignore").read_text().splitlines()[-1] == "*"  # still
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".graphpub" not in status  # its staging, boundaries included, is never untracked


def test_a_project_s_own_gitignore_is_carried_and_excludes_what_it_names(
    tmp_path: Path, run: Runner
) -> None:
    """hatchling's documented behaviour, for a project that describes itself: its own
    `.gitignore` goes into the sdist, and the files it names into neither sdist nor wheel."""
    files = dict(KINDS["own hatchling project"])
    files["own/BUILD"] = files["own/BUILD"].replace(
        '["pyproject.toml"]', '["pyproject.toml", ".gitignore", "pkg/scratch.log"]'
    )
    files["own/.gitignore"] = "*.log\n"
    files["own/pkg/scratch.log"] = "notes\n"
    root = in_a_git_checkout(tmp_path, files)
    built = package(run, root, "own:dist")
    [sdist] = [p for p in built if p.name.endswith(".tar.gz")]
    [wheel] = [p for p in built if p.suffix == ".whl"]
    assert members(sdist) == sorted(
        [".gitignore", "PKG-INFO", "pkg/__init__.py", "pkg/m.py", "pyproject.toml"]
    )
    with tarfile.open(sdist) as archive:
        extracted = archive.extractfile("pkg-1.0.0/.gitignore")
        assert extracted is not None
        assert extracted.read() == b"*.log\n"  # the project's, not graphpub's
    with zipfile.ZipFile(wheel) as archive:
        assert "pkg/scratch.log" not in archive.namelist()
        assert "pkg/m.py" in archive.namelist()


def test_a_distribution_named_like_a_boundary_is_staged_beside_it(
    tmp_path: Path, run: Runner
) -> None:
    """`//:.git` is staged in `.graphpub/stage/_.git`: the boundary stays one."""
    root = in_a_git_checkout(
        tmp_path,
        {
            "pants.toml": '[GLOBAL]\npants_version = "2.21.0"\n',
            "BUILD": (
                'python_sources(name="src", sources=["pkg/*.py"])\n'
                'python_distribution(name=".git", dependencies=[":src"],\n'
                '    provides=python_artifact(name="pkg", version="1.0.0"))\n'
            ),
            "pkg/__init__.py": "X = 1\n",
        },
    )
    [sdist] = [p for p in package(run, root, "//:.git") if p.name.endswith(".tar.gz")]
    assert ".gitignore" not in members(sdist)
    stage = root / ".graphpub" / "stage"
    assert sorted(p.name for p in stage.iterdir()) == [".git", ".hg", "_.git"]
    assert list((stage / ".git").iterdir()) == []
