"""Only what a command needs is an error: a build file that fails elsewhere is one warning
and the command goes on, unless what it needs is there (the spec's package, a dependency, an
import's owner, a distribution's owner), or `--strict` is given."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Runner, lines, make_repo

BROKEN = 'python_sources()\nfail("legacy is broken")\n'
BROKEN_ERROR = "legacy/BUILD:2:1: fail: legacy is broken"
SKIPPED = f"warning: {BROKEN_ERROR} (package 'legacy' skipped; --strict makes this an error)"

PANTS = {
    "pants.toml": '[source]\nroot_patterns = ["/"]\n',
    "lib/BUILD": "python_sources()\n",
    "lib/__init__.py": "",
    "app/BUILD": (
        'python_sources(dependencies = ["lib"])\n'
        'python_distribution(name = "dist", dependencies = [":app"], '
        'provides = python_artifact(name = "app", version = "1.0"))\n'
    ),
    "app/__init__.py": "import lib\n",
    "legacy/BUILD": BROKEN,
    "legacy/__init__.py": "",
}


def repo(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    return make_repo(tmp_path, {**PANTS, **(files or {})})


# ---------------------------------------------------------------- commands that load everything


def test_dependents_goes_on_past_a_build_file_it_does_not_need(tmp_path: Path, run: Runner) -> None:
    root = repo(tmp_path)
    code, out, err = run(["dependents", "lib"], root=root)
    assert (code, lines(out), lines(err)) == (0, ["app", "app/__init__.py"], [SKIPPED])
    code, out, err = run(["dependents", "--strict", "lib"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(BROKEN_ERROR + "\n"), err


def test_inference_goes_on_past_a_build_file_it_does_not_need(tmp_path: Path, run: Runner) -> None:
    root = repo(tmp_path)
    code, out, err = run(["dependencies", "app"], root=root)
    assert (code, lines(out), lines(err)) == (0, ["app/__init__.py", "lib"], [SKIPPED])


def test_an_import_owned_in_a_failed_package_is_an_error(tmp_path: Path, run: Runner) -> None:
    root = repo(tmp_path, {"app/other.py": "import legacy\n"})
    code, out, err = run(["dependencies", "app"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(SKIPPED + "\n" + BROKEN_ERROR + "\n"), err
    # Without inference, the import is no dependency.
    code, out, err = run(["dependencies", "--no-infer", "app"], root=root)
    assert (code, lines(out), err) == (0, ["app/__init__.py", "app/other.py", "lib"], "")


def test_a_dependency_in_a_failed_package_is_an_error(tmp_path: Path, run: Runner) -> None:
    root = repo(tmp_path, {"lib/BUILD": 'python_sources(dependencies = ["legacy"])\n'})
    for args in (["dependencies", "app"], ["dependencies", "--no-infer", "app"]):
        code, out, err = run(args, root=root)
        assert (code, out) == (1, ""), args
        assert BROKEN_ERROR + "\n" in err, args


def test_a_spec_in_a_failed_package_is_an_error(tmp_path: Path, run: Runner) -> None:
    root = repo(tmp_path)
    for spec in ("legacy", "legacy:", "legacy::", "::"):
        code, out, err = run(["list", spec], root=root)
        assert (code, out) == (1, ""), spec
        assert err.startswith(BROKEN_ERROR + "\n"), (spec, err)
    # A file's owner may be in any package above it: loading them may skip one, whose error
    # is the spec's when no other owns the file.
    code, out, err = run(["list", "legacy/__init__.py"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(SKIPPED + "\n" + BROKEN_ERROR + "\n"), err


def test_an_excluded_package_is_not_needed(tmp_path: Path, run: Runner) -> None:
    root = repo(tmp_path)
    code, out, err = run(["list", "::", "-legacy::"], root=root)
    assert code == 0
    assert "app:dist" in lines(out)
    assert lines(err) == [SKIPPED]


def test_a_distribution_whose_owner_may_be_in_a_failed_package(tmp_path: Path, run: Runner) -> None:
    # shared/sub's code is owned by the closest python_distribution above it: shared/BUILD
    # would say which, but it fails.
    root = repo(
        tmp_path,
        {
            "shared/BUILD": (
                'python_distribution(name = "shared", dependencies = ["shared/sub"], '
                'provides = python_artifact(name = "shared", version = "1.0"))\n'
                'fail("shared is broken")\n'
            ),
            "shared/sub/BUILD": "python_sources()\n",
            "shared/sub/__init__.py": "",
            "app/BUILD": (
                'python_sources(dependencies = ["shared/sub"])\n'
                'python_distribution(name = "dist", dependencies = [":app"], '
                'provides = python_artifact(name = "app", version = "1.0"))\n'
            ),
        },
    )
    code, out, err = run(["package", "--no-infer", "app:dist"], root=root)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "warning: shared/BUILD:2:1: fail: shared is broken (package 'shared' skipped: it sets "
        "no __defaults__ for the packages below it; --strict makes this an error)",
        SKIPPED,
        "shared/BUILD:2:1: fail: shared is broken",
        '   2 | fail("shared is broken")',
        "       ^",
        "hint: the python_distribution that owns shared/sub/__init__.py, which app:dist "
        "needs, may be in 'shared'",
    ]


# ---------------------------------------------------------------- build files above a spec's


def test_a_failing_build_file_above_blocks_nothing_without_defaults(
    tmp_path: Path, run: Runner
) -> None:
    # Pants evaluates the root BUILD for every spec: graphpub only needs the __defaults__ it
    # does not set. (Here it names a requirements file that is not there.)
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "BUILD": 'python_requirements(name = "reqs", source = "3rdparty/requirements.txt")\n',
            "pants-plugins/BUILD": 'python_sources(name = "plugins")\n',
            "pants-plugins/p.py": "",
        },
    )
    warning = (
        "warning: BUILD:1:45: file 3rdparty/requirements.txt does not exist (package '//' "
        "skipped: it sets no __defaults__ for the packages below it; --strict makes this an "
        "error)"
    )
    for spec in ("pants-plugins:plugins", "pants-plugins:", "pants-plugins::"):
        code, out, err = run(["list", spec], root=root)
        assert (code, lines(err)) == (0, [warning]), spec
        assert "pants-plugins:plugins" in lines(out), spec
    code, out, err = run(["list", "--strict", "pants-plugins::"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith("BUILD:1:45: file 3rdparty/requirements.txt does not exist"), err


def test_a_failing_build_file_above_that_sets_defaults_is_an_error(
    tmp_path: Path, run: Runner
) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "BUILD": (
                '__defaults__(all = dict(tags = ["team"]))\n'
                'python_requirements(name = "reqs", source = "3rdparty/requirements.txt")\n'
            ),
            "pants-plugins/BUILD": 'python_sources(name = "plugins")\n',
            "pants-plugins/p.py": "",
        },
    )
    code, out, err = run(["list", "pants-plugins:plugins"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith("BUILD:2:45: file 3rdparty/requirements.txt does not exist"), err


# ---------------------------------------------------------------- what is evaluated, and how often


def test_each_failing_file_is_evaluated_once_and_warned_once_per_package(
    tmp_path: Path, run: Runner
) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "tools/BUILD.bazel": "",
            "tools/defs.bzl": 'print("defs.bzl evaluated")\nfail("broken macros")\n',
            "a/BUILD.bazel": 'load("//tools:defs.bzl", "lib")\n',
            "b/BUILD.bazel": 'load("//tools:defs.bzl", "lib")\n',
            "c/BUILD.bazel": 'print("c evaluated")\npy_library(name = "c")\n',
            "d/BUILD.bazel": 'py_library(name = "d", deps = ["//c"])\n',
        },
    )
    code, out, err = run(["dependents", "--no-infer", "//c"], root=root)
    assert (code, out) == (0, "//d:d\n")
    assert sorted(lines(err)) == [
        "warning: DEBUG c/BUILD.bazel:1: c evaluated",
        "warning: DEBUG tools/defs.bzl:1: defs.bzl evaluated",
        "warning: tools/defs.bzl:2:1: fail: broken macros (package 'a' skipped; --strict makes "
        "this an error)",
        "warning: tools/defs.bzl:2:1: fail: broken macros (package 'b' skipped; --strict makes "
        "this an error)",
    ]


def test_keeps_going_in_several_processes(tmp_path: Path, run: Runner) -> None:
    files = {"MODULE.bazel": "", "p000/BUILD.bazel": '\nfail("p000 is broken")\n'}
    for index in range(1, 600):  # enough for graphpub to evaluate in several processes
        files[f"p{index:03d}/BUILD.bazel"] = 'py_library(name = "t")\n'
    root = make_repo(tmp_path, files)
    code, out, err = run(["-j", "2", "dependents", "--no-infer", "//p001:t"], root=root)
    assert (code, out) == (0, "")
    [warning] = lines(err)
    assert warning == (
        "warning: p000/BUILD.bazel:2:1: fail: p000 is broken (package 'p000' skipped; "
        "--strict makes this an error)"
    )


def test_a_missing_dependency_of_a_target_not_needed(tmp_path: Path, run: Runner) -> None:
    root = repo(tmp_path, {"other/BUILD": 'target(name = "o", dependencies = ["lib:nope"])\n'})
    missing = (
        "other/BUILD:1:36: other:o depends on 'lib:nope', but package 'lib' has no target "
        "named 'nope'"
    )
    code, out, err = run(["dependents", "lib"], root=root)
    assert (code, lines(out)) == (0, ["app", "app/__init__.py"])
    assert lines(err) == [
        SKIPPED,
        f"warning: {missing} (ignored: this command does not need other:o; --strict makes "
        "this an error)",
    ]
    code, out, err = run(["dependencies", "other:o"], root=root)
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == missing, err


def test_publish_needs_only_the_distributions_it_uploads(tmp_path: Path, run: Runner) -> None:
    index = f"file://{tmp_path / 'index'}"

    def dist(name: str) -> str:
        return (
            f'python_distribution(name = "{name}", dependencies = [":sources"], '
            f'provides = python_artifact(name = "{name}", version = "1.0"), '
            f'repositories = ["{index}"])\n'
        )

    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/"]\n',
            "good/BUILD": 'python_sources(name = "sources")\n' + dist("good"),
            "good/__init__.py": "",
            # Two distributions as close to odd's code: Pants cannot tell which owns it.
            "odd/BUILD": 'python_sources(name = "sources")\n' + dist("odd-one") + dist("odd-two"),
            "odd/__init__.py": "",
        },
    )
    code, out, err = run(["publish", "--dry-run", "good:good"], root=root)
    assert code == 0, err
    assert f"good-1.0-py3-none-any.whl would be published to {index}" in out
    code, out, err = run(["publish", "--dry-run", "odd:odd-one"], root=root)
    assert (code, out) == (1, "")
    assert "is owned by several python_distributions as close to it" in err
