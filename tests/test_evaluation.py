"""Evaluating build files: builtins, select(), native.*, macros, merging of build files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graphpub.buildgraph.host import host_platform
from tests.conftest import Runner, lines, load_graph, make_repo

BROKEN = "this is ( not starlark\n"


def peek(run: Runner, root: Path, *args: str) -> list[dict[str, Any]]:
    code, out, err = run(["peek", *args], root=root)
    assert code == 0, err
    records: list[dict[str, Any]] = json.loads(out)
    return records


# ---------------------------------------------------------------- package-level builtins


def test_package_name_and_repository_name(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "a/b/BUILD.bazel": (
                'py_library(\n    name = "x",\n    tags = [package_name(), repository_name()],\n)\n'
            ),
            "BUILD.bazel": 'py_library(name = "top", tags = [package_name()])\n',
        },
    )
    records = peek(run, root, "//...")
    assert [r["address"] for r in records] == ["//:top", "//a/b:x"]
    assert records[0]["fields"]["tags"] == [""]
    assert records[1]["fields"]["tags"] == ["a/b", "@"]


def test_package_settings_are_recorded_not_targets(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "a/BUILD.bazel": (
                'package(default_visibility = ["//visibility:public"])\n'
                'licenses(["notice"])\n'
                'exports_files(["LICENSE", "data.txt"])\n'
                'py_library(name = "lib")\n'
            ),
            "a/LICENSE": "",
            "a/data.txt": "",
        },
    )
    assert run(["list", "//a:all"], root=root) == (0, "//a:lib\n", "")
    graph = load_graph(root)
    graph.load(["a"])
    settings = graph.package_settings("a")
    assert settings["default_visibility"] == ["//visibility:public"]
    exported = settings["exports_files"]
    assert isinstance(exported, (list, tuple))
    assert list(exported) == ["LICENSE", "data.txt"]


def test_dependency_on_an_exported_file_is_not_an_error(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "a/BUILD.bazel": 'exports_files(["data.txt"])\n',
            "a/data.txt": "",
            "b/BUILD.bazel": 'py_library(name = "b", deps = ["//a:data.txt"])\n',
        },
    )
    code, out, err = run(["dependencies", "//b"], root=root)
    assert (code, out, err) == (0, "", "")


def test_exports_files_wants_a_list(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": 'exports_files("LICENSE")\n'})
    code, _, err = run(["list", "//..."], root=root)
    assert code == 1
    assert err.startswith("BUILD.bazel:1:1: ")
    assert "exports_files() takes a list" in err


def test_print_goes_to_stderr_as_debug_warning(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {"MODULE.bazel": "", "BUILD.bazel": 'print("hello", 42)\npy_library(name = "x")\n'},
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, out) == (0, "//:x\n")
    assert lines(err) == ["warning: DEBUG BUILD.bazel:1: hello 42"]


def test_python_artifact_is_a_dict_field(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "release/BUILD": (
                'python_distribution(\n    name = "d",\n'
                '    provides = python_artifact(name = "pkg", version = "1.0"),\n)\n'
            ),
        },
    )
    [record] = peek(run, root, "release:d")
    assert record["fields"]["provides"] == {"name": "pkg", "version": "1.0"}


def test_unnamed_pants_target_takes_the_directory_name(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"pants.toml": "", "src/util/BUILD": "python_sources()\n"})
    [record] = peek(run, root, "src/util")
    assert record["address"] == "src/util"
    assert record["kind"] == "python_sources"
    assert record["location"] in ("src/util/BUILD:1", "src/util/BUILD:1:1")


def test_buck2_read_config_and_oncall(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\n  root = .\n\n[app]\n  version = 2.5\n",
            "app/BUCK": (
                'oncall("team")\n'
                "python_library(\n"
                '    name = "lib",\n'
                "    labels = [\n"
                '        read_config("app", "version", "0"),\n'
                '        read_config("app", "x", "dflt"),\n'
                "    ],\n"
                ")\n"
            ),
        },
    )
    [record] = peek(run, root, "//app:lib")
    assert record["fields"]["labels"] == ["2.5", "dflt"]


def test_existing_rules_sees_earlier_targets(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "defs.bzl": ("def all_names():\n    return sorted(native.existing_rules().keys())\n"),
            "BUILD.bazel": "",
            "a/BUILD.bazel": (
                'load("//:defs.bzl", "all_names")\n'
                'py_library(name = "one")\n'
                'py_library(name = "two")\n'
                'filegroup(name = "names", tags = all_names())\n'
            ),
        },
    )
    [record] = peek(run, root, "//a:names")
    assert record["fields"]["tags"] == ["one", "two"]


# ---------------------------------------------------------------- select()

SELECT_BUILD = """\
config_setting(
    name = "fast",
    define_values = {"mode": "fast"},
)

