"""The Bazel dialect: rules_python's and Bazel's native rules with their real attributes,
validation, py_wheel's companion targets, pip-hub requirements, version stamps, the
distribution view, and the rule-definition API of `.bzl` files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from graphpub.buildgraph import parse_address
from tests.conftest import (
    Runner,
    assert_error,
    failure,
    lines,
    load_graph,
    make_repo,
    peek,
    view_of,
)


def bazel_repo(tmp_path: Path, files: Mapping[str, str]) -> Path:
    """A bzlmod repository (marked by `MODULE.bazel`) holding `files`."""
    return make_repo(tmp_path, {"MODULE.bazel": "", **files})


def listed(run: Runner, root: Path, *specs: str) -> list[str]:
    code, out, err = run(["list", *(specs or ("//...",))], root=root)
    assert (code, err) == (0, ""), err
    return lines(out)


def fields_of(run: Runner, root: Path, *args: str) -> dict[str, Any]:
    [record] = peek(run, root, *args)
    fields: dict[str, Any] = record["fields"]
    return fields


def distribution_of(run: Runner, root: Path, *args: str) -> dict[str, Any]:
    [record] = peek(run, root, *args)
    return view_of(record["distribution"])


# ---------------------------------------------------------------- rules as repositories write them

EVERY_RULE = """\
load("@rules_python//python:defs.bzl", "py_binary", "py_library", "py_test")
load("@rules_python//python:packaging.bzl", "py_package", "py_wheel")

package(default_visibility = ["//visibility:public"])

config_setting(
    name = "opt",
    values = {"compilation_mode": "opt"},
    define_values = {"mode": "fast"},
    constraint_values = ["@platforms//os:linux"],
    visibility = ["//visibility:private"],
)

package_group(
    name = "friends",
    packages = ["//pkg/...", "-//pkg/secret"],
    includes = [],
)

py_library(
    name = "lib",
    srcs = ["lib.py"],
    data = ["data.txt"],
    imports = [".."],
    srcs_version = "PY3",
    tags = ["manual"],
    testonly = False,
    visibility = [":friends"],
)

py_binary(
    name = "main",
    srcs = ["main.py"],
    main = "main.py",
    python_version = "PY3",
    args = ["--verbose"],
    env = {"MODE": "prod"},
    legacy_create_init = 0,
    stamp = 1,
    deps = [":lib"],
)

py_test(
    name = "lib_test",
    size = "small",
    timeout = "short",
    srcs = ["lib_test.py"],
    flaky = True,
    shard_count = 2,
    env_inherit = ["HOME"],
    local = 1,
    deps = [":lib"],
)

py_package(
    name = "lib_pkg",
    packages = ["pkg"],
    deps = [":lib"],
)

py_wheel(
    name = "wheel",
    distribution = "my-lib",
    version = "1.0.0",
    python_tag = "py3",
    abi = "none",
    platform = "any",
    author = "A. Author",
    author_email = "a@example.com",
    classifiers = ["Programming Language :: Python :: 3"],
    description_file = "README.md",
    homepage = "https://example.com",
    license = "MIT",
    project_urls = {"Docs": "https://example.com/docs"},
    python_requires = ">=3.9",
    requires = ["attrs>=23"],
    extra_requires = {"cli": ["click>=8", "rich"]},
    entry_points = {"console_scripts": ["my-lib = pkg.main:main", "my-tool=pkg.tool:run"]},
    strip_path_prefixes = ["src"],
    summary = "A library.",
    deps = [":lib_pkg"],
)

filegroup(
    name = "docs",
    srcs = ["README.md"],
)

alias(
    name = "library",
    actual = ":lib",
)

genrule(
    name = "gen",
    srcs = ["data.txt"],
    outs = ["gen.txt"],
    cmd = "cp $< $@",
    message = "Generating",
    executable = False,
)

