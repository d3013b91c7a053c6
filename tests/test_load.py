"""`load()`: local .bzl files, cycles, well-known and unknown external repositories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Runner, lines, make_repo

DEFS = (
    'print("defs.bzl evaluated")\n'
    'VERSION = "1.0"\n'
    "\n"
    "def lib(name):\n"
    "    native.py_library(name = name, tags = [VERSION])\n"
)


def peek(run: Runner, root: Path, *specs: str) -> list[dict[str, Any]]:
    code, out, err = run(["peek", *specs], root=root)
    assert code == 0, err
    records: list[dict[str, Any]] = json.loads(out)
    return records


def test_local_label_forms(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "tools/BUILD.bazel": "",
            "tools/defs.bzl": DEFS,
            "a/BUILD.bazel": 'load("//tools:defs.bzl", "lib")\nlib(name = "a")\n',
            "b/BUILD.bazel": 'load("//tools/defs.bzl", "lib")\nlib(name = "b")\n',
            "tools/sub/BUILD.bazel": 'load("//tools:defs.bzl", "VERSION")\n',
            "c/BUILD.bazel": 'load(":local.bzl", "X")\npy_library(name = X)\n',
            "c/local.bzl": 'X = "from_local"\n',
        },
    )
    records = peek(run, root, "//...")
    assert [(r["address"], r["fields"].get("tags")) for r in records] == [
        ("//a:a", ["1.0"]),
        ("//b:b", ["1.0"]),
        ("//c:from_local", None),
    ]


def test_each_bzl_file_is_evaluated_once(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "tools/BUILD.bazel": "",
            "tools/defs.bzl": DEFS,
            "a/BUILD.bazel": 'load("//tools:defs.bzl", "lib")\nlib(name = "a")\n',
            "b/BUILD.bazel": 'load("//tools/defs.bzl", "lib")\nlib(name = "b")\n',
            "tools/other.bzl": 'load(":defs.bzl", "VERSION")\nV2 = VERSION\n',
            "c/BUILD.bazel": 'load("//tools:other.bzl", "V2")\npy_library(name = "c")\n',
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert code == 0
    assert lines(out) == ["//a:a", "//b:b", "//c:c"]
    debug = [line for line in lines(err) if "DEBUG" in line]
    assert len(debug) == 1
    assert debug[0].startswith("warning: DEBUG ")
    assert debug[0].endswith("defs.bzl evaluated")


def test_relative_load_inside_a_bzl_file(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "tools/BUILD.bazel": "",
            "tools/outer.bzl": 'load(":inner.bzl", "NAME")\nOUTER = NAME + "_outer"\n',
            "tools/inner.bzl": 'NAME = "inner"\n',
            "BUILD.bazel": 'load("//tools:outer.bzl", "OUTER")\npy_library(name = OUTER)\n',
        },
    )
    assert run(["list", "//..."], root=root) == (0, "//:inner_outer\n", "")


def test_load_cycle_is_reported_with_its_chain(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": 'load("//:a.bzl", "A")\n',
            "a.bzl": 'load("//:b.bzl", "B")\nA = 1\n',
            "b.bzl": '# b loads a\nload("//:a.bzl", "A")\nB = 2\n',
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, out) == (1, "")
    assert "load cycle: a.bzl -> b.bzl -> a.bzl" in err
    assert err.startswith("b.bzl:2:6: ")
    assert "Traceback" not in err


def test_load_of_a_symbol_the_file_does_not_define(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": '\nload("//:defs.bzl", "nope")\n',
            "defs.bzl": "VALUE = 1\n",
        },
    )
    code, _, err = run(["list", "//..."], root=root)
    assert code == 1
    assert err.startswith("BUILD.bazel:2:")
    assert "nope" in err
    assert "Traceback" not in err


def test_rules_python_loads_are_builtin(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'load("@rules_python//python:defs.bzl", "py_binary", "py_library")\n'
                'load("@rules_python//python:packaging.bzl", "py_package", "py_wheel")\n'
                'py_library(name = "lib")\n'
                'py_binary(name = "bin", deps = [":lib"])\n'
                'py_package(name = "pkg", deps = [":lib"])\n'
                'py_wheel(name = "whl", distribution = "d", version = "1", deps = [":pkg"])\n'
            ),
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == [
        "//:bin",
        "//:lib",
        "//:pkg",
        "//:whl",
        "//:whl.dist",
        "//:whl.publish",
    ]


def test_prelude_loads_are_builtin(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\n  root = .\n  prelude = prelude\n",
            "BUCK": (
                'load("@prelude//python:python_wheel.bzl", "python_wheel")\n'
                'load("@prelude//toolchains:demo.bzl", "system_demo_toolchains")\n'
                "system_demo_toolchains()\n"
                'python_library(name = "lib")\n'
                'python_wheel(name = "whl", python = "py3", libraries = [":lib"])\n'
            ),
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, err) == (0, "")
    # Of the demo toolchains, the python_wheel toolchain (whose tags python_wheel takes).
    assert lines(out) == ["//:lib", "//:python_wheel", "//:whl"]


def test_requirement_from_any_hub(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'load("@my_deps//:requirements.bzl", "requirement")\n'
                'load("@pypi//:requirements.bzl", pypi_requirement = "requirement")\n'
                "py_library(\n"
                '    name = "lib",\n'
                '    deps = [requirement("Foo.Bar"), pypi_requirement("Typing-Extensions")],\n'
                ")\n"
            ),
        },
    )
    [record] = peek(run, root, "//:lib")
    assert record["fields"]["deps"] == ["@my_deps//foo_bar:pkg", "@pypi//typing_extensions:pkg"]
    assert record["dependencies"] == ["@my_deps//foo_bar:pkg", "@pypi//typing_extensions:pkg"]
    code, out, _ = run(["dependencies", "//:lib"], root=root)
    assert (code, out) == (0, "@my_deps//foo_bar:pkg\n@pypi//typing_extensions:pkg\n")


def test_external_dependencies_are_not_listed_as_repository_targets(
    tmp_path: Path, run: Runner
) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'load("@pypi//:requirements.bzl", "requirement")\n'
                'py_library(name = "lib", deps = [requirement("attrs")])\n'
            ),
        },
    )
    assert run(["list", "//..."], root=root) == (0, "//:lib\n", "")


UNKNOWN_EXTERNAL = (
    'load("@acme_tools//rules:checks.bzl", "build_test")\n'
    "\n"
    'py_library(name = "lib")\n'
    "build_test(\n"
    '    name = "check",\n'
    '    targets = [":lib"],\n'
    '    deps = [":lib"],\n'
    ")\n"
)


def test_unknown_external_load_warns_once_and_makes_opaque_targets(
    tmp_path: Path, run: Runner
) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "a/BUILD.bazel": UNKNOWN_EXTERNAL,
            "b/BUILD.bazel": UNKNOWN_EXTERNAL,
        },
    )
    code, out, err = run(["peek", "//..."], root=root)
    assert code == 0
    records = json.loads(out)
    assert [(r["address"], r["kind"]) for r in records] == [
        ("//a:check", "build_test"),
        ("//a:lib", "py_library"),
        ("//b:check", "build_test"),
        ("//b:lib", "py_library"),
    ]
    assert records[0]["fields"]["targets"] == [":lib"]
    assert records[0]["dependencies"] == ["//a:lib"]
    warnings = lines(err)
    assert len(warnings) == 1, err
    assert warnings[0].startswith("warning: ")
    assert warnings[0] == (
        "warning: a/BUILD.bazel:1:6: load of unknown external '@acme_tools//rules:checks.bzl': "
        "build_test stand in as the file uses them (a call with a name makes an opaque target; "
        "map the repository with the external_loads config key, or set strict_loads = true)"
    )


def test_strict_loads_makes_unknown_external_an_error(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "graphpub.toml": "strict_loads = true\n",
            "a/BUILD.bazel": "# skylib\n" + UNKNOWN_EXTERNAL,
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, out) == (1, "")
    assert err.startswith("a/BUILD.bazel:2:6: ")
    assert "@acme_tools//rules:checks.bzl" in err
    assert "external_loads" in err
    assert '   2 | load("@acme_tools//rules:checks.bzl", "build_test")' in err
    assert "Traceback" not in err


def test_external_loads_maps_a_repository_to_a_directory(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "graphpub.toml": (
                'strict_loads = true\n[external_loads]\n"@acme_tools" = "third_party/acme"\n'
            ),
            "third_party/acme/rules/checks.bzl": (
                "def build_test(name, targets, **kwargs):\n"
                "    native.test_suite(name = name, tags = targets)\n"
            ),
            "a/BUILD.bazel": UNKNOWN_EXTERNAL,
        },
    )
    code, out, err = run(["peek", "//a:check"], root=root)
    assert (code, err) == (0, "")
    [record] = json.loads(out)
    assert record["kind"] == "test_suite"
    assert record["fields"]["tags"] == [":lib"]


def test_external_loads_maps_a_full_label(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "graphpub.toml": (
                '[external_loads]\n"@acme_tools//rules:checks.bzl" = "shim/checks.bzl"\n'
            ),
            "shim/checks.bzl": (
                "def build_test(name, targets, **kwargs):\n"
                "    native.filegroup(name = name, srcs = [])\n"
            ),
            "a/BUILD.bazel": UNKNOWN_EXTERNAL,
        },
    )
    code, out, err = run(["peek", "//a:check"], root=root)
    assert (code, err) == (0, "")
    assert json.loads(out)[0]["kind"] == "filegroup"


def test_each_bzl_file_is_evaluated_once_with_several_jobs(tmp_path: Path, run: Runner) -> None:
    files = {"MODULE.bazel": "", "tools/BUILD.bazel": "", "tools/defs.bzl": DEFS}
    for index in range(600):  # enough for graphpub to evaluate in several processes
        files[f"p{index:03d}/BUILD.bazel"] = 'load("//tools:defs.bzl", "lib")\nlib(name = "t")\n'
    root = make_repo(tmp_path, files)
    code, out, err = run(["-j", "2", "list", "//..."], root=root)
    assert code == 0
    assert len(lines(out)) == 600
    debug = [line for line in lines(err) if "DEBUG" in line]
    assert len(debug) == 1, err


def test_a_select_in_a_bzl_file_naming_a_package_that_loads_it(tmp_path: Path, run: Runner) -> None:
    # protobuf's upb/bazel/copts.bzl: a top-level select() on //upb:windows, a config_setting
    # of upb/BUILD, which loads copts.bzl too. Evaluating upb for the select is no load cycle.
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "upb/bazel/BUILD": "",
            "upb/bazel/copts.bzl": (
                'COPTS = select({"//upb:windows": ["/W4"], "//conditions:default": ["-Wall"]})\n'
            ),
            "upb/BUILD": (
                'load("//upb/bazel:copts.bzl", "COPTS")\n'
                'config_setting(name = "windows", constraint_values = ["@platforms//os:windows"])\n'
                'cc_library(name = "upb", copts = COPTS)\n'
            ),
            "python/BUILD": (
                'load("//upb/bazel:copts.bzl", "COPTS")\n'
                'cc_library(name = "message", copts = COPTS, deps = ["//upb"])\n'
            ),
        },
    )
    records = {r["address"]: r for r in peek(run, root, "--no-infer", "//python:message", "//upb")}
    assert records["//python:message"]["fields"]["copts"] == ["-Wall"]
    assert records["//upb:upb"]["fields"]["copts"] == ["-Wall"]
