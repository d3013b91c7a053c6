"""Command-line specs: every form, exclusions, sorting, errors, and loading only what is needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Runner, lines, make_repo

BROKEN = "this is ( not starlark\n"

PANTS_REPO = {
    "pants.toml": "",
    "BUILD": 'target(name = "root")\n',
    "a/BUILD": (
        'python_sources(sources = ["*.py", "!skip.py"])\n'
        'target(name = "t")\n'
        'resources(name = "res", sources = ["data/**/*.json"])\n'
    ),
    "a/x.py": "",
    "a/skip.py": "",
    "a/data/one.json": "",
    "a/data/nested/two.json": "",
    "a/b/BUILD": 'target(name = "b")\ntarget(name = "c")\n',
    "a/b/y.py": "",
    "z/BUILD": 'files(name = "f", sources = ["**/*.txt"])\n',
    "z/q/r.txt": "",
    "z/q/s.txt": "",
}


@pytest.fixture
def pants_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path, PANTS_REPO)


# Generated targets: `a/x.py` (by `a`), `a/data/one.json:res` and `a/data/nested/two.json:res`
# (by `a:res`), `z/q/r.txt:f` and `z/q/s.txt:f` (by `z:f`). As in Pants, a generated file target
# resides in its file's directory: `a:` has `a/x.py` but not `a/data/one.json:res`.
A_DIR = ["a", "a/x.py", "a:res", "a:t"]
A_TREE = [
    "a",
    "a/b",
    "a/b:c",
    "a/data/nested/two.json:res",
    "a/data/one.json:res",
    "a/x.py",
    "a:res",
    "a:t",
]
EVERYTHING = [
    "//:root",
    "a",
    "a/b",
    "a/b:c",
    "a/data/nested/two.json:res",
    "a/data/one.json:res",
    "a/x.py",
    "a:res",
    "a:t",
    "z/q/r.txt:f",
    "z/q/s.txt:f",
    "z:f",
]


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        (["a:t"], ["a:t"]),
        (["//a:t"], ["a:t"]),
        (["a:"], A_DIR),
        (["//a:all"], A_DIR),
        (["//a:*"], A_DIR),
        (["a::"], A_TREE),
        (["//a/..."], A_TREE),
        (["::"], EVERYTHING),
        (["//..."], EVERYTHING),
        (["a"], ["a"]),
        (["//a"], ["a"]),
        (["a/b"], ["a/b"]),
        (["//:root"], ["//:root"]),
        (["//:"], ["//:root"]),
        (["z:f", "a:t", "a/b"], ["a/b", "a:t", "z:f"]),
        (["a:t", "a:", "//a:t"], A_DIR),  # no duplicates
        (["a/data:"], ["a/data/one.json:res"]),
        (["a/data/nested:"], ["a/data/nested/two.json:res"]),
        (["z/q:"], ["z/q/r.txt:f", "z/q/s.txt:f"]),
        (["a/x.py:a"], ["a/x.py"]),
        (["a/data/one.json:res"], ["a/data/one.json:res"]),
    ],
)
def test_address_and_directory_specs(
    pants_repo: Path, run: Runner, specs: list[str], expected: list[str]
) -> None:
    code, out, err = run(["list", *specs], root=pants_repo)
    assert (code, err) == (0, "")
    assert out.splitlines() == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("a/x.py", ["a/x.py"]),
        ("a/data/nested/two.json", ["a/data/nested/two.json:res"]),
        ("z/q/r.txt", ["z/q/r.txt:f"]),
        ("./a/x.py", ["a/x.py"]),
    ],
)
def test_file_specs_select_owners(
    pants_repo: Path, run: Runner, spec: str, expected: list[str]
) -> None:
    code, out, err = run(["list", spec], root=pants_repo)
    assert (code, err) == (0, "")
    assert out.splitlines() == expected


def test_file_owned_by_several_targets(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "a/BUILD": 'python_sources()\npython_sources(name = "also", sources = ["m.py"])\n',
            "a/m.py": "",
        },
    )
    # Both generators own m.py (`python_sources()` by its default `*.py`): as in Pants, a file
    # spec selects the targets generated for the file, one per owning generator.
    code, out, _ = run(["list", "a/m.py"], root=root)
    assert (code, out) == (0, "a/m.py\na/m.py:also\n")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("a/*.py", ["a/x.py"]),
        ("z/**/*.txt", ["z/q/r.txt:f", "z/q/s.txt:f"]),
        ("a/**/*.json", ["a/data/nested/two.json:res", "a/data/one.json:res"]),
        ("**/*.txt", ["z/q/r.txt:f", "z/q/s.txt:f"]),
    ],
)
def test_file_glob_specs(pants_repo: Path, run: Runner, spec: str, expected: list[str]) -> None:
    code, out, err = run(["list", spec], root=pants_repo)
    assert (code, err) == (0, "")
    assert out.splitlines() == expected


def test_file_glob_spec_across_packages(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "src/one/BUILD": 'python_sources(sources = ["*.py"])\n',
            "src/one/m.py": "",
            "src/two/BUILD": 'python_sources(sources = ["*.py"])\n',
            "src/two/n.py": "",
        },
    )
    code, out, err = run(["list", "src/**/*.py"], root=root)
    assert (code, err) == (0, "")
    assert out.splitlines() == ["src/one/m.py", "src/two/n.py"]


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        (
            ["a::", "-a/b:c"],
            [
                "a",
                "a/b",
                "a/data/nested/two.json:res",
                "a/data/one.json:res",
                "a/x.py",
                "a:res",
                "a:t",
            ],
        ),
        (["::", "-//a/..."], ["//:root", "z/q/r.txt:f", "z/q/s.txt:f", "z:f"]),
        # `z:` excludes what resides in z, not the targets generated for z/q's files.
        (["::", "-a::", "-z:"], ["//:root", "z/q/r.txt:f", "z/q/s.txt:f"]),
        (["::", "-a::", "-z::"], ["//:root"]),
        # `-a/x.py` excludes the target generated for the file, not its generator.
        (["a:", "-a/x.py"], ["a", "a:res", "a:t"]),
    ],
)
def test_excludes(pants_repo: Path, run: Runner, specs: list[str], expected: list[str]) -> None:
    code, out, err = run(["list", "--", *specs], root=pants_repo)
    assert (code, err) == (0, "")
    assert out.splitlines() == expected


def test_excludes_without_double_dash(pants_repo: Path, run: Runner) -> None:
    # Excludes are written as Pants users do: `graphpub list :: -dir:tgt`, with no `--`.
    code, out, err = run(["list", "a::", "-a/b:c", "-//a/b/..."], root=pants_repo)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "a",
        "a/data/nested/two.json:res",
        "a/data/one.json:res",
        "a/x.py",
        "a:res",
        "a:t",
    ]


def test_bazel_repository_specs(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": 'py_library(name = "top")\n',
            "lib/BUILD.bazel": 'py_library(name = "lib")\npy_test(name = "lib_test")\n',
            "lib/sub/BUILD.bazel": 'py_library(name = "sub")\n',
        },
    )
    for specs, expected in (
        (["//..."], ["//:top", "//lib/sub:sub", "//lib:lib", "//lib:lib_test"]),
        (["//lib/..."], ["//lib/sub:sub", "//lib:lib", "//lib:lib_test"]),
        (["//lib:all"], ["//lib:lib", "//lib:lib_test"]),
        (["//lib"], ["//lib:lib"]),
        (["lib:lib_test"], ["//lib:lib_test"]),
        (["//lib:*"], ["//lib:lib", "//lib:lib_test"]),
    ):
        code, out, err = run(["list", *specs], root=root)
        assert (code, err) == (0, ""), specs
        assert out.splitlines() == expected, specs


# ---------------------------------------------------------------- specs matching nothing


def assert_spec_error(err: str, *needles: str) -> None:
    assert err.startswith("error: "), err
    for needle in needles:
        assert needle in err, err
    assert "\nhint: " in err
    assert "Traceback" not in err


def test_unknown_target_suggests_names(pants_repo: Path, run: Runner) -> None:
    code, out, err = run(["list", "a:tt"], root=pants_repo)
    assert (code, out) == (1, "")
    assert_spec_error(err, "'tt'", "a:t")


def test_directory_without_default_target(pants_repo: Path, run: Runner) -> None:
    code, out, err = run(["list", "z"], root=pants_repo)
    assert (code, out) == (1, "")
    assert_spec_error(err, "'z'", "z:f")


def test_unknown_directory(pants_repo: Path, run: Runner) -> None:
    code, out, err = run(["list", "nowhere:x"], root=pants_repo)
    assert (code, out) == (1, "")
    assert_spec_error(err, "nowhere")


def test_misspelled_directory_suggests_the_package(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"pants.toml": "", "src/library/BUILD": "target()\n"})
    code, _, err = run(["list", "src/libary:x"], root=root)
    assert code == 1
    assert_spec_error(err, "did you mean 'src/library'?")


def test_recursive_spec_matching_nothing(pants_repo: Path, run: Runner) -> None:
    code, out, err = run(["list", "nowhere::"], root=pants_repo)
    assert (code, out) == (1, "")
    assert_spec_error(err, "nowhere")


def test_file_owned_by_nothing(pants_repo: Path, run: Runner) -> None:
    code, out, err = run(["list", "a/skip.py"], root=pants_repo)
    assert (code, out) == (1, "")
    assert_spec_error(err, "a/skip.py")


def test_file_glob_matching_nothing(pants_repo: Path, run: Runner) -> None:
    code, out, err = run(["list", "a/*.rs"], root=pants_repo)
    assert (code, out) == (1, "")
    assert_spec_error(err, "a/*.rs")


def test_spec_outside_the_root(pants_repo: Path, run: Runner) -> None:
    code, out, err = run(["list", "../elsewhere::"], root=pants_repo)
    assert (code, out) == (1, "")
    assert "outside the build root" in err
    assert "Traceback" not in err


def test_every_spec_must_match(pants_repo: Path, run: Runner) -> None:
    code, out, err = run(["list", "a:t", "a:nope"], root=pants_repo)
    assert (code, out) == (1, "")
    assert "'nope'" in err


# ---------------------------------------------------------------- specs that select nothing

MARKERS = {"pants": "pants.toml", "bazel": "MODULE.bazel", "buck2": ".buckconfig"}
BUILD_FILES = {"pants": "BUILD", "bazel": "BUILD.bazel", "buck2": "BUCK"}


@pytest.mark.parametrize("dialect", ["pants", "bazel", "buck2"])
def test_an_empty_build_file_is_a_package_without_targets(
    tmp_path: Path, run: Runner, dialect: str
) -> None:
    root = make_repo(
        tmp_path, {MARKERS[dialect]: "", f"empty/{BUILD_FILES[dialect]}": "# nothing yet\n"}
    )
    for spec in ("empty:", "//empty:all", "//empty:*"):
        assert run(["list", spec], root=root) == (0, "", ""), spec


@pytest.mark.parametrize(("dialect", "code"), [("pants", 0), ("buck2", 0), ("bazel", 1)])
def test_a_repository_without_build_files(
    tmp_path: Path, run: Runner, dialect: str, code: int
) -> None:
    # Pants and Buck2 list nothing; Bazel's `//...` must match a target.
    root = make_repo(tmp_path, {MARKERS[dialect]: "", "src/app.py": ""})
    assert run(["list", "::"], root=root)[:2] == (code, "")
    if code:
        err = run(["list", "//..."], root=root)[2]
        assert err.splitlines()[0] == "error: no targets found beneath '' (spec '//...')"
        err = run(["list", "//src/..."], root=root)[2]
        assert err.splitlines()[0] == "error: no targets found beneath 'src' (spec '//src/...')"


def test_pants_selects_nothing_from_a_directory_that_exists(tmp_path: Path, run: Runner) -> None:
    # Pants errs on a directory that does not exist, not on one without targets.
    root = make_repo(
        tmp_path, {"pants.toml": "", "docs/index.md": "", "BUILD": "target(name = 'r')\n"}
    )
    assert run(["list", "docs:"], root=root) == (0, "", "")
    assert run(["list", "docs::"], root=root) == (0, "", "")
    for spec in ("nowhere:", "nowhere::"):
        code, out, err = run(["list", spec], root=root)
        assert (code, out) == (1, "")
        assert err.splitlines()[0] == f"error: no such directory 'nowhere' (spec '{spec}')"


@pytest.mark.parametrize("dialect", ["bazel", "buck2"])
def test_bazel_and_buck2_directory_spec_needs_a_package(
    tmp_path: Path, run: Runner, dialect: str
) -> None:
    root = make_repo(tmp_path, {MARKERS[dialect]: "", "docs/index.md": ""})
    code, out, err = run(["list", "//docs:all"], root=root)
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == "error: no build file in 'docs' for spec '//docs:all'"


def test_a_spec_inside_another_build(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "bazel/MODULE.bazel": "",
            "bazel/tools/BUILD": 'py_library(name = "t")\n',
        },
    )
    for spec in ("bazel/tools:t", "bazel/tools:", "bazel::"):
        code, out, err = run(["list", spec], root=root)
        assert (code, out) == (1, "")
        assert err.splitlines() == [
            f"error: spec '{spec}' is not part of this build: 'bazel' holds MODULE.bazel: it "
            "is the root of another build",
            "hint: run graphpub -C bazel",
        ]


# ---------------------------------------------------------------- loading only what is needed


def test_broken_unrelated_package_does_not_matter(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "good/dir/BUILD": 'target(name = "tgt", dependencies = ["dep"])\n',
            "dep/BUILD": "target()\n",
            "bad/BUILD": BROKEN,
            "good/dir/bad/BUILD": BROKEN,
        },
    )
    assert run(["list", "good/dir:tgt"], root=root) == (0, "good/dir:tgt\n", "")
    assert run(["list", "good/dir:"], root=root) == (0, "good/dir:tgt\n", "")
    # Inferring from imports needs every target (as in Pants): only explicit ones here.
    assert run(["dependencies", "--no-infer", "good/dir:tgt"], root=root) == (0, "dep\n", "")
    code, out, err = run(["list", "::"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith("bad/BUILD:1:6: ")


def test_broken_dependency_package_does_matter(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "good/BUILD": 'target(name = "tgt", dependencies = ["dep"])\n',
            "dep/BUILD": BROKEN,
        },
    )
    code, _, err = run(["dependencies", "--no-infer", "good:tgt"], root=root)
    assert code == 1
    assert err.startswith("dep/BUILD:1:6: ")
    # `list` names targets without following their dependencies, as `pants list` does.
    assert run(["list", "good:tgt"], root=root) == (0, "good:tgt\n", "")


def test_broken_package_below_a_recursive_spec_does_matter(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {"pants.toml": "", "a/BUILD": "target()\n", "a/deep/BUILD": BROKEN},
    )
    code, _, err = run(["list", "a::"], root=root)
    assert code == 1
    assert err.startswith("a/deep/BUILD:1:6: ")
    assert run(["list", "a:"], root=root) == (0, "a\n", "")


def test_output_is_sorted(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "BUILD": 'target(name = "zeta")\ntarget(name = "alpha")\n',
            "m/BUILD": 'target(name = "m2")\ntarget(name = "m1")\ntarget()\n',
        },
    )
    code, out, _ = run(["list", "::"], root=root)
    assert code == 0
    assert lines(out) == ["//:alpha", "//:zeta", "m", "m:m1", "m:m2"]
    assert lines(out) == sorted(lines(out))
