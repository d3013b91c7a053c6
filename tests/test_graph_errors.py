"""Checks of the loaded graph: duplicates, missing targets and packages, cycles.

Dependencies are resolved (and so checked) by the commands that follow them, such as
`dependencies`; `list` only names targets, as `pants list` and `bazel query //...` do.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Runner, make_repo


def assert_error(err: str, location: str, source_line: str) -> None:
    """The error starts with `location: `, shows the source line and has no traceback."""
    assert err.startswith(location + ": "), err
    assert f" | {source_line}\n" in err, err
    assert "Traceback" not in err


def test_duplicate_target_names(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "a/BUILD": (
                'target(name = "x")\n\nresources(\n    name = "x",\n    sources = ["*.json"],\n)\n'
            ),
        },
    )
    code, out, err = run(["list", "a:x"], root=root)
    assert (code, out) == (1, "")
    assert_error(err, "a/BUILD:3:1", "resources(")
    assert "duplicate target name 'x'" in err
    assert "a/BUILD:1:1" in err  # the first definition
    assert "hint:" in err


def test_duplicate_default_named_targets(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path, {"pants.toml": "", "lib/BUILD": "python_sources()\n  \npython_tests()\n"}
    )
    code, _, err = run(["list", "lib:"], root=root)
    assert code == 1
    assert_error(err, "lib/BUILD:3:1", "python_tests()")
    assert "duplicate target name 'lib'" in err
    assert "lib/BUILD:1:1" in err


def test_dependency_on_a_missing_target(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "lib/BUILD": 'python_sources()\nresources(name = "data", sources = ["*.json"])\n',
            "app/BUILD": (
                "python_sources(\n"
                "    dependencies = [\n"
                '        "lib:data",\n'
                '        "lib:dta",\n'
                "    ],\n"
                ")\n"
            ),
        },
    )
    code, out, err = run(["dependencies", "--no-infer", "app"], root=root)
    assert (code, out) == (1, "")
    assert_error(err, "app/BUILD:4:9", '        "lib:dta",')
    assert "'lib:dta'" in err
    assert "no target named 'dta'" in err
    assert "hint: did you mean 'lib:data'?" in err


def test_dependency_on_a_missing_target_lists_the_package(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "lib/BUILD.bazel": 'py_library(name = "lib")\n',
            "app/BUILD.bazel": 'py_library(name = "app", deps = ["//lib:zzzzzz"])\n',
        },
    )
    code, _, err = run(["dependencies", "--no-infer", "//app"], root=root)
    assert code == 1
    assert_error(err, "app/BUILD.bazel:1:34", 'py_library(name = "app", deps = ["//lib:zzzzzz"])')
    assert "no target named 'zzzzzz'" in err
    assert "hint:" in err and "lib" in err.split("hint:")[1]


def test_dependency_on_a_missing_package(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "src/library/BUILD": "python_sources()\n",
            "src/app/BUILD": (
                "python_sources(\n"
                "    dependencies = [\n"
                '        "src/library",\n'
                '        "src/libary:libary",\n'
                "    ],\n"
                ")\n"
            ),
        },
    )
    code, out, err = run(["dependencies", "--no-infer", "src/app"], root=root)
    assert (code, out) == (1, "")
    assert_error(err, "src/app/BUILD:4:9", '        "src/libary:libary",')
    assert "no build file in 'src/libary'" in err
    assert "hint: did you mean 'src/library'?" in err


def test_dependency_cycle_shows_the_whole_path(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "a/BUILD": 'target(dependencies = ["b"])\n',
            "b/BUILD": '# b\ntarget(dependencies = ["c"])\n',
            "c/BUILD": 'target(dependencies = ["a"])\n',
        },
    )
    code, out, err = run(["dependencies", "--no-infer", "b"], root=root)
    assert (code, out) == (1, "")
    assert "dependency cycle: a -> b -> c -> a" in err
    assert err.startswith("a/BUILD:1:1: ")
    assert "b/BUILD:2:1" in err and "c/BUILD:1:1" in err
    assert "hint:" in err
    assert "Traceback" not in err


def test_self_dependency(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "a/BUILD.bazel": (
                "py_library(\n"
                '    name = "lib",\n'
                "    deps = [\n"
                '        ":other",\n'
                '        ":lib",\n'
                "    ],\n"
                ")\n"
                'py_library(name = "other")\n'
            ),
        },
    )
    code, out, err = run(["dependencies", "--no-infer", "//a:lib"], root=root)
    assert (code, out) == (1, "")
    assert_error(err, "a/BUILD.bazel:5:9", '        ":lib",')
    assert "depends on itself" in err
    assert "hint:" in err


def test_errors_in_a_bazel_repository_use_bazel_labels(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "a/BUILD.bazel": 'py_library(name = "x", deps = ["//b:y"])\n',
            "b/BUILD.bazel": 'py_library(name = "y", deps = ["//a:x"])\n',
        },
    )
    code, _, err = run(["dependencies", "--no-infer", "//a:x"], root=root)
    assert code == 1
    assert "dependency cycle: //a:x -> //b:y -> //a:x" in err


def test_graph_errors_only_for_loaded_packages(tmp_path: Path, run: Runner) -> None:
    # A bad dependency in a package nobody asked about does not break a command.
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "good/BUILD.bazel": 'py_library(name = "good")\n',
            "bad/BUILD.bazel": 'py_library(name = "bad", deps = ["//nowhere:x"])\n',
        },
    )
    assert run(["dependencies", "--no-infer", "//good"], root=root) == (0, "", "")
    code, _, err = run(["dependencies", "--no-infer", "//..."], root=root)
    assert code == 1
    assert err.startswith("bad/BUILD.bazel:1:34: ")


def test_list_follows_no_dependency(tmp_path: Path, run: Runner) -> None:
    # As `pants list`, `bazel query //...` and `buck2 targets`: a dangling dependency or a
    # cycle is the error of the commands that follow dependencies, not of naming targets.
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "a/BUILD.bazel": 'py_library(name = "x", deps = ["//b:y", "//nowhere:z"])\n',
            "b/BUILD.bazel": 'py_library(name = "y", deps = ["//a:x"])\n',
            "broken/BUILD.bazel": 'py_library(name = "broken"\n',
        },
    )
    assert run(["list", "//a:x"], root=root) == (0, "//a:x\n", "")
    assert run(["list", "//a/...", "//b/..."], root=root) == (0, "//a:x\n//b:y\n", "")
    code, _, err = run(["dependencies", "--no-infer", "//a:x"], root=root)
    assert code == 1
    assert err.startswith("a/BUILD.bazel:1:41: ") and "no build file in 'nowhere'" in err
    # A build file the specs name that fails is still the error of `list`.
    code, _, err = run(["list", "//..."], root=root)
    assert code == 1 and err.startswith("broken/BUILD.bazel:")


def test_dependency_on_a_file_no_target_owns(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "lib/BUILD": 'python_sources(sources = ["a.py"])\n',
            "lib/a.py": "",
            "lib/b.py": "",
            "app/BUILD": 'target(\n    dependencies = [\n        "lib/b.py",\n    ],\n)\n',
        },
    )
    code, out, err = run(["dependencies", "--no-infer", "app"], root=root)
    assert (code, out) == (1, "")
    assert_error(err, "app/BUILD:3:9", '        "lib/b.py",')
    assert "lib/b.py" in err.splitlines()[0]
    assert "hint:" in err


KEEP_GOING_REPO = {
    "MODULE.bazel": "",
    "ok/BUILD.bazel": 'py_library(name = "lib")\npy_library(name = "app", deps = [":lib"])\n',
    "broken/BUILD.bazel": 'py_library(name = "x")\nfail("this package needs a generated file")\n',
    "uses/BUILD.bazel": (
        'py_library(name = "a", deps = ["//broken:x", "//ok:lib"])\n'
        'py_library(name = "b", deps = ["//ok:missing"])\n'
    ),
}


def test_keep_going_answers_with_what_loads_then_says_each_error(
    tmp_path: Path, run: Runner
) -> None:
    """Bazel's `query --keep_going` and Buck2's `targets --keep-going`: a repository whose
    checkout holds packages that cannot load (Meta's open-source trees load files that stay
    internal) is still listed; the failures are errors, said after the answer, exit 1."""
    root = make_repo(tmp_path, KEEP_GOING_REPO)
    code, out, err = run(["list", "::"], root=root)
    assert (code, out) == (1, "")
    assert_error(err, "broken/BUILD.bazel:2:1", 'fail("this package needs a generated file")')

    code, out, err = run(["list", "::", "--keep-going"], root=root)
    assert code == 1
    assert out.splitlines() == ["//ok:app", "//ok:lib", "//uses:a", "//uses:b"]
    assert_error(err, "broken/BUILD.bazel:2:1", 'fail("this package needs a generated file")')
    assert err.rstrip().endswith("1 error: the answer above leaves out what failed (--keep-going)")
    assert "warning" not in err

    code, out, err = run(["dependencies", "--no-infer", "::", "--keep-going"], root=root)
    assert code == 1
    assert out.splitlines() == ["//ok:lib"]  # of //ok:app and //uses:a; the rest left out
    errors = [line for line in err.splitlines() if line and not line.startswith((" ", "hint"))]
    assert errors[0].startswith("broken/BUILD.bazel:2:1: fail: this package needs")
    assert errors[1].startswith("uses/BUILD.bazel:2:")
    assert "'//ok:missing'" in errors[1]
    assert (
        errors[-1] == "graphpub: 2 errors: the answer above leaves out what failed (--keep-going)"
    )

    code, out, err = run(["dependents", "--no-infer", "//ok:lib", "--keep-going"], root=root)
    assert code == 1
    assert out.splitlines() == ["//ok:app", "//uses:a"]
    assert "broken/BUILD.bazel:2:1: fail: this package needs" in err


def test_keep_going_without_errors_is_the_plain_answer(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path, {"MODULE.bazel": "", "ok/BUILD.bazel": KEEP_GOING_REPO["ok/BUILD.bazel"]}
    )
    assert run(["list", "::", "--keep-going"], root=root) == run(["list", "::"], root=root)
    assert run(["list", "::", "--keep-going"], root=root)[0] == 0


def test_keep_going_is_for_the_commands_that_answer_with_targets(
    tmp_path: Path, run: Runner
) -> None:
    root = make_repo(tmp_path, KEEP_GOING_REPO)
    code, _, err = run(["list", "::", "--keep-going", "--strict"], root=root)
    assert code == 2
    assert "not both" in err
    code, _, err = run(["package", "::", "--keep-going"], root=root)
    assert code == 2
    assert "--keep-going" in err
