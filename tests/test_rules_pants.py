"""The Pants dialect: field validation, target generators, requirements, `python_artifact`,
`__defaults__`, `parametrize`, `env()`, as Pants evaluates BUILD files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TESTDATA, Runner, lines, make_repo
from tests.test_fixtures import DEMO_TARGETS


def pants_repo(tmp_path: Path, files: Mapping[str, str]) -> Path:
    """A Pants repository (marked by `pants.toml`) holding `files`."""
    return make_repo(tmp_path, {"pants.toml": "", **files})


def listed(run: Runner, root: Path, *specs: str) -> list[str]:
    code, out, err = run(["list", *(specs or ("::",))], root=root)
    assert (code, err) == (0, ""), err
    return lines(out)


def peek(run: Runner, root: Path, *specs: str) -> list[dict[str, Any]]:
    code, out, err = run(["peek", *specs], root=root)
    assert (code, err) == (0, ""), err
    records: list[dict[str, Any]] = json.loads(out)
    return records


def fields_of(run: Runner, root: Path, spec: str) -> dict[str, Any]:
    [record] = peek(run, root, spec)
    fields: dict[str, Any] = record["fields"]
    return fields


def failure(run: Runner, root: Path, *args: str) -> str:
    """stderr of a command that must fail with exit code 1 and print nothing on stdout."""
    code, out, err = run(list(args or ("list", "::")), root=root)
    assert (code, out) == (1, ""), err
    assert "Traceback" not in err
    return err


def assert_error(err: str, first_line: str, source_line: str, hint: str | None = None) -> None:
    """`path:LINE:COL: message` exactly, then the source line and a caret under COL."""
    first, *rest = err.splitlines()
    assert first == first_line, err
    line, column = (int(n) for n in first_line.split(": ", 1)[0].split(":")[1:3])
    gutter = f"{line:>4} | "
    assert rest[0] == gutter + source_line, err
    assert rest[1] == " " * (len(gutter) + column - 1) + "^", err
    if hint is not None:
        assert f"hint: {hint}" in rest, err


# ---------------------------------------------------------------- field validation


def test_unknown_field_suggests_the_closest_field(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path, {"a/BUILD": 'python_sources(\n    dependecies = [":x"],\n)\n', "a/m.py": ""}
    )
    assert_error(
        failure(run, root),
        "a/BUILD:1:1: python_sources(): unknown field 'dependecies'",
        "python_sources(",
        hint="did you mean 'dependencies'?",
    )


def test_unknown_field_without_a_close_match_points_to_help(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, {"a/BUILD": "python_sources(zzzz = 1)\n"})
    assert_error(
        failure(run, root),
        "a/BUILD:1:1: python_sources(): unknown field 'zzzz'",
        "python_sources(zzzz = 1)",
        hint="see the fields with: graphpub help python_sources",
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            'python_distribution(\n    name = "d",\n    provides = python_artifact(name = "d", '
            'version = "1.0"),\n    repositories = "@pypi",\n)\n',
            "python_distribution(): field 'repositories': "
            "expected a list of strings, got a string ('@pypi')",
        ),
        (
            'python_distribution(\n    name = "d",\n    provides = python_artifact(name = "d", '
            'version = "1.0"),\n    skip_twine = "yes",\n)\n',
            "python_distribution(): field 'skip_twine': "
            "expected True or False, got a string ('yes')",
        ),
        (
            'python_sources(\n    sources = "*.py",\n)\n',
            "python_sources(): field 'sources': expected a list of strings, got a string ('*.py')",
        ),
        (
            'python_tests(\n    timeout = "10",\n)\n',
            "python_tests(): field 'timeout': expected an int, got a string ('10')",
        ),
    ],
)
def test_wrong_field_type(tmp_path: Path, run: Runner, call: str, message: str) -> None:
    root = pants_repo(tmp_path, {"a/BUILD": call})
    assert_error(failure(run, root), f"a/BUILD:1:1: {message}", call.splitlines()[0])


def test_a_string_for_a_list_hints_at_the_list(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'python_distribution(\n    name = "d",\n'
                '    provides = python_artifact(name = "d", version = "1.0"),\n'
                '    repositories = "@pypi",\n)\n'
            )
        },
    )
    assert 'hint: write ["value"] even for a single value' in lines(failure(run, root))


@pytest.mark.parametrize(
    ("call", "kind", "field"),
    [
        ('python_distribution(name = "d")', "python_distribution", "provides"),
        ('resources(name = "r")', "resources", "sources"),
        ('files(name = "f")', "files", "sources"),
        ('python_requirement(name = "r")', "python_requirement", "requirements"),
    ],
)
def test_missing_required_field(
    tmp_path: Path, run: Runner, call: str, kind: str, field: str
) -> None:
    root = pants_repo(tmp_path, {"a/BUILD": f"\n{call}\n"})
    assert_error(
        failure(run, root),
        f"a/BUILD:2:1: {kind}(): missing the required field '{field}'",
        call,
    )
    assert f"hint: {field}: " in failure(run, root)


def test_rules_take_keyword_arguments_only(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, {"a/BUILD": 'python_sources("x")\n'})
    assert_error(
        failure(run, root),
        "a/BUILD:1:1: python_sources(): takes keyword arguments only, got 1 positional",
        'python_sources("x")',
        hint='write python_sources(name = "...", ...)',
    )


def test_every_target_takes_tags_and_description(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'target(name = "t", tags = ["x"], description = "d")\n'
                'resources(name = "r", sources = ["*.json"], tags = ["y"])\n'
            ),
            "a/r.json": "",
        },
    )
    assert fields_of(run, root, "a:t") == {"description": "d", "tags": ["x"]}
    assert fields_of(run, root, "a:r") == {"sources": ["*.json"], "tags": ["y"]}


def test_target_at_the_root_needs_a_name(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, {"BUILD": "\npython_sources()\n", "m.py": ""})
    assert_error(
        failure(run, root),
        "BUILD:2:1: python_sources(): a target at the build root needs a name",
        "python_sources()",
        hint='add name = "..."',
    )


def test_named_target_at_the_root(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, {"BUILD": 'target(name = "all")\n'})
    assert listed(run, root) == ["//:all"]


# ---------------------------------------------------------------- python_artifact / setup_py

DISTRIBUTION = """\
python_distribution(
    name = "dist",
    provides = {artifact}(
{arguments}
    ),
)
"""


def distribution(arguments: str, artifact: str = "python_artifact") -> str:
    return DISTRIBUTION.format(artifact=artifact, arguments=arguments)


@pytest.mark.parametrize(
    "key",
    [
        "install_requires",
        "packages",
        "package_dir",
        "package_data",
        "namespace_packages",
        "data_files",
    ],
)
def test_python_artifact_refuses_what_pants_computes(tmp_path: Path, run: Runner, key: str) -> None:
    build = distribution(f'        name = "d",\n        version = "1.0",\n        {key} = [],')
    root = pants_repo(tmp_path, {"a/BUILD": build})
    assert_error(
        failure(run, root),
        f"a/BUILD:3:16: python_artifact() does not take '{key}': "
        "graphpub computes it from the dependency graph",
        "    provides = python_artifact(",
        hint="list code and requirements as dependencies of the python_distribution instead",
    )


def test_setup_py_refuses_the_same_keys(tmp_path: Path, run: Runner) -> None:
    build = distribution(
        '        name = "d",\n        version = "1.0",\n'
        '        packages = ["d"],\n        install_requires = ["attrs"],',
        artifact="setup_py",
    )
    root = pants_repo(tmp_path, {"a/BUILD": build})
    assert_error(
        failure(run, root),
        "a/BUILD:3:16: python_artifact() does not take 'install_requires', 'packages': "
        "graphpub computes it from the dependency graph",
        "    provides = setup_py(",
    )


@pytest.mark.parametrize(
    ("arguments", "wrong"),
    [
        ('        name = "",\n        version = "1.0",', "name"),
        ('        name = "d",\n        version = 1,', "version"),
    ],
)
def test_python_artifact_name_and_version_are_strings(
    tmp_path: Path, run: Runner, arguments: str, wrong: str
) -> None:
    root = pants_repo(tmp_path, {"a/BUILD": distribution(arguments)})
    assert_error(
        failure(run, root),
        f"a/BUILD:3:16: python_artifact(): '{wrong}' must be a non-empty string",
        "    provides = python_artifact(",
        hint='python_artifact(name = "my-dist", version = "1.0.0", ...)',
    )


@pytest.mark.parametrize(
    ("arguments", "missing"),
    [('        version = "1.0",', "name"), ('        name = "d",', "version")],
)
def test_python_artifact_may_leave_out_name_and_version_until_packaged(
    tmp_path: Path, run: Runner, arguments: str, missing: str
) -> None:
    """As in Pants, where a project that describes itself (generate_setup=False) or a plugin
    supplies them: the repository loads; packaging the distribution says what is missing."""
    root = pants_repo(tmp_path, {"a/BUILD": distribution(arguments), "a/__init__.py": ""})
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, ""), err
    assert "a:dist" in out
    err = failure(run, root, "package", "a:dist")
    assert err.splitlines()[0] == (
        f"a/BUILD:1:1: a:dist has no {missing}: graphpub generates its project from "
        "python_artifact(...), which names none"
    ), err


def test_setup_py_is_python_artifact(tmp_path: Path, run: Runner) -> None:
    build = distribution(
        '        name = "d",\n        version = "1.0",\n        description = "A dist.",',
        artifact="setup_py",
    )
    root = pants_repo(tmp_path, {"a/BUILD": build})
    [record] = peek(run, root, "a:dist")
    assert record["kind"] == "python_distribution"
    assert record["fields"]["provides"] == {"name": "d", "version": "1.0", "description": "A dist."}


def test_provides_must_be_a_python_artifact(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path, {"a/BUILD": 'python_distribution(\n    name = "d",\n    provides = "d",\n)\n'}
    )
    assert_error(
        failure(run, root),
        "a/BUILD:1:1: python_distribution(): field 'provides': "
        "expected python_artifact(...), got str",
        "python_distribution(",
        hint='write provides = python_artifact(name = "dist-name", version = "1.0.0")',
    )


# ---------------------------------------------------------------- target generators

PYTHON_FILES = {
    "src/app/a.py": "",
    "src/app/b.pyi": "",
    "src/app/test_a.py": "",
    "src/app/a_test.py": "",
    "src/app/tests.py": "",
    "src/app/conftest.py": "",
    "src/app/data.json": "",
    "src/app/sub/c.py": "",
}


def test_default_globs_of_the_python_generators(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "src/app/BUILD": (
                "python_sources()\n"
                'python_tests(name = "tests")\n'
                'python_test_utils(name = "utils")\n'
            ),
            **PYTHON_FILES,
        },
    )
    # python_sources: *.py *.pyi minus tests and conftest.py; python_tests: test_*.py,
    # *_test.py, tests.py; python_test_utils: conftest.py. None of them looks into sub/.
    assert listed(run, root) == [
        "src/app",
        "src/app/a.py",
        "src/app/a_test.py:tests",
        "src/app/b.pyi",
        "src/app/conftest.py:utils",
        "src/app/test_a.py:tests",
        "src/app/tests.py:tests",
        "src/app:tests",
        "src/app:utils",
    ]


def test_python_sources_leaves_test_stubs_to_python_test_utils(tmp_path: Path, run: Runner) -> None:
    # Pants: python_sources' default excludes python_test_utils' default globs too (conftest.py,
    # test_*.pyi, *_test.pyi, tests.pyi), so each stub has one owner.
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": 'python_sources()\npython_test_utils(name = "utils")\n',
            "a/m.py": "",
            "a/test_m.pyi": "",
            "a/m_test.pyi": "",
            "a/tests.pyi": "",
        },
    )
    assert listed(run, root) == [
        "a",
        "a/m.py",
        "a/m_test.pyi:utils",
        "a/test_m.pyi:utils",
        "a/tests.pyi:utils",
        "a:utils",
    ]


def test_generated_targets_kinds_and_fields(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'python_sources(name = "lib")\n'
                'python_tests(name = "tests")\n'
                'python_test_utils(name = "utils")\n'
                'resources(name = "res", sources = ["*.json"])\n'
                'files(name = "docs", sources = ["*.md"])\n'
            ),
            "a/m.py": "",
            "a/m_test.py": "",
            "a/conftest.py": "",
            "a/d.json": "",
            "a/README.md": "",
        },
    )
    records = peek(
        run, root, "a/m.py:lib", "a/m_test.py:tests", "a/conftest.py:utils", "a/d.json:res"
    ) + peek(run, root, "a/README.md:docs")
    assert [(r["address"], r["kind"], r["fields"], r["sources"]) for r in records] == [
        ("a/conftest.py:utils", "python_source", {"source": "conftest.py"}, ["a/conftest.py"]),
        ("a/d.json:res", "resource", {"source": "d.json"}, ["a/d.json"]),
        ("a/m.py:lib", "python_source", {"source": "m.py"}, ["a/m.py"]),
        ("a/m_test.py:tests", "python_test", {"source": "m_test.py"}, ["a/m_test.py"]),
        ("a/README.md:docs", "file", {"source": "README.md"}, ["a/README.md"]),
    ]


def test_explicit_sources_with_excludes(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "src/app/BUILD": (
                'python_sources(\n    name = "lib",\n'
                '    sources = ["*.py", "sub/*.py", "!b.py"],\n)\n'
            ),
            "src/app/a.py": "",
            "src/app/b.py": "",
            "src/app/test_x.py": "",  # explicit sources replace the default globs
            "src/app/sub/c.py": "",
            "src/app/sub/d.txt": "",
        },
    )
    assert listed(run, root) == [
        "src/app/a.py:lib",
        "src/app/sub/c.py:lib",
        "src/app/test_x.py:lib",
        "src/app:lib",
    ]
    [generator] = peek(run, root, "src/app:lib")
    assert generator["sources"] == ["src/app/a.py", "src/app/sub/c.py", "src/app/test_x.py"]
    assert generator["fields"]["sources"] == ["*.py", "sub/*.py", "!b.py"]
    assert fields_of(run, root, "src/app/sub/c.py:lib") == {"source": "sub/c.py"}


def test_generated_addresses_of_default_named_and_named_generators(
    tmp_path: Path, run: Runner
) -> None:
    root = pants_repo(
        tmp_path,
        {
            "src/app/BUILD": (
                'python_sources()\npython_sources(name = "other", sources = ["o.py"])\n'
            ),
            "src/app/f.py": "",
            "src/app/o.py": "",
        },
    )
    # o.py has two owners, so two generated targets; `src/app/f.py` is generated by the
    # default-named `src/app` (src/app:app), `src/app/o.py:other` by `src/app:other`.
    assert listed(run, root) == [
        "src/app",
        "src/app/f.py",
        "src/app/o.py",
        "src/app/o.py:other",
        "src/app:other",
    ]


def test_generator_depends_on_what_it_generates(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'python_sources(name = "lib", dependencies = [":res"])\n'
                'resources(name = "res", sources = ["*.json"])\n'
            ),
            "a/x.py": "",
            "a/y.py": "",
            "a/d.json": "",
        },
    )
    code, out, err = run(["dependencies", "a:res"], root=root)
    assert (code, out, err) == (0, "a/d.json:res\n", "")
    code, out, err = run(["dependencies", "a:lib"], root=root)
    assert (code, out, err) == (0, "a/x.py:lib\na/y.py:lib\na:res\n", "")
    # The generated targets inherit the generator's dependencies.
    code, out, err = run(["dependencies", "a/x.py:lib"], root=root)
    assert (code, out, err) == (0, "a:res\n", "")
    code, out, err = run(["dependents", "a:res"], root=root)
    assert (code, out, err) == (0, "a/x.py:lib\na/y.py:lib\na:lib\n", "")


def test_generated_file_address_in_dependencies(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "lib/BUILD": 'python_sources()\npython_sources(name = "extra", sources = ["x.py"])\n',
            "lib/x.py": "",
            "lib/y.py": "",
            "app/BUILD": 'target(name = "app", dependencies = ["lib/y.py", "lib/x.py:extra"])\n',
        },
    )
    code, out, err = run(["dependencies", "app"], root=root)
    assert (code, out, err) == (0, "lib/x.py:extra\nlib/y.py\n", "")


def test_relative_file_addresses_in_dependencies(tmp_path: Path, run: Runner) -> None:
    # Pants: "For generated first-party addresses, use ./ for the file path, e.g. ./main.py:tgt"
    # (relative to the BUILD file's directory).
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                "python_sources()\n"
                'python_sources(name = "other", sources = ["n.py"])\n'
                'target(name = "t", dependencies = ["./m.py", "./n.py:other"])\n'
            ),
            "a/m.py": "",
            "a/n.py": "",
        },
    )
    code, out, err = run(["dependencies", "a:t"], root=root)
    assert (code, out, err) == (0, "a/m.py\na/n.py:other\n", "")


def test_file_address_in_a_subdirectory_names_its_generator_relatively(
    tmp_path: Path, run: Runner
) -> None:
    # Pants writes the target generated for a/data/one.json by a:res as
    # `a/data/one.json:../res`: the target name is relative to the file's directory.
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'resources(name = "res", sources = ["data/*.json"])\n'
                'target(name = "t", dependencies = ["a/data/one.json:../res"])\n'
            ),
            "a/data/one.json": "",
        },
    )
    # (graphpub prints that target as `a/data/one.json:res`.)
    code, out, err = run(["dependencies", "a:t"], root=root)
    assert (code, out, err) == (0, "a/data/one.json:res\n", "")


def test_overrides_apply_to_one_generated_target(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'python_sources(\n    name = "lib",\n    tags = ["t"],\n'
                '    overrides = {"x.py": {"tags": ["over"], "skip_mypy": True}},\n)\n'
            ),
            "a/x.py": "",
            "a/y.py": "",
        },
    )
    assert fields_of(run, root, "a/x.py:lib") == {
        "skip_mypy": True,
        "source": "x.py",
        "tags": ["over"],
    }
    assert fields_of(run, root, "a/y.py:lib") == {"source": "y.py", "tags": ["t"]}


def test_overrides_of_several_files_at_once(tmp_path: Path, run: Runner) -> None:
    # Pants: `overrides={("foo.py", "bar.py"): {"tags": ["linter_disabled"]}}`.
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'python_sources(\n    name = "lib",\n'
                '    overrides = {("x.py", "y.py"): {"tags": ["both"]}},\n)\n'
            ),
            "a/x.py": "",
            "a/y.py": "",
            "a/z.py": "",
        },
    )
    assert fields_of(run, root, "a/x.py:lib") == {"source": "x.py", "tags": ["both"]}
    assert fields_of(run, root, "a/y.py:lib") == {"source": "y.py", "tags": ["both"]}
    assert fields_of(run, root, "a/z.py:lib") == {"source": "z.py"}


def test_overridden_dependencies_are_edges(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'python_sources(\n    name = "lib",\n'
                '    overrides = {"x.py": {"dependencies": [":res"]}},\n)\n'
                'resources(name = "res", sources = ["*.json"])\n'
            ),
            "a/x.py": "",
            "a/y.py": "",
            "a/d.json": "",
        },
    )
    code, out, err = run(["dependencies", "a/x.py:lib"], root=root)
    assert (code, out, err) == (0, "a:res\n", "")
    code, out, err = run(["dependencies", "a/y.py:lib"], root=root)
    assert (code, out, err) == (0, "", "")


def test_overrides_of_an_unknown_file_is_an_error(tmp_path: Path, run: Runner) -> None:
    # Pants: "Unused file paths in the `overrides` field for a:lib: ['nope.py']".
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'python_sources(\n    name = "lib",\n'
                '    overrides = {"nope.py": {"tags": ["x"]}},\n)\n'
            ),
            "a/x.py": "",
        },
    )
    err = failure(run, root)
    assert err.startswith("a/BUILD:1:1: python_sources(): "), err
    assert "'nope.py'" in err.splitlines()[0]


def test_overrides_are_validated_like_fields(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'python_sources(\n    name = "lib",\n'
                '    overrides = {"x.py": {"tagz": ["x"]}},\n)\n'
            ),
            "a/x.py": "",
        },
    )
    err = failure(run, root)
    assert err.startswith("a/BUILD:1:1: "), err
    assert "unknown field 'tagz'" in err.splitlines()[0]
    assert "hint: did you mean 'tags'?" in err


# ---------------------------------------------------------------- python_requirements

REQUIREMENTS_TXT = """\
# Third-party requirements.
-r constraints.txt
--index-url https://pypi.example.com/simple

