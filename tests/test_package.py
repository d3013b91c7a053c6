"""`graphpub package`: sdists and wheels built from the graph, installable and reproducible."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from packaging.tags import sys_tags

from tests.conftest import TESTDATA, Runner, install_into_fresh_venv, make_repo


def copy_fixture(name: str, tmp_path: Path) -> Path:
    root = tmp_path / name
    shutil.copytree(TESTDATA / name, root, ignore=shutil.ignore_patterns("dist", ".graphpub"))
    return root


def built(run: Runner, root: Path, *args: str) -> dict[str, str]:
    """`graphpub package ARGS` in `root`: file name to sha256."""
    code, out, err = run(["package", "--format", "json", *args], root=root)
    assert code == 0, err
    return {Path(r["path"]).name: r["sha256"] for r in json.loads(out)}


def metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(name).decode()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_fixture("demo", tmp_path_factory.mktemp("package"))


def test_demo_distributions_are_built(demo: Path, run: Runner) -> None:
    files = built(run, demo, "::")
    assert sorted(files) == [
        "demo-1.0.0-py3-none-any.whl",
        "demo-1.0.0.tar.gz",
        "demo_greeting-1.0.0-py3-none-any.whl",
        "demo_greeting-1.0.0.tar.gz",
        "demo_testutil-0.1.0-py3-none-any.whl",  # its BUILD asks for no sdist
    ]
    demo_metadata = metadata(demo / "dist" / "demo-1.0.0-py3-none-any.whl")
    assert "Requires-Dist: demo-greeting==1.0.0" in demo_metadata
    assert "Requires-Dist: packaging>=23.0" in demo_metadata
    assert "attrs" not in demo_metadata  # greeting's requirement, not demo's
    with zipfile.ZipFile(demo / "dist" / "demo_greeting-1.0.0-py3-none-any.whl") as wheel:
        names = wheel.namelist()
    assert "greeting/translations.json" in names  # resources are package data
    assert "greeting/greeting.py" in names


def test_builds_are_reproducible(demo: Path, run: Runner) -> None:
    first = built(run, demo, "src/python:demo", "src/python/greeting:dist")
    shutil.rmtree(demo / "dist")
    second = built(run, demo, "src/python:demo", "src/python/greeting:dist")
    assert first == second


def install_and_run(dist: Path, tmp_path: Path, project: str, *command: str) -> str:
    """Install `project` from `dist` alone into a fresh virtualenv and run a command of it.

    Third-party requirements come from the test environment (`--system-site-packages`); the
    distributions of the repository only from what graphpub built."""
    bin_dir = install_into_fresh_venv(
        tmp_path, project, "--no-index", "--find-links", str(dist), project
    )
    result = subprocess.run(
        [str(bin_dir / command[0]), *command[1:]], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_wheels_install_and_their_console_scripts_run(
    demo: Path, run: Runner, tmp_path: Path
) -> None:
    built(run, demo, "src/python:demo", "src/python/greeting:dist")
    assert install_and_run(demo / "dist", tmp_path, "demo", "demo", "Ada") == "Hello, Ada!"


def test_bazel_wheels_install_and_run(tmp_path: Path, run: Runner) -> None:
    root = copy_fixture("bazel_wheel", tmp_path)
    built(run, root, "--define", "VERSION=0.4.0", "//src/greetcli:wheel", "//:greetlib_wheel")
    output = install_and_run(root / "dist", tmp_path, "greet-cli", "greet", "Ada")
    assert "Ada" in output


@pytest.mark.skipif(
    not any(tag.platform == "linux_x86_64" for tag in sys_tags()),
    reason="the fixture's wheels are for linux_x86_64 (its demo toolchain's platform)",
)
def test_buck2_wheels_install_and_run(tmp_path: Path, run: Runner) -> None:
    root = copy_fixture("buck2_python", tmp_path)
    built(run, root, "//python/wheel:")
    output = install_and_run(root / "dist", tmp_path, "buck2-greeter-cli", "buck2-greet", "Ada")
    assert "Ada" in output


def test_bazel_wheel_version_follows_its_make_variable(tmp_path: Path, run: Runner) -> None:
    """rules_python fills `$(VERSION)` from --define; without one, wheelmaker makes a version
    of the text (`0+version`), and graphpub says so."""
    root = copy_fixture("bazel_wheel", tmp_path)
    code, out, err = run(["package", "//src/greetcli:wheel"], root=root)
    assert code == 0, err
    assert "dist/greet_cli-0+version-py3-none-any.whl" in out
    assert "$(VERSION) has no value: its version is 0+version" in err
    files = built(
        run, root, "--define", "VERSION=0.4.0", "//src/greetcli:wheel", "//:greetlib_wheel"
    )
    # A wheel only, as `bazel build` makes: py_wheel makes no sdist.
    assert sorted(files) == ["greet_cli-0.4.0-py3-none-any.whl", "greetlib-1.2.0-py3-none-any.whl"]
    wheel = root / "dist" / "greet_cli-0.4.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        assert "greetcli/main.py" in archive.namelist()  # strip_path_prefixes = ["src"]
    assert "Requires-Dist: greetlib>=1.2.0" in metadata(wheel)


def test_buck2_wheels(tmp_path: Path, run: Runner) -> None:
    root = copy_fixture("buck2_python", tmp_path)
    files = built(run, root, "//python/wheel:")
    # A wheel only; the platform is the demo toolchain's, as `buck2 build` names them.
    assert sorted(files) == [
        "buck2_greeter-0.3.0-py3-none-linux_x86_64.whl",
        "buck2_greeter_cli-0.3.0-py3-none-linux_x86_64.whl",
    ]
    with zipfile.ZipFile(root / "dist" / sorted(files)[1]) as archive:
        assert "greeter_cli/main.py" in archive.namelist()


def test_package_without_a_distribution_is_an_error(demo: Path, run: Runner) -> None:
    code, out, err = run(["package", "src/python/demo"], root=demo)
    assert (code, out) == (1, "")
    assert "the specs select no distribution" in err


def test_invalid_version_is_reported_at_the_build_file(tmp_path: Path, run: Runner) -> None:
    root = tmp_path / "repo"
    (root / "lib").mkdir(parents=True)
    (root / "pants.toml").write_text('[source]\nroot_patterns = ["/"]\n', encoding="utf-8")
    (root / "lib" / "__init__.py").write_text("", encoding="utf-8")
    (root / "lib" / "BUILD").write_text(
        "python_sources()\n"
        'python_distribution(name = "dist", dependencies = [":lib"],\n'
        '    provides = python_artifact(name = "lib", version = "one point oh"))\n',
        encoding="utf-8",
    )
    code, out, err = run(["package", "lib:dist"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(
        "lib/BUILD:2:1: lib:dist: 'one point oh' is not a valid version (PEP 440)"
    )


def test_unchanged_inputs_reuse_the_cached_build(tmp_path: Path, run: Runner) -> None:
    root = copy_fixture("demo", tmp_path)
    first = built(run, root, "src/python/greeting:dist")
    cache = root / ".graphpub" / "cache"
    entries = sorted(p.name for p in cache.iterdir())
    assert len(entries) == 1
    assert built(run, root, "src/python/greeting:dist") == first
    assert sorted(p.name for p in cache.iterdir()) == entries  # nothing built again
    source = root / "src" / "python" / "greeting" / "greeting.py"
    source.write_text(source.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    changed = built(run, root, "src/python/greeting:dist")
    assert changed != first
    assert len(list(cache.iterdir())) == 2


def test_generate_setup_false_builds_the_directory_s_own_project(
    tmp_path: Path, run: Runner
) -> None:
    """Pants' chroot: what the distribution depends on, where it lies; the backend's metadata
    (python_artifact() names nothing), built without isolation by graphpub's own hatchling."""
    root = tmp_path / "repo"
    (root / "own" / "own").mkdir(parents=True)
    (root / "pants.toml").write_text("", encoding="utf-8")
    (root / "own" / "own" / "__init__.py").write_text("VALUE = 1\n", encoding="utf-8")
    (root / "own" / "own" / "BUILD").write_text("python_sources()\n", encoding="utf-8")
    (root / "own" / "own" / "not_a_dependency.txt").write_text("x\n", encoding="utf-8")
    (root / "own" / "README.md").write_text("# Own\n\nIts own project.\n", encoding="utf-8")
    (root / "own" / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "own-project"\nversion = "2.0.0"\nreadme = "README.md"\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["own"]\n',
        encoding="utf-8",
    )
    (root / "own" / "BUILD").write_text(
        'python_distribution(name = "dist", generate_setup = False, provides = python_artifact(),\n'
        '    dependencies = [":project", "own/own"])\n'
        'files(name = "project", sources = ["pyproject.toml", "README.md"])\n',
        encoding="utf-8",
    )
    files = built(run, root, "--no-build-isolation", "own:dist")
    # The tag is the backend's (hatchling's, for a project without Requires-Python).
    assert sorted(files) == ["own_project-2.0.0-py2.py3-none-any.whl", "own_project-2.0.0.tar.gz"]
    wheel = root / "dist" / "own_project-2.0.0-py2.py3-none-any.whl"
    assert "# Own" in metadata(wheel)
    with zipfile.ZipFile(wheel) as archive:
        assert [n for n in archive.namelist() if not n.startswith("own_project-")] == [
            "own/__init__.py"  # not own/BUILD, not the file nothing depends on
        ]


