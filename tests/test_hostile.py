"""Hostile build files: evaluation stays inside the build root and within its budgets.

Build files are edited by anyone and evaluated in CI: no file, environment or network access
except through graphpub's builtins; `load()`, `glob()` and the files rules read never leave the
root (`..`, absolute paths, symlinks); loops, huge values, deep nesting, huge or non-UTF-8
files end with a `path:LINE:COL: message` (or `path: message`) error and exit code 1, in
bounded time and memory. The limits are small here (graphpub.toml) to keep the tests fast;
commands that could exhaust the machine run as subprocesses under an address-space limit.
"""

from __future__ import annotations

import mmap
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from graphpub.buildgraph import load_config, parallel
from graphpub.buildgraph.budget import PROGRESS_SIZE
from graphpub.buildgraph.evaluator import Evaluator
from graphpub.buildgraph.files import FileTree
from graphpub.errors import BuildFileError
from graphpub.rules import default_rules
from tests.conftest import Runner, failure, lines, make_repo, peek, spawner

LIMITS = "evaluation_timeout = 0.5\nmax_evaluation_memory_mib = 64\n"
# Where memory is the limit to reach, however slow a busy machine is.
MEMORY_LIMITS = "evaluation_timeout = 10\nmax_evaluation_memory_mib = 64\n"
# Whatever graphpub does, a test's process may not take more address space than this...
ADDRESS_SPACE_LIMIT = 3 << 30
# ...nor more resident memory, nor more time (seconds), than these.
PEAK_RSS_LIMIT_MIB = 1024
TIME_LIMIT = 10.0
# A command that never ends is killed after this long (and the test fails).
KILL_AFTER = 60.0

NESTED_LOOP = "for a in range(100000):\n    for b in range(100000):\n        pass\n"
# A list nested 2000 deep overflows starlark's stack when json.encode passes it to a rule...
DEEP_VALUE = "x = []\nfor i in range(2000):\n    x = [x]\n"
DEEP_RULE_ARGUMENT = DEEP_VALUE + 'filegroup(name = "g", srcs = x)\n'
# ...300000 deep, when str() prints it or a .bzl file's module is frozen.
DEEPER_VALUE = "x = []\nfor i in range(300000):\n    x = [x]\n"


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    seconds: float
    peak_rss_mib: float

    def error_line(self, prefix: str) -> str:
        """The one stderr line starting with `prefix` (Rust's own panic message may precede)."""
        found = [line for line in self.err.splitlines() if line.startswith(prefix)]
        assert len(found) == 1, self.err
        return found[0]


def graphpub(root: Path, *args: str, entry: tuple[str, ...] = ("-m", "graphpub")) -> Outcome:
    """Run graphpub in a subprocess under ADDRESS_SPACE_LIMIT; its time and peak memory
    (measured from a process started with the session: tests/spawner.py)."""
    environment = {k: v for k, v in os.environ.items() if k != "RUST_BACKTRACE"}
    started = spawner()
    assert started is not None, "these tests run on Linux"
    result = started.run(
        argv=[sys.executable, *entry, "-C", str(root), *args],
        env=environment,
        address_space=ADDRESS_SPACE_LIMIT,
        kill_after=KILL_AFTER,
    )
    outcome = Outcome(
        result["code"],
        result["stdout"],
        result["stderr"],
        result["seconds"],
        result["peak_rss_mib"],
    )
    assert outcome.seconds < TIME_LIMIT, outcome
    assert outcome.peak_rss_mib < PEAK_RSS_LIMIT_MIB, outcome
    return outcome


def fails_cleanly(outcome: Outcome) -> str:
    """stderr of a command that failed as graphpub fails on bad input: exit 1, no output, no
    Python traceback, no internal error."""
    assert (outcome.code, outcome.out) == (1, ""), outcome
    assert "Traceback" not in outcome.err, outcome.err
    assert "internal error" not in outcome.err, outcome.err
    return outcome.err


def bazel_repo(tmp_path: Path, files: dict[str, str | bytes], config: str = LIMITS) -> Path:
    return make_repo(tmp_path, {"MODULE.bazel": "", "graphpub.toml": config, **files})


# ---------------------------------------------------------------- load() stays in the root


@pytest.mark.parametrize(
    ("label", "column"),
    [
        ("//../outside.bzl", 6),
        ("//..:outside.bzl", 6),
        ("@//../outside.bzl", 6),
        ("//pkg/../../outside.bzl", 6),
        ("../outside.bzl", 6),
        ("/etc/passwd.bzl", 6),
        ("//:/etc/passwd.bzl", 6),
        ("/etc/passwd", 6),
    ],
)
def test_load_outside_the_root_is_refused(
    tmp_path: Path, run: Runner, label: str, column: int
) -> None:
    (tmp_path / "outside.bzl").write_text('fail("outside.bzl was evaluated")\n')
    root = bazel_repo(tmp_path, {"BUILD.bazel": f'load("{label}", "x")\n'})
    err = failure(run, root)
    assert err.startswith(f"BUILD.bazel:1:{column}: "), err
    assert "outside the build root" in err.splitlines()[0], err
    assert "was evaluated" not in err