config_setting(
    name = "small",
    values = {"define": "size=small"},
)

py_library(
    name = "lib",
    tags = ["base"] + select({
        ":fast": ["fast"],
        "//p:small": ["small"],
        "//conditions:default": ["default"],
    }),
)
"""


def select_tags(run: Runner, tmp_path: Path, *options: str, config: str = "") -> Any:
    files = {"MODULE.bazel": "", "p/BUILD.bazel": SELECT_BUILD}
    if config:
        files["graphpub.toml"] = config
    root = make_repo(tmp_path, files)
    [record] = peek(run, root, *options, "//p:lib")
    return record["fields"]["tags"]


def test_select_takes_the_default_branch(tmp_path: Path, run: Runner) -> None:
    assert select_tags(run, tmp_path) == ["base", "default"]


def test_select_with_define_matching_define_values(tmp_path: Path, run: Runner) -> None:
    assert select_tags(run, tmp_path, "--define", "mode=fast") == ["base", "fast"]


def test_select_with_define_matching_values_define(tmp_path: Path, run: Runner) -> None:
    assert select_tags(run, tmp_path, "--define", "size=small") == ["base", "small"]


def test_select_with_define_not_matching(tmp_path: Path, run: Runner) -> None:
    assert select_tags(run, tmp_path, "--define", "mode=slow") == ["base", "default"]


def test_select_with_condition_option(tmp_path: Path, run: Runner) -> None:
    assert select_tags(run, tmp_path, "--condition", "//p:small") == ["base", "small"]


def test_select_with_conditions_config(tmp_path: Path, run: Runner) -> None:
    assert select_tags(run, tmp_path, config='conditions = ["//p:fast"]\n') == ["base", "fast"]


def test_select_with_defines_config(tmp_path: Path, run: Runner) -> None:
    assert select_tags(run, tmp_path, config='[defines]\nsize = "small"\n') == ["base", "small"]


def test_define_must_be_key_value(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "p/BUILD.bazel": SELECT_BUILD})
    code, out, err = run(["--define", "novalue", "list", "//p:lib"], root=root)
    assert (code, out) == (2, "")  # a usage error
    assert "expected KEY=VALUE" in err


def test_select_config_setting_in_another_package(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "p/BUILD.bazel": SELECT_BUILD,
            "q/BUILD.bazel": (
                'py_library(\n    name = "q",\n'
                '    deps = select({"//p:fast": [":fast_dep"], "//conditions:default": []}),\n)\n'
                'py_library(name = "fast_dep")\n'
            ),
        },
    )
    assert run(["dependencies", "//q"], root=root) == (0, "", "")
    assert run(["--define", "mode=fast", "dependencies", "//q"], root=root) == (
        0,
        "//q:fast_dep\n",
        "",
    )


def test_select_config_setting_declared_after_the_select(tmp_path: Path, run: Runner) -> None:
    # Bazel resolves select() after the whole package is loaded: declaration order is irrelevant.
    build = (
        "py_library(\n"
        '    name = "lib",\n'
        '    tags = select({":fast": ["fast"], "//conditions:default": ["default"]}),\n'
        ")\n"
        'config_setting(name = "fast", define_values = {"mode": "fast"})\n'
    )
    root = make_repo(tmp_path, {"MODULE.bazel": "", "p/BUILD.bazel": build})
    [record] = peek(run, root, "--define", "mode=fast", "//p:lib")
    assert record["fields"]["tags"] == ["fast"]


def test_select_with_no_match_and_no_default(tmp_path: Path, run: Runner) -> None:
    build = (
        'config_setting(name = "fast", define_values = {"mode": "fast"})\n'
        "py_library(\n"
        '    name = "lib",\n'
        '    tags = ["x"] + select({":fast": ["fast"]}),\n'
        ")\n"
    )
    root = make_repo(tmp_path, {"MODULE.bazel": "", "p/BUILD.bazel": build})
    # Bazel always has some configuration: with none given, the first branch is taken (as a
    # build for that condition would), with a warning saying how to choose another.
    code, out, err = run(["peek", "//p:lib"], root=root)
    assert code == 0, err
    [record] = json.loads(out)
    assert record["fields"]["tags"] == ["x", "fast"]
    assert err == (
        "warning: p/BUILD.bazel: no select() condition holds and there is no "
        "//conditions:default: using ':fast' (choose with --condition LABEL)\n"
    )


PLATFORM_BUILD = """
py_library(
    name = "lib",
    tags = select({
        "@bazel_tools//src/conditions:windows_x64": ["win_amd64"],
        "@bazel_tools//src/conditions:darwin_arm64": ["macosx_11_0_arm64"],
        "@bazel_tools//src/conditions:linux_x86_64": ["manylinux2014_x86_64"],
        "@bazel_tools//src/conditions:linux_aarch64": ["manylinux2014_aarch64"],
    }) + select({
        "@platforms//os:windows": ["windows"],
        "@platforms//os:linux": ["linux"],
        "@platforms//os:osx": ["osx"],
        "//conditions:default": ["other"],
    }),
)
"""
HOST_TAGS = {
    ("linux", "x86_64"): ["manylinux2014_x86_64", "linux"],
    ("linux", "aarch64"): ["manylinux2014_aarch64", "linux"],
    ("osx", "aarch64"): ["macosx_11_0_arm64", "osx"],
    ("windows", "x86_64"): ["win_amd64", "windows"],
}


@pytest.mark.skipif(host_platform() not in HOST_TAGS, reason="a host the fixture names none of")
def test_select_takes_the_hosts_platform_as_bazel_does(tmp_path: Path, run: Runner) -> None:
    """Bazel builds for the host's platform: on linux x86_64 a py_wheel's `platform`
    select() gives manylinux2014_x86_64 (EnzymeAD/Enzyme-JAX's wheel), not the first branch."""
    root = make_repo(tmp_path, {"MODULE.bazel": "", "p/BUILD.bazel": PLATFORM_BUILD})
    code, out, err = run(["peek", "//p:lib"], root=root)
    assert (code, err) == (0, "")
    assert json.loads(out)[0]["fields"]["tags"] == HOST_TAGS[host_platform()]


def test_a_condition_given_wins_over_the_host(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "p/BUILD.bazel": PLATFORM_BUILD})
    options = ["--condition", "@bazel_tools//src/conditions:windows_x64"]
    options += ["--condition", "@platforms//os:windows"]
    [record] = peek(run, root, *options, "//p:lib")
    assert record["fields"]["tags"] == ["win_amd64", "windows"]


