"""The build root, and configuration from graphpub.toml, pyproject.toml and pants.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphpub.buildgraph import find_root, load_config
from graphpub.errors import ConfigError
from tests.conftest import Runner, failure, lines, make_repo

BROKEN = "this is ( not starlark\n"


# ---------------------------------------------------------------- the build root


@pytest.mark.parametrize(
    "marker",
    ["graphpub.toml", "pants.toml", "MODULE.bazel", "WORKSPACE", "WORKSPACE.bazel", ".buckconfig"],
)
def test_root_is_nearest_ancestor_with_a_marker(tmp_path: Path, marker: str) -> None:
    root = make_repo(tmp_path, {marker: "", "a/b/c/file.txt": ""})
    assert find_root(root / "a" / "b" / "c") == root
    assert find_root(root) == root


def test_nearest_marker_wins(tmp_path: Path) -> None:
    outer = make_repo(tmp_path, {"pants.toml": "", "inner/MODULE.bazel": "", "inner/x/f": ""})
    assert find_root(outer / "inner" / "x") == outer / "inner"


def test_root_falls_back_to_git_top_level(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {".git/HEAD": "ref: refs/heads/main\n", "a/b/f.txt": ""})
    assert find_root(root / "a" / "b") == root


def test_marker_below_git_top_level_wins(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {".git/HEAD": "", "sub/WORKSPACE": "", "sub/pkg/f": ""})
    assert find_root(root / "sub" / "pkg") == root / "sub"


def test_no_root_is_an_error(tmp_path: Path) -> None:
    lonely = tmp_path / "lonely" / "dir"
    lonely.mkdir(parents=True)
    with pytest.raises(ConfigError, match="no build root found") as caught:
        find_root(lonely)
    assert caught.value.hint is not None
    assert "--root" in caught.value.hint


def test_cli_finds_root_from_working_directory(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "BUILD": 'target(name="top")\n',
            "src/app/BUILD": 'target(name="app")\n',
        },
    )
    monkeypatch.chdir(root / "src" / "app")
    code, out, err = run(["list", "::"])
    assert (code, err) == (0, "")
    assert lines(out) == ["//:top", "src/app"]


def test_root_option_overrides_working_directory(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = make_repo(tmp_path, {"pants.toml": "", "BUILD": 'target(name="here")\n'})
    there = tmp_path / "there"
    (there / "pkg").mkdir(parents=True)
    (there / "MODULE.bazel").write_text("")
    (there / "pkg" / "BUILD").write_text('py_library(name = "lib")\n')
    monkeypatch.chdir(here)
    for option in ("-C", "--root"):
        code, out, err = run([option, str(there), "list", "::"])
        assert (code, out, err) == (0, "//pkg:lib\n", "")


def test_root_option_after_the_command(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD": 'py_library(name = "lib")\n'})
    code, out, _ = run(["list", "-C", str(root), "::"])
    assert (code, out) == (0, "//:lib\n")


def test_root_option_must_be_a_directory(tmp_path: Path, run: Runner) -> None:
    code, out, err = run(["-C", str(tmp_path / "missing"), "list", "::"])
    assert code == 2  # a usage error
    assert out == ""
    assert "no such directory" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------- graphpub configuration


def test_build_patterns_from_graphpub_toml(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "graphpub.toml": 'build_patterns = ["TARGETS"]\n',
            "a/TARGETS": 'py_library(name = "a")\n',
            "b/BUILD": BROKEN,
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["a"]


def test_config_in_pyproject_tool_graphpub(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".git/HEAD": "",
            "pyproject.toml": (
                '[project]\nname = "x"\n\n[tool.graphpub]\nbuild_ignore = ["generated/"]\n'
            ),
            "a/BUILD": 'py_library(name = "a")\n',
            "generated/BUILD": BROKEN,
            "a/generated/BUILD": BROKEN,
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["a"]


def test_build_ignore_is_gitignore_style(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "graphpub.toml": 'build_ignore = ["/vendor/", "experimental/", "**/old-*/"]\n',
            "vendor/BUILD": BROKEN,
            "lib/vendor/BUILD": 'py_library(name = "vendored")\n',
            "experimental/BUILD": BROKEN,
            "lib/experimental/BUILD": BROKEN,
            "lib/deep/old-stuff/BUILD": BROKEN,
            "lib/BUILD": 'py_library(name = "lib")\n',
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["lib", "lib/vendor:vendored"]


def test_default_ignores(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "graphpub.toml": "",
            "BUILD": 'py_library(name = "ok")\n',
            ".git/BUILD": BROKEN,
            "node_modules/BUILD": BROKEN,
            "web/node_modules/left-pad/BUILD": BROKEN,
            "dist/BUILD": BROKEN,
            ".graphpub/BUILD": BROKEN,
            ".venv/BUILD": BROKEN,
            "venv/pyvenv.cfg": "home = /usr/bin\n",
            "venv/BUILD": BROKEN,
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["//:ok"]


def test_a_package_named_venv_is_a_package(tmp_path: Path, run: Runner) -> None:
    """Only a virtualenv (holding pyvenv.cfg) is skipped, whatever its name: rules_venv keeps
    its rules in `python/venv/`."""
    root = make_repo(
        tmp_path, {"MODULE.bazel": "", "python/venv/BUILD.bazel": 'filegroup(name = "bzl_lib")\n'}
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["//python/venv:bzl_lib"]


def test_a_package_named_dist_below_the_root_is_not_ignored(tmp_path: Path, run: Runner) -> None:
    # protobuf's PyPI wheels are built by python/dist/BUILD.bazel; graphpub's output is /dist.
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "dist/BUILD": BROKEN,
            "python/dist/BUILD.bazel": (
                'load("@rules_python//python:packaging.bzl", "py_wheel")\n'
                'py_wheel(name = "protobuf_wheel", distribution = "protobuf", version = "6.0")\n'
            ),
        },
    )
    code, out, err = run(["list", "//python/dist/..."], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == [
        "//python/dist:protobuf_wheel",
        "//python/dist:protobuf_wheel.dist",
        "//python/dist:protobuf_wheel.publish",
    ]


def test_virtualenv_of_any_name_is_skipped_entirely(tmp_path: Path, run: Runner) -> None:
    # A directory holding pyvenv.cfg is a virtualenv; packages installed in it may ship BUILD files.
    root = make_repo(
        tmp_path,
        {
            "graphpub.toml": "",
            "BUILD": 'py_library(name = "ok")\n',
            "my-env/pyvenv.cfg": "home = /usr/bin\n",
            "my-env/BUILD": BROKEN,
            "my-env/lib/python3.12/site-packages/foo/BUILD": BROKEN,
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["//:ok"]


def test_unknown_key_in_graphpub_toml(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path, {"graphpub.toml": 'build_pattern = ["BUILD"]\n', "BUILD": "py_library(name='x')"}
    )
    code, out, err = run(["list", "::"], root=root)
    assert code == 1
    assert out == ""
    assert err.startswith("graphpub.toml")
    assert "unknown configuration key 'build_pattern'" in err
    assert "hint: did you mean 'build_patterns'?" in err
    assert "Traceback" not in err


def test_unknown_key_in_pyproject(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".git/HEAD": "",
            "pyproject.toml": "[tool.graphpub]\nstrict_load = true\n",
            "BUILD": "py_library(name='x')",
        },
    )
    code, _, err = run(["list", "::"], root=root)
    assert code == 1
    assert err.startswith("pyproject.toml")
    assert "unknown configuration key 'strict_load'" in err
    assert "did you mean 'strict_loads'?" in err


def test_pyproject_without_graphpub_table_is_fine(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".git/HEAD": "",
            "pyproject.toml": '[project]\nname = "x"\n[tool.other]\nbuild_pattern = 1\n',
            "BUILD": "py_library(name='x')",
        },
    )
    assert run(["list", "::"], root=root) == (0, "//:x\n", "")


def test_invalid_toml_is_located(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"graphpub.toml": "strict_loads = true\nbuild_patterns = [\n"})
    code, _, err = run(["list", "::"], root=root)
    assert code == 1
    assert err.startswith("graphpub.toml:")
    assert "invalid TOML" in err
    assert "Traceback" not in err


def test_wrong_type_of_config_value(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"graphpub.toml": 'build_patterns = "BUILD"\n'})
    code, _, err = run(["list", "::"], root=root)
    assert code == 1
    assert "build_patterns must be a list of strings" in err


def test_load_config_reads_settings(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            "graphpub.toml": (
                "strict_loads = true\n"
                'conditions = ["//:fast"]\n'
                'build_ignore = ["legacy/"]\n'
                '[defines]\nMODE = "fast"\n'
                "[external_loads]\n"
                '"@skylib" = "third_party/skylib"\n'
            ),
        },
    )
    config = load_config(root)
    assert config.root == root
    assert config.strict_loads is True
    assert config.conditions == ("//:fast",)
    assert dict(config.defines) == {"MODE": "fast"}
    assert dict(config.external_loads) == {"@skylib": "third_party/skylib"}
    assert "legacy/" in config.build_ignore
    assert "node_modules/" in config.build_ignore  # the defaults stay


# ---------------------------------------------------------------- pants.toml


def test_pants_build_patterns(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[GLOBAL]\npants_version = "2.24.0"\nbuild_patterns = ["BUILD.pants"]\n',
            "BUILD": BROKEN,
            "BUILD.pants": 'target(name="root")\n',
            "a/BUILD.pants": "target()\n",
            "b/BUILD": BROKEN,
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["//:root", "a"]


def test_pants_build_ignore_list(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[GLOBAL]\nbuild_ignore = ["/legacy/", "scratch/"]\n',
            "a/BUILD": "target()\n",
            "legacy/BUILD": BROKEN,
            "a/legacy/BUILD": "target()\n",
            "a/scratch/BUILD": BROKEN,
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["a", "a/legacy"]


def test_pants_build_ignore_add(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[GLOBAL]\nbuild_ignore.add = ["legacy/"]\n',
            "a/BUILD": "target()\n",
            "legacy/BUILD": BROKEN,
            "a/legacy/BUILD": BROKEN,
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["a"]


def test_graphpub_config_wins_over_pants_toml(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[GLOBAL]\nbuild_patterns = ["BUILD.pants"]\n',
            "graphpub.toml": 'build_patterns = ["BUILD"]\n',
            "a/BUILD": "target()\n",
            "b/BUILD.pants": BROKEN,
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["a"]


# ---------------------------------------------------------------- build files per dialect


def test_bazel_reads_build_bazel_or_build_only(tmp_path: Path, run: Runner) -> None:
    # gazelle keeps golden files next to its test data: BUILD.in and BUILD.out are not
    # build files to Bazel (rules_python's gazelle/python/testdata/*).
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "testdata/dont_rename/BUILD.in": 'py_library(name = "my_custom_target")\n',
            "testdata/dont_rename/BUILD.out": (
                'py_library(\n\tname = "my_custom_target",\n\tsrcs = ["a.py"],\n)\n'
            ),
            "testdata/dont_rename/BUILD": 'py_library(name = "golden")\n',
            "both/BUILD.bazel": 'py_library(name = "bazel")\n',
            "both/BUILD": BROKEN,
            "buck/BUCK": BROKEN,
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["//both:bazel", "//testdata/dont_rename:golden"]


def test_buck2_buildfile_name(tmp_path: Path, run: Runner) -> None:
    # Buck2 reads `name` as NAME.v2, then NAME: the first present is the build file.
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\n  root = .\n[buildfile]\n  name = TARGETS.fixture\n",
            "a/TARGETS.fixture": 'python_library(name = "a")\n',
            "a/BUCK": BROKEN,
            "b/TARGETS.fixture.v2": 'python_library(name = "b")\n',
            "b/TARGETS.fixture": BROKEN,
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["//a:a", "//b:b"]


def test_buck2_buildfile_name_v2_and_extra_for_test(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": (
                "[cells]\n  root = .\n"
                "[buildfile]\n  name_v2 = BUCK,BUCK.missing\n  name = TARGETS\n"
                "  extra_for_test = BUCK.test\n"
            ),
            "a/BUCK": 'python_library(name = "a")\n',
            "a/BUCK.missing": BROKEN,
            "b/BUCK.missing": 'python_library(name = "b")\n',
            "c/TARGETS": BROKEN,
            "d/BUCK.test": 'python_library(name = "d")\n',
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["//a:a", "//b:b", "//d:d"]


def test_each_buck2_cell_names_its_build_files(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\n  root = .\n  shim = shim\n",
            "shim/.buckconfig": "[buildfile]\n  name = TARGETS\n",
            "app/BUCK": 'python_library(name = "app", deps = ["shim//lib:lib"])\n',
            "app/TARGETS": BROKEN,
            "shim/lib/TARGETS": 'python_library(name = "lib")\n',
            "shim/lib/BUCK": BROKEN,
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["//app:app", "shim//lib:lib"]


def test_pants_reads_every_build_file_of_a_directory(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "a/BUILD": 'target(name = "one")\n',
            "a/BUILD.extra": 'target(name = "two")\n',
            "a/BUCK": BROKEN,
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["a:one", "a:two"]


# ---------------------------------------------------------------- what the build system ignores


def test_pants_ignore(tmp_path: Path, run: Runner) -> None:
    # envoyproxy/toolshed: a Pants repository with a Bazel root and registry it keeps apart.
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[GLOBAL]\npants_ignore = ["not", "/bazel/", "/bazel-registry/"]\n',
            "py/BUILD": 'target(name = "py")\n',
            "bazel/BUILD": 'load("//:macros.bzl", "x")\n',
            "bazel-registry/modules/x/BUILD": BROKEN,
            "py/not/BUILD": BROKEN,
            # Not in pants_ignore any more: its default (hidden directories) is replaced.
            ".ci/BUILD": 'target(name = "ci")\n',
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == [".ci:ci", "py"]


def test_pants_ignore_default_and_gitignore(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            ".gitignore": "/generated/\n*.bak\nlocal_settings.py\n!keep/local_settings.py\n",
            ".git/info/exclude": "scratch/\n",
            ".buildkite/scripts/BUILD": BROKEN,  # hidden: Pants' default ignores it
            ".github/BUILD": 'target(name = "workflows")\n',  # ... but not .github
            "generated/BUILD": BROKEN,
            "src/scratch/BUILD": BROKEN,
            "src/BUILD": 'python_sources(name = "lib")\n',
            "src/app.py": "",
            "src/local_settings.py": "",
            "src/BUILD.bak": BROKEN,
            "keep/BUILD": 'python_sources(name = "kept")\n',
            "keep/local_settings.py": "",
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    # src/local_settings.py is gitignored: not a source of src:lib.
    assert lines(out) == [
        ".github:workflows",
        "keep/local_settings.py:kept",
        "keep:kept",
        "src/app.py:lib",
        "src:lib",
    ]


def test_pants_ignore_wins_over_gitignore(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[GLOBAL]\npants_ignore.add = ["!/generated/"]\n',
            ".gitignore": "/generated/\n",
            "generated/BUILD": 'target(name = "made")\n',
        },
    )
    assert run(["list", "::"], root=root) == (0, "generated:made\n", "")


def test_pants_ignore_use_gitignore_false(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "[GLOBAL]\npants_ignore_use_gitignore = false\n",
            ".gitignore": "/generated/\n",
            "generated/BUILD": 'target(name = "made")\n',
        },
    )
    assert run(["list", "::"], root=root) == (0, "generated:made\n", "")


def test_a_gitignore_pattern_too_costly_to_match(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"pants.toml": "", ".gitignore": "# caches\n*.a*b*c\n"})
    err = failure(run, root)
    assert err.splitlines()[0] == (
        ".gitignore:2:1: .gitignore pattern '*.a*b*c' has more than 2 '*' in one path segment"
    )


def test_buck2_project_ignore(tmp_path: Path, run: Runner) -> None:
    # facebook/buck2's root: `ignore = \ app/buck2_explain, \ examples, \ tests, ...`
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": (
                "[cells]\n  root = .\n  shim = shim\n  prelude = prelude\n"
                "[external_cells]\n  prelude = bundled\n"
                "[project]\n  ignore = \\\n    app/explain, \\\n    examples, \\\n"
                "    **/*.generated\n"
            ),
            "shim/.buckconfig": "[project]\n  ignore = vendored\n",
            "app/BUCK": 'python_library(name = "app")\n',
            "app/explain/BUCK": BROKEN,
            "examples/hello/BUCK": BROKEN,
            "lib/examples/BUCK": 'python_library(name = "not_the_root_examples")\n',
            "lib/x.generated/BUCK": BROKEN,
            "shim/vendored/BUCK": BROKEN,
            "shim/BUCK": 'python_library(name = "shim")\n',
            "vendored/BUCK": 'python_library(name = "root_vendored")\n',
            # Declared at prelude/ but bundled into Buck2: this copy is not the cell.
            "prelude/BUCK": BROKEN,
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == [
        "//app:app",
        "//lib/examples:not_the_root_examples",
        "//vendored:root_vendored",
        "shim//:shim",
    ]


@pytest.mark.parametrize("marker", ["MODULE.bazel", "WORKSPACE", "REPO.bazel", "pants.toml"])
def test_a_nested_build_root_is_not_part_of_the_outer_one(
    tmp_path: Path, run: Runner, marker: str
) -> None:
    # rules_python's examples/* and gazelle/ are modules of their own, built on their own.
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": 'py_library(name = "top")\n',
            f"examples/bzlmod/{marker}": "",
            "examples/bzlmod/BUILD.bazel": 'load("//:defs.bzl", "x")\n',
            "examples/bzlmod/sub/BUILD.bazel": BROKEN,
            "examples/wheel/BUILD.bazel": 'py_library(name = "wheel")\n',
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["//:top", "//examples/wheel:wheel"]


def test_nested_roots_in_a_pants_repository(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "BUILD": 'target(name = "top")\n',
            "bazel/MODULE.bazel": "",
            "bazel/BUILD": 'load("//:macros.bzl", "x")\n',
            "testprojects/pants.toml": "",
            "testprojects/BUILD": BROKEN,
        },
    )
    assert run(["list", "::"], root=root) == (0, "//:top\n", "")


def test_nested_buck2_projects(tmp_path: Path, run: Runner) -> None:
    # A .buckconfig of its own does not make a directory another project in Buck2 (buck2's
    # examples/with_prelude/android has one); a .buckroot does, unless it is a cell (shim/).
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\n  root = .\n  shim = shim\n",
            "android/.buckconfig": "[cells]\n  root = .\n",
            "android/BUCK": 'python_library(name = "android")\n',
            "shim/.buckconfig": "[cells]\n  shim = .\n",
            "shim/.buckroot": "",
            "shim/BUCK": 'python_library(name = "shim")\n',
            "hello/.buckconfig": "[cells]\n  root = .\n",
            "hello/.buckroot": "",
            "hello/BUCK": BROKEN,
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["//android:android", "shim//:shim"]


def test_config_errors_point_at_the_line(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path, {"graphpub.toml": "# limits\n\nupload_timeout = 'soon'\n", "BUILD": ""}
    )
    err = failure(run, root)
    assert err.splitlines()[:2] == [
        "graphpub.toml:3:1: upload_timeout must be a positive number",
        "   3 | upload_timeout = 'soon'",
    ]
    (root / "graphpub.toml").write_text("dialect = 'pants'\nupload_timout = 3\n")
    assert failure(run, root).startswith("graphpub.toml:2:1: unknown configuration key")
    # [tool.graphpub] of pyproject.toml, dotted keys.
    (root / "graphpub.toml").unlink()
    (root / "pants.toml").write_text("")
    (root / "pyproject.toml").write_text(
        "[project]\nname = 'x'\n\n[tool.graphpub]\nbuild_patterns = ['BUILD']\nindex_timeout = -1\n"
    )
    assert failure(run, root).startswith("pyproject.toml:6:1: index_timeout must be a positive")


def test_a_top_level_key_after_a_publish_table_says_to_move_it(tmp_path: Path, run: Runner) -> None:
    toml = (
        "[[publish]]\n"
        'targets = ["//python:wheel"]\n'
        'repositories = ["@pypi"]\n'
        "\n"
        "[[publish]]\n"
        'targets = ["//python:other"]\n'
        'repositories = [\n    "@private",\n]\n'
        'skip = ["//python:other"]\n'
    )
    root = make_repo(tmp_path, {"graphpub.toml": toml, "BUILD": ""})
    err = failure(run, root)
    first, source, _caret, hint = err.splitlines()[:4]
    assert first == "graphpub.toml:10:1: [[publish]] #2: unknown key 'skip'"
    assert source == '  10 | skip = ["//python:other"]'
    assert hint == (
        "hint: 'skip' is a top-level key, but TOML puts every key after a [[publish]] header "
        "into that table: move `skip = ...` above the first [[publish]]"
    )
    # A key that is nobody's keeps the example.
    (root / "graphpub.toml").write_text(toml.replace("skip =", "skp ="))
    assert "hint: [[publish]]" in failure(run, root)


def test_pants_toml_interpolation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pants' `%(name)s`: a key of the same section or of [DEFAULT], or `env.NAME` (st2
    writes its interpreter constraints this way); an unknown name stays as written."""
    monkeypatch.setenv("GRAPHPUB_TEST_RESOLVE", "from-env")
    make_repo(
        tmp_path,
        {
            "pants.toml": (
                "[DEFAULT]\n"
                'st2_constraints = "CPython>=3.10.1,<3.13"\n'
                'roots = "/src"\n'
                "[python]\n"
                'interpreter_constraints = ["%(st2_constraints)s"]\n'
                'default_resolve = "%(env.GRAPHPUB_TEST_RESOLVE)s"\n'
                "[source]\n"
                'root_patterns = ["%(roots)s/python", "%(unknown)s"]\n'
            ),
        },
    )
    config = load_config(tmp_path / "repo")
    assert config.interpreter_constraints == ("CPython>=3.10.1,<3.13",)
    assert config.default_resolve == "from-env"
    assert tuple(config.source_roots) == ("/src/python", "%(unknown)s")
