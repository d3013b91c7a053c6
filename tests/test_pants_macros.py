"""Pants macros: the prelude files of `[GLOBAL] build_file_prelude_globs`, seen by every BUILD
file as Pants shows them (testdata/pants_macros/EXPECTED.md), and what goes wrong in them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from graphpub.buildgraph import load_config
from graphpub.buildgraph.files import FileTree
from graphpub.buildgraph.pants_macros import MACROS_LABEL, PantsMacros
from tests.conftest import TESTDATA, Runner, assert_error, failure, lines, make_repo, peek

MACROS = TESTDATA / "pants_macros"

# testdata/pants_macros/EXPECTED.md, "Targets (25)", sorted.
MACROS_TARGETS = [
    "//:app",
    "//:platform",
    "components/alpha",
    "components/alpha/LICENSE:license",
    "components/alpha/alpha",
    "components/alpha/alpha/__init__.py",
    "components/alpha:license",
    "components/beta",
    "components/beta/LICENSE:license",
    "components/beta/beta",
    "components/beta/beta/__init__.py",
    "components/beta:license",
    "libs/gamma_utils",
    "libs/gamma_utils/__init__.py",
    "libs/gamma_utils/py.typed:py-typed",
    "libs/gamma_utils/tests/test_gamma.py@interpreter_constraints=py311",
    "libs/gamma_utils/tests/test_gamma.py@interpreter_constraints=py312",
    "libs/gamma_utils/tests@interpreter_constraints=py311",
    "libs/gamma_utils/tests@interpreter_constraints=py312",
    "libs/gamma_utils:gamma-utils",
    "libs/gamma_utils:py-typed",
    "pants-plugins",
    "pants-plugins/macros.py",
    "pants-plugins/macros/packages.py",
    "pants-plugins/macros/standalone.py",
]


def macros_repo(tmp_path: Path, prelude: Mapping[str, str], files: Mapping[str, str]) -> Path:
    """A Pants repository whose prelude files are `prelude` (path to text)."""
    globs = ", ".join(f'"{path}"' for path in prelude)
    pants_toml = f"[GLOBAL]\nbuild_file_prelude_globs = [{globs}]\n"
    return make_repo(tmp_path, {"pants.toml": pants_toml, **prelude, **files})


def record(run: Runner, root: Path, spec: str) -> dict[str, Any]:
    [found] = peek(run, root, "--no-infer", spec)
    return found


# ---------------------------------------------------------------- testdata/pants_macros


def test_macros_make_the_targets(run: Runner) -> None:
    code, out, err = run(["list", "::"], root=MACROS)
    assert (code, err) == (0, "")
    assert lines(out) == MACROS_TARGETS


def test_a_macro_target_is_located_at_the_build_file_call(run: Runner) -> None:
    alpha = record(run, MACROS, "components/alpha")
    assert (alpha["kind"], alpha["location"]) == ("python_distribution", "components/alpha/BUILD:1")
    assert record(run, MACROS, "components/beta:license")["location"] == "components/beta/BUILD:2"
    assert record(run, MACROS, "libs/gamma_utils")["location"] == "libs/gamma_utils/BUILD:1"


def test_a_macro_fills_in_a_distribution(run: Runner) -> None:
    alpha = record(run, MACROS, "components/alpha")
    assert alpha["fields"]["provides"] == {
        "name": "example-alpha",
        "version": "1.2.0",  # VERSION of a prelude file evaluated before this one
        "description": "alpha component of the example platform",
        "scripts": ["bin/alpha-run", "bin/alpha-shell"],
    }
    assert alpha["fields"]["dependencies"] == ["./alpha", ":license"]
    assert alpha["dependencies"] == ["components/alpha/alpha", "components/alpha:license"]
    assert alpha["distribution"]["repositories"] == ["@pypi"]
    beta = record(run, MACROS, "components/beta")
    assert beta["fields"]["dependencies"] == ["components/alpha", "./beta", ":license"]


def test_macros_read_the_environment_of_the_build(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXAMPLE_PUBLISH_REPO", "@testpypi")
    monkeypatch.setenv("EXAMPLE_VERSION", "2.0.0rc1")
    assert record(run, MACROS, "components/beta")["distribution"]["repositories"] == ["@testpypi"]
    gamma = record(run, MACROS, "libs/gamma_utils:gamma-utils")
    assert gamma["distribution"]["version"] == "2.0.0rc1"


def test_build_file_dir_is_a_path_in_macros(run: Runner) -> None:
    gamma = record(run, MACROS, "libs/gamma_utils:gamma-utils")
    # `folder: str = parent.name`, `parent.parent / folder`, and `_canonical("Gamma_Utils")`,
    # a `_` name of a prelude file, from the BUILD file.
    assert gamma["fields"]["dependencies"] == [":gamma_utils"]
    assert gamma["fields"]["provides"] == {
        "name": "gamma-utils",
        "version": "1.2.0",
        "description": "Gamma utilities",
        "classifiers": [
            "Programming Language :: Python :: 3",
            "License :: OSI Approved :: MIT License",
        ],
        "extras_require": {"yaml": ["PyYAML>=6"]},
        "project_urls": {"Source": "https://example.com/tree/main/libs/gamma_utils"},
    }


def test_build_files_branch_on_and_unpack_macro_values(run: Runner) -> None:
    assert record(run, MACROS, "//:platform")["fields"]["tags"] == ["cpu", "gpu"]
    app = record(run, MACROS, "//:app")
    assert app["fields"] == {
        "dependencies": ["components/alpha/alpha"],
        "entry_point": "app.main",
        "execution_mode": "venv",
        "tags": ["pex", "lazy"],
    }


def test_macros_are_evaluated_once_per_process() -> None:
    config = load_config(MACROS)
    macros = PantsMacros(
        config.build_file_prelude_globs,
        FileTree(config),
        lambda path: (MACROS / path).read_text(encoding="utf-8"),
    )
    runs: list[str] = []

    class Module:
        def freeze(self) -> str:
            return "frozen"

    for _ in range(3):
        assert macros.module(lambda path, text, module: runs.append(path), Module) == "frozen"
    # Each file once, after the files whose names it uses (macros.py uses packages.py's
    # VERSION), else in path order.
    assert runs == [
        "pants-plugins/macros/packages.py",
        "pants-plugins/macros.py",
        "pants-plugins/macros/standalone.py",
        MACROS_LABEL,  # `_canonical` under a name Starlark can load
    ]


def test_macros_set_defaults_and_rules_of_the_calling_package(run: Runner) -> None:
    # private_component() in components/beta/BUILD, after the distribution: `__defaults__`
    # apply to the targets made after it, there and below.
    assert "tags" not in record(run, MACROS, "components/beta")["fields"]
    assert record(run, MACROS, "components/beta/beta")["fields"]["tags"] == ["private"]
    code, out, err = run(["dependents", "components/alpha"], root=MACROS)
    assert (code, out, err) == (0, "//:platform\ncomponents/beta\n", "")


def test_a_macro_returns_parametrized_fields(run: Runner) -> None:
    tests = record(run, MACROS, "libs/gamma_utils/tests@interpreter_constraints=py312")
    assert tests["fields"]["interpreter_constraints"] == ["==3.12.*"]
    assert tests["fields"]["skip_mypy"] is True


# ---------------------------------------------------------------- semantics


def test_prelude_files_see_each_others_names_whatever_their_order(
    tmp_path: Path, run: Runner
) -> None:
    root = macros_repo(
        tmp_path,
        {
            # `a.py` sorts first but calls `b.py`'s function: b.py is evaluated first.
            "macros/a.py": 'def outer(name):\n    inner(name, "a")\n',
            "macros/b.py": "def inner(name, tag):\n    target(name=name, tags=[tag, TAG])\n"
            'TAG = "b"\n',
        },
        {"BUILD": 'outer("x")\n'},
    )
    assert record(run, root, "//:x")["fields"] == {"tags": ["a", "b"]}


def test_a_build_file_name_hides_a_macro_of_the_same_name(tmp_path: Path, run: Runner) -> None:
    root = macros_repo(
        tmp_path,
        {"macros.py": 'def make(name):\n    target(name=name, tags=["macro"])\n'},
        {
            "a/BUILD": 'def make(name):\n    target(name=name, tags=["own"])\n\nmake("x")\n',
            "b/BUILD": 'make("y")\n',
        },
    )
    assert record(run, root, "a:x")["fields"]["tags"] == ["own"]
    assert record(run, root, "b:y")["fields"]["tags"] == ["macro"]


def test_a_macro_hides_a_builtin_of_the_same_name(tmp_path: Path, run: Runner) -> None:
    # Pants gives prelude symbols the last word over its own.
    root = macros_repo(
        tmp_path,
        {"macros.py": 'def env(name, default=None):\n    return "from-macro"\n'},
        {"BUILD": 'target(name="x", description=env("HOME"))\n'},
    )
    assert record(run, root, "//:x")["fields"]["description"] == "from-macro"


def test_without_prelude_files_nothing_changes(tmp_path: Path, run: Runner) -> None:
    root = macros_repo(tmp_path, {"missing/*.py": ""}, {"BUILD": 'target(name="x")\n'})
    (root / "missing").rename(root / "elsewhere")
    code, out, err = run(["list", "::"], root=root)
    assert (code, out, err) == (0, "//:x\n", "")


# ---------------------------------------------------------------- errors


def test_an_error_in_a_macro_points_into_the_prelude_file(tmp_path: Path, run: Runner) -> None:
    root = macros_repo(
        tmp_path,
        {"pants-plugins/macros.py": "def dist(**kwargs):\n    python_distribution(**kwargs)\n"},
        {"a/BUILD": 'dist(name="d", provides=python_artifact(name="d", version="1"), wheel=3)\n'},
    )
    assert_error(
        failure(run, root),
        "a/BUILD:1:1: python_distribution(): field 'wheel': expected True or False, got an int (3)",
        'dist(name="d", provides=python_artifact(name="d", version="1"), wheel=3)',
    )
    (root / "a" / "BUILD").write_text('dist(name="d")\n')
    (root / "pants-plugins" / "macros.py").write_text(
        "def dist(**kwargs):\n    fail('no ' + kwargs['name'])\n"
    )
    assert_error(
        failure(run, root),
        "pants-plugins/macros.py:2:5: fail: no d",
        "    fail('no ' + kwargs['name'])",
    )


def test_an_exception_raised_in_a_macro(tmp_path: Path, run: Runner) -> None:
    root = macros_repo(
        tmp_path,
        {
            "macros.py": (
                "def license(**kwargs):\n"
                '    if "dest" not in kwargs:\n'
                "        raise ValueError(\"'dest' path is required\")\n"
            )
        },
        {"BUILD": "license()\n"},
    )
    assert_error(
        failure(run, root),
        "macros.py:3:9: fail: ValueError: 'dest' path is required",
        "        raise ValueError(\"'dest' path is required\")",
    )


def test_a_failed_assert_in_a_macro(tmp_path: Path, run: Runner) -> None:
    root = macros_repo(
        tmp_path,
        {
            "macros.py": (
                "def package(name: str) -> None:\n"
                "    folder = build_file_dir().name\n"
                '    assert name != folder, f"{name} is the folder\'s name: {build_file_dir()}"\n'
            )
        },
        {"lib/BUILD": 'package("lib")\n'},
    )
    assert_error(
        failure(run, root),
        "macros.py:3:5: fail: AssertionError: lib is the folder's name: lib",
        '    assert name != folder, f"{name} is the folder\'s name: {build_file_dir()}"',
    )


def test_builtins_of_a_build_file_at_the_top_of_a_prelude_file(tmp_path: Path, run: Runner) -> None:
    root = macros_repo(tmp_path, {"macros.py": "HERE = build_file_dir()\n"}, {"BUILD": "HERE\n"})
    assert_error(
        failure(run, root),
        "macros.py:1:8: build_file_dir() can only be used while a build file is evaluated",
        "HERE = build_file_dir()",
        hint="in a .bzl or prelude file, use it inside a function that a build file calls",
    )


def test_prelude_files_cannot_load(tmp_path: Path, run: Runner) -> None:
    root = macros_repo(
        tmp_path,
        {"macros.py": '\nload("//:defs.bzl", "helper")\n'},
        {"defs.bzl": "def helper():\n    pass\n", "BUILD": 'target(name="x")\n'},
    )
    assert_error(
        failure(run, root),
        "macros.py:2:1: prelude files cannot load(): Pants runs them as Python, where load() "
        "is not defined",
        'load("//:defs.bzl", "helper")',
        hint="define what you need in a prelude file: every prelude file sees the names of the "
        "others",
    )


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("import os", "`import os`: BUILD files and macros cannot import modules"),
        (
            "from os.path import join",
            "`from os.path import ...`: BUILD files and macros cannot import modules",
        ),
    ],
)
def test_prelude_files_cannot_import(
    tmp_path: Path, run: Runner, statement: str, message: str
) -> None:
    root = macros_repo(
        tmp_path,
        {"macros.py": f"from typing import Any\n{statement}\n"},
        {"BUILD": 'target(name="x")\n'},
    )
    assert_error(
        failure(run, root),
        f"macros.py:2:1: {message}",
        statement,
        hint="Pants forbids imports in BUILD files and macros too; only `from typing import "
        "...` and `from __future__ import ...` are accepted (and ignored)",
    )


def test_prelude_files_that_use_each_others_names(tmp_path: Path, run: Runner) -> None:
    root = macros_repo(
        tmp_path,
        {"a.py": "def ping():\n    return pong()\n", "b.py": "def pong():\n    return ping()\n"},
        {"BUILD": "ping()\n"},
    )
    err = failure(run, root)
    assert err.splitlines()[0] == "a.py: prelude files use each other's names: a.py, b.py"
    assert "hint: graphpub evaluates prelude files one after the other: move the functions " in err


def test_a_syntax_error_in_a_prelude_file(tmp_path: Path, run: Runner) -> None:
    root = macros_repo(
        tmp_path,
        {"macros.py": "def dist(name):\n    target(name=name\n"},
        {"BUILD": 'dist("x")\n'},
    )
    assert_error(
        failure(run, root),
        "macros.py:2:11: syntax error: '(' opened here is never closed",
        "    target(name=name",
    )


def test_a_prelude_file_behind_a_symlink_leaving_the_root_is_not_read(
    tmp_path: Path, run: Runner
) -> None:
    (tmp_path / "outside.py").write_text("def secret():\n    return 'leaked'\n")
    root = macros_repo(tmp_path, {"*.py": ""}, {"BUILD": 'target(name="x", description=secret)\n'})
    (root / "*.py").unlink()
    (root / "macros.py").symlink_to(tmp_path / "outside.py")
    err = failure(run, root)
    assert err.splitlines()[0] == "BUILD:1:30: name 'secret' is not defined", err
    assert "leaked" not in err


def test_a_rule_nothing_defines_stands_in_when_the_macro_runs(tmp_path: Path, run: Runner) -> None:
    # A macro may call a rule graphpub does not know (a plugin's), as StackStorm/st2's
    # prelude does: the call makes an opaque target, with one warning, when the macro runs.
    root = macros_repo(
        tmp_path,
        {
            "macros.py": (
                "def archive(**kwargs):\n"
                "    plugin_archive(**kwargs)\n"
                "\n"
                "def lib(name):\n"
                "    target(name=name)\n"
            )
        },
        {"a/BUILD": 'lib("x")\n', "b/BUILD": 'archive(name="y")\n'},
    )
    code, out, err = run(["list", "b::"], root=root)
    assert (code, out) == (0, "b:y\n"), err
    assert err.startswith("warning: macros.py:2:5: 'plugin_archive' is defined nowhere"), err


def test_a_value_nothing_defines_at_the_top_of_a_prelude_file(tmp_path: Path, run: Runner) -> None:
    root = macros_repo(
        tmp_path, {"macros.py": "DEFAULTS = plugin_defaults\n"}, {"BUILD": 'target(name="x")\n'}
    )
    assert failure(run, root).splitlines()[0] == (
        "macros.py:1:12: name 'plugin_defaults' is not defined"
    )