def test_any_unicode_in_metadata_builds(tmp_path: Path, run: Runner) -> None:
    """The generated pyproject.toml is written by tomli-w: emoji, quotes, backslashes and
    control-free Unicode of any plane reach METADATA as written."""
    description = 'Greets you 👋 in "many" languages \\ ünïcödé 𝔘𝔫𝔦𝔠𝔬𝔡𝔢'
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/"]\n',
            "hello/__init__.py": "",
            "hello/BUILD": (
                "python_sources()\n"
                'python_distribution(name="dist", dependencies=[":hello"],\n'
                '    provides=python_artifact(name="hello", version="1.0",\n'
                f"        description={description!r}))\n"
            ),
        },
    )
    files = built(run, root, "hello:dist")
    assert "hello-1.0-py2.py3-none-any.whl" in files or "hello-1.0-py3-none-any.whl" in files
    wheel = next((root / "dist").glob("hello-1.0-*.whl"))
    assert f"Summary: {description}" in metadata(wheel)


def test_distributions_macros_make_are_built(tmp_path: Path, run: Runner) -> None:
    # testdata/pants_macros: no BUILD file calls python_distribution; its macros do.
    root = copy_fixture("pants_macros", tmp_path)
    files = built(run, root, "components/beta", "libs/gamma_utils:gamma-utils")
    assert sorted(files) == [
        "example_beta-1.2.0-py3-none-any.whl",
        "example_beta-1.2.0.tar.gz",
        "gamma_utils-1.2.0-py3-none-any.whl",
        "gamma_utils-1.2.0.tar.gz",
    ]
    beta = root / "dist" / "example_beta-1.2.0-py3-none-any.whl"
    assert "Requires-Dist: example-alpha==1.2.0" in metadata(beta)
    with zipfile.ZipFile(beta) as wheel:
        # A licence beside setup.py goes to .dist-info, as setuptools' license_files has it.
        assert {"example_beta-1.2.0.dist-info/licenses/LICENSE", "beta/__init__.py"} <= set(
            wheel.namelist()
        )
    gamma = metadata(root / "dist" / "gamma_utils-1.2.0-py3-none-any.whl")
    assert "Provides-Extra: yaml" in gamma  # setup_py(extras_require=...) in the macro
    assert "Requires-Dist: pyyaml>=6; extra == 'yaml'" in gamma
    assert "Classifier: License :: OSI Approved :: MIT License" in gamma