def test_load_through_a_symlinked_directory_leaving_the_root(tmp_path: Path, run: Runner) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "defs.bzl").write_text('fail("outside defs.bzl was evaluated")\n')
    root = bazel_repo(tmp_path, {"BUILD.bazel": 'load("//tools:defs.bzl", "x")\n'})
    os.symlink(outside, root / "tools")
    err = failure(run, root)
    assert err.startswith("BUILD.bazel:1:6: load() of tools/defs.bzl leaves the build root"), err


def test_external_loads_and_cells_cannot_point_outside(tmp_path: Path, run: Runner) -> None:
    (tmp_path / "outside.bzl").write_text('fail("outside.bzl was evaluated")\n')
    root = bazel_repo(
        tmp_path,
        {"BUILD.bazel": 'load("@ext//:outside.bzl", "x")\n'},
        config=f'external_loads = {{ "@ext" = "{tmp_path}" }}\n',
    )
    err = failure(run, root)
    assert err.startswith("BUILD.bazel:1:6: load() of "), err
    assert "leaves the build root" in err.splitlines()[0], err

    (tmp_path / "buck").mkdir()
    buck = make_repo(
        tmp_path / "buck",
        {
            ".buckconfig": "[cells]\nroot = .\nevil = /etc\n",
            "BUCK": 'load("evil//:passwd.bzl", "x")\n',
        },
    )
    err = failure(run, buck)
    assert err.startswith("BUCK:1:6: "), err
    assert "outside the build root" in err.splitlines()[0], err


@pytest.mark.parametrize("label", ["//:a\\x00b.bzl", "//:" + "a" * 5000 + ".bzl"])
def test_load_of_an_impossible_file_name_is_an_error(
    tmp_path: Path, run: Runner, label: str
) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": f'load("{label}", "x")\n'})
    assert "cannot load" in failure(run, root).splitlines()[0]


# ---------------------------------------------------------------- glob() stays in the package


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("../**", "may not contain '.' or '..' segments"),
        ("../*.bzl", "may not contain '.' or '..' segments"),
        ("a/../../*", "may not contain '.' or '..' segments"),
        ("/etc/*", "is absolute; patterns are package-relative"),
        ("/**", "is absolute; patterns are package-relative"),
        ("a\\x00b", "holds a NUL character"),
        ("[z-a]*", "is malformed"),
    ],
)
def test_glob_patterns_leaving_the_package_are_refused(
    tmp_path: Path, run: Runner, pattern: str, message: str
) -> None:
    build = f'filegroup(\n    name = "g",\n    srcs = glob(["{pattern}"]),\n)\n'
    root = bazel_repo(tmp_path, {"pkg/BUILD.bazel": build, "pkg/a.py": ""})
    err = failure(run, root)
    assert err.startswith("pkg/BUILD.bazel:3:12: glob(): glob pattern "), err
    assert message in err.splitlines()[0], err


def test_glob_does_not_list_files_behind_a_symlink_leaving_the_root(
    tmp_path: Path, run: Runner
) -> None:
    outside = tmp_path / "outside"
    (outside / "deeper").mkdir(parents=True)
    (outside / "secret.py").write_text("")
    (outside / "deeper" / "key.py").write_text("")
    build = 'filegroup(name = "g", srcs = glob(["**"]))\n'
    root = bazel_repo(tmp_path, {"pkg/BUILD.bazel": build, "pkg/mine.py": ""})
    os.symlink(outside, root / "pkg" / "link")  # a directory
    os.symlink(outside / "secret.py", root / "pkg" / "secret.py")  # a file
    (record,) = peek(run, root, "//pkg:g")
    assert record["fields"]["srcs"] == ["BUILD.bazel", "mine.py"]


def test_glob_terminates_on_symlink_loops(tmp_path: Path, run: Runner) -> None:
    build = 'filegroup(name = "g", srcs = glob(["**/*.py"]))\n'
    root = bazel_repo(tmp_path, {"pkg/BUILD.bazel": build, "pkg/a/b/c.py": "", "pkg/x/y.py": ""})
    os.symlink(".", root / "pkg" / "self")  # pkg/self -> pkg
    os.symlink("..", root / "pkg" / "a" / "b" / "up")  # pkg/a/b/up -> pkg/a
    os.symlink("../x", root / "pkg" / "a" / "to_x")  # pkg/a/to_x -> pkg/x ...
    os.symlink("../a", root / "pkg" / "x" / "to_a")  # ... and pkg/x/to_a -> pkg/a
    start = time.monotonic()
    (record,) = peek(run, root, "//pkg:g")
    assert time.monotonic() - start < TIME_LIMIT
    srcs = record["fields"]["srcs"]
    assert {"a/b/c.py", "x/y.py"} <= set(srcs)
    assert all(path.count("/") < 10 for path in srcs), srcs