test_suite(
    name = "tests",
    tests = [":lib_test"],
    tags = ["small"],
)
"""

EVERY_RULE_FILES = {
    "pkg/BUILD.bazel": EVERY_RULE,
    "pkg/lib.py": "",
    "pkg/main.py": "",
    "pkg/lib_test.py": "",
    "pkg/data.txt": "",
    "pkg/README.md": "",
}


def test_rules_load_with_their_real_attributes(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(tmp_path, EVERY_RULE_FILES)
    records = peek(run, root, "//pkg:all")
    assert [(r["address"], r["kind"], r["dependencies"], r["sources"]) for r in records] == [
        ("//pkg:docs", "filegroup", [], ["pkg/README.md"]),
        ("//pkg:friends", "package_group", [], []),
        ("//pkg:gen", "genrule", [], ["pkg/data.txt"]),
        ("//pkg:lib", "py_library", [], ["pkg/data.txt", "pkg/lib.py"]),
        ("//pkg:lib_pkg", "py_package", ["//pkg:lib"], []),
        ("//pkg:lib_test", "py_test", ["//pkg:lib"], ["pkg/lib_test.py"]),
        ("//pkg:library", "alias", ["//pkg:lib"], []),
        ("//pkg:main", "py_binary", ["//pkg:lib"], ["pkg/main.py"]),
        ("//pkg:opt", "config_setting", [], []),
        ("//pkg:tests", "test_suite", ["//pkg:lib_test"], []),
        ("//pkg:wheel", "py_wheel", ["//pkg:lib_pkg"], []),
        ("//pkg:wheel.dist", "py_wheel_dist", ["//pkg:wheel"], []),
        ("//pkg:wheel.publish", "py_wheel_publisher", ["//pkg:wheel"], []),
    ]


def test_field_values_are_checked_and_defaulted(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(tmp_path, EVERY_RULE_FILES)
    by_address = {r["address"]: r["fields"] for r in peek(run, root, "//pkg:all")}
    # Bazel writes booleans as 0 / 1; tristate attributes keep their number.
    assert by_address["//pkg:lib_test"] == {
        "deps": [":lib"],
        "env_inherit": ["HOME"],
        "flaky": True,
        "legacy_create_init": -1,
        "local": True,
        "shard_count": 2,
        "size": "small",
        "srcs": ["lib_test.py"],
        "stamp": 0,
        "timeout": "short",
    }
    assert by_address["//pkg:main"]["legacy_create_init"] == 0
    assert by_address["//pkg:main"]["stamp"] == 1
    assert by_address["//pkg:main"]["env"] == {"MODE": "prod"}
    wheel = by_address["//pkg:wheel"]
    assert (wheel["python_tag"], wheel["abi"], wheel["platform"]) == ("py3", "none", "any")
    assert (wheel["compress"], wheel["stamp"]) == (True, -1)
    assert by_address["//pkg:opt"]["define_values"] == {"mode": "fast"}
    assert by_address["//pkg:friends"]["packages"] == ["//pkg/...", "-//pkg/secret"]


def test_a_build_file_of_a_workspace_repository_is_validated(tmp_path: Path, run: Runner) -> None:
    # Any BUILD file of a Bazel repository follows the Bazel rules, not only BUILD.bazel.
    root = make_repo(tmp_path, {"WORKSPACE": "", "a/BUILD": 'py_library(name = "x", dep = [])\n'})
    assert_error(
        failure(run, root),
        "a/BUILD:1:1: py_library(): unknown field 'dep'",
        'py_library(name = "x", dep = [])',
        hint="did you mean 'deps'?",
    )


# ---------------------------------------------------------------- validation errors


@pytest.mark.parametrize(
    ("call", "message", "hint"),
    [
        (
            'py_library(name = "x", srcs = ["x.py"], dep = [":y"])',
            "py_library(): unknown field 'dep'",
            "did you mean 'deps'?",
        ),
        (
            'py_test(name = "x", timout = "short")',
            "py_test(): unknown field 'timout'",
            "did you mean 'timeout'?",
        ),
        (
            'filegroup(name = "x", src = ["a.txt"])',
            "filegroup(): unknown field 'src'",
            "did you mean 'srcs'?",
        ),
        (
            'py_wheel(name = "x", distribution = "d", version = "1", requirs = ["a"])',
            "py_wheel(): unknown field 'requirs'",
            "did you mean 'requires'?",
        ),
        (
            'config_setting(name = "x", define_value = {"a": "b"})',
            "config_setting(): unknown field 'define_value'",
            "did you mean 'define_values'?",
        ),
        (
            'genrule(name = "x", outs = ["o"], cmd_bsh = "true")',
            "genrule(): unknown field 'cmd_bsh'",
            "did you mean 'cmd_bash'?",
        ),
        (
            'py_binary(name = "x", zzzz = 1)',
            "py_binary(): unknown field 'zzzz'",
            "see the fields with: graphpub help py_binary",
        ),
    ],
)
def test_unknown_field_suggests_the_closest(
    tmp_path: Path, run: Runner, call: str, message: str, hint: str
) -> None:
    root = bazel_repo(tmp_path, {"a/BUILD.bazel": call + "\n"})
    assert_error(failure(run, root), f"a/BUILD.bazel:1:1: {message}", call, hint=hint)


@pytest.mark.parametrize(
    ("call", "message", "hint"),
    [
        (
            'py_library(name = "x", deps = ":y")',
            "py_library(): field 'deps': expected a list of strings, got a string (':y')",
            'write ["value"] even for a single value',
        ),
        (
            'py_test(name = "x", size = "smal")',
            "py_test(): field 'size': expected one of 'small', 'medium', 'large', 'enormous', "
            "got 'smal'",
            "did you mean 'small'?",
        ),
        (
            'py_test(name = "x", shard_count = "2")',
            "py_test(): field 'shard_count': expected an int, got a string ('2')",
            None,
        ),
        (
            'py_binary(name = "x", stamp = "yes")',
            "py_binary(): field 'stamp': expected int or bool, got a string ('yes')",
            None,
        ),
        (
            'py_binary(name = "x", env = {"A": 1})',
            "py_binary(): field 'env': expected a dict of strings, but 'A' maps to an int (1)",
            None,
        ),
        (
            'py_wheel(name = "x", distribution = "d", version = "1", '
            'entry_points = {"console_scripts": "a = b:c"})',
            "py_wheel(): field 'entry_points': expected a list of strings for "
            "'console_scripts', got 'a = b:c'",
            'write {"console_scripts": ["value"]} even for a single value',
        ),
        (
            'py_wheel(name = "x", distribution = "d", version = 1)',
            "py_wheel(): field 'version': expected a string, got an int (1)",
            None,
        ),
    ],
)
def test_wrong_field_type(
    tmp_path: Path, run: Runner, call: str, message: str, hint: str | None
) -> None:
    root = bazel_repo(tmp_path, {"a/BUILD.bazel": call + "\n"})
    assert_error(failure(run, root), f"a/BUILD.bazel:1:1: {message}", call, hint=hint)


@pytest.mark.parametrize(
    ("call", "message", "hint"),
    [
        (
            'py_wheel(name = "w", version = "1.0")',
            "py_wheel(): missing the required field 'distribution'",
            "distribution: The distribution's name, as on PyPI; {STAMP} keys are filled in.",
        ),
        (
            'py_wheel(name = "w", distribution = "d")',
            "py_wheel(): missing the required field 'version'",
            "version: The version: a string, a {BUILD_EMBED_LABEL} stamp or a $(VERSION) make "
            "variable.",
        ),
        (
            'py_binary(srcs = ["a.py"])',
            "py_binary(): missing the required field 'name'",
            'add name = "..." to the py_binary() call',
        ),
        (
            'alias(name = "a")',
            "alias(): missing the required field 'actual'",
            "actual: The target (or file) this name refers to.",
        ),
    ],
)
def test_missing_required_field(
    tmp_path: Path, run: Runner, call: str, message: str, hint: str
) -> None:
    root = bazel_repo(tmp_path, {"a/BUILD.bazel": call + "\n"})
    assert_error(failure(run, root), f"a/BUILD.bazel:1:1: {message}", call, hint=hint)


# ---------------------------------------------------------------- py_wheel's .dist and .publish

WHEEL_WITH_USERS = """\
py_library(name = "lib")
py_wheel(name = "w", distribution = "d", version = "1", deps = [":lib"])
alias(name = "upload", actual = ":w.publish")
sh_binary(name = "release", srcs = ["release.sh"], deps = [":w.dist"])
"""


def test_wheel_companions_are_dependencies(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": WHEEL_WITH_USERS, "release.sh": ""})
    code, out, err = run(["dependencies", "//:upload", "//:release"], root=root)
    assert (code, out, err) == (0, "//:w.dist\n//:w.publish\n", "")
    code, out, err = run(["dependencies", "--transitive", "//:upload"], root=root)
    assert (code, out, err) == (0, "//:lib\n//:w\n//:w.publish\n", "")
    code, out, err = run(["dependents", "//:w"], root=root)
    assert (code, out, err) == (0, "//:w.dist\n//:w.publish\n", "")


def test_wheel_companions_are_specs(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": WHEEL_WITH_USERS, "release.sh": ""})
    assert listed(run, root, "//:w.dist") == ["//:w.dist"]
    assert listed(run, root, ":w.publish") == ["//:w.publish"]
    dist, publish = peek(run, root, "//:w.dist", "//:w.publish")
    assert (dist["kind"], dist["fields"], dist["dependencies"]) == (
        "py_wheel_dist",
        {"target": ":w"},
        ["//:w"],
    )
    assert (publish["kind"], publish["fields"], publish["dependencies"]) == (
        "py_wheel_publisher",
        {"target": ":w"},
        ["//:w"],
    )
    # Located where the py_wheel is written; they are not distributions themselves.
    assert dist["location"].startswith("BUILD.bazel:2")
    assert "distribution" not in dist and "distribution" not in publish


# ---------------------------------------------------------------- pip-hub requirements

HUB_MODULE = """\
pip = use_extension("@rules_python//python/extensions:pip.bzl", "pip")
pip.parse(hub_name = "pypi", python_version = "3.11", requirements_lock = "//:lock.txt")
use_repo(pip, "pypi")
"""

HUB_BUILD = """\
load("@pypi//:requirements.bzl", "requirement")