requests[security]>=2.0 ; python_version >= "3.8"  # HTTP
Django==4.2
PyYAML>=6
setuptools
"""


def test_python_requirements_reads_requirements_txt(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": 'python_requirements(module_mapping = {"pyyaml": ["yaml"]})\n',
            "3rd/requirements.txt": REQUIREMENTS_TXT,
        },
    )
    # Comments and option lines (-r, --index-url) are skipped; one target per project.
    assert listed(run, root) == [
        "3rd",
        "3rd#Django",
        "3rd#PyYAML",
        "3rd#requests",
        "3rd#setuptools",
    ]
    records = peek(run, root, "3rd#requests", "3rd#PyYAML", "3rd#Django")
    assert [(r["address"], r["kind"], r["fields"]) for r in records] == [
        ("3rd#Django", "python_requirement", {"requirements": ["Django==4.2"]}),
        ("3rd#PyYAML", "python_requirement", {"modules": ["yaml"], "requirements": ["PyYAML>=6"]}),
        (
            "3rd#requests",
            "python_requirement",
            {"requirements": ['requests[security]>=2.0 ; python_version >= "3.8"']},
        ),
    ]
    code, out, err = run(["dependencies", "3rd"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["3rd#Django", "3rd#PyYAML", "3rd#requests", "3rd#setuptools"]


def test_generated_requirements_in_dependencies(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": "python_requirements()\n",
            "3rd/requirements.txt": "attrs>=23.1\npackaging>=23\n",
            "other/BUILD": 'python_requirements(name = "reqs", source = "reqs/base.txt")\n',
            "other/reqs/base.txt": "click>=8\n",
            "app/BUILD": (
                'target(name = "app", dependencies = ["3rd#packaging", "other:reqs#click"])\n'
            ),
        },
    )
    code, out, err = run(["dependencies", "app"], root=root)
    assert (code, out, err) == (0, "3rd#packaging\nother:reqs#click\n", "")
    code, out, err = run(["dependents", "3rd#packaging"], root=root)
    assert (code, out, err) == (0, "3rd\napp\n", "")


def test_python_requirements_overrides_and_resolve(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": (
                "python_requirements(\n"
                '    resolve = "py",\n'
                '    overrides = {"Attrs": {"modules": ["attr"]}},\n'
                ")\n"
            ),
            "3rd/requirements.txt": 'attrs>=23\nattrs<24 ; python_version < "3.9"\nclick\n',
        },
    )
    # Overrides are keyed by the normalised project name; lines of one project are one target.
    assert fields_of(run, root, "3rd#attrs") == {
        "modules": ["attr"],
        "requirements": ["attrs>=23", 'attrs<24 ; python_version < "3.9"'],
        "resolve": "py",
    }
    assert fields_of(run, root, "3rd#click") == {"requirements": ["click"], "resolve": "py"}


def test_bad_requirement_line_is_an_error(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": "\npython_requirements()\n",
            "3rd/requirements.txt": "attrs\nnot a requirement!!\n",
        },
    )
    err = failure(run, root)
    first = err.splitlines()[0]
    assert first.startswith("3rd/BUILD:2:1: requirements.txt: "), err
    assert "'not a requirement!!' is not a valid requirement" in first
    assert "   2 | python_requirements()\n" in err
    assert "hint: requirements files hold one PEP 508 requirement per line" in err


def test_missing_requirements_file_is_an_error(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, {"3rd/BUILD": "python_requirements()\n"})
    assert_error(
        failure(run, root),
        "3rd/BUILD:1:1: file 3rd/requirements.txt does not exist",
        "python_requirements()",
    )


PYPROJECT = """\
[tool.poetry]
name = "demo"
version = "1.0.0"

