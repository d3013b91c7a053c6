"""`glob()` in build files: matching, ordering, subpackages, the build root, symlinks."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from graphpub.buildgraph import load_config
from graphpub.buildgraph.files import FileTree
from tests.conftest import Runner, make_repo

FILES = {
    "MODULE.bazel": "",
    "pkg/b.py": "",
    "pkg/a.py": "",
    "pkg/c.txt": "",
    "pkg/.hidden.py": "",
    "pkg/sub/d.py": "",
    "pkg/sub/e_test.py": "",
    "pkg/sub/deeper/f.py": "",
    "pkg/sub/deeper/g.txt": "",
    "pkg/other/BUILD": 'filegroup(name = "other")\n',
    "pkg/other/h.py": "",
    "pkg/other/inner/i.py": "",
}


def peek_one(run: Runner, root: Path, spec: str) -> dict[str, Any]:
    code, out, err = run(["peek", spec], root=root)
    assert code == 0, err
    records = json.loads(out)
    assert len(records) == 1
    record: dict[str, Any] = records[0]
    return record


def glob_in(run: Runner, tmp_path: Path, expression: str, files: dict[str, str] = FILES) -> Any:
    """The value of `expression` evaluated in pkg/BUILD.bazel."""
    build = f"filegroup(\n    name = 'g',\n    tags = {expression},\n)\n"
    root = make_repo(tmp_path, {**files, "pkg/BUILD.bazel": build})
    return peek_one(run, root, "//pkg:g")["fields"]["tags"]


def test_star_matches_one_segment_sorted(tmp_path: Path, run: Runner) -> None:
    assert glob_in(run, tmp_path, 'glob(["*.py"])') == [".hidden.py", "a.py", "b.py"]


def test_several_patterns_merge_sorted_without_duplicates(tmp_path: Path, run: Runner) -> None:
    result = glob_in(run, tmp_path, 'glob(["c.txt", "*.py", "a.*", "sub/*.py"])')
    assert result == [".hidden.py", "a.py", "b.py", "c.txt", "sub/d.py", "sub/e_test.py"]


def test_double_star_matches_any_depth_but_not_subpackages(tmp_path: Path, run: Runner) -> None:
    result = glob_in(run, tmp_path, 'glob(["**/*.py"])')
    assert result == [
        ".hidden.py",
        "a.py",
        "b.py",
        "sub/d.py",
        "sub/deeper/f.py",
        "sub/e_test.py",
    ]


def test_double_star_in_the_middle(tmp_path: Path, run: Runner) -> None:
    result = glob_in(run, tmp_path, 'glob(["sub/**/*.txt"])')
    assert result == ["sub/deeper/g.txt"]


def test_double_star_alone_matches_every_file(tmp_path: Path, run: Runner) -> None:
    result = glob_in(run, tmp_path, 'glob(["**"], exclude = ["BUILD.bazel"])')
    assert result == [
        ".hidden.py",
        "a.py",
        "b.py",
        "c.txt",
        "sub/d.py",
        "sub/deeper/f.py",
        "sub/deeper/g.txt",
        "sub/e_test.py",
    ]


def test_exclude(tmp_path: Path, run: Runner) -> None:
    result = glob_in(run, tmp_path, 'glob(["**/*.py"], exclude = ["**/*_test.py", ".*"])')
    assert result == ["a.py", "b.py", "sub/d.py", "sub/deeper/f.py"]


def test_question_mark_and_brackets(tmp_path: Path, run: Runner) -> None:
    assert glob_in(run, tmp_path, 'glob(["?.py"])') == ["a.py", "b.py"]
    assert glob_in(run, tmp_path, 'glob(["[ac].*"])') == ["a.py", "c.txt"]


def test_directories_excluded_by_default(tmp_path: Path, run: Runner) -> None:
    assert glob_in(run, tmp_path, 'glob(["s*"])') == []


def test_exclude_directories_zero_includes_directories(tmp_path: Path, run: Runner) -> None:
    assert glob_in(run, tmp_path, 'glob(["s*", "*.txt"], exclude_directories = 0)') == [
        "c.txt",
        "sub",
    ]


def test_no_match_is_empty_by_default(tmp_path: Path, run: Runner) -> None:
    assert glob_in(run, tmp_path, 'glob(["*.rs"])') == []


def test_allow_empty_false(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            **FILES,
            "pkg/BUILD.bazel": (
                'filegroup(\n    name = "g",\n    srcs = glob(["*.rs"], allow_empty = False),\n)\n'
            ),
        },
    )
    code, out, err = run(["list", "::"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith("pkg/BUILD.bazel:3:12: ")
    assert "matched no files" in err
    assert "hint:" in err


def test_glob_never_enters_a_subpackage(tmp_path: Path, run: Runner) -> None:
    assert glob_in(run, tmp_path, 'glob(["other/**"])') == []
    assert glob_in(run, tmp_path, 'glob(["other/*.py"])') == []


def test_glob_in_a_pants_sources_field_never_enters_a_subpackage(
    tmp_path: Path, run: Runner
) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "app/BUILD": 'python_sources(sources = ["**/*.py", "!**/*_test.py"])\n',
            "app/main.py": "",
            "app/main_test.py": "",
            "app/util/helpers.py": "",
            "app/plugin/BUILD": "python_sources()\n",
            "app/plugin/p.py": "",
        },
    )
    assert peek_one(run, root, "app")["sources"] == ["app/main.py", "app/util/helpers.py"]


def test_double_star_must_be_a_whole_segment(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path, {**FILES, "pkg/BUILD.bazel": 'filegroup(name = "g", srcs = glob(["a**.py"]))\n'}
    )
    code, out, err = run(["list", "//pkg:g"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith("pkg/BUILD.bazel:1:30: ")
    assert "'**' must be a whole path segment" in err
    assert "Traceback" not in err


def test_glob_cannot_leave_the_package(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path, {**FILES, "pkg/BUILD.bazel": 'filegroup(name = "g", srcs = glob(["../*.py"]))\n'}
    )
    code, out, err = run(["list", "//pkg:g"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith("pkg/BUILD.bazel:1:30: ")
    assert "'..'" in err


def test_glob_cannot_be_absolute(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path, {**FILES, "pkg/BUILD.bazel": 'filegroup(name = "g", srcs = glob(["/etc/*"]))\n'}
    )
    code, out, err = run(["list", "//pkg:g"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith("pkg/BUILD.bazel:1:30: ")
    assert "absolute" in err


def test_glob_of_a_string_is_an_error(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path, {**FILES, "pkg/BUILD.bazel": 'filegroup(name = "g", srcs = glob("*.py"))\n'}
    )
    code, _, err = run(["list", "//pkg:g"], root=root)
    assert code == 1
    assert err.startswith("pkg/BUILD.bazel:1:30: ")
    assert "must be a list of strings" in err
    assert 'hint: write glob(["*.py"])' in err


def test_glob_outside_a_build_file_evaluation_is_native(tmp_path: Path, run: Runner) -> None:
    files = {
        **FILES,
        "defs.bzl": "def py_files():\n    return native.glob(['*.py'])\n",
        "BUILD.bazel": "",
        "pkg/BUILD.bazel": (
            'load("//:defs.bzl", "py_files")\nfilegroup(name = "g", tags = py_files())\n'
        ),
    }
    root = make_repo(tmp_path, files)
    assert peek_one(run, root, "//pkg:g")["fields"]["tags"] == [".hidden.py", "a.py", "b.py"]


def test_symlink_loop_terminates_with_correct_results(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "pkg/BUILD.bazel": 'filegroup(\n    name = "g",\n    srcs = glob(["**/*.py"]),\n)\n',
            "pkg/a.py": "",
            "pkg/sub/b.py": "",
        },
    )
    os.symlink("..", root / "pkg" / "sub" / "up")  # pkg/sub/up -> pkg
    os.symlink(".", root / "pkg" / "sub" / "self")  # pkg/sub/self -> pkg/sub
    os.symlink(str(root), root / "pkg" / "root")  # absolute, to the build root
    record = peek_one(run, root, "//pkg:g")
    assert record["fields"]["srcs"] == ["a.py", "sub/b.py"]
    assert record["sources"] == ["pkg/a.py", "pkg/sub/b.py"]


def test_symlink_loop_in_the_walk_for_packages(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "a/BUILD": 'filegroup(name = "a")\n',
            "a/b/BUILD": 'filegroup(name = "b")\n',
        },
    )
    os.symlink("../..", root / "a" / "b" / "loop")  # a/b/loop -> the build root
    code, out, err = run(["list", "//..."], root=root)
    assert (code, err) == (0, "")
    assert out == "//a/b:b\n//a:a\n"  # sorted as strings


def test_symlink_leaving_the_root_is_not_followed(tmp_path: Path, run: Runner) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.py").write_text("")
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "pkg/BUILD.bazel": 'filegroup(name = "g", srcs = glob(["**/*.py"]))\n',
            "pkg/a.py": "",
        },
    )
    os.symlink(str(outside), root / "pkg" / "ext")
    assert peek_one(run, root, "//pkg:g")["fields"]["srcs"] == ["a.py"]


def test_an_exclude_naming_a_directory_excludes_what_is_below_it(
    tmp_path: Path, run: Runner
) -> None:
    """`!tests/` in Pants' `sources` (and `tests/` in a glob's exclude) is gitignore's: the
    directory and everything in it."""
    expression = 'glob(["**/*.py"], exclude = ["sub/"])'
    assert glob_in(run, tmp_path, expression) == [".hidden.py", "a.py", "b.py"]
    root = make_repo(
        tmp_path / "pants",
        {
            "pants.toml": "",
            "p/BUILD": 'python_sources(sources=["**/*.py", "!tests/"])\n',
            "p/a.py": "",
            "p/tests/t.py": "",
            "p/tests/deeper/u.py": "",
        },
    )
    code, out, err = run(["list", "p:"], root=root)
    assert (code, out) == (0, "p\np/a.py\n"), err


def test_globs_across_packages_take_plain_names_inside_packages(tmp_path: Path) -> None:
    # Pants' prelude globs (`pants-plugins/macros.py`) name files of any package.
    config = load_config(make_repo(tmp_path, FILES))
    tree = FileTree(config)
    for pattern in ("pkg/other/h.py", "pkg/other/*.py"):
        assert tree.glob("", [pattern], [], cross_packages=True) == ["pkg/other/h.py"]
        assert tree.glob("", [pattern], []) == []


def test_a_large_tree_walked_in_two_processes_is_walked_as_in_one(
    tmp_path: Path, monkeypatch: Any
) -> None:
    # Enough subtrees for a walk to share its listing with a forked helper (`_list_in_two`),
    # with what a walk skips or follows in them: ignored directories, a virtualenv, the root
    # of another build, a symlink to a directory inside the root and one leaving it.
    files = {"pants.toml": "", "BUILD": "python_sources()\n"}
    for group in range(12):
        for package in range(8):
            base = f"pkgs/g{group}/p{package}"
            files[f"{base}/BUILD"] = "python_sources()\n"
            files[f"{base}/lib/__init__.py"] = ""
            files[f"{base}/lib/deeper/more/m.py"] = ""
    files["pkgs/g3/p1/.hidden/BUILD"] = "python_sources()\n"
    files["pkgs/g4/p2/venv/pyvenv.cfg"] = ""
    files["pkgs/g4/p2/venv/lib/BUILD"] = "python_sources()\n"
    files["pkgs/g5/p3/other/pants.toml"] = ""
    files["pkgs/g5/p3/other/BUILD"] = "python_sources()\n"
    root = make_repo(tmp_path, files)
    (root / "pkgs/g6/p4/linked").symlink_to(root / "pkgs/g7/p5/lib")
    (root / "pkgs/g6/p5/outside").symlink_to(tmp_path)
    config = load_config(root)
    adopted: list[int] = []
    adopt = FileTree._adopt_listings

    def counting(tree: FileTree, listed: Any, links: Any, anew: bool) -> None:
        adopted.append(len(listed))
        adopt(tree, listed, links, anew)

    monkeypatch.setattr(FileTree, "_adopt_listings", counting)
    # (A thread another test left running makes a walk list alone: forking is only safe
    # with one. The helper takes no lock of theirs.)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    trees = {}
    for jobs in (1, 2):
        tree = trees[jobs] = FileTree(config, jobs=jobs)
        tree.stamps = {}
        assert len(tree.packages_under("")) == 1 + 12 * 8
    assert len(adopted) == 1 and adopted[0] > 12 * 8  # the helper listed its share
    one, two = trees[1], trees[2]
    assert two.walk("") == one.walk("")
    assert two._listings == one._listings
    assert two.stamps == one.stamps
    assert two._with_links == one._with_links
    assert two.listed_now and one.listed_now