py_library(
    name = "lib",
    deps = [
        requirement("Foo.Bar"),
        "@pypi//six",
        "@pypi_typing_extensions//:pkg",
        "@other//x:y",
    ],
)
"""


def requirement_fields(root: Path, label: str) -> tuple[str, dict[str, Any]]:
    """The kind and fields of the target `label` names, through the Python API."""
    graph = load_graph(root)
    graph.load([""])
    target = graph.target(parse_address(label).directory_address)
    return target.kind, dict(target.fields)


def test_requirement_labels_are_python_requirements(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": HUB_MODULE, "BUILD.bazel": HUB_BUILD})
    [record] = peek(run, root, "//:lib")
    assert record["dependencies"] == [
        "@other//x:y",
        "@pypi//foo_bar:pkg",
        "@pypi//six:six",
        "@pypi_typing_extensions//:pkg",
    ]
    code, out, err = run(["graph", "--format", "json", "//:lib"], root=root)
    assert (code, err) == (0, "")
    assert json.loads(out)["nodes"] == [
        {"address": "//:lib", "kind": "py_library"},
        {"address": "@other//x:y", "kind": "external"},
        {"address": "@pypi//foo_bar:pkg", "kind": "python_requirement"},
        {"address": "@pypi//six:six", "kind": "python_requirement"},
        {"address": "@pypi_typing_extensions//:pkg", "kind": "python_requirement"},
    ]


def test_requirement_names_are_normalised(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": HUB_MODULE, "BUILD.bazel": HUB_BUILD})
    # `requirement("Foo.Bar")` is the directory foo_bar of the hub, the project foo-bar.
    assert requirement_fields(root, "@pypi//foo_bar:pkg") == (
        "python_requirement",
        {"requirements": ("foo-bar",), "hub": "pypi"},
    )
    assert requirement_fields(root, "@pypi//six") == (
        "python_requirement",
        {"requirements": ("six",), "hub": "pypi"},
    )


def test_workspace_style_requirement_names_its_hub(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": HUB_MODULE, "BUILD.bazel": HUB_BUILD})
    # `@pypi_typing_extensions//:pkg` is the package typing-extensions of the hub `pypi`.
    assert requirement_fields(root, "@pypi_typing_extensions//:pkg") == (
        "python_requirement",
        {"requirements": ("typing-extensions",), "hub": "pypi"},
    )


def test_requirements_are_not_repository_targets(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": HUB_MODULE, "BUILD.bazel": HUB_BUILD})
    assert listed(run, root, "//...") == ["//:lib"]
    assert listed(run, root, "::") == ["//:lib"]
    code, out, err = run(["dependencies", "//:lib"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == [
        "@other//x:y",
        "@pypi//foo_bar:pkg",
        "@pypi//six:six",
        "@pypi_typing_extensions//:pkg",
    ]


def test_hubs_from_workspace_and_from_config(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "WORKSPACE": 'pip_parse(\n    name = "pip",\n    requirements_lock = "//:lock",\n)\n',
            "BUILD": 'py_library(name = "lib", deps = ["@pip//attrs", "@deps//zope_interface"])\n',
        },
    )

    def kinds() -> list[tuple[str, str]]:
        code, out, err = run(["graph", "--format", "json", "//:lib"], root=root)
        assert (code, err) == (0, "")
        return [(n["address"], n["kind"]) for n in json.loads(out)["nodes"]]

    # `@deps//zope_interface` names no hub graphpub knows of: an opaque external target.
    assert kinds() == [
        ("//:lib", "py_library"),
        ("@deps//zope_interface:zope_interface", "external"),
        ("@pip//attrs:attrs", "python_requirement"),
    ]
    (root / "graphpub.toml").write_text('python_hubs = ["deps"]\n', encoding="utf-8")
    assert kinds() == [
        ("//:lib", "py_library"),
        ("@deps//zope_interface:zope_interface", "python_requirement"),
        ("@pip//attrs:attrs", "python_requirement"),
    ]
    assert requirement_fields(root, "@deps//zope_interface")[1] == {
        "requirements": ("zope-interface",),
        "hub": "deps",
    }


# ---------------------------------------------------------------- version stamps

STAMPED = """\
py_wheel(name = "made", distribution = "made", version = "$(VERSION)")
py_wheel(name = "labelled", distribution = "labelled", version = "{BUILD_EMBED_LABEL}")
py_wheel(name = "mixed", distribution = "mixed", version = "1.0.{BUILD_TIMESTAMP}+$(LOCAL)")
"""


def versions(run: Runner, root: Path, *options: str) -> dict[str, tuple[str, list[str]]]:
    records = peek(run, root, *options, "//...")
    return {
        r["address"]: (r["distribution"]["version"], r["distribution"]["unresolved_stamps"])
        for r in records
        if "distribution" in r
    }


def test_unstamped_versions_keep_their_placeholders(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": STAMPED})
    assert versions(run, root) == {
        "//:labelled": ("{BUILD_EMBED_LABEL}", ["{BUILD_EMBED_LABEL}"]),
        "//:made": ("$(VERSION)", ["$(VERSION)"]),
        "//:mixed": ("1.0.{BUILD_TIMESTAMP}+$(LOCAL)", ["{BUILD_TIMESTAMP}", "$(LOCAL)"]),
    }
    # The field itself is the version as written.
    assert fields_of(run, root, "//:made")["version"] == "$(VERSION)"


def test_versions_stamped_from_the_command_line(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": STAMPED})
    assert versions(
        run,
        root,
        "--define",
        "VERSION=1.2.3",
        "--stamp",
        "BUILD_EMBED_LABEL=4.5.6",
        "--stamp",
        "BUILD_TIMESTAMP=1700000000",
    ) == {
        "//:labelled": ("4.5.6", []),
        "//:made": ("1.2.3", []),
        "//:mixed": ("1.0.1700000000+$(LOCAL)", ["$(LOCAL)"]),
    }
    # `--define` fills only $(KEY), `--stamp` only {KEY}.
    assert versions(run, root, "--stamp", "VERSION=9", "--define", "BUILD_EMBED_LABEL=9") == {
        "//:labelled": ("{BUILD_EMBED_LABEL}", ["{BUILD_EMBED_LABEL}"]),
        "//:made": ("$(VERSION)", ["$(VERSION)"]),
        "//:mixed": ("1.0.{BUILD_TIMESTAMP}+$(LOCAL)", ["{BUILD_TIMESTAMP}", "$(LOCAL)"]),
    }


def test_versions_stamped_from_the_config(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(
        tmp_path,
        {
            "BUILD.bazel": STAMPED,
            "graphpub.toml": (
                '[stamp]\nBUILD_EMBED_LABEL = "7.8.9"\nBUILD_TIMESTAMP = "5"\n'
                '[defines]\nVERSION = "0.1"\nLOCAL = "ci"\n'
            ),
        },
    )
    assert versions(run, root) == {
        "//:labelled": ("7.8.9", []),
        "//:made": ("0.1", []),
        "//:mixed": ("1.0.5+ci", []),
    }
    # The command line wins over the config.
    stamped = versions(run, root, "--stamp", "BUILD_EMBED_LABEL=10.0", "--define", "VERSION=2")
    assert stamped["//:labelled"] == ("10.0", [])
    assert stamped["//:made"] == ("2", [])


def test_stamps_in_the_distribution_name_are_filled(tmp_path: Path, run: Runner) -> None:
    # py_wheel's `distribution` takes stamps too (rules_python's wheelmaker fills both).
    root = bazel_repo(
        tmp_path,
        {"BUILD.bazel": 'py_wheel(name = "w", distribution = "d-{BUILD_USER}", version = "1")\n'},
    )
    view = distribution_of(run, root, "--stamp", "BUILD_USER=ci", "//:w")
    assert view["name"] == "d-ci"


# ---------------------------------------------------------------- the distribution view


def test_peek_shows_the_distribution_view(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(
        tmp_path,
        {
            **EVERY_RULE_FILES,
            "graphpub.toml": (
                '[[publish]]\ntargets = ["//pkg:wheel"]\nrepositories = ["@pypi", "@internal"]\n'
            ),
        },
    )
    assert distribution_of(run, root, "//pkg:wheel") == {
        "name": "my-lib",
        "version": "1.0.0",
        "unresolved_stamps": [],
        "carries": ["//pkg:lib_pkg"],
        "requirements": ["attrs>=23", "click>=8; extra == 'cli'", "rich; extra == 'cli'"],
        "entry_points": {"console_scripts": {"my-lib": "pkg.main:main", "my-tool": "pkg.tool:run"}},
        "metadata": {
            "summary": "A library.",
            "author": "A. Author",
            "author_email": "a@example.com",
            "license": "MIT",
            "classifiers": ["Programming Language :: Python :: 3"],
            "project_urls": {"Docs": "https://example.com/docs"},
            "homepage": "https://example.com",
            "description_file": "README.md",
            "python_requires": ">=3.9",
            "python_tag": "py3",
            "abi": "none",
            "platform": "any",
            "strip_path_prefixes": ["src"],
        },
        "repositories": ["@pypi", "@internal"],
        "skip_reason": None,
    }


def test_a_wheel_without_repositories_is_skipped(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(tmp_path, EVERY_RULE_FILES)
    view = distribution_of(run, root, "//pkg:wheel")
    assert view["repositories"] == []
    assert view["skip_reason"] == "no `repositories` specified for //pkg:wheel"


def test_deprecated_console_scripts_are_entry_points(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(
        tmp_path,
        {
            "BUILD.bazel": (
                'py_wheel(name = "w", distribution = "d", version = "1",\n'
                '    console_scripts = {"old": "pkg.old:main"},\n'
                '    entry_points = {"gui_scripts": ["win = pkg.gui:main"]},\n'
                ")\n"
            ),
        },
    )
    assert distribution_of(run, root, "//:w")["entry_points"] == {
        "gui_scripts": {"win": "pkg.gui:main"},
        "console_scripts": {"old": "pkg.old:main"},
    }


# ---------------------------------------------------------------- macros, rule-definition API

WHEEL_MACRO = """\
load("@rules_python//python:packaging.bzl", "py_package", "py_wheel")

