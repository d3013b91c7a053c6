"""Pants' `pants_requirements` target generator: requirements on Pants for a plugin, which its
imports infer and its wheel requires (pants-dep-graph's plugin, released with
`Requires-Dist: pantsbuild.pants (<2.17,>=2.16.0a0)` by Pants 2.16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from graphpub.rules.pants_requirements import default_version_spec
from tests.conftest import Runner, lines, make_repo, peek
from tests.test_generated_projects import package, wheel_metadata
from tests.test_rules_pants import assert_error, failure


def plugin_repo(
    tmp_path: Path, pants_version: str | None = "2.16.0", generator: str = "", **files: str
) -> Path:
    """A Pants plugin, written as pants-dep-graph's is: `3rdparty:pants` generates the
    requirements, the plugin's code imports `pants`, its tests `pants.testutil`."""
    version = f'pants_version = "{pants_version}"\n' if pants_version is not None else ""
    return make_repo(
        tmp_path,
        {
            "pants.toml": (
                f"[GLOBAL]\n{version}"
                'backend_packages = ["pants.backend.python", '
                '"pants.backend.plugin_development"]\n'
                '[python]\ninterpreter_constraints = [">=3.9"]\n'
                '[source]\nroot_patterns = ["src"]\n'
            ),
            "3rdparty/BUILD": f'pants_requirements(name="pants"{generator})\n',
            "BUILD": (
                "python_distribution(\n"
                '    name="plugin",\n'
                '    dependencies=["src/myplugin"],\n'
                '    provides=python_artifact(name="my-pants-plugin", version="1.0.0"),\n'
                '    entry_points={"pantsbuild.plugin": {"rules": "myplugin.register:rules"}},\n'
                ")\n"
            ),
            "src/myplugin/BUILD": 'python_sources()\npython_tests(name="tests")\n',
            "src/myplugin/__init__.py": "",
            "src/myplugin/register.py": (
                "from pants.engine.rules import collect_rules\n\n\n"
                "def rules():\n    return collect_rules()\n"
            ),
            "src/myplugin/register_test.py": "from pants.testutil.rule_runner import RuleRunner\n",
            **files,
        },
    )


def requirements(run: Runner, root: Path, address: str) -> list[str]:
    [record] = peek(run, root, address)
    found: list[str] = record["fields"]["requirements"]
    return found