def test_glob_patterns_cannot_backtrack_for_ever(tmp_path: Path, run: Runner) -> None:
    # Compiled naively, `*a*a*...*b` against a long name of `a`s backtracks for centuries.
    pattern = "*a" * 16 + "*b"
    build = f'filegroup(name = "g", srcs = glob(["{pattern}", "**/{pattern}/**"]))\n'
    root = bazel_repo(tmp_path, {"pkg/BUILD.bazel": build, "pkg/" + "a" * 250: ""})
    start = time.monotonic()
    (record,) = peek(run, root, "//pkg:g")
    assert time.monotonic() - start < TIME_LIMIT
    assert record["fields"]["srcs"] == []


def test_a_glob_that_takes_too_long_is_stopped(tmp_path: Path) -> None:
    # Each pattern compiles to its own regex: a few hundred thousand outlast the time budget.
    build = 'filegroup(name = "g", srcs = glob(["x%d*" % i for i in range(1000000)]))\n'
    config = "evaluation_timeout = 0.5\nmax_evaluation_memory_mib = 1024\n"
    outcome = graphpub(bazel_repo(tmp_path, {"BUILD.bazel": build}, config), "list", "::")
    err = fails_cleanly(outcome)
    assert err.startswith("BUILD.bazel:1:30: evaluating BUILD.bazel took longer than "), err
    assert "evaluation_timeout (0.5 s)" in err.splitlines()[0]


def test_files_rules_read_cannot_be_symlinks_leaving_the_root(tmp_path: Path, run: Runner) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("ssh-rsa AAAAB3NzaC1yc2E very-secret\n")
    root = make_repo(
        tmp_path,
        {"pants.toml": "", "3rdparty/BUILD": 'python_requirements(source = "reqs.txt")\n'},
    )
    os.symlink(secret, root / "3rdparty" / "reqs.txt")
    err = failure(run, root)
    assert err.startswith(
        "3rdparty/BUILD:1:30: cannot read 3rdparty/reqs.txt: it leaves the build root"
    )
    assert "secret" not in err


# ---------------------------------------------------------------- builtins


# Every builtin that calls into Python (graphpub): the only ways out of Starlark. Those reading
# anything outside the build files: glob (the package's files), read_config (.buckconfig),
# env (one environment variable); python_requirements & co. read their `source` file inside
# the root. (The rest of the prelude, host_info and python_compat's helpers among it, is
# Starlark.)
PYTHON_CALLBACKS = {
    "_defaults",  # Pants' __defaults__
    "_imitated",  # a stand-in was called: marks the package, reads nothing
    "_opaque",  # a stand-in called with a name: an opaque target
    "_print",
    "_rule",
    "build_file_dir",
    "env",
    "existing_rule",
    "existing_rules",
    "exports_files",
    "get_cell_name",  # Buck2: the name [cells] gives the package's cell; reads nothing
    "glob",
    "licenses",
    "oncall",
    "package",
    "package_name",
    "parametrize",
    "python_artifact",
    # Python's open() in Pants files: reads a regular file below the root only (confined), as
    # UTF-8 text, at most max_build_file_bytes; refused in Bazel and Buck2 files
    "python_read_file__",
    "read_config",
    "repository_name",
    "select",
    "setup_py",
}


def test_no_builtin_is_added_unnoticed(tmp_path: Path) -> None:
    """A new builtin calling into Python must be checked for what it gives access to, then
    listed above. (The rest of the prelude is Starlark, which has no way out but these.)"""
    root = bazel_repo(tmp_path, {})
    config = load_config(root)
    rules = default_rules()
    evaluator = Evaluator(config, FileTree(config), rules, lambda _message: None)
    assert evaluator.python_callbacks == PYTHON_CALLBACKS