def test_buck2_config_conditions_of_the_host_hold(tmp_path: Path, run: Runner) -> None:
    os_name, _ = host_platform()
    buck2_os = {"osx": "macos"}.get(os_name, os_name)
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\nroot = .\n",
            "p/BUCK": (
                "python_library(\n"
                '    name = "lib",\n'
                '    labels = select({"config//os:freebsd": ["freebsd"], '
                f'"config//os:{buck2_os}": ["host"]}}),\n'
                ")\n"
            ),
        },
    )
    code, out, err = run(["peek", "//p:lib"], root=root)
    assert code == 0, err
    assert json.loads(out)[0]["fields"]["labels"] == ["host"]


# ---------------------------------------------------------------- macros and native.*


def test_macro_in_bzl_calls_native_rules(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "tools/BUILD.bazel": "",
            "tools/macros.bzl": (
                "def py_pair(name, deps = []):\n"
                "    pkg = native.package_name()\n"
                "    native.py_library(\n"
                "        name = name,\n"
                "        srcs = [pkg.split('/')[-1] + '.py'],\n"
                "        deps = deps,\n"
                "    )\n"
                "    native.py_test(name = name + '_test', deps = [':' + name])\n"
            ),
            "app/BUILD.bazel": (
                'load("//tools:macros.bzl", "py_pair")\n\npy_pair(name = "app", deps = ["//lib"])\n'
            ),
            "app/app.py": "",
            "lib/BUILD.bazel": 'py_library(name = "lib")\n',
        },
    )
    records = peek(run, root, "//app:all")
    assert [(r["address"], r["kind"]) for r in records] == [
        ("//app:app", "py_library"),
        ("//app:app_test", "py_test"),
    ]
    # Targets made by a macro are located at the macro's call in the BUILD file.
    assert [r["location"].split(":")[:2] for r in records] == [
        ["app/BUILD.bazel", "3"],
        ["app/BUILD.bazel", "3"],
    ]
    assert records[0]["fields"]["srcs"] == ["app.py"]
    assert records[0]["dependencies"] == ["//lib:lib"]
    assert records[1]["dependencies"] == ["//app:app"]