def wheel(name, distribution, version, deps, **kwargs):
    py_package(name = name + "_pkg", deps = deps)
    py_wheel(
        name = name,
        distribution = distribution,
        version = version,
        deps = [":" + name + "_pkg"],
        **kwargs
    )
"""


def test_macro_calling_py_wheel_makes_a_real_py_wheel(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(
        tmp_path,
        {
            "tools/BUILD.bazel": "",
            "tools/wheel.bzl": WHEEL_MACRO,
            "app/BUILD.bazel": (
                'load("//tools:wheel.bzl", "wheel")\n'
                'py_library(name = "lib")\n'
                'wheel(name = "w", distribution = "app", version = "2.0", deps = [":lib"],\n'
                '    summary = "The app.")\n'
            ),
        },
    )
    assert listed(run, root, "//app:all") == [
        "//app:lib",
        "//app:w",
        "//app:w.dist",
        "//app:w.publish",
        "//app:w_pkg",
    ]
    [record] = peek(run, root, "//app:w")
    assert record["kind"] == "py_wheel"
    assert record["location"].startswith("app/BUILD.bazel:3")
    assert record["fields"]["stamp"] == -1  # the schema's default: validated by the schema
    assert record["distribution"]["name"] == "app"
    assert record["distribution"]["metadata"]["summary"] == "The app."
    assert record["dependencies"] == ["//app:w_pkg"]


def test_macro_made_py_wheel_is_validated_at_the_macro_call(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(
        tmp_path,
        {
            "tools/BUILD.bazel": "",
            "tools/wheel.bzl": WHEEL_MACRO,
            "app/BUILD.bazel": (
                'load("//tools:wheel.bzl", "wheel")\n'
                "\n"
                'wheel(name = "w", distribution = "app", version = "2.0", deps = [], summry = "")\n'
            ),
        },
    )
    assert_error(
        failure(run, root),
        "app/BUILD.bazel:3:1: py_wheel(): unknown field 'summry'",
        'wheel(name = "w", distribution = "app", version = "2.0", deps = [], summry = "")',
        hint="did you mean 'summary'?",
    )


RULES_BZL = """\
MyInfo = provider(doc = "What my_rule gives.", fields = ["files"])
EMPTY = depset()
FILES = depset(["a.txt"], transitive = [depset(["b.txt"])])
TOOL = Label("//tools:tool")