[tool.poetry.dependencies]
python = "^3.9"
requests = "^2.31"
attrs = {version = "^23.1", extras = ["tests"]}

[tool.poetry.group.dev.dependencies]
pytest = "^7.0"
"""


def test_poetry_requirements_reads_pyproject(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path, {"3rd/BUILD": "poetry_requirements()\n", "3rd/pyproject.toml": PYPROJECT}
    )
    # `python` is the interpreter constraint, not a requirement; groups are included.
    assert listed(run, root) == ["3rd", "3rd#attrs", "3rd#pytest", "3rd#requests"]
    [record] = peek(run, root, "3rd")
    assert record["kind"] == "poetry_requirements"
    assert record["dependencies"] == ["3rd#attrs", "3rd#pytest", "3rd#requests"]


@pytest.mark.parametrize(
    ("constraint", "requirement"),
    [
        # As Pants writes them: packaging's form of the PEP 440 constraint.
        ('"^1.2.3"', "dep<2.0.0,>=1.2.3"),
        ('"~1.2.3"', "dep<1.3.0,>=1.2.3"),
        ('"~1.2"', "dep<1.3.0,>=1.2"),
        ('"~1"', "dep<2.0.0,>=1"),
        ('"^0.2.3"', "dep<0.3.0,>=0.2.3"),
        ('"^0.0.3"', "dep<0.0.4,>=0.0.3"),
        ('"^0.0"', "dep<0.1.0,>=0.0"),
        ('"^2.0"', "dep<3.0.0,>=2.0"),
        ('"1.2.*"', "dep<1.3.0,>=1.2.0"),
        ('"1.*"', "dep<2.0.0,>=1.0"),
        ('"*"', "dep"),
        ('"1.0"', "dep==1.0"),
        ('">=1,<2"', "dep<2,>=1"),
        ('{version = "^1.2.3", extras = ["x"]}', "dep[x]<2.0.0,>=1.2.3"),
        (
            '{version = "^1.2", markers = "sys_platform == \'linux\'"}',
            'dep<2.0.0,>=1.2; sys_platform == "linux"',
        ),
        (
            '{version = "^1.2", python = "^3.8"}',
            'dep<2.0.0,>=1.2; python_version >= "3.8" and python_version < "4.0"',
        ),
        (
            '{git = "https://github.com/o/dep.git", tag = "v1"}',
            "dep @ git+https://github.com/o/dep.git@v1",
        ),
        (
            '{git = "git@github.com:o/dep.git", rev = "abc123"}',
            "dep @ git+ssh://git@github.com/o/dep.git#abc123",
        ),
        (
            '{url = "https://example.com/dep-1.0.tar.gz"}',
            "dep @ https://example.com/dep-1.0.tar.gz",
        ),
    ],
)
def test_poetry_constraints_as_pep_440(
    tmp_path: Path, run: Runner, constraint: str, requirement: str
) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": "poetry_requirements()\n",
            "3rd/pyproject.toml": f"[tool.poetry.dependencies]\ndep = {constraint}\n",
        },
    )
    assert fields_of(run, root, "3rd#dep") == {"requirements": [requirement]}


# ---------------------------------------------------------------- __defaults__


def test_defaults_apply_below_the_build_file(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "src/BUILD": '__defaults__({python_sources: dict(resolve = "a", skip_mypy = True)})\n',
            "src/app/BUILD": 'python_sources()\npython_tests(name = "tests")\n',
            "src/app/m.py": "",
            "src/app/m_test.py": "",
            "other/BUILD": "python_sources()\n",
            "other/o.py": "",
        },
    )
    assert fields_of(run, root, "src/app")["resolve"] == "a"
    assert fields_of(run, root, "src/app/m.py:app") == {
        "resolve": "a",
        "skip_mypy": True,
        "source": "m.py",
    }
    assert "resolve" not in fields_of(run, root, "src/app/m_test.py:tests")  # another type
    assert "resolve" not in fields_of(run, root, "other/o.py:other")  # not below src/


def test_defaults_for_several_types_and_all(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "src/BUILD": (
                "__defaults__(\n"
                '    {(python_sources, python_tests): dict(resolve = "r")},\n'
                '    all = dict(description = "everywhere", resolve = "from-all"),\n'
                ")\n"
                'target(name = "t")\n'
            ),
            "src/app/BUILD": 'python_sources()\npython_tests(name = "tests")\n',
            "src/app/m.py": "",
            "src/app/m_test.py": "",
        },
    )
    # `all` sets the fields a target type has (not `resolve` on `target`); a type's own
    # defaults win over `all`.
    assert fields_of(run, root, "src:t") == {"description": "everywhere"}
    for spec in ("src/app/m.py:app", "src/app/m_test.py:tests"):
        fields = fields_of(run, root, spec)
        assert (fields["resolve"], fields["description"]) == ("r", "everywhere")


def test_explicit_field_values_win_over_defaults(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                '__defaults__({python_sources: dict(resolve = "default")})\n'
                'python_sources(resolve = "explicit")\n'
            ),
            "a/m.py": "",
        },
    )
    assert fields_of(run, root, "a/m.py:a")["resolve"] == "explicit"


def test_nearer_defaults_replace_those_above_unless_extended(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "src/BUILD": (
                '__defaults__({python_sources: dict(resolve = "parent", skip_mypy = True)})\n'
            ),
            "src/replaced/BUILD": (
                '__defaults__({python_sources: dict(resolve = "child")})\npython_sources()\n'
            ),
            "src/extended/BUILD": (
                '__defaults__({python_sources: dict(resolve = "child")}, extend = True)\n'
                "python_sources()\n"
            ),
            "src/untouched/BUILD": (
                '__defaults__({python_tests: dict(resolve = "tests")})\npython_sources()\n'
            ),
            "src/replaced/m.py": "",
            "src/extended/m.py": "",
            "src/untouched/m.py": "",
        },
    )
    assert fields_of(run, root, "src/replaced/m.py:replaced") == {
        "resolve": "child",
        "source": "m.py",
    }
    assert fields_of(run, root, "src/extended/m.py:extended") == {
        "resolve": "child",
        "skip_mypy": True,
        "source": "m.py",
    }
    # Defaults for other target types leave python_sources' inherited defaults alone.
    assert fields_of(run, root, "src/untouched/m.py:untouched") == {
        "resolve": "parent",
        "skip_mypy": True,
        "source": "m.py",
    }


def test_defaults_of_fields_every_target_has(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "src/BUILD": '__defaults__({python_sources: dict(tags = ["lib"])})\n',
            "src/app/BUILD": "python_sources()\n",
            "src/app/m.py": "",
        },
    )
    assert fields_of(run, root, "src/app/m.py:app") == {"source": "m.py", "tags": ["lib"]}


def test_defaults_with_an_unknown_field(tmp_path: Path, run: Runner) -> None:
    build = '__defaults__({python_sources: dict(resolv = "a")})\n'
    root = pants_repo(
        tmp_path,
        {"src/BUILD": build, "src/app/BUILD": "python_sources()\n", "src/app/m.py": ""},
    )
    assert_error(
        failure(run, root),
        "src/BUILD:1:1: __defaults__: python_sources has no field 'resolv'",
        build.rstrip("\n"),
        hint="pass ignore_unknown_fields=True to allow it",
    )


def test_defaults_ignoring_unknown_fields(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "src/BUILD": (
                '__defaults__({python_sources: dict(resolv = "a", resolve = "r")}, '
                "ignore_unknown_fields = True)\n"
            ),
            "src/app/BUILD": "python_sources()\n",
            "src/app/m.py": "",
        },
    )
    assert fields_of(run, root, "src/app/m.py:app") == {"resolve": "r", "source": "m.py"}


def test_defaults_for_an_unknown_target_type(tmp_path: Path, run: Runner) -> None:
    build = '__defaults__({"pyhton_sources": dict(resolve = "a")})\n'
    root = pants_repo(tmp_path, {"a/BUILD": build})
    assert_error(
        failure(run, root),
        "a/BUILD:1:1: __defaults__: no target type 'pyhton_sources'",
        build.rstrip("\n"),
        hint="did you mean 'python_sources'?",
    )


def test_unknown_rule_name_suggests_the_rule(tmp_path: Path, run: Runner) -> None:
    build = '__defaults__({pyhton_sources: dict(resolve = "a")})\n'
    root = pants_repo(tmp_path, {"a/BUILD": build})
    assert_error(
        failure(run, root),
        "a/BUILD:1:15: name 'pyhton_sources' is not defined",
        build.rstrip("\n"),
        hint="did you mean 'python_sources'?",
    )


# ---------------------------------------------------------------- parametrize


def test_parametrize_makes_one_target_per_value(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'python_sources(name = "x", resolve = parametrize("a", "b"))\n'
                'target(name = "use", dependencies = [":x@resolve=a"])\n'
            ),
            "a/m.py": "",
        },
    )
    assert listed(run, root) == [
        "a/m.py:x@resolve=a",
        "a/m.py:x@resolve=b",
        "a:use",
        "a:x@resolve=a",
        "a:x@resolve=b",
    ]
    assert fields_of(run, root, "a:x@resolve=b")["resolve"] == "b"
    code, out, err = run(["dependencies", "a:use"], root=root)
    assert (code, out, err) == (0, "a:x@resolve=a\n", "")
    code, out, err = run(["dependencies", "a:x@resolve=a"], root=root)
    assert (code, out, err) == (0, "a/m.py:x@resolve=a\n", "")


def test_parametrized_file_addresses(tmp_path: Path, run: Runner) -> None:
    # The addresses `list` prints for the targets generated per parametrization, used as
    # specs and as dependencies, name one parametrization.
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                'python_sources(name = "x", resolve = parametrize("a", "b"))\n'
                'target(name = "use", dependencies = ["a/m.py:x@resolve=a"])\n'
            ),
            "a/m.py": "",
        },
    )
    assert fields_of(run, root, "a/m.py:x@resolve=a") == {"resolve": "a", "source": "m.py"}
    code, out, err = run(["dependencies", "a:use"], root=root)
    assert (code, out, err) == (0, "a/m.py:x@resolve=a\n", "")


def test_parametrize_a_group_of_fields(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                "python_sources(\n"
                '    name = "x",\n'
                '    **parametrize("py3", interpreter_constraints = [">=3.9"], resolve = "py3")\n'
                ")\n"
            ),
            "a/m.py": "",
        },
    )
    assert listed(run, root) == ["a/m.py:x@parametrize=py3", "a:x@parametrize=py3"]
    fields = fields_of(run, root, "a:x@parametrize=py3")
    assert (fields["interpreter_constraints"], fields["resolve"]) == ([">=3.9"], "py3")


def test_parametrize_several_groups(tmp_path: Path, run: Runner) -> None:
    # The form of the Pants documentation: one `**parametrize(...)` per group.
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                "python_sources(\n"
                '    name = "x",\n'
                '    **parametrize("py2", interpreter_constraints = ["==2.7.*"]),\n'
                '    **parametrize("py3", interpreter_constraints = [">=3.9"])\n'
                ")\n"
            ),
            "a/m.py": "",
        },
    )
    assert listed(run, root) == [
        "a/m.py:x@parametrize=py2",
        "a/m.py:x@parametrize=py3",
        "a:x@parametrize=py2",
        "a:x@parametrize=py3",
    ]


def test_parametrize_with_named_values(tmp_path: Path, run: Runner) -> None:
    # Pants: `tags=parametrize(t1=["t1"], t2=["t2"])` names each value in the address.
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": 'target(name = "x", tags = parametrize(t1 = ["a"], t2 = ["b"]))\n',
        },
    )
    assert listed(run, root) == ["a:x@tags=t1", "a:x@tags=t2"]
    assert fields_of(run, root, "a:x@tags=t2") == {"tags": ["b"]}


# ---------------------------------------------------------------- env() and no-op builtins


@pytest.mark.parametrize(("value", "expected"), [(None, "default"), ("from-env", "from-env")])
def test_env(
    tmp_path: Path,
    run: Runner,
    monkeypatch: pytest.MonkeyPatch,
    value: str | None,
    expected: str,
) -> None:
    if value is None:
        monkeypatch.delenv("GRAPHPUB_TEST_RESOLVE", raising=False)
    else:
        monkeypatch.setenv("GRAPHPUB_TEST_RESOLVE", value)
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": 'python_sources(resolve = env("GRAPHPUB_TEST_RESOLVE", "default"))\n',
            "a/m.py": "",
        },
    )
    assert fields_of(run, root, "a/m.py:a") == {"resolve": expected, "source": "m.py"}


def test_env_without_default_of_an_unset_variable(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRAPHPUB_TEST_UNSET", raising=False)
    root = pants_repo(
        tmp_path,
        {"a/BUILD": 'python_sources(resolve = env("GRAPHPUB_TEST_UNSET"))\n', "a/m.py": ""},
    )
    assert fields_of(run, root, "a/m.py:a") == {"source": "m.py"}


def test_visibility_rules_are_accepted_and_ignored(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "a/BUILD": (
                '__dependencies_rules__(("*", "!//forbidden/**", "*"))\n'
                '__dependents_rules__(("python_sources", "src/**", "!*"))\n'
                'target(name = "t", dependencies = ["forbidden"])\n'
            ),
            "forbidden/BUILD": "target()\n",
        },
    )
    assert listed(run, root) == ["a:t", "forbidden"]
    code, out, err = run(["dependencies", "a:t"], root=root)
    assert (code, out, err) == (0, "forbidden\n", "")


# ---------------------------------------------------------------- testdata/demo


def test_demo_lists_generated_targets(run: Runner) -> None:
    # testdata/demo/EXPECTED.md: the 12 declared targets and the "Generated targets" table.
    assert listed(run, TESTDATA / "demo") == DEMO_TARGETS


def test_demo_generated_target_kinds(run: Runner) -> None:
    code, out, err = run(["graph", "--format", "json", "//:dists"], root=TESTDATA / "demo")
    assert (code, err) == (0, "")
    # Everything //:dists reaches, generated targets included (EXPECTED.md's tables).
    assert {node["address"]: node["kind"] for node in json.loads(out)["nodes"]} == {
        "//:dists": "target",
        "3rdparty/python#attrs": "python_requirement",
        "3rdparty/python#packaging": "python_requirement",
        "src/python/demo": "python_sources",
        "src/python/demo/__init__.py": "python_source",
        "src/python/demo/main.py": "python_source",
        "src/python/greeting": "python_sources",
        "src/python/greeting/__init__.py": "python_source",
        "src/python/greeting/greeting.py": "python_source",
        "src/python/greeting/translations.json:translations": "resource",
        "src/python/greeting:dist": "python_distribution",
        "src/python/greeting:translations": "resources",
        "src/python/testutil": "python_sources",
        "src/python/testutil/__init__.py": "python_source",
        "src/python/testutil:dist": "python_distribution",
        "src/python:demo": "python_distribution",
    }
    records = peek(run, TESTDATA / "demo", "3rdparty/python#attrs", "3rdparty/python#packaging")
    assert [r["fields"]["requirements"] for r in records] == [
        ["attrs>=23.1.0"],
        ["packaging>=23.0"],
    ]


PEP_621 = """\
[project]
name = "app"
dependencies = ["requests>=2,<3", "attrs  # a comment after it? no: a PEP 508 string"]