def test_rule_loaded_from_rules_python_is_the_builtin_rule(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'load("@rules_python//python:defs.bzl", "py_library")\n'
                'load("@rules_python//python:packaging.bzl", "py_wheel")\n'
                'py_library(name = "lib")\n'
                'py_wheel(name = "whl", distribution = "lib", version = "1", deps = [":lib"])\n'
            ),
        },
    )
    code, out, err = run(["peek", "//..."], root=root)
    assert (code, err) == (0, "")
    kinds = {r["address"]: r["kind"] for r in json.loads(out)}
    assert kinds == {
        "//:lib": "py_library",
        "//:whl": "py_wheel",
        # rules_python's py_wheel macro also makes these two.
        "//:whl.dist": "py_wheel_dist",
        "//:whl.publish": "py_wheel_publisher",
    }


# ---------------------------------------------------------------- several build files


def test_pants_build_files_in_one_directory_merge(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "a/BUILD": "python_sources()\n",
            "a/BUILD.pants": 'python_tests(name = "tests")\n',
            "a/BUILD.extra": 'resources(name = "res", sources = ["*.json"])\n',
        },
    )
    code, out, err = run(["list", "a:"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == ["a", "a:res", "a:tests"]


def test_duplicate_across_merged_build_files(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "a/BUILD": 'target(name = "x")\n',
            "a/BUILD.pants": '\n\ntarget(name = "x")\n',
        },
    )
    code, _, err = run(["list", "a:"], root=root)
    assert code == 1
    assert err.startswith("a/BUILD.pants:3:1: ")
    assert "duplicate target name 'x'" in err
    assert "a/BUILD:1:1" in err


def test_build_bazel_shadows_build(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "a/BUILD": BROKEN,
            "a/BUILD.bazel": 'py_library(name = "a")\n',
        },
    )
    assert run(["list", "//..."], root=root) == (0, "//a:a\n", "")


def test_buck_v2_shadows_buck(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\n  root = .\n",
            "a/BUCK": BROKEN,
            "a/BUCK.v2": 'python_library(name = "a")\n',
        },
    )
    assert run(["list", "//..."], root=root) == (0, "//a:a\n", "")