def test_bazel_files_read_no_files(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": 'x = python_read_file__("MODULE.bazel")\n'})
    first = failure(run, root).splitlines()[0]
    assert first == (
        "BUILD.bazel:1:5: only Pants BUILD files and macros, which are Python, may read files"
    ), first


@pytest.mark.parametrize(
    "expression",
    [
        'open("/etc/passwd")',
        '__import__("os")',
        'eval("1")',
        'exec("1")',
        'compile("1", "f", "exec")',
        "input()",
        "breakpoint()",
        'getenv("HOME")',
        "environ",
        "os.environ",
        "sys.modules",
        'urlopen("http://example.com")',
        'read_file("/etc/passwd")',
        "debug(glob)",
    ],
)
def test_python_and_io_builtins_do_not_exist(tmp_path: Path, run: Runner, expression: str) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": f"x = {expression}\n"})
    first = failure(run, root).splitlines()[0]
    assert first.startswith("BUILD.bazel:1:5: name '"), first
    assert "is not defined" in first


@pytest.mark.parametrize(
    "expression",
    [
        'getattr(glob, "__globals__")',
        'getattr(glob, "__self__")',
        'getattr(read_config, "__code__")',
        'getattr(native, "__class__")',
        'getattr(host_info(), "__dict__")',
    ],
)
def test_callbacks_expose_no_python_attributes(
    tmp_path: Path, run: Runner, expression: str
) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": f"x = {expression}\n"})
    first = failure(run, root).splitlines()[0]
    assert first.startswith("BUILD.bazel:1:5: Operation `."), first
    assert "not supported on type" in first


def test_callbacks_show_nothing_of_python(tmp_path: Path, run: Runner) -> None:
    build = "print(str(glob), type(glob), dir(glob), str(read_config), dir(select))\n"
    root = bazel_repo(tmp_path, {"BUILD.bazel": build + 'filegroup(name = "g")\n'})
    code, _, err = run(["list", "::"], root=root)
    assert code == 0, err
    assert err == "warning: DEBUG BUILD.bazel:1: <python callable> python_callable_value [] " + (
        "<python callable> []\n"
    )


@pytest.mark.parametrize("call", ["glob(1, 2, 3, 4, 5)", "select()", "env()", 'env("A", 1, 2)'])
def test_a_builtin_called_with_wrong_arguments_is_the_files_error(
    tmp_path: Path, run: Runner, call: str
) -> None:
    root = make_repo(tmp_path, {"pants.toml": "", "BUILD": f"x = {call}\n"})
    err = failure(run, root)
    name = call.partition("(")[0]
    assert err.startswith(f"BUILD:1:5: {name}() called with wrong arguments"), err
    assert f"hint: it is called as {name}(" in err


def test_env_reads_the_one_variable_named(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pants' env() (in every dialect) reads the variable it names from graphpub's own
    environment, or its default; nothing lists the environment."""
    monkeypatch.setenv("GRAPHPUB_HOSTILE_TEST", "the value")
    monkeypatch.delenv("GRAPHPUB_HOSTILE_UNSET", raising=False)
    build = (
        'print(env("GRAPHPUB_HOSTILE_TEST"), env("GRAPHPUB_HOSTILE_UNSET", "unset"),'
        ' env("GRAPHPUB_HOSTILE_UNSET"))\n'
        'target(name = "t")\n'
    )
    for files in ({"pants.toml": "", "BUILD": build}, {"MODULE.bazel": "", "BUILD.bazel": build}):
        (tmp_path / next(iter(files))).mkdir()
        root = make_repo(tmp_path / next(iter(files)), files)
        code, _, err = run(["list", "::"], root=root)
        assert code == 0, err
        assert lines(err)[0].endswith(":1: the value unset None"), err


# ---------------------------------------------------------------- time


def test_a_runaway_loop_in_a_build_file_is_stopped(tmp_path: Path) -> None:
    outcome = graphpub(bazel_repo(tmp_path, {"BUILD.bazel": NESTED_LOOP}), "list", "::")
    err = fails_cleanly(outcome)
    assert err.startswith(
        "BUILD.bazel:2:5: evaluating BUILD.bazel took longer than evaluation_timeout (0.5 s)\n"
    ), err
    assert "hint: look for a loop without end, or raise evaluation_timeout under" in err


def test_a_runaway_loop_in_a_macro_is_stopped_in_the_bzl_file(tmp_path: Path) -> None:
    defs = "def forever():\n" + "".join("    " + line + "\n" for line in NESTED_LOOP.splitlines())
    files = {"defs.bzl": defs, "pkg/BUILD.bazel": 'load("//:defs.bzl", "forever")\nforever()\n'}
    outcome = graphpub(bazel_repo(tmp_path, files), "list", "::")
    err = fails_cleanly(outcome)
    assert err.startswith(
        "defs.bzl:3:9: evaluating pkg/BUILD.bazel took longer than evaluation_timeout (0.5 s)"
    ), err


def test_a_runaway_loop_at_the_top_of_a_bzl_file_is_its_own(tmp_path: Path) -> None:
    files = {
        "defs.bzl": "X = len([a for a in range(100000) for b in range(100000) if False])\n",
        "BUILD.bazel": 'load("//:defs.bzl", "X")\n',
    }
    err = fails_cleanly(graphpub(bazel_repo(tmp_path, files), "list", "::"))
    assert err.startswith("defs.bzl:1:61: evaluating defs.bzl took longer than "), err


@pytest.mark.parametrize(
    ("build", "first_line"),
    [
        (
            "for x in range(10**12):\n    pass\n",
            "BUILD.bazel:1:18: syntax error: unexpected symbol '**' here",
        ),
        (
            "for x in range(1000000000000):\n    pass\n",
            "BUILD.bazel:1:10: Error unpacking value for parameter `a1` of type `int`: not a "
            "32-bit integer",
        ),
    ],
)
def test_a_loop_too_long_for_starlark(
    tmp_path: Path, run: Runner, build: str, first_line: str
) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": build})
    assert failure(run, root).splitlines()[0] == first_line


def test_printing_in_a_loop_is_cut_short(tmp_path: Path, run: Runner) -> None:
    build = 'for i in range(20000):\n    print(i)\nfilegroup(name = "g")\n'
    code, _, err = run(["list", "::"], root=bazel_repo(tmp_path, {"BUILD.bazel": build}, config=""))
    assert code == 0, err
    shown = lines(err)
    assert len(shown) == 1001
    assert shown[-2] == "warning: DEBUG BUILD.bazel:2: 999"
    assert shown[-1] == (
        "warning: BUILD.bazel: more than 1000 print() messages; the rest are not shown"
    )


def test_the_time_budget_is_per_file(tmp_path: Path, run: Runner) -> None:
    # A .bzl file and six build files loading it, each taking 30% of the budget: together
    # they take longer than the budget, none alone does, and all are evaluated.
    slow = "X = len([i for i in range(%d) if False])\n"
    (tmp_path / "probe").mkdir()
    probe = bazel_repo(tmp_path / "probe", {"BUILD.bazel": slow % 2_000_000}, config="")
    start = time.monotonic()
    assert run(["list", "::"], root=probe)[0] != 2
    iterations = int(2_000_000 * 0.3 / max(time.monotonic() - start, 0.01))
    build = 'load("//:defs.bzl", "X")\n' + slow % iterations + "filegroup(name = 'g')\n"
    files = {f"p{i}/BUILD.bazel": build for i in range(6)}
    root = bazel_repo(
        tmp_path, {"defs.bzl": slow % iterations, **files}, config="evaluation_timeout = 1\n"
    )
    start = time.monotonic()
    code, out, err = run(["list", "::"], root=root)
    assert code == 0, err
    assert len(lines(out)) == 6
    assert time.monotonic() - start > 1


# ---------------------------------------------------------------- memory


# A limit of LIMIT_MIB holds a file to about that much memory: resident memory grows by no
# more than the limit and the slack of address space (budget.ADDRESS_SPACE_SLACK), above what
# graphpub itself holds (BASELINE_MIB, measured: about 25 MiB for `list` of a small tree).
LIMIT_MIB = 64
BASELINE_MIB = 100
SHARED_TWICE = "x = [1]\nfor i in range(40):\n    x = [x, x]\n"


@pytest.mark.parametrize(
    "build",
    [
        "x = [x for x in range(1000000000)]\n",
        "x = []\nfor i in range(1000000000):\n    x.append(i)\n",
        's = "xxxxxxxx"\nfor i in range(64):\n    s = s + s\n',
        "x = [1]\nfor i in range(64):\n    x = x + x\n",
        "x = {i: i for i in range(1000000000)}\n",
        'x = "x" * 2000000000\n',
        SHARED_TWICE + "y = str(x)\n",
        SHARED_TWICE + 'y = repr({"a": x})\n',
        SHARED_TWICE + 'filegroup(name = "g", srcs = [str(x)])\n',
        'x = "ab" * 100000000\nfilegroup(name = "g", srcs = [x, x, x, x])\n',
    ],
)
def test_memory_exhaustion_is_stopped_near_the_limit(tmp_path: Path, build: str) -> None:
    """A loop growing a value, one huge allocation, a native operation building a huge value
    (`str()` of a list shared a billion times) or a huge rule argument: each stops with the
    file's memory error, the process having held about the limit at its peak."""
    config = f"evaluation_timeout = 10\nmax_evaluation_memory_mib = {LIMIT_MIB}\n"
    root = bazel_repo(tmp_path, {"BUILD.bazel": build}, config=config)
    outcome = graphpub(root, "list", "::")
    fails_cleanly(outcome)
    line = outcome.error_line("BUILD.bazel")
    assert line.endswith(
        "evaluating BUILD.bazel took more memory than max_evaluation_memory_mib (64 MiB)"
    ) or line.endswith(
        "evaluating BUILD.bazel crashed (SIGABRT): most likely an allocation beyond "
        "max_evaluation_memory_mib failed"
    ), outcome.err
    assert "raise max_evaluation_memory_mib under [tool.graphpub]" in outcome.err
    assert outcome.peak_rss_mib < BASELINE_MIB + LIMIT_MIB + 64, outcome


def test_a_native_operation_past_the_deadline_is_stopped(tmp_path: Path) -> None:
    """Where starlark cannot cancel (`str()` building a value for seconds), the command is
    stopped a few seconds past evaluation_timeout: the time limit holds too."""
    config = "evaluation_timeout = 1\nmax_evaluation_memory_mib = 2048\n"
    root = bazel_repo(tmp_path, {"BUILD.bazel": SHARED_TWICE + "y = str(x)\n"}, config=config)
    outcome = graphpub(root, "list", "::")
    fails_cleanly(outcome)
    assert outcome.error_line("BUILD.bazel") == (
        "BUILD.bazel: evaluating BUILD.bazel took longer than evaluation_timeout and did not "
        "stop by itself: the process evaluating it was killed"
    ), outcome.err
    assert outcome.seconds < 1 + parallel.STOP_GRACE + 3, outcome


def test_a_value_too_large_for_starlark(tmp_path: Path) -> None:
    outcome = graphpub(
        bazel_repo(tmp_path, {"BUILD.bazel": "x = list(range(2000000000))\n"}), "list", "::"
    )
    fails_cleanly(outcome)
    assert outcome.error_line("BUILD.bazel: ").startswith(
        "BUILD.bazel: starlark failed evaluating BUILD.bazel: "
    )


# ---------------------------------------------------------------- size, nesting, encoding


def test_recursion_is_an_error(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": "def f(n):\n    return f(n + 1)\n\nf(0)\n"})
    err = failure(run, root)
    assert err.startswith("BUILD.bazel:2:12: too deep recursion (Starlark call stack overflow)")


def test_a_huge_build_file_is_not_read(tmp_path: Path, run: Runner) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": "# " + "x" * (50 << 20) + "\n"}, config="")
    err = failure(run, root)
    assert err.startswith(
        "BUILD.bazel: file is 52,428,803 bytes, more than max_build_file_bytes (10,485,760)\n"
    ), err
    assert "hint: raise max_build_file_bytes under [tool.graphpub]" in err


def test_a_huge_bzl_file_is_not_read(tmp_path: Path, run: Runner) -> None:
    files = {"defs.bzl": "X = 1\n" + "#" * 2000 + "\n", "BUILD.bazel": 'load("//:defs.bzl", "X")\n'}
    root = bazel_repo(tmp_path, files, config="max_build_file_bytes = 1000\n")
    err = failure(run, root)
    assert err.startswith("defs.bzl: file is 2,007 bytes, more than max_build_file_bytes (1,000)")


def test_a_deeply_nested_literal(tmp_path: Path) -> None:
    build = "x = " + "[" * 100_000 + "]" * 100_000 + "\n"
    err = fails_cleanly(graphpub(bazel_repo(tmp_path, {"BUILD.bazel": build}), "list", "::"))
    assert err.startswith("BUILD.bazel:1:105: brackets and blocks nest more than 100 deep\n"), err[
        :200
    ]
    assert "hint: raise max_nesting_depth under [tool.graphpub]" in err


@pytest.mark.parametrize(
    ("text", "location", "message"),
    [
        ("x = " + "(" * 101 + "1" + ")" * 101, "1:105", "brackets and blocks nest more than 100"),
        (
            "x = " + "{1: " * 101 + "1" + "}" * 101,
            "1:405",
            "brackets and blocks nest more than 100",
        ),
        (
            "".join(" " * i + "if True:\n" for i in range(101)) + " " * 101 + "pass",
            "102:102",
            "brackets and blocks nest more than 100",
        ),
        ("x = " + "-" * 1001 + "1", "1:1", "an expression nests more than 1000"),
        ("x = " + " + ".join(["1"] * 1002), "1:1", "an expression nests more than 1000"),
        ("x = " + "not " * 1001 + "1", "1:1", "an expression nests more than 1000"),
        ("x = " + "lambda a, b: " * 1001 + "1", "1:1", "an expression nests more than 1000"),
        ("x = len" + "()" * 1001, "1:1", "an expression nests more than 1000"),
        ("x = json" + ".encode" * 1001, "1:1", "an expression nests more than 1000"),
        (
            "y = 1\n" + "x = " + '"]"[' * 101 + "0" + "]" * 101,
            "2:" + str(4 + 101 * 4),
            "brackets and blocks nest more than 100",
        ),
    ],
)
def test_nesting_beyond_the_limit(
    tmp_path: Path, run: Runner, text: str, location: str, message: str
) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": text + "\n"})
    first = failure(run, root).splitlines()[0]
    assert first.startswith(f"BUILD.bazel:{location}: {message}"), first


def test_nesting_within_the_limit_is_evaluated(tmp_path: Path, run: Runner) -> None:
    build = (
        "x = " + "[" * 99 + "]" * 99 + "\n"
        "y = " + " + ".join(["1"] * 900) + "\n"
        "z = " + " + ".join(['"((((((((((([[[[[[[[[[{{{{{{{{{{{{"'] * 50) + "\n"
        'filegroup(name = "g")\n'
    )
    root = bazel_repo(tmp_path, {"BUILD.bazel": build})
    code, out, err = run(["list", "::"], root=root)
    assert (code, out) == (0, "//:g\n"), err


def test_the_nesting_limit_is_configurable(tmp_path: Path, run: Runner) -> None:
    build = "x = " + "[" * 150 + "]" * 150 + '\nfilegroup(name = "g")\n'
    root = bazel_repo(tmp_path, {"BUILD.bazel": build}, config="max_nesting_depth = 200\n")
    assert run(["list", "::"], root=root)[0] == 0


@pytest.mark.parametrize(
    "data", [b"\xff\xfe\x00garbage\n", b'x = "caf\xe9"\n', b"\x00" * 1000, os.urandom(4096)]
)
def test_non_utf8_bytes(tmp_path: Path, run: Runner, data: bytes) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": data})
    first = failure(run, root).splitlines()[0]
    assert first.startswith("BUILD.bazel:") and (
        "not valid UTF-8" in first or "syntax error" in first
    ), first


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("evaluation_timeout = 0", "evaluation_timeout must be a positive number"),
        ("max_build_file_bytes = -1", "max_build_file_bytes must be a positive whole number"),
        ("max_nesting_depth = 2.5", "max_nesting_depth must be a positive whole number"),
        ('max_evaluation_memory_mib = "1G"', "max_evaluation_memory_mib must be a positive"),
        ('build_ignore = ["*a*a*a*"]', "build_ignore pattern '*a*a*a*' has more than 2 '*'"),
    ],
)
def test_limits_must_be_valid(tmp_path: Path, run: Runner, setting: str, message: str) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": ""}, config=setting + "\n")
    assert message in failure(run, root).splitlines()[0]


# ---------------------------------------------------------------- several processes


def many_packages(hostile: str, where: str) -> dict[str, str | bytes]:
    """Enough packages for `-j 2` to fork a worker; `hostile` in package `where` (`a000` is
    evaluated by the parent, `zzz` by the worker)."""
    files: dict[str, str | bytes] = {
        f"p{i:03d}/BUILD.bazel": f'filegroup(name = "g{i}")\n' for i in range(520)
    }
    files[f"{where}/BUILD.bazel"] = hostile
    return files


@pytest.mark.parametrize("where", ["a000", "zzz"])
@pytest.mark.parametrize(
    ("hostile", "message"),
    [
        (NESTED_LOOP, ":2:5: evaluating {where}/BUILD.bazel took longer than evaluation_timeout"),
        (
            "x = {i: i for i in range(1000000000)}\n",
            ":1:20: evaluating {where}/BUILD.bazel took more memory than max_evaluation_memory",
        ),
        (
            's = "xxxxxxxx"\nfor i in range(64):\n    s = s + s\n',
            ": evaluating {where}/BUILD.bazel took more memory than max_evaluation_memory",
        ),
    ],
)
def test_limits_hold_with_several_processes(
    tmp_path: Path, hostile: str, message: str, where: str
) -> None:
    config = LIMITS if hostile == NESTED_LOOP else MEMORY_LIMITS
    root = bazel_repo(tmp_path, many_packages(hostile, where), config=config)
    outcome = graphpub(root, "-j", "2", "list", "::")
    fails_cleanly(outcome)
    assert outcome.error_line(f"{where}/").startswith(
        f"{where}/BUILD.bazel" + message.format(where=where)
    )


@pytest.mark.parametrize(
    ("hostile", "message"),
    [
        (
            DEEP_RULE_ARGUMENT,
            "crashed (SIGSEGV): starlark ran out of stack, most likely on a value nested too "
            "deeply",
        ),
        (
            'x = "x" * 2000000000\n',
            "crashed (SIGABRT): most likely an allocation beyond max_evaluation_memory_mib "
            "(64 MiB) failed",
        ),
    ],
)
def test_a_worker_that_crashes_is_reported(tmp_path: Path, hostile: str, message: str) -> None:
    """starlark-rust cannot always fail gracefully: then the worker evaluating the file dies,
    and the parent names the file."""
    root = bazel_repo(tmp_path, many_packages(hostile, "zzz"))
    outcome = graphpub(root, "-j", "2", "list", "::")
    fails_cleanly(outcome)
    assert outcome.error_line("zzz/") == f"zzz/BUILD.bazel: evaluating zzz/BUILD.bazel {message}"


SUPERVISED = (
    "-c",
    "import sys; from pathlib import Path; "
    "from graphpub.buildgraph.parallel import run_supervised; "
    "from graphpub.cli import main; from graphpub.diagnostics import render_error; "
    "sys.exit(run_supervised(lambda: main(sys.argv[1:]), "
    "lambda e: print(render_error(e, Path.cwd()), file=sys.stderr)))",
)


@pytest.mark.parametrize(
    ("hostile", "message"),
    [
        (DEEP_RULE_ARGUMENT, "crashed (SIGSEGV)"),
        (DEEPER_VALUE + "y = str(x)\n", "crashed (SIGSEGV)"),
        ('x = "x" * 2000000000\n', "crashed (SIGABRT)"),
        ("x = [1] * 2000000000\n", "crashed (SIGABRT)"),
    ],
)
def test_a_supervised_command_reports_a_crash(tmp_path: Path, hostile: str, message: str) -> None:
    """In one process, such a file kills graphpub itself: run under parallel.run_supervised,
    the command fails as for any other bad build file."""
    root = bazel_repo(tmp_path, {"BUILD.bazel": hostile})
    outcome = graphpub(root, "list", "::", entry=SUPERVISED)
    fails_cleanly(outcome)
    assert outcome.error_line("BUILD.bazel").startswith(
        f"BUILD.bazel: evaluating BUILD.bazel {message}"
    )


def test_a_supervised_command_behaves_as_usual(tmp_path: Path) -> None:
    root = bazel_repo(tmp_path, {"BUILD.bazel": 'print("hi")\nfilegroup(name = "g")\n'})
    outcome = graphpub(root, "list", "::", entry=SUPERVISED)
    assert (outcome.code, outcome.out, outcome.err) == (
        0,
        "//:g\n",
        "warning: DEBUG BUILD.bazel:1: hi\n",
    )
    (tmp_path / "bad").mkdir()
    bad = bazel_repo(tmp_path / "bad", {"BUILD.bazel": "filegroup(name = 1)\n"})
    assert graphpub(bad, "list", "::", entry=SUPERVISED).code == 1


def test_a_crash_in_one_process_is_reported(tmp_path: Path) -> None:
    """`python -m graphpub` and the console script run under parallel.run_supervised."""
    root = bazel_repo(tmp_path, {"BUILD.bazel": DEEP_RULE_ARGUMENT})
    script = str(Path(sys.executable).parent / "graphpub")
    for outcome in (graphpub(root, "list", "::"), graphpub(root, "list", "::", entry=(script,))):
        fails_cleanly(outcome)
        assert outcome.error_line("BUILD.bazel").startswith(
            "BUILD.bazel: evaluating BUILD.bazel crashed (SIGSEGV)"
        )


def test_a_worker_stuck_past_its_deadline_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where starlark cannot cancel (one long operation), the parent stops the worker: here
    a worker that shows a file whose deadline has passed, and sleeps."""
    monkeypatch.setattr(parallel, "STOP_GRACE", 0.0)
    monkeypatch.setattr(parallel, "_POLL_SECONDS", 0.05)
    root = bazel_repo(tmp_path, {"BUILD.bazel": ""})
    config = load_config(root)
    evaluator = Evaluator(config, FileTree(config), default_rules(), lambda _message: None)
    progress = mmap.mmap(-1, PROGRESS_SIZE)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the stuck worker
        evaluator.report_progress(progress)
        evaluator.limits.start("pkg/BUILD.bazel").deadline = time.monotonic() - 1
        time.sleep(KILL_AFTER)
        os._exit(0)
    os.close(write_fd)
    start = time.monotonic()
    result = parallel._collect(parallel._Worker(pid, read_fd, progress), config)
    assert time.monotonic() - start < TIME_LIMIT
    assert isinstance(result.error, BuildFileError)
    assert str(result.error) == (
        "pkg/BUILD.bazel: evaluating pkg/BUILD.bazel took longer than evaluation_timeout "
        "(0.5 s) and did not stop by itself: the process evaluating it was killed"
    )


# ---------------------------------------------------------------- values in messages


@pytest.mark.parametrize(
    "build",
    [
        'fail("x" * 100000000)\n',
        'print("y" * 100000000)\nfilegroup(name = "g")\n',
        'filegroup(name = "g", srcs = 1 + ["z" * 10000000])\n',
        'load("//:' + "q" * 5000 + '.bzl", "x")\n',
    ],
    ids=["fail", "print", "type-error", "label"],
)
def test_a_huge_value_in_a_message_is_cut_short(tmp_path: Path, build: str) -> None:
    config = "evaluation_timeout = 10\nmax_evaluation_memory_mib = 1024\n"
    outcome = graphpub(bazel_repo(tmp_path, {"BUILD.bazel": build}, config=config), "list", "::")
    assert len(outcome.err) < 12_000, (len(outcome.err), outcome.err[:300])
    assert "BUILD.bazel" in outcome.err
