"""Broken build files: each is reported once as `path:LINE:COL: message`, the line, a hint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import Runner, make_repo


def check_error(
    err: str,
    location: str,
    message: str,
    source_line: str | None,
    hint: str | None = None,
) -> None:
    """`location: ...message...` first, then the source line with a caret under the column."""
    first, *rest = err.splitlines()
    assert first.startswith(f"{location}: "), err
    assert message in first, err
    if source_line is not None:
        line_number = int(location.split(":")[1])
        gutter = f"{line_number:>4} | "
        assert rest[0] == gutter + source_line, err
        column = int(location.split(":")[2])
        assert rest[1] == " " * (len(gutter) + column - 1) + "^", err
    if hint is not None:
        assert f"hint: {hint}" in err, err
    assert "Traceback" not in err


def fails(run: Runner, root: Path, *specs: str) -> str:
    code, out, err = run(["list", *(specs or ("::",))], root=root)
    assert code == 1, (out, err)
    assert out == ""
    return err


def test_syntax_error(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "pkg/BUILD.bazel": 'py_library(\n    name = "x",\n    deps = [":a" ":b" ,,],\n)\n',
        },
    )
    # Bazel files are Starlark, where adjacent strings do not join: the first error is there.
    check_error(
        fails(run, root), "pkg/BUILD.bazel:3:18", "syntax error", '    deps = [":a" ":b" ,,],'
    )


def test_python_implicit_string_concatenation_is_accepted(tmp_path: Path, run: Runner) -> None:
    # Pants evaluates BUILD files as Python, and real ones join adjacent string literals.
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "a/BUILD": 'target(\n    name = "x",\n    description = "one "\n    "two",\n)\n',
            "b/BUILD": 'target(name = "y", description = "a" "b" + 1)\n',
        },
    )
    code, out, err = run(["peek", "--no-infer", "a:x"], root=root)
    assert code == 0, err
    assert '"description": "one two"' in out
    # Positions are kept: an error in the rewritten line points at the user's own columns.
    code, _, err = run(["list", "b:y"], root=root)
    assert code == 1
    column = 'target(name = "y", description = "a" "b" + 1)'.index('"a"') + 1
    assert err.startswith(f"b/BUILD:1:{column}: "), err


def test_syntax_error_on_the_first_line(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": "py_library(name = )\n"})
    check_error(fails(run, root), "BUILD.bazel:1:19", "syntax error", "py_library(name = )")


def test_unclosed_call(tmp_path: Path, run: Runner) -> None:
    # starlark only knows the file ended: the bracket never closed is the error.
    root = make_repo(tmp_path, {"pants.toml": "", "a/BUILD": 'python_sources(\n    name = "x",\n'})
    err = fails(run, root)
    check_error(
        err, "a/BUILD:1:15", "syntax error: '(' opened here is never closed", "python_sources("
    )
    assert err.splitlines()[0] == "a/BUILD:1:15: syntax error: '(' opened here is never closed"


@pytest.mark.parametrize(
    ("files", "location", "message", "source_line"),
    [
        (  # the innermost bracket, whatever the dialect; brackets in strings and comments
            # do not count
            {
                "MODULE.bazel": "",
                "BUILD.bazel": 'py_library(\n    name = "x(",  # (\n    deps = [\n',
            },
            "BUILD.bazel:3:12",
            "syntax error: '[' opened here is never closed",
            "    deps = [",
        ),
        (  # a closing bracket that closes another: where it is, and where the other opened
            {"pants.toml": "", "BUILD": 'target(\n    tags = [\n        ("a",\n    ],\n)\n'},
            "BUILD:4:5",
            "syntax error: ']' does not match the '(' opened at line 3, column 9",
            "    ],",
        ),
    ],
)
def test_brackets_that_do_not_pair(
    tmp_path: Path,
    run: Runner,
    files: dict[str, str],
    location: str,
    message: str,
    source_line: str,
) -> None:
    err = fails(run, make_repo(tmp_path, files))
    check_error(err, location, message, source_line)
    assert err.splitlines()[0] == f"{location}: {message}"


@pytest.mark.parametrize(
    ("files", "location", "source_line", "hint"),
    [
        (
            {"MODULE.bazel": "", "BUILD.bazel": "foo(a = 1 b = 2)\n"},
            "BUILD.bazel:1:11",
            "foo(a = 1 b = 2)",
            "missing ',' between arguments?",
        ),
        (
            {"pants.toml": "", "BUILD": 'target(\n    name = "x"\n    description = "y",\n)\n'},
            "BUILD:3:5",
            '    description = "y",',
            "missing ',' at the end of line 2?",
        ),
        (
            {"MODULE.bazel": "", "BUILD.bazel": 'X = ["a" "b"]\n'},
            "BUILD.bazel:1:10",
            'X = ["a" "b"]',
            "missing ',' between items?",
        ),
    ],
)
def test_missing_comma(
    tmp_path: Path, run: Runner, files: dict[str, str], location: str, source_line: str, hint: str
) -> None:
    check_error(fails(run, make_repo(tmp_path, files)), location, "syntax error", source_line, hint)


def test_an_unknown_rule_stands_in_with_a_did_you_mean(tmp_path: Path, run: Runner) -> None:
    """A rule no catalog knows never stops loading: an opaque target, one warning with the
    name it was most likely meant to be; strict_rules makes it the error."""
    files = {"MODULE.bazel": "", "app/BUILD.bazel": '# the app\n\npy_libary(name = "app")\n'}
    root = make_repo(tmp_path, files)
    code, out, err = run(["list", "::"], root=root)
    assert (code, out) == (0, "//app:app\n"), err
    assert err == (
        "warning: app/BUILD.bazel:3:1: 'py_libary' is defined nowhere graphpub can see (no "
        "rule, builtin or load() of it): it stands in as an opaque rule: a call with a name "
        "makes an opaque target (did you mean 'py_library'? strict_rules = true makes this an "
        "error)\n"
    )
    (root / "graphpub.toml").write_text("strict_rules = true\n")
    check_error(
        fails(run, root),
        "app/BUILD.bazel:3:1",
        "name 'py_libary' is not defined",
        'py_libary(name = "app")',
        hint="did you mean 'py_library'?",
    )


def test_an_unknown_builtin_stands_in_with_a_did_you_mean(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {"pants.toml": "", "a/BUILD": 'python_sources(\n    sources = glb(["*.py"]),\n)\n'},
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, out) == (0, "a\n"), err
    assert err.startswith("warning: a/BUILD:2:15: 'glb' is defined nowhere"), err
    assert "did you mean 'glob'?" in err


def test_an_unknown_rule_in_a_macro_stands_in(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "defs.bzl": "# macros\ndef mac(name):\n    py_libary(name = name)\n",
            "BUILD.bazel": 'load("//:defs.bzl", "mac")\n\nmac(name = "x")\n',
        },
    )
    code, out, err = run(["peek", "--no-infer", "//:x"], root=root)
    assert code == 0, err
    assert '"kind": "py_libary"' in out
    assert '"location": "BUILD.bazel:3"' in out  # the BUILD file's call, through the macro
    assert err.startswith("warning: defs.bzl:3:5: 'py_libary' is defined nowhere"), err
    (root / "graphpub.toml").write_text("strict_rules = true\n")
    check_error(
        fails(run, root),
        "defs.bzl:3:5",
        "name 'py_libary' is not defined",
        "    py_libary(name = name)",
        hint="did you mean 'py_library'?",
    )


def test_undefined_variable(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": "py_library(name = NAME)\n"})
    err = fails(run, root)
    check_error(err, "BUILD.bazel:1:19", "name 'NAME' is not defined", "py_library(name = NAME)")
    assert "hint: " in err


def test_non_utf8_build_file(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {"pants.toml": "", "a/BUILD": b"python_sources()\n# caf\xe9 cr\xe8me\n"},
    )
    err = fails(run, root)
    first = err.splitlines()[0]
    assert first.startswith("a/BUILD:2:6: "), err
    assert "UTF-8" in first
    assert "\n   2 | # caf" in err
    assert "hint: " in err
    assert "Traceback" not in err


def test_non_utf8_bzl_file(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "defs.bzl": b'X = 1\nY = "\xff"\n',
            "BUILD.bazel": 'load("//:defs.bzl", "X")\n',
        },
    )
    err = fails(run, root)
    assert err.startswith("defs.bzl:2:6: "), err
    assert "UTF-8" in err.splitlines()[0]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("label", "column"),
    [("//tools:missing.bzl", 6), (":missing.bzl", 6), ("//tools/missing.bzl", 6)],
)
def test_load_of_a_missing_file(tmp_path: Path, run: Runner, label: str, column: int) -> None:
    build = f'# loads\nload("{label}", "x")\n'
    root = make_repo(tmp_path, {"MODULE.bazel": "", "tools/BUILD.bazel": build})
    check_error(
        fails(run, root),
        f"tools/BUILD.bazel:2:{column}",
        "missing.bzl",
        f'load("{label}", "x")',
    )


def test_load_outside_the_root(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": 'load("../x.bzl", "x")\n'})
    check_error(
        fails(run, root), "BUILD.bazel:1:6", "outside the build root", 'load("../x.bzl", "x")'
    )


def test_load_of_an_absolute_path(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": 'load("/etc/x.bzl", "x")\n'})
    check_error(
        fails(run, root), "BUILD.bazel:1:6", "outside the build root", 'load("/etc/x.bzl", "x")'
    )


def test_load_through_a_symlink_leaving_the_root(tmp_path: Path, run: Runner) -> None:
    outside = tmp_path / "outside.bzl"
    outside.write_text("X = 1\n")
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": 'load("//:link.bzl", "X")\n'})
    os.symlink(outside, root / "link.bzl")
    err = fails(run, root)
    assert err.startswith("BUILD.bazel:1:6: "), err
    assert "build root" in err.splitlines()[0]


def test_glob_outside_the_root(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": 'py_library(\n    name = "x",\n    srcs = glob(["../x/*.py"]),\n)\n',
        },
    )
    check_error(fails(run, root), "BUILD.bazel:3:12", "glob", '    srcs = glob(["../x/*.py"]),')


def test_rule_with_positional_arguments(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path, {"MODULE.bazel": "", "a/BUILD.bazel": '\n\npy_library("x", srcs = [])\n'}
    )
    check_error(
        fails(run, root),
        "a/BUILD.bazel:3:1",
        "keyword arguments only",
        'py_library("x", srcs = [])',
        hint='write py_library(name = "...", ...)',
    )


def test_indented_rule_call_is_located_at_the_rule(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "a/BUILD.bazel": 'for n in ["x"]:\n    py_library(n)\n',
        },
    )
    check_error(
        fails(run, root), "a/BUILD.bazel:2:5", "keyword arguments only", "    py_library(n)"
    )


def test_bazel_rule_without_name(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {"MODULE.bazel": "", "pkg/BUILD.bazel": 'py_library(name = "ok")\npy_library(srcs = [])\n'},
    )
    check_error(
        fails(run, root),
        "pkg/BUILD.bazel:2:1",
        "py_library(): missing the required field 'name'",
        "py_library(srcs = [])",
        hint='add name = "..." to the py_library() call',
    )


def test_buck2_rule_without_name(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path, {".buckconfig": "[cells]\n  root = .\n", "pkg/BUCK": "python_library()\n"}
    )
    check_error(fails(run, root), "pkg/BUCK:1:1", "'name'", "python_library()")


def test_pants_target_at_root_without_name(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"pants.toml": "", "BUILD": "\ntarget()\n"})
    err = fails(run, root)
    check_error(err, "BUILD:2:1", "needs a name", "target()", hint='add name = "..."')


def test_name_must_be_a_string(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": "py_library(name = 3)\n"})
    check_error(fails(run, root), "BUILD.bazel:1:1", "'name' must be", "py_library(name = 3)")


def test_dependencies_must_be_a_list(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path, {"MODULE.bazel": "", "BUILD.bazel": 'py_library(name = "x", deps = ":y")\n'}
    )
    check_error(
        fails(run, root),
        "BUILD.bazel:1:1",
        "py_library(): field 'deps': expected a list of strings, got a string (':y')",
        'py_library(name = "x", deps = ":y")',
        hint='write ["value"] even for a single value',
    )


def test_invalid_address_in_dependencies(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": 'py_library(\n    name = "x",\n    deps = ["//a/b:"],\n)\n',
        },
    )
    err = fails(run, root)
    first = err.splitlines()[0]
    assert first.split(": ", 1)[0] in ("BUILD.bazel:1:1", "BUILD.bazel:3:13"), err
    assert "invalid address '//a/b:'" in first
    assert "Traceback" not in err


def test_starlark_runtime_error(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": 'x = 1\ny = x + "a"\n'})
    check_error(fails(run, root), "BUILD.bazel:2:5", "not supported", 'y = x + "a"')


def test_fail_in_a_macro(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "defs.bzl": 'def mac(name):\n    fail("bad macro " + name)\n',
            "BUILD.bazel": 'load("//:defs.bzl", "mac")\nmac(name = "x")\n',
        },
    )
    check_error(fails(run, root), "defs.bzl:2:5", "bad macro x", '    fail("bad macro " + name)')


def test_debug_allows_a_traceback(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": "py_library(name = NAME)\n"})
    code, out, err = run(["--debug", "list", "//..."], root=root)
    assert (code, out) == (1, "")
    assert "name 'NAME' is not defined" in err


def test_a_long_source_line_is_shown_around_the_error(tmp_path: Path, run: Runner) -> None:
    line = "x = [" + "1, " * 50000 + "undefined_name]"
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": line + "\n"})
    code, _, err = run(["list", "::"], root=root)
    assert code == 1
    first, shown, caret, *_ = err.splitlines()
    assert first.startswith("BUILD.bazel:1:150006: ")
    assert len(shown) < 140
    assert shown.startswith("   1 | …") and shown.endswith("undefined_name]")
    assert shown[caret.index("^") :].startswith("undefined_name")