[project.optional-dependencies]
cli = ["click>8", "Requests[socks]>=2"]

[dependency-groups]
test = ["pytest>=8", {include-group = "cli"}]

[tool.pdm.dev-dependencies]
lint = ["ruff"]

[tool.hatch.envs.docs]
dependencies = ["sphinx -- --no-binary sphinx"]
extra-dependencies = ["furo"]
"""


def test_python_requirements_reads_a_pyproject(tmp_path: Path, run: Runner) -> None:
    """`python_requirements(source="pyproject.toml")`: PEP 621 dependencies and optional
    dependencies (as Pants reads them), PEP 735 groups, PDM's and Hatch's; pip options after
    `--` left out, as Pants leaves them out."""
    pyproject = PEP_621.replace(
        '"attrs  # a comment after it? no: a PEP 508 string"', '"attrs>=23"'
    )
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": 'python_requirements(source="pyproject.toml")\n',
            "3rd/pyproject.toml": pyproject,
        },
    )
    assert listed(run, root) == [
        "3rd",
        "3rd#attrs",
        "3rd#click",
        "3rd#furo",
        "3rd#pytest",
        "3rd#requests",
        "3rd#ruff",
        "3rd#sphinx",
    ]
    assert fields_of(run, root, "3rd#requests") == {
        "requirements": ["requests>=2,<3", "Requests[socks]>=2"]
    }
    assert fields_of(run, root, "3rd#sphinx") == {"requirements": ["sphinx"]}


def test_a_pyproject_without_requirements_is_an_error(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": 'python_requirements(source="pyproject.toml")\n',
            "3rd/pyproject.toml": '[tool.poetry.dependencies]\nrequests = "^2"\n',
        },
    )
    err = failure(run, root)
    assert err.startswith("3rd/BUILD:1:1: pyproject.toml declares no requirements"), err
    assert "use poetry_requirements()" in err


def test_poetry_requirements_needs_a_poetry_section(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": "poetry_requirements()\n",
            "3rd/pyproject.toml": '[project]\ndependencies = ["requests"]\n',
        },
    )
    err = failure(run, root)
    assert err.startswith(
        "3rd/BUILD:1:1: pyproject.toml has no [tool.poetry] section, which "
        "poetry_requirements() reads"
    ), err


def test_poetry_dev_dependencies_alternatives_and_local_paths(tmp_path: Path, run: Runner) -> None:
    """dev-dependencies count; a list of constraints (by Python version) is one requirement
    each; a path dependency inside the repository is first party, not a requirement."""
    root = pants_repo(
        tmp_path,
        {
            "3rd/BUILD": "poetry_requirements()\n",
            "3rd/pyproject.toml": (
                "[tool.poetry.dependencies]\n"
                'numpy = [{version = "<1.25", python = "<3.9"}, {version = "^1.26", '
                'python = ">=3.9"}]\n'
                'mylib = {path = "../libs/mylib", develop = true}\n'
                "[tool.poetry.dev-dependencies]\n"
                'black = "23.1.0"\n'
            ),
        },
    )
    assert listed(run, root) == ["3rd", "3rd#black", "3rd#numpy"]
    assert fields_of(run, root, "3rd#numpy") == {
        "requirements": [
            'numpy<1.25; python_version < "3.9"',
            'numpy<2.0.0,>=1.26; python_version >= "3.9"',
        ]
    }


PIPFILE_LOCK = """\
{
    "_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6, "sources": []},
    "default": {
        "requests": {"hashes": ["sha256:0"], "index": "pypi", "version": "==2.31.0"},
        "uvicorn": {"extras": ["standard"], "version": "==0.27.0"},
        "colorama": {"markers": "sys_platform == 'win32'", "version": "==0.4.6"}
    },
    "develop": {
        "pytest": {"version": "==8.0.0"}
    }
}
"""


def test_pipenv_requirements_reads_the_lockfile(tmp_path: Path, run: Runner) -> None:
    """Each package of Pipfile.lock's default and develop sections, at its locked version,
    with its extras and markers, as Pants reads them."""
    root = pants_repo(
        tmp_path, {"3rd/BUILD": "pipenv_requirements()\n", "3rd/Pipfile.lock": PIPFILE_LOCK}
    )
    assert listed(run, root) == [
        "3rd",
        "3rd#colorama",
        "3rd#pytest",
        "3rd#requests",
        "3rd#uvicorn",
    ]
    assert fields_of(run, root, "3rd#uvicorn") == {"requirements": ["uvicorn[standard]==0.27.0"]}
    assert fields_of(run, root, "3rd#colorama") == {
        "requirements": ['colorama==0.4.6; sys_platform == "win32"']
    }


def test_pipenv_requirements_are_inferred_and_required(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/"]\n',
            "3rd/BUILD": "pipenv_requirements()\n",
            "3rd/Pipfile.lock": PIPFILE_LOCK,
            "app/BUILD": (
                "python_sources()\n"
                'python_distribution(name="dist", dependencies=[":app"],\n'
                '    provides=python_artifact(name="app", version="1"))\n'
            ),
            "app/__init__.py": "import requests\nimport uvicorn\n",
        },
    )
    [record] = peek(run, root, "app:dist")
    assert record["distribution"]["requirements"] == [
        "requests==2.31.0",
        "uvicorn[standard]==0.27.0",
    ]


def test_a_broken_pipfile_lock(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(
        tmp_path, {"3rd/BUILD": "pipenv_requirements()\n", "3rd/Pipfile.lock": "{not json"}
    )
    assert failure(run, root).startswith("3rd/BUILD:1:1: Pipfile.lock: invalid JSON")


def test_a_dependency_on_a_generated_target_of_the_same_directory(
    tmp_path: Path, run: Runner
) -> None:
    """robofit/arcor2's 3rdparty/BUILD: `"dependencies": ["#setuptools"]` in an override is
    the target its own directory generates (Pants fills an empty path with the BUILD file's
    directory), not one at the build root."""
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "3rdparty/requirements.txt": "requests==2.32.3\nsetuptools\n",
            "3rdparty/BUILD": (
                'python_requirements(overrides={"requests": {"dependencies": ["#setuptools"]}})\n'
            ),
        },
    )
    code, out, err = run(["dependencies", "3rdparty#requests"], root=root)
    assert (code, out, err) == (0, "3rdparty#setuptools\n", "")
