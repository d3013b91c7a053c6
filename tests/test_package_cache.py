"""The package cache (`.graphpub/packages/`): a package is taken from it only while everything
its result came from is as it was, each kind of input changed here in turn; a corrupt or
foreign file is ignored with one warning; concurrent runs never leave half a file;
`--no-cache` does without it."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import graphpub
from graphpub.buildgraph.package_cache import CACHE_DIRECTORY
from tests.conftest import Runner, lines, make_repo, peek

BAZEL_FILES = {
    "MODULE.bazel": "",
    "a/BUILD.bazel": 'py_library(name = "a", deps = ["//b"])\n',
    "b/BUILD.bazel": 'load("//tools:defs.bzl", "NAMES")\n[py_library(name = n) for n in NAMES]\n',
    "c/BUILD.bazel": 'filegroup(name = "c", srcs = glob(["*.txt"]))\n',
    "tools/BUILD.bazel": "",
    "tools/defs.bzl": 'load(":names.bzl", "BASE")\nNAMES = BASE + ["b2"]\n',
    "tools/names.bzl": 'BASE = ["b"]\n',
    "c/one.txt": "",
}


def aged(root: Path) -> Path:
    """Every file and directory below `root` last modified a minute ago: the cache then
    trusts their times (a change made in the same tick as the cache was written would not
    show in them, so it compares contents of recent ones)."""
    past = time.time() - 60
    for directory, _dirs, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(directory, name), (past, past))
        os.utime(directory, (past, past))
    return root


def listed(run: Runner, root: Path, *options: str) -> list[str]:
    code, out, err = run([*options, "list", "::"], root=root)
    assert code == 0, err
    return lines(out)


def rerun(run: Runner, root: Path, evaluated: list[str], *options: str) -> list[str]:
    """`list ::` again, and which packages it evaluated."""
    evaluated.clear()
    listed(run, root, *options)
    return sorted(evaluated)


def wait_for_writers(root: Path) -> None:
    """Until no detached process is writing the cache of `root` (none wrote it when the lock
    file is not there: a process with threads writes before it exits)."""
    import fcntl

    with (
        contextlib.suppress(FileNotFoundError),
        open(root / CACHE_DIRECTORY / ".writing", "rb") as lock,
    ):
        fcntl.flock(lock, fcntl.LOCK_SH)


def bazel_repo(tmp_path: Path) -> Path:
    return aged(make_repo(tmp_path, BAZEL_FILES))


def test_an_unchanged_tree_evaluates_nothing(
    tmp_path: Path, run: Runner, evaluated: list[str]
) -> None:
    root = bazel_repo(tmp_path)
    cold = listed(run, root)
    assert sorted(evaluated) == ["a", "b", "c", "tools"]
    evaluated.clear()
    assert listed(run, root) == cold
    assert evaluated == []
    assert (root / CACHE_DIRECTORY).is_dir()


def test_an_edited_build_file_is_the_only_package_evaluated_again(
    tmp_path: Path, run: Runner, evaluated: list[str]
) -> None:
    root = bazel_repo(tmp_path)
    listed(run, root)
    (root / "a/BUILD.bazel").write_text('py_library(name = "a")\npy_library(name = "a2")\n')
    assert rerun(run, root, evaluated) == ["a"]
    assert "//a:a2" in listed(run, root)


def test_packages_taken_from_the_cache_are_written_back_whole(
    tmp_path: Path, run: Runner, evaluated: list[str]
) -> None:
    """A warm run keeps the packages it took unpickled, not their pickled bytes too; when it
    writes the cache (one package changed), it pickles them again: the next run takes every
    package from the cache, with the same answer."""
    root = bazel_repo(tmp_path)
    cold = listed(run, root)
    wait_for_writers(root)
    (root / "c/two.txt").write_text("")
    aged(root)
    assert rerun(run, root, evaluated) == ["c"]
    wait_for_writers(root)
    assert rerun(run, root, evaluated) == []
    assert listed(run, root) == cold
    code, out, err = run(["peek", "//a:a", "//b:b2"], root=root)
    assert code == 0, err
    assert '"//b"' in out


def test_a_bzl_file_loaded_through_another_is_an_input(
    tmp_path: Path, run: Runner, evaluated: list[str]
) -> None:
    root = bazel_repo(tmp_path)
    assert "//b:b" in listed(run, root)
    (root / "tools/names.bzl").write_text('BASE = ["renamed"]\n')
    assert rerun(run, root, evaluated) == ["b"]
    found = listed(run, root)
    assert "//b:renamed" in found and "//b:b" not in found


def test_a_directory_a_glob_read_is_an_input(
    tmp_path: Path, run: Runner, evaluated: list[str]
) -> None:
    root = bazel_repo(tmp_path)
    [record] = peek(run, root, "//c")
    assert record["fields"]["srcs"] == ["one.txt"]
    (root / "c/two.txt").write_text("")
    evaluated.clear()
    [record] = peek(run, root, "//c")
    assert evaluated == ["c"]
    assert record["fields"]["srcs"] == ["one.txt", "two.txt"]


def test_a_new_package_is_found_below_an_unchanged_one(
    tmp_path: Path, run: Runner, evaluated: list[str]
) -> None:
    root = bazel_repo(tmp_path)
    listed(run, root)
    (root / "a/inner").mkdir()
    (root / "a/inner/BUILD.bazel").write_text('py_library(name = "inner")\n')
    assert rerun(run, root, evaluated) == ["a/inner"]
    assert "//a/inner:inner" in listed(run, root)


SELECT_FILES = {
    "MODULE.bazel": "",
    "p/BUILD.bazel": (
        'config_setting(name = "fast", define_values = {"mode": "fast"})\n'
        'py_library(name = "lib", tags = select({":fast": ["fast"], '
        '"//conditions:default": ["default"]}))\n'
    ),
    "q/BUILD.bazel": 'py_library(name = "q", tags = select({"//p:fast": ["fast"], '
    '"//conditions:default": ["default"]}))\n',
}


@pytest.mark.parametrize(
    "options",
    [("--define", "mode=fast"), ("--condition", "//p:fast")],
    ids=["define", "condition"],
)
def test_the_configuration_is_an_input(
    tmp_path: Path, run: Runner, evaluated: list[str], options: tuple[str, ...]
) -> None:
    root = aged(make_repo(tmp_path, SELECT_FILES))
    assert [r["fields"]["tags"] for r in peek(run, root, "//q")] == [["default"]]
    evaluated.clear()
    assert [r["fields"]["tags"] for r in peek(run, root, *options, "//q")] == [["fast"]]
    assert sorted(evaluated) == ["p", "q"]
    evaluated.clear()  # and back: the first configuration's entries are kept
    assert [r["fields"]["tags"] for r in peek(run, root, "//q")] == [["default"]]
    assert evaluated == []


def test_a_package_another_looked_into_is_an_input(
    tmp_path: Path, run: Runner, evaluated: list[str]
) -> None:
    root = aged(make_repo(tmp_path, SELECT_FILES))
    listed(run, root, "--define", "mode=fast")
    # //q's select() read //p's config_setting: a change to it changes //q.
    (root / "p/BUILD.bazel").write_text(
        SELECT_FILES["p/BUILD.bazel"].replace('"mode": "fast"', '"mode": "slow"')
    )
    evaluated.clear()
    assert [r["fields"]["tags"] for r in peek(run, root, "--define", "mode=fast", "//q")] == [
        ["default"]
    ]
    assert "q" in evaluated


def test_stamp_values_are_in_the_configuration(tmp_path: Path) -> None:
    from graphpub.buildgraph import load_config
    from graphpub.buildgraph.package_cache import configuration_key

    root = make_repo(tmp_path, {"MODULE.bazel": ""})
    config = load_config(root)
    stamped = dataclasses.replace(config, stamp={"BUILD_EMBED_LABEL": "1.0"})
    assert configuration_key(config) == configuration_key(load_config(root))
    assert configuration_key(config) != configuration_key(stamped)


def test_the_stamp_option_is_an_input(tmp_path: Path, run: Runner, evaluated: list[str]) -> None:
    root = bazel_repo(tmp_path)
    listed(run, root)
    assert sorted(set(rerun(run, root, evaluated, "--stamp", "BUILD_EMBED_LABEL=2"))) == [
        "a",
        "b",
        "c",
        "tools",
    ]


PANTS_FILES = {
    "pants.toml": '[GLOBAL]\nbuild_file_prelude_globs = ["macros.py"]\n',
    "macros.py": 'def lib(**kwargs):\n    python_sources(name = "macro", **kwargs)\n',
    "src/BUILD": "__defaults__({python_sources: dict(tags = ['parent'])})\n",
    "src/app/BUILD": (
        'note = env("APP_NOTE")\npython_sources(name = env("APP_NAME", "app"))\nlib()\n'
    ),
    "src/app/main.py": "",
}


def pants_repo(tmp_path: Path) -> Path:
    return aged(make_repo(tmp_path, PANTS_FILES))


def test_a_generators_files_are_an_input(tmp_path: Path, run: Runner, evaluated: list[str]) -> None:
    root = pants_repo(tmp_path)
    assert "src/app/extra.py" not in listed(run, root)
    (root / "src/app/extra.py").write_text("")
    assert rerun(run, root, evaluated) == ["src/app"]
    assert "src/app/extra.py" in listed(run, root)


def test_an_env_value_read_is_an_input(
    tmp_path: Path, run: Runner, evaluated: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = pants_repo(tmp_path)
    assert "src/app" in listed(run, root)  # the default name, the directory's
    monkeypatch.setenv("APP_NAME", "renamed")
    assert rerun(run, root, evaluated) == ["src/app"]
    found = listed(run, root)
    assert "src/app:renamed" in found and "src/app" not in found
    # A value read is kept as a digest: what the result holds of it, nothing more.
    monkeypatch.setenv("APP_NOTE", "a value no target holds")
    assert rerun(run, root, evaluated) == ["src/app"]
    for cache_file in (root / CACHE_DIRECTORY).iterdir():
        assert b"a value no target holds" not in cache_file.read_bytes()


def test_defaults_handed_down_are_an_input(
    tmp_path: Path, run: Runner, evaluated: list[str]
) -> None:
    root = pants_repo(tmp_path)
    [record] = peek(run, root, "src/app:app")
    assert record["fields"]["tags"] == ["parent"]
    (root / "src/BUILD").write_text("__defaults__({python_sources: dict(tags = ['changed'])})\n")
    evaluated.clear()
    [record] = peek(run, root, "src/app:app")
    assert record["fields"]["tags"] == ["changed"]
    assert sorted(evaluated) == ["src", "src/app"]


def test_a_prelude_file_is_an_input(tmp_path: Path, run: Runner, evaluated: list[str]) -> None:
    root = pants_repo(tmp_path)
    assert "src/app:macro" in listed(run, root)
    (root / "macros.py").write_text(
        'def lib(**kwargs):\n    python_sources(name = "other", **kwargs)\n'
    )
    assert "src/app" in rerun(run, root, evaluated)
    found = listed(run, root)
    assert "src/app:other" in found and "src/app:macro" not in found


def test_graphpubs_version_is_an_input(
    tmp_path: Path, run: Runner, evaluated: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = bazel_repo(tmp_path)
    listed(run, root)
    monkeypatch.setattr(graphpub, "__version__", "999.0")
    assert rerun(run, root, evaluated) == ["a", "b", "c", "tools"]


@pytest.mark.parametrize(
    "command",
    [
        ["list", "::"],
        ["list", "--format", "json", "::"],
        ["list", "--filter-target-type", "py_library", "::"],
        ["list", "--filter-address-regex", "b2$", "::", "-c::"],
        ["list", "a:", "b::"],
    ],
    ids=["all", "json", "type-filter", "regex-exclude", "directories"],
)
def test_a_warm_list_answers_from_the_targets_index_without_unpickling(
    tmp_path: Path, run: Runner, evaluated: list[str], unpickled: list[str], command: list[str]
) -> None:
    """`list` needs the targets' addresses and kinds, which the cache keeps beside each
    pickled package: a warm one unpickles none, and answers as a run without the cache."""
    root = bazel_repo(tmp_path)
    uncached = run(["--no-cache", *command], root=root)
    assert uncached[0] == 0, uncached[2]
    listed(run, root)
    wait_for_writers(root)
    evaluated.clear()
    unpickled.clear()
    assert run(command, root=root) == uncached
    assert evaluated == [] and unpickled == []


LISTED_PANTS_FILES = {
    "pants.toml": "",
    "src/app/BUILD": 'python_sources(name = "lib", sources = ["*.py", "sub/*.py"])\n'
    'resources(name = "data", sources = ["sub/deep/*.txt"])\n',
    "src/app/main.py": "",
    "src/app/sub/helper.py": "",
    "src/app/sub/deep/table.txt": "",
    "src/app/sub/deep/BUILD": 'files(name = "deep", sources = ["*.txt"])\n',
    "src/other/BUILD": 'python_sources(dependencies = ["src/app/main.py"])\n',
    "src/other/x.py": "",
}


APP = ["src/app/main.py:lib", "src/app:data", "src/app:lib"]
SUB = ["src/app/sub/helper.py:lib"]
DEEP = ["src/app/sub/deep", "src/app/sub/deep/table.txt"]
OTHER = ["src/other", "src/other/x.py"]


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["list", "::"], APP + SUB + DEEP + OTHER),
        # A target generated for a file lives in that file's directory, as in Pants.
        (["list", "src/app/sub:"], SUB),
        (["list", "src/app/sub::"], SUB + DEEP),
        (["list", "src::", "-src/app/sub/deep:"], APP + SUB + OTHER),
        (["list", "src/app:", "src/other:"], APP + OTHER),
    ],
    ids=["all", "residence", "recursive-below", "exclude", "two-directories"],
)
@pytest.mark.parametrize("edited", [False, True], ids=["unchanged", "one-package-evaluated"])
@pytest.mark.parametrize("form", ["text", "json"])
def test_a_warm_pants_list_selects_from_the_index_as_from_the_targets(
    tmp_path: Path,
    run: Runner,
    evaluated: list[str],
    unpickled: list[str],
    command: list[str],
    expected: list[str],
    edited: bool,
    form: str,
) -> None:
    """Directories' specs are answered from the rows the index keeps (each target's address
    rendered, its kind), a package evaluated in this run mixed with those the cache holds;
    each selects what Pants does, as a run without the cache."""
    root = aged(make_repo(tmp_path, LISTED_PANTS_FILES))
    listed(run, root)
    wait_for_writers(root)
    if edited:  # (evaluated again if the specs need it)
        (root / "src/other/BUILD").write_text('python_sources(name = "renamed")\n')
        expected = [f"{a}:renamed" if a in OTHER else a for a in expected]
    command = [command[0], *(["--format", "json"] if form == "json" else []), *command[1:]]
    uncached = run(["--no-cache", *command], root=root)
    assert uncached[0] == 0, uncached[2]
    evaluated.clear()
    unpickled.clear()
    warm = run(command, root=root)
    assert warm == uncached
    if form == "json":
        records = json.loads(warm[1])
        assert [r["address"] for r in records] == sorted(expected)
        assert {r["kind"] for r in records} <= {
            "python_source",
            "python_sources",
            "resources",
            "file",
            "files",
        }
    else:
        assert lines(warm[1]) == sorted(expected)
    needs_other = any(a.startswith("src/other") for a in expected)
    assert evaluated == (["src/other"] if edited and needs_other else [])
    assert unpickled == []


def test_a_warm_list_of_a_file_unpickles_only_the_packages_that_may_own_it(
    tmp_path: Path, run: Runner, evaluated: list[str], unpickled: list[str]
) -> None:
    root = bazel_repo(tmp_path)
    uncached = run(["--no-cache", "list", "c/one.txt"], root=root)
    assert uncached[0] == 0 and lines(uncached[1]) == ["//c:c"], uncached[2]
    listed(run, root)
    wait_for_writers(root)
    evaluated.clear()
    unpickled.clear()
    assert run(["list", "c/one.txt"], root=root) == uncached
    assert evaluated == [] and unpickled == ["c"]


def test_warnings_of_a_cached_package_are_given_again(
    tmp_path: Path, run: Runner, evaluated: list[str]
) -> None:
    files = {"MODULE.bazel": "", "a/BUILD.bazel": "mystery_rule(name = 'x')\n"}
    root = aged(make_repo(tmp_path, files))
    first = run(["list", "::"], root=root)
    evaluated.clear()
    second = run(["list", "::"], root=root)
    assert evaluated == []
    assert "mystery_rule" in first[2]
    assert second == first


def cache_files(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIRECTORY).glob("*.pickle"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data[:-10] + b"\0" * 10,  # bytes changed
        lambda data: b"not a cache at all",
    ],
    ids=["truncated", "altered", "foreign"],
)
def test_a_corrupt_or_foreign_cache_is_ignored_with_one_warning(
    tmp_path: Path, run: Runner, evaluated: list[str], damage
) -> None:  # type: ignore[no-untyped-def]
    root = bazel_repo(tmp_path)
    expected = listed(run, root)
    [cache_file] = cache_files(root)
    cache_file.write_bytes(damage(cache_file.read_bytes()))
    evaluated.clear()
    code, out, err = run(["list", "::"], root=root)
    assert (code, lines(out)) == (0, expected)
    assert sorted(evaluated) == ["a", "b", "c", "tools"]
    [warning] = lines(err)
    assert "package cache" in warning and "ignored" in warning
    # Rebuilt: the next run takes everything from it, silently.
    evaluated.clear()
    assert run(["list", "::"], root=root) == (0, out, "")
    assert evaluated == []


def test_a_cache_written_with_another_users_key_is_foreign(
    tmp_path: Path, run: Runner, evaluated: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache file is unpickled: one that came with the repository (or anyone else's) is
    never trusted."""
    root = bazel_repo(tmp_path)
    listed(run, root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
    evaluated.clear()
    code, _out, err = run(["list", "::"], root=root)
    assert code == 0
    assert "was not written by graphpub for this user" in err
    assert len(evaluated) == 4


def test_no_cache_neither_reads_nor_writes_it(
    tmp_path: Path, run: Runner, evaluated: list[str]
) -> None:
    root = bazel_repo(tmp_path)
    listed(run, root, "--no-cache")
    assert not (root / CACHE_DIRECTORY).exists()
    listed(run, root)
    assert rerun(run, root, evaluated, "--no-cache") == ["a", "b", "c", "tools"]


def test_packages_evaluated_by_worker_processes_are_kept(
    tmp_path: Path, run: Runner, evaluated: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from graphpub.buildgraph import parallel

    monkeypatch.setattr(parallel, "MIN_PACKAGES_PER_WORKER", 1)
    files = {"MODULE.bazel": ""}
    files.update({f"p{i}/BUILD.bazel": f'py_library(name = "t{i}")\n' for i in range(12)})
    root = aged(make_repo(tmp_path, files))
    cold = listed(run, root, "-j", "2")
    evaluated.clear()
    assert listed(run, root, "-j", "2") == cold
    assert evaluated == []


def test_concurrent_runs_leave_a_whole_cache(tmp_path: Path, evaluated: list[str]) -> None:
    """Runs at once each write the file whole, renamed into place: whichever is last, the
    next run reads all of it, without a warning."""
    files = {"MODULE.bazel": ""}
    files.update({f"p{i}/BUILD.bazel": f'py_library(name = "t{i}")\n' for i in range(40)})
    root = aged(make_repo(tmp_path, files))
    env = {k: v for k, v in os.environ.items() if k != "GRAPHPUB_NO_CACHE"}
    command = [sys.executable, "-m", "graphpub", "-C", str(root), "-j", "1", "list", "::"]
    for _ in range(3):
        runs = [
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(3)
        ]
        for process in runs:
            _out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            assert err == b"", err
        # A run touches what it finds changed (the tree, not the cache): make them differ.
        (root / "p0/BUILD.bazel").write_text(f'py_library(name = "t0_{_}")\n')
    # Their files are written by detached processes: once none holds the lock, no temporary
    # file is left, only whole files (and the lock).
    wait_for_writers(root)
    leftovers = [p.name for p in (root / CACHE_DIRECTORY).iterdir() if p.suffix != ".pickle"]
    assert leftovers == [".writing"]
    final = subprocess.run(command, env=env, capture_output=True, timeout=120, check=True)
    assert final.stderr == b""
    assert len(lines(final.stdout.decode())) == 40


def test_a_run_waits_for_the_file_a_detached_writer_is_writing(
    tmp_path: Path, run: Runner, evaluated: list[str]
) -> None:
    """The cache is written by a detached process after the command's answer; a run that
    starts while it writes waits for its file (rather than evaluate everything again)."""
    import fcntl
    import threading

    root = bazel_repo(tmp_path)
    first = listed(run, root)
    wait_for_writers(root)
    evaluated.clear()
    answers: list[list[str]] = []
    with open(root / CACHE_DIRECTORY / ".writing", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a writer still at work holds it
        reader = threading.Thread(target=lambda: answers.append(listed(run, root)))
        reader.start()
        reader.join(timeout=1.0)
        assert reader.is_alive()  # waiting for the writer
    reader.join(timeout=60)
    assert answers == [first] and "//b:b2" in first
    assert evaluated == []  # all of it from the file the writer finished


@pytest.mark.parametrize("planted", ["fifo", "symlink"])
def test_a_writer_lock_that_is_not_a_file_is_not_used(
    tmp_path: Path, run: Runner, evaluated: list[str], planted: str
) -> None:
    """A FIFO or a symlink planted as `.graphpub/packages/.writing` is neither opened to wait
    on (a FIFO would block) nor followed: the run goes on and writes its cache before exiting."""
    root = bazel_repo(tmp_path)
    lock = root / CACHE_DIRECTORY / ".writing"
    lock.parent.mkdir(parents=True)
    outside = tmp_path / "outside"
    if planted == "fifo":
        os.mkfifo(lock)
    else:
        outside.write_text("untouched\n")
        lock.symlink_to(outside)
    command = [sys.executable, "-m", "graphpub", "-C", str(root), "list", "::"]
    env = {k: v for k, v in os.environ.items() if k != "GRAPHPUB_NO_CACHE"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")
    for _ in range(2):
        done = subprocess.run(command, env=env, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
    assert list((root / CACHE_DIRECTORY).glob("*.pickle"))  # written, in the foreground
    assert planted == "fifo" or outside.read_text() == "untouched\n"