def test_generates_pants_and_its_testutil(tmp_path: Path, run: Runner) -> None:
    root = plugin_repo(tmp_path)
    code, out, err = run(["list", "3rdparty:"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == [
        "3rdparty:pants",
        "3rdparty:pants#pantsbuild.pants",
        "3rdparty:pants#pantsbuild.pants.testutil",
    ]
    [record] = peek(run, root, "3rdparty:pants#pantsbuild.pants.testutil")
    assert record["kind"] == "python_requirement"
    assert record["fields"] == {
        "modules": ["pants.testutil"],
        "requirements": ["pantsbuild.pants.testutil >=2.16.0a0,<2.17"],
    }


def test_without_testutil(tmp_path: Path, run: Runner) -> None:
    root = plugin_repo(tmp_path, generator=", testutil=False")
    code, out, _ = run(["list", "3rdparty:"], root=root)
    assert (code, lines(out)) == (0, ["3rdparty:pants", "3rdparty:pants#pantsbuild.pants"])


@pytest.mark.parametrize(
    ("pants_version", "spec"),
    [
        # From 2.18, the version_spec field's default: the release itself.
        ("2.21.0", "== 2.21.0"),
        ("2.18.0.dev7", "== 2.18.0.dev7"),
        ("2.30.0rc1", "== 2.30.0rc1"),
        # Before, the release series from its first alpha (2.12 on) or release candidate,
        # or a dev release exactly.
        ("2.16.0", ">=2.16.0a0,<2.17"),
        ("2.17.1rc2", ">=2.17.0a0,<2.18"),
        ("2.12.0", ">=2.12.0a0,<2.13"),
        ("2.11.1", ">=2.11.0rc0,<2.12"),
        ("2.16.0.dev5", "==2.16.0.dev5"),
        (None, None),
        ("latest", None),
    ],
)
def test_default_version_spec(pants_version: str | None, spec: str | None) -> None:
    assert default_version_spec(pants_version) == spec


def test_the_version_of_the_repositorys_pants(tmp_path: Path, run: Runner) -> None:
    root = plugin_repo(tmp_path, pants_version="2.21.0")
    assert requirements(run, root, "3rdparty:pants#pantsbuild.pants") == [
        "pantsbuild.pants == 2.21.0"
    ]


def test_version_spec_field(tmp_path: Path, run: Runner) -> None:
    root = plugin_repo(
        tmp_path, generator=', version_spec=">= 2.16.0, < 2.18.0", resolve="pants-plugins"'
    )
    [record] = peek(run, root, "3rdparty:pants#pantsbuild.pants")
    assert record["fields"]["requirements"] == ["pantsbuild.pants >= 2.16.0, < 2.18.0"]
    assert record["fields"]["resolve"] == "pants-plugins"


def test_a_bad_version_spec_is_an_error(tmp_path: Path, run: Runner) -> None:
    root = plugin_repo(tmp_path, generator=', version_spec="2.16"')
    err = failure(run, root, "list", "::")
    assert_error(
        err,
        "3rdparty/BUILD:1:1: pants_requirements(): version_spec '2.16' is not a PEP 440 "
        "version specifier",
        'pants_requirements(name="pants", version_spec="2.16")',
        'for example version_spec="== 2.21.0" or version_spec=">=2.20,<2.22"',
    )


def test_an_unknown_pants_version_requires_any_version(tmp_path: Path, run: Runner) -> None:
    root = plugin_repo(tmp_path, pants_version=None)
    [record] = peek(run, root, "3rdparty:pants#pantsbuild.pants", allow_warnings=True)
    assert record["fields"]["requirements"] == ["pantsbuild.pants"]
    _, _, err = run(["list", "3rdparty:"], root=root)
    assert lines(err) == [
        "warning: 3rdparty/BUILD:1: pants_requirements(): pants.toml names no [GLOBAL] "
        "pants_version, the release its requirements pin by default: Pants is required at any "
        'version (set version_spec="== 2.x.y")'
    ]


def test_imports_of_pants_infer_the_requirements(tmp_path: Path, run: Runner) -> None:
    root = plugin_repo(tmp_path)
    code, out, err = run(
        ["dependencies", "src/myplugin/register.py", "src/myplugin/register_test.py:tests"],
        root=root,
    )
    assert (code, err) == (0, "")
    assert lines(out) == [
        "3rdparty:pants#pantsbuild.pants",
        "3rdparty:pants#pantsbuild.pants.testutil",
    ]
    code, out, err = run(["dependencies", "src/myplugin/register.py"], root=root)
    assert lines(out) == ["3rdparty:pants#pantsbuild.pants"]


def test_the_plugins_wheel_requires_pants(tmp_path: Path, run: Runner) -> None:
    root = plugin_repo(tmp_path)
    [wheel] = [p for name, p in package(run, root, "//:plugin").items() if name.endswith(".whl")]
    [written] = wheel_metadata(wheel).get_all("Requires-Dist")
    requirement = Requirement(written)
    # (The build backend writes the name normalised, `pantsbuild-pants`: the same project.)
    assert (requirement.name.replace("-", "."), str(requirement.specifier)) == (
        "pantsbuild.pants",
        "<2.17,>=2.16.0a0",
    )


def test_help(run: Runner) -> None:
    code, out, _ = run(["help", "pants_requirements"])
    assert code == 0
    assert "Generates python_requirement targets: pantsbuild.pants and, with testutil," in out
    assert "version_spec" in out and "testutil" in out


def test_the_generator_keeps_its_fields(tmp_path: Path, run: Runner) -> None:
    """The generator itself keeps what was written (as every Pants generator does)."""
    root = plugin_repo(tmp_path, generator=", testutil=False")
    code, out, err = run(["peek", "3rdparty:pants"], root=root)
    assert (code, err) == (0, "")
    [record] = json.loads(out)
    assert record["kind"] == "pants_requirements"
    assert record["fields"]["testutil"] is False