def _my_rule_impl(ctx):
    return [DefaultInfo(files = depset(ctx.files.srcs)), MyInfo(files = ctx.files.srcs)]

my_rule = rule(
    implementation = _my_rule_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = True),
        "deps": attr.label_list(providers = [MyInfo]),
        "out": attr.output(),
        "flag": attr.bool(default = False),
        "count": attr.int(default = 1),
        "names": attr.string_list(),
    },
)
"""


def test_rule_defined_in_bzl_makes_targets_of_its_kind(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(
        tmp_path,
        {
            "tools/BUILD.bazel": "",
            "tools/rules.bzl": RULES_BZL,
            "app/BUILD.bazel": (
                'load("//tools:rules.bzl", "my_rule")\n'
                'py_library(name = "lib")\n'
                "my_rule(\n"
                '    name = "thing",\n'
                '    srcs = ["in.txt"],\n'
                '    deps = [":lib"],\n'
                "    flag = True,\n"
                ")\n"
            ),
            "app/in.txt": "",
        },
    )
    [record] = peek(run, root, "//app:thing")
    assert record["kind"] == "my_rule"
    assert record["location"].startswith("app/BUILD.bazel:3")
    assert record["dependencies"] == ["//app:lib"]
    assert record["fields"]["srcs"] == ["in.txt"]
    assert record["fields"]["flag"] is True
    code, out, err = run(["dependents", "//app:lib"], root=root)
    assert (code, out, err) == (0, "//app:thing\n", "")


def test_provider_depset_and_label_at_bzl_top_level(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(
        tmp_path,
        {
            "tools/BUILD.bazel": "",
            "tools/rules.bzl": RULES_BZL,
            "BUILD.bazel": (
                'load("//tools:rules.bzl", "EMPTY", "FILES", "TOOL")\n'
                'py_library(name = "lib", tags = FILES.to_list() + [TOOL] + EMPTY.to_list())\n'
            ),
        },
    )
    assert fields_of(run, root, "//:lib")["tags"] == ["a.txt", "b.txt", "//tools:tool"]


LABELS_BZL = """\
FLAG = Label("//tools:python_version")
EXTERNAL = Label("@rules_python//python:defs.bzl")
HUB = Label("@pypi")

