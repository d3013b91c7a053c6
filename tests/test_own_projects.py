"""Projects that describe themselves (Pants `generate_setup=False`), built by their own backend.

As Pants: the backend sees what the distribution depends on, where it lies; it runs in the
distribution's directory; nothing of python_artifact() or of the `entry_points` field is read.
Isolation installs the backend from the user's package index: here a pypiserver of the test's
own, serving a backend that exists nowhere else (tests/tiny_backend.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner, make_repo, peek
from tests.servers import IndexServer, clean_env, start_pypiserver

TINY_BACKEND = Path(__file__).with_name("tiny_backend.py")


def tiny_backend_wheel(directory: Path, version: str = "1.0") -> Path:
    """The wheel of `graphpub-tiny-backend` VERSION (module `tiny_backend`), built
    in-process."""
    text = TINY_BACKEND.read_text("utf-8").replace(
        'GENERATOR = "graphpub-tiny-backend 1.0"', f'GENERATOR = "graphpub-tiny-backend {version}"'
    )
    return module_wheel(directory, "graphpub-tiny-backend", version, "tiny_backend", text)


def module_wheel(
    directory: Path, project: str, version: str, module: str, text: str, requires: str = ""
) -> Path:
    """The wheel of a one-module project, built in-process."""
    from hatchling.builders.wheel import WheelBuilder

    source = directory / f"{project}-{version}-src"
    source.mkdir(parents=True)
    (source / f"{module}.py").write_text(text, encoding="utf-8")
    (source / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        f'[project]\nname = "{project}"\nversion = "{version}"\n'
        f"dependencies = [{requires}]\n"
        f'[tool.hatch.build.targets.wheel]\nonly-include = ["{module}.py"]\n',
        encoding="utf-8",
    )
    built = WheelBuilder(str(source)).build(directory=str(directory), versions=["standard"])
    return Path(next(built))


@pytest.fixture(scope="module")
def backend_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """A package index serving the tiny backend, and nothing else."""
    directory = tmp_path_factory.mktemp("backend-index")
    server = start_pypiserver(directory, "nobody", "unused")
    try:
        tiny_backend_wheel(server.packages_dir)
        # A tool a build may be given (mypy, for Pants' uses_mypyc), which pins another
        # version of the backend, as Pants' mypy lockfile pins another setuptools.
        tiny_backend_wheel(server.packages_dir, "2.0")
        module_wheel(
            server.packages_dir,
            "graphpub-tiny-tool",
            "1.0",
            "tiny_tool",
            '__version__ = "1.0"\n',
            requires='"graphpub-tiny-backend==2.0"',
        )
        yield server
    finally:
        server.stop()


def tiny_project(tmp_path: Path, **extra: str) -> Path:
    return make_repo(
        tmp_path,
        {
            "pants.toml": '[GLOBAL]\npants_version = "2.26.0"\n',
            "tiny/BUILD": (
                'python_distribution(name="dist", generate_setup=False,\n'
                '    dependencies=[":project", "tiny/tiny"], provides=python_artifact())\n'
                'resources(name="project", sources=["pyproject.toml"])\n'
            ),
            "tiny/pyproject.toml": (
                '[build-system]\nrequires = ["graphpub-tiny-backend==1.0"]\n'
                'build-backend = "tiny_backend"\n'
                '[project]\nname = "tiny-thing"\nversion = "3.1.4"\n'
                '[tool.tiny]\npackages = ["tiny"]\n'
            ),
            "tiny/tiny/BUILD": "python_sources()\n",
            "tiny/tiny/__init__.py": "VALUE = 1\n",
            **extra,
        },
    )


def graphpub(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """graphpub as a process of its own, with `env` (pip's settings) as its environment."""
    result = subprocess.run(
        [sys.executable, "-m", "graphpub", "-C", str(root), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return result.returncode, result.stdout, result.stderr


def index_env(server: IndexServer) -> dict[str, str]:
    """pip's settings naming `server` as the package index, and no other."""
    return clean_env({"PIP_INDEX_URL": server.simple_url})


def wheel_of(root: Path, out: str) -> Path:
    [wheel] = [r["path"] for r in json.loads(out) if r["path"].endswith(".whl")]
    return root / wheel


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the tiny backend reads TOML with tomllib")
def test_isolation_installs_the_backend_from_the_users_index(
    tmp_path: Path, backend_index: IndexServer
) -> None:
    root = tiny_project(tmp_path)
    code, out, err = graphpub(
        root, "package", "--output", "json", "::", env=index_env(backend_index)
    )
    assert code == 0, err
    wheel = wheel_of(root, out)
    assert wheel.name == "tiny_thing-3.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        assert (
            "Generator: graphpub-tiny-backend 1.0"
            in archive.read("tiny_thing-3.1.4.dist-info/WHEEL").decode()
        )
        assert "tiny/__init__.py" in archive.namelist()
        assert "tiny/BUILD" not in archive.namelist()  # never a source: not in the chroot
    # peek: the name and version the backend reports (prepare_metadata_for_build_wheel)
    code, out, err = graphpub(root, "peek", "tiny:dist", env=index_env(backend_index))
    assert code == 0, err
    [record] = json.loads(out)
    assert (record["distribution"]["name"], record["distribution"]["version"]) == (
        "tiny-thing",
        "3.1.4",
    )


def test_isolation_needs_the_backend_on_the_index(tmp_path: Path) -> None:
    """An index without the backend: pip's failure, said as what to do about it."""
    root = tiny_project(tmp_path)
    empty = tmp_path / "empty-index"
    empty.mkdir()
    env = clean_env({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(empty)})
    code, out, err = graphpub(root, "package", "::", env=env)
    assert (code, out) == (1, "")
    assert err.startswith(
        "tiny/BUILD:1:1: installing the build requirements of tiny:dist "
        "(graphpub-tiny-backend==1.0) into an isolated environment failed"
    ), err
    assert "PIP_INDEX_URL" in err and "--no-build-isolation" in err
    assert "Traceback" not in err


def test_without_isolation_graphpubs_python_must_have_the_backend(
    tmp_path: Path, run: Runner
) -> None:
    root = tiny_project(tmp_path)
    code, out, err = run(["package", "--no-build-isolation", "::"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(
        "tiny/BUILD:1:1: tiny:dist is built without isolation, and graphpub's Python "
    ), err
    assert "lacks what its backend needs: graphpub-tiny-backend==1.0" in err


def test_the_build_isolation_key_turns_isolation_off(tmp_path: Path, run: Runner) -> None:
    root = tiny_project(tmp_path, **{"graphpub.toml": "build_isolation = false\n"})
    code, _, err = run(["package", "::"], root=root)
    assert code == 1
    assert "is built without isolation" in err


def own_repo(tmp_path: Path, files: dict[str, str]) -> Path:
    return make_repo(tmp_path, {"pants.toml": '[GLOBAL]\npants_version = "2.26.0"\n', **files})


SETUP_PY = (
    "from setuptools import setup\n\n"
    'setup(name="legacy-thing", version="0.9", packages=["legacy"],\n'
    '      install_requires=["attrs>=23"],\n'
    '      entry_points={"console_scripts": ["legacy = legacy:main"]})\n'
)


def test_without_build_system_setuptools_legacy_backend_runs_setup_py(
    tmp_path: Path, run: Runner
) -> None:
    """No pyproject.toml: setup.py, by setuptools' legacy backend (as Pants falls back)."""
    root = own_repo(
        tmp_path,
        {
            "legacy/BUILD": (
                'python_sources(name="setup", sources=["setup.py"])\n'
                'python_distribution(name="dist", generate_setup=False,\n'
                '    dependencies=[":setup", "legacy/legacy"],\n'
                # Pants reads neither when it does not generate the project.
                '    entry_points={"console_scripts": {"ignored": "legacy:main"}},\n'
                '    provides=python_artifact(name="wrong-name", version="0.0.1"))\n'
            ),
            "legacy/setup.py": SETUP_PY,
            "legacy/legacy/BUILD": "python_sources()\n",
            "legacy/legacy/__init__.py": "def main():\n    print('legacy')\n",
        },
    )
    code, out, err = run(["package", "--no-build-isolation", "--output", "json", "::"], root=root)
    assert code == 0, err
    wheel = wheel_of(root, out)
    assert wheel.name == "legacy_thing-0.9-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        entry_points = archive.read("legacy_thing-0.9.dist-info/entry_points.txt").decode()
        metadata = archive.read("legacy_thing-0.9.dist-info/METADATA").decode()
    assert "legacy = legacy:main" in entry_points and "ignored" not in entry_points
    assert "Requires-Dist: attrs>=23" in metadata


def test_generate_setup_default_false_in_pants_toml(tmp_path: Path, run: Runner) -> None:
    root = own_repo(
        tmp_path,
        {
            "pants.toml": "[setup-py-generation]\ngenerate_setup_default = false\n",
            "BUILD": (
                'python_distribution(name="dist", provides=python_artifact(),\n'
                '    dependencies=[":setup", "legacy"])\n'
                'python_sources(name="setup", sources=["setup.py"])\n'
            ),
            "setup.py": SETUP_PY,
            "legacy/BUILD": "python_sources()\n",
            "legacy/__init__.py": "def main():\n    pass\n",
        },
    )
    code, out, err = run(["package", "--no-build-isolation", "--output", "json", "::"], root=root)
    assert code == 0, err
    assert wheel_of(root, out).name == "legacy_thing-0.9-py3-none-any.whl"
    [record] = peek(run, root, "--no-build-isolation", "//:dist")
    assert (record["distribution"]["name"], record["distribution"]["version"]) == (
        "legacy-thing",
        "0.9",
    )
    assert record["distribution"]["requirements"] == ["attrs>=23"]


def test_the_project_file_must_be_a_dependency(tmp_path: Path, run: Runner) -> None:
    """Pants builds what the distribution depends on: a pyproject.toml on disk that no target
    brings is not seen."""
    root = own_repo(
        tmp_path,
        {
            "own/BUILD": (
                'python_distribution(name="dist", generate_setup=False,\n'
                '    dependencies=["own/own"], provides=python_artifact())\n'
            ),
            "own/pyproject.toml": '[project]\nname = "own"\nversion = "1"\n',
            "own/own/BUILD": "python_sources()\n",
            "own/own/__init__.py": "",
        },
    )
    code, out, err = run(["package", "::"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(
        "own/BUILD:1:1: own:dist builds the project of own (generate_setup=False), but no "
        "pyproject.toml, setup.py or setup.cfg of own is among its dependencies"
    ), err
    assert "add a `files` or `resources` target owning own/pyproject.toml" in err


def test_a_build_system_without_backend_is_an_error(tmp_path: Path, run: Runner) -> None:
    root = own_repo(
        tmp_path,
        {
            "own/BUILD": (
                'python_distribution(name="dist", generate_setup=False,\n'
                '    dependencies=[":project"], provides=python_artifact())\n'
                'files(name="project", sources=["pyproject.toml"])\n'
            ),
            "own/pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n',
        },
    )
    code, _, err = run(["package", "--no-build-isolation", "::"], root=root)
    assert code == 1
    assert err.startswith(
        "own/pyproject.toml: no build-backend found in the [build-system] table of "
        "own/pyproject.toml"
    ), err


def test_a_failing_backend_says_why(tmp_path: Path, run: Runner) -> None:
    root = own_repo(
        tmp_path,
        {
            "own/BUILD": (
                'python_distribution(name="dist", generate_setup=False,\n'
                '    dependencies=[":setup"], provides=python_artifact())\n'
                'python_sources(name="setup", sources=["setup.py"])\n'
            ),
            "own/setup.py": 'raise SystemExit("this project cannot be built here")\n',
        },
    )
    code, out, err = run(["package", "--no-build-isolation", "::"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith("own/BUILD:1:1: "), err
    assert "this project cannot be built here" in err
    assert "Traceback (most recent call last)" not in err.splitlines()[0]


def test_the_backend_sees_no_credential(tmp_path: Path, run: Runner, monkeypatch: Any) -> None:
    """The backend runs the project's own code: graphpub's credentials stay out of its
    environment (a setup.py printing them into the metadata finds none)."""
    monkeypatch.setenv("TWINE_PASSWORD", "pa55-for-the-index")
    monkeypatch.setenv("DEPLOY_TOKEN", "t0ken-value")
    root = own_repo(
        tmp_path,
        {
            "own/BUILD": (
                'python_distribution(name="dist", generate_setup=False,\n'
                '    dependencies=[":setup", "own/snoop"], provides=python_artifact())\n'
                'python_sources(name="setup", sources=["setup.py"])\n'
            ),
            "own/setup.py": (
                "import os\nfrom setuptools import setup\n\n"
                'setup(name="snoop", version="1.0", packages=["snoop"],\n'
                '      description=os.environ.get("TWINE_PASSWORD", "-") + " "'
                ' + os.environ.get("DEPLOY_TOKEN", "-"))\n'
            ),
            "own/snoop/BUILD": "python_sources()\n",
            "own/snoop/__init__.py": "",
        },
    )
    code, out, err = run(["package", "--no-build-isolation", "--output", "json", "::"], root=root)
    assert code == 0, err
    with zipfile.ZipFile(wheel_of(root, out)) as archive:
        metadata = archive.read("snoop-1.0.dist-info/METADATA").decode()
    assert "Summary: - -" in metadata


def mypyc_project(tmp_path: Path, uses_mypyc: bool, **extra: str) -> Path:
    """A project whose build imports a tool (as a setup.py calling mypyc's mypycify()), which
    pants.toml's [mypy] names."""
    return tiny_project(
        tmp_path,
        **{
            "pants.toml": '[GLOBAL]\npants_version = "2.26.0"\n'
            '[mypy]\nversion = "graphpub-tiny-tool==1.0"\n',
            "tiny/BUILD": (
                'python_distribution(name="dist", generate_setup=False,\n'
                '    dependencies=[":project", "tiny/tiny"], provides=python_artifact(),\n'
                f"    uses_mypyc={uses_mypyc},\n"
                '    wheel_config_settings={"--build-option": ["--python-tag", "py36"]})\n'
                'resources(name="project", sources=["pyproject.toml"])\n'
            ),
            "tiny/pyproject.toml": (
                '[build-system]\nrequires = ["graphpub-tiny-backend==1.0"]\n'
                'build-backend = "tiny_backend"\n'
                '[project]\nname = "tiny-thing"\nversion = "3.1.4"\n'
                '[tool.tiny]\npackages = ["tiny"]\nimports = ["tiny_tool"]\n'
            ),
            **extra,
        },
    )


def build_facts(wheel: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as archive:
        facts: dict[str, Any] = json.loads(
            archive.read("tiny_thing-3.1.4.dist-info/tiny-build.json")
        )
    return facts


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the tiny backend reads TOML with tomllib")
def test_uses_mypyc_builds_with_mypy_beside_the_backend(
    tmp_path: Path, backend_index: IndexServer
) -> None:
    """Pants' `uses_mypyc=True`: the build also has mypy, as `[mypy]` names it, installed apart
    from the backend's requirements, which win where both pin a project (the tool wants the
    backend at 2.0; the build runs 1.0, as Pants' PEX_PATH puts the build's PEX first)."""
    root = mypyc_project(tmp_path, uses_mypyc=True)
    code, out, err = graphpub(
        root, "package", "--output", "json", "::", env=index_env(backend_index)
    )
    assert code == 0, err
    facts = build_facts(wheel_of(root, out))
    assert facts["imports"] == {"tiny_tool": "1.0"}
    assert facts["generator"] == "graphpub-tiny-backend 1.0"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the tiny backend reads TOML with tomllib")
def test_without_uses_mypyc_the_build_has_no_mypy(
    tmp_path: Path, backend_index: IndexServer
) -> None:
    root = mypyc_project(tmp_path, uses_mypyc=False)
    code, out, err = graphpub(root, "package", "::", env=index_env(backend_index))
    assert (code, out) == (1, "")
    assert "No module named 'tiny_tool'" in err, err


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the tiny backend reads TOML with tomllib")
def test_config_settings_go_to_the_build_hooks_only(
    tmp_path: Path, backend_index: IndexServer
) -> None:
    """As Pants: `wheel_config_settings` reach build_wheel; asking what the backend needs is
    done without them (setuptools would read `--build-option`s as egg_info's, and refuse
    `--python-tag`)."""
    root = mypyc_project(tmp_path, uses_mypyc=True)
    code, out, err = graphpub(
        root, "package", "--output", "json", "::", env=index_env(backend_index)
    )
    assert code == 0, err
    assert build_facts(wheel_of(root, out))["hooks"] == [
        {"hook": "get_requires_for_build_wheel", "config_settings": None},
        {"hook": "build_wheel", "config_settings": {"--build-option": ["--python-tag", "py36"]}},
    ]


def test_without_isolation_the_tools_must_be_installed(tmp_path: Path, run: Runner) -> None:
    root = mypyc_project(tmp_path, uses_mypyc=True)
    (root / "tiny/pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "tiny_backend"\n'
    )
    code, out, err = run(["package", "--no-build-isolation", "::"], root=root)
    assert (code, out) == (1, "")
    assert "lacks what its backend needs: graphpub-tiny-tool==1.0" in err, err