def test_build_file_names_are_exact(tmp_path: Path, run: Runner) -> None:
    # `BUILD.*` are build files; BUILDING.md or build.py are not.
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "a/BUILD": "target()\n",
            "a/BUILDING.md": BROKEN,
            "a/build.py": BROKEN,
            "b/notes.txt": "",
        },
    )
    assert run(["list", "::"], root=root) == (0, "a\n", "")


# ---------------------------------------------------------------- many packages, several jobs

MANY = 600  # enough packages for graphpub to evaluate them in several processes with -j 2


def many_packages() -> dict[str, str]:
    files = {
        "MODULE.bazel": "",
        "tools/BUILD.bazel": "",
        "tools/defs.bzl": (
            "def lib(name, deps = []):\n"
            "    native.py_library(\n"
            "        name = name,\n"
            "        srcs = native.glob(['*.py']),\n"
            "        deps = deps,\n"
            "        tags = [native.package_name()],\n"
            "    )\n"
        ),
    }
    for index in range(MANY):
        deps = f'["//p{index - 1:03d}:t"]' if index % 10 else "[]"
        files[f"p{index:03d}/BUILD.bazel"] = (
            f'load("//tools:defs.bzl", "lib")\nlib(name = "t", deps = {deps})\n'
        )
        files[f"p{index:03d}/m{index}.py"] = ""
    return files


def test_several_jobs_give_the_same_graph(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, many_packages())
    one = run(["-j", "1", "peek", "//..."], root=root)
    two = run(["-j", "2", "peek", "//..."], root=root)
    assert one[0] == 0, one[2]
    assert two == one
    records = json.loads(one[1])
    assert len(records) == MANY
    assert records[5] == {
        "address": "//p005:t",
        "kind": "py_library",
        "location": records[5]["location"],
        "fields": {"deps": ["//p004:t"], "srcs": ["m5.py"], "tags": ["p005"]},
        "dependencies": ["//p004:t"],
        "sources": ["p005/m5.py"],
    }
    graph_one = run(["-j", "1", "graph", "--format", "json", "//..."], root=root)
    assert run(["-j", "2", "graph", "--format", "json", "//..."], root=root) == graph_one


def test_several_jobs_report_the_same_error(tmp_path: Path, run: Runner) -> None:
    files = many_packages()
    files["p450/BUILD.bazel"] = "py_library(name = NAME)\n"
    files["p451/BUILD.bazel"] = 'py_library(name = "t", deps = ["//nowhere:x"])\n'
    root = make_repo(tmp_path, files)
    for jobs in ("1", "2"):
        code, out, err = run(["-j", jobs, "list", "//..."], root=root)
        assert (code, out) == (1, ""), jobs
        assert err.startswith("p450/BUILD.bazel:1:19: name 'NAME' is not defined"), jobs


def test_a_config_setting_of_the_hosts_constraints_holds(tmp_path: Path, run: Runner) -> None:
    """`config_setting(constraint_values = [...])` holds where the host has them all
    (quantumlib/tesseract-decoder's `:macos_arm`): one of another machine does not."""
    os_name, cpu = host_platform()
    build = (
        'config_setting(name = "here", constraint_values = '
        f'["@platforms//os:{os_name}", "@platforms//cpu:{cpu}"])\n'
        'config_setting(name = "elsewhere", constraint_values = '
        '["@platforms//os:haiku", "@platforms//cpu:mips64"])\n'
        'py_library(name = "lib",\n'
        '    tags = select({":elsewhere": ["elsewhere"], ":here": ["here"]}))\n'
    )
    root = make_repo(tmp_path, {"MODULE.bazel": "", "p/BUILD.bazel": build})
    [record] = peek(run, root, "//p:lib")
    assert record["fields"]["tags"] == ["here"]
    [record] = peek(run, root, "--condition", "@platforms//os:haiku", "//p:lib")
    assert record["fields"]["tags"] == ["here"]  # elsewhere needs its CPU too
    options = ["--condition", "@platforms//os:haiku", "--condition", "@platforms//cpu:mips64"]
    [record] = peek(run, root, *options, "//p:lib")
    assert record["fields"]["tags"] == ["elsewhere"]