def parts(label):
    return [label.name, label.package, label.repo_name, label.workspace_name,
            label.workspace_root, str(label)]

def settings(name):
    native.config_setting(name = name, flag_values = {FLAG: "3.11"})
    native.py_library(
        name = name + "_lib",
        deps = [Label("//tools:dep")],
        tags = parts(FLAG) + parts(EXTERNAL) + parts(HUB) + parts(Label(":here")) + [
            str(FLAG.relative(":other")),
            str(EXTERNAL.relative("//x:y")),
            str(EXTERNAL.relative("@other//z")),
            str(HUB.same_package_label("pkg")),
        ],
        data = {"nested": [FLAG, EXTERNAL]},
    )
"""


def test_label_has_bazels_parts_and_crosses_as_its_text(tmp_path: Path, run: Runner) -> None:
    """rules_python's own .bzl files do `Label("//python/config_settings:x").name` and key
    `flag_values` and `select()` by Labels: a Label has Bazel's attributes, and goes into a
    target (as a dependency, a value or a key, through a stand-in too) as its text."""
    root = bazel_repo(
        tmp_path,
        {
            "tools/BUILD.bazel": 'py_library(name = "dep")\npy_library(name = "python_version")\n',
            "tools/labels.bzl": LABELS_BZL,
            "app/BUILD.bazel": (
                'load("//tools:labels.bzl", "FLAG", "settings")\n'
                'settings(name = "is_311")\n'
                "py_library(\n"
                '    name = "chosen",\n'
                '    deps = select({Label(":is_311"): [FLAG], "//conditions:default": []}),\n'
                ")\n"
            ),
        },
    )
    tags = fields_of(run, root, "//app:is_311_lib")["tags"]
    assert tags == [
        *("python_version", "tools", "", "", "", "//tools:python_version"),
        *("defs.bzl", "python", "rules_python", "rules_python", "external/rules_python"),
        "@rules_python//python:defs.bzl",
        *("pypi", "", "pypi", "pypi", "external/pypi", "@pypi"),
        *("here", "app", "", "", "", ":here"),
        *("//tools:other", "@rules_python//x:y", "@other//z", "@pypi//:pkg"),
    ]
    assert fields_of(run, root, "//app:is_311_lib")["data"] == {
        "nested": ["//tools:python_version", "@rules_python//python:defs.bzl"]
    }
    assert peek(run, root, "//app:is_311_lib")[0]["dependencies"] == ["//tools:dep"]
    setting = fields_of(run, root, "//app:is_311")
    assert setting["flag_values"] == {"//tools:python_version": "3.11"}
    assert peek(run, root, "//app:chosen")[0]["dependencies"] == []
    chosen = peek(run, root, "--condition", "//app:is_311", "//app:chosen")[0]
    assert chosen["dependencies"] == ["//tools:python_version"]


SUITE_BZL = """\
def pytest_suite(name, tests):
    names = []
    for src in tests:
        src_name = src.name if type(src) == "Label" else src
        native.py_test(name = src_name[:-3], srcs = [src])
        names.append(src_name[:-3])
    native.test_suite(name = name, tests = names)
"""


def test_a_macro_naming_targets_after_files_in_subdirectories(tmp_path: Path, run: Runner) -> None:
    """rules_venv's py_pytest_test_suite: a test per globbed file, named after its path
    (`tests/a_test`), listed relatively by a test_suite; a Label among the files is known by
    `type(src) == "Label"`, as in Bazel."""
    root = bazel_repo(
        tmp_path,
        {
            "tools/BUILD.bazel": "",
            "tools/suite.bzl": SUITE_BZL,
            "app/BUILD.bazel": (
                'load("//tools:suite.bzl", "pytest_suite")\n'
                "pytest_suite(\n"
                '    name = "suite",\n'
                '    tests = glob(["tests/**/*_test.py"]) + [Label("//app:c_test.py")],\n'
                ")\n"
            ),
            "app/tests/a_test.py": "",
            "app/tests/deeper/b_test.py": "",
            "app/c_test.py": "",
        },
    )
    code, out, err = run(["list", "//app:"], root=root)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "//app:c_test",
        "//app:suite",
        "//app:tests/a_test",
        "//app:tests/deeper/b_test",
    ]
    [suite] = peek(run, root, "//app:suite")
    assert suite["dependencies"] == [
        "//app:c_test",
        "//app:tests/a_test",
        "//app:tests/deeper/b_test",
    ]


def test_package_relative_label_is_a_label_of_the_package(tmp_path: Path, run: Runner) -> None:
    """Lumesof/lumeflow-sdk's rules: `native.package_relative_label(x).package`."""
    root = bazel_repo(
        tmp_path,
        {
            "tools/BUILD.bazel": "",
            "tools/defs.bzl": (
                "def files_of(name, binary):\n"
                "    label = native.package_relative_label(binary)\n"
                "    native.filegroup(\n"
                "        name = name,\n"
                "        srcs = [label],\n"
                "        tags = [label.package, label.name, str(label)],\n"
                "    )\n"
            ),
            "pkg/BUILD.bazel": (
                'load("//tools:defs.bzl", "files_of")\n'
                'files_of(name = "mine", binary = ":tool")\n'
                'files_of(name = "theirs", binary = "//other:thing")\n'
            ),
        },
    )
    assert fields_of(run, root, "//pkg:mine")["tags"] == ["pkg", "tool", "//pkg:tool"]
    assert fields_of(run, root, "//pkg:theirs")["tags"] == ["other", "thing", "//other:thing"]


def test_a_label_given_to_a_stand_in_is_its_text(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(
        tmp_path,
        {
            "tools/BUILD.bazel": 'py_library(name = "dep")\n',
            "BUILD.bazel": (
                'load("@somewhere//:defs.bzl", "unknown_rule")\n'
                "unknown_rule(\n"
                '    name = "opaque",\n'
                '    deps = [Label("//tools:dep")],\n'
                '    keyed = {Label("//tools:dep"): Label("@x//:y")},\n'
                ")\n"
            ),
        },
    )
    [opaque] = peek(run, root, "//:opaque", allow_warnings=True)
    assert opaque["kind"] == "unknown_rule"
    assert opaque["dependencies"] == ["//tools:dep"]
    assert opaque["fields"]["keyed"] == {"//tools:dep": "@x//:y"}


def test_a_file_naming_label_as_a_type_keeps_it_text(tmp_path: Path, run: Runner) -> None:
    """Buck2's prelude annotates `label: Label`: a file that names the type gets labels as
    text, as before (no attributes), and loads."""
    root = bazel_repo(
        tmp_path,
        {
            "tools/BUILD.bazel": 'py_library(name = "dep")\n',
            "tools/typed.bzl": (
                "def dep_of(label: Label) -> str:\n"
                "    return label\n"
                'DEP = dep_of(Label("//tools:dep"))\n'
            ),
            "BUILD.bazel": (
                'load("//tools:typed.bzl", "DEP")\npy_library(name = "lib", deps = [DEP])\n'
            ),
        },
    )
    assert peek(run, root, "//:lib")[0]["dependencies"] == ["//tools:dep"]


SELECTED = """\
config_setting(name = "fast", define_values = {"mode": "fast"})

py_library(
    name = "lib",
    srcs = ["a.py"] + select({
        ":fast": ["fast.py"],
        "//conditions:default": ["slow.py"],
    }) + ["z.py"],
)
"""


def test_select_in_list_concatenation(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": SELECTED})
    assert fields_of(run, root, "//:lib")["srcs"] == ["a.py", "slow.py", "z.py"]
    assert fields_of(run, root, "--define", "mode=fast", "//:lib")["srcs"] == [
        "a.py",
        "fast.py",
        "z.py",
    ]
    assert fields_of(run, root, "--condition", "//:fast", "//:lib")["srcs"] == [
        "a.py",
        "fast.py",
        "z.py",
    ]


def test_native_existing_rules_in_a_macro(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(
        tmp_path,
        {
            "tools/BUILD.bazel": "",
            "tools/suites.bzl": (
                "def test_every_library(name):\n"
                "    libraries = [\n"
                '        ":" + rule_name\n'
                "        for rule_name, rule in sorted(native.existing_rules().items())\n"
                '        if rule["kind"] == "py_library"\n'
                "    ]\n"
                "    native.test_suite(name = name, tests = libraries)\n"
            ),
            "BUILD.bazel": (
                'load("//tools:suites.bzl", "test_every_library")\n'
                'py_library(name = "b")\n'
                'py_library(name = "a")\n'
                'filegroup(name = "files")\n'
                'test_every_library(name = "libraries")\n'
                'py_library(name = "late")\n'
            ),
        },
    )
    [record] = peek(run, root, "//:libraries")
    assert record["kind"] == "test_suite"
    # Only the rules declared before the macro's call exist when it runs.
    assert record["fields"]["tests"] == [":a", ":b"]
    assert record["dependencies"] == ["//:a", "//:b"]


def test_rules_without_schema_are_opaque_unless_strict_rules(tmp_path: Path, run: Runner) -> None:
    files = {
        "MODULE.bazel": "",
        "BUILD.bazel": 'py_library(name = "a")\ncc_library(name = "b", deps = [":a"])\n',
    }
    root = make_repo(tmp_path, files)
    code, out, err = run(["list", "//..."], root=root)
    assert (code, out, err) == (0, "//:a\n//:b\n", "")
    code, out, _ = run(["dependencies", "//:b"], root=root)
    assert (code, out) == (0, "//:a\n")

    (root / "graphpub.toml").write_text("strict_rules = true\n", encoding="utf-8")
    code, out, err = run(["list", "//..."], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(
        "BUILD.bazel:2:1: cc_library() is a rule graphpub knows no schema for (strict_rules is set)"
    )
    assert "hint: unset strict_rules" in err
