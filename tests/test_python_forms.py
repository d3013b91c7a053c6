"""Pants BUILD files are Python: the Python-only forms real ones use load, lowered into
Starlark with every line and column kept (testdata/pants_python/EXPECTED.md); what has no
Starlark meaning is an error at the construct, with a hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphpub.buildgraph import python_compat
from tests.conftest import TESTDATA, Runner, assert_error, failure, lines, make_repo, peek

PYTHON = TESTDATA / "pants_python"

# testdata/pants_python/EXPECTED.md, "Targets (22)", sorted.
PYTHON_TARGETS = [
    "plugins/plugin.py@resolve=pants-current",
    "plugins/plugin.py@resolve=pants-next",
    "plugins/plugin.py@resolve=plugins",
    "plugins:pants-current",
    "plugins:pants-next",
    "plugins@resolve=pants-current",
    "plugins@resolve=pants-next",
    "plugins@resolve=plugins",
    "scripts",
    "scripts/analyze.py",
    "scripts/analyze.py:script-files",
    "scripts/subsystem.py",
    "scripts:script-files",
    "services/web",
    "services/web/settings.toml:config",
    "services/web/web/__init__.py:src",
    "services/web/web/main.py:src",
    "services/web:config",
    "services/web:src",
    "services/web:web-fat@parametrize=py311",
    "services/web:web-fat@parametrize=py312",
    "tools/act",
    "tools/act:.actrc",
]


def fields(run: Runner, root: Path, spec: str) -> dict[str, Any]:
    [record] = peek(run, root, "--no-infer", spec)
    found: dict[str, Any] = record["fields"]
    return found


def pants_repo(tmp_path: Path, build: str) -> Path:
    return make_repo(tmp_path, {"pants.toml": "", "BUILD": build})


# ---------------------------------------------------------------- testdata/pants_python


def test_python_build_files_make_their_targets(run: Runner) -> None:
    code, out, err = run(["list", "::"], root=PYTHON)
    assert (code, err) == (0, "")
    assert lines(out) == PYTHON_TARGETS


def test_star_unpacking_in_a_tuple(run: Runner) -> None:
    # all_resolves = ("plugins", *tuple(name_to_constraint.keys()))
    assert fields(run, PYTHON, "plugins@resolve=pants-next")["resolve"] == "pants-next"


def test_a_generator_expression_holding_an_f_string(run: Runner) -> None:
    assert fields(run, PYTHON, "scripts:script-files")["sources"] == ["analyze.py"]
    assert fields(run, PYTHON, "scripts/subsystem.py")["dependencies"] == [":script-files"]


def test_a_call_in_an_f_string_joined_to_the_next_string(run: Runner) -> None:
    assert fields(run, PYTHON, "tools/act")["description"] == (
        "act, run from tools/act with its .actrc"
    )


def test_keyword_after_double_star_and_star_in_a_list(run: Runner) -> None:
    assert fields(run, PYTHON, "services/web") == {
        "dependencies": [":src", ":config"],
        "entry_point": "web.main",
        "output_path": "${target_name_normalized}",
        "tags": ["pex", "lazy"],
    }


def test_several_double_stars_of_parametrize_groups(run: Runner) -> None:
    assert fields(run, PYTHON, "services/web:web-fat@parametrize=py312") == {
        "dependencies": [":src"],
        "interpreter_constraints": ["CPython==3.12.*"],
        "layout": "zipapp",
        "output_path": "${spec_path_normalized}/web-py312.pex",
    }


def test_targets_keep_their_lines(run: Runner) -> None:
    # services/web/BUILD lowers annotations, an assert, `is None` and f-strings above these.
    [web, fat] = peek(
        run, PYTHON, "--no-infer", "services/web", "services/web:web-fat@parametrize=py311"
    )
    assert (web["location"], fat["location"]) == ("services/web/BUILD:33", "services/web/BUILD:42")


# ---------------------------------------------------------------- each form


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            'target(name="x", **{"tags": ["a"]}, description="d")',
            {"tags": ["a"], "description": "d"},
        ),
        (
            'target(\n    name="x",\n    **dict(tags=["a"]),  # note\n'
            '    **{"description": "d"},\n)',
            {"tags": ["a"], "description": "d"},
        ),
        ('X = ["b"]\ntarget(name="x", tags=["a", *X, "c", *X])', {"tags": ["a", "b", "c", "b"]}),
        ('X = ("b",)\ntarget(name="x", tags=(*X, "c"))', {"tags": ["b", "c"]}),
        ('target(name="x", tags=list(t.upper() for t in ["a", "b"]))', {"tags": ["A", "B"]}),
        (
            'target(name="x", tags=sorted((t for t in ["b", "a"]), reverse=True))',
            {"tags": ["b", "a"]},
        ),
        (
            'D = {"k": "v_1"}\ntarget(name="x", description=f"{D[\'k\'].replace(\'_\', \'-\')}!")',
            {"description": "v-1!"},
        ),
        ('target(name="x", description=f"{1 + 1}{{}}{\'a\'!r}")', {"description": '2{}"a"'}),
        ('target(name="x", description=f"""\n{len("ab")}\n""")', {"description": "\n2\n"}),
        ('target(name="x", description="a" "b".upper())', {"description": "AB"}),
        ('X = "x"\nassert X, "no X"\ntarget(name=X)', {}),
        (
            'X = None\ntarget(name="x", tags=[str(X is None), str(X is not None)])',
            {"tags": ["True", "False"]},
        ),
        ('C = "m"\ntarget(name="x", tags=[str("a" <= C <= "z")])', {"tags": ["True"]}),
        (
            "from typing import Any\n\n"
            "def tags(first: str, *rest: Any, **kw: Any) -> list[str]:\n    n: int = 1\n"
            '    return [first, *rest][:n + 1]\n\ntarget(name="x", tags=tags("a", "b", "c"))',
            {"tags": ["a", "b"]},
        ),
        (
            'P = "a/b.tar.gz"\n'
            'target(name="x", tags=[P.name, P.parent, P.suffix, P.stem, P.parent / "c"])',
            {"tags": ["b.tar.gz", "a", ".gz", "b.tar", "a/c"]},
        ),
        (
            'target(name="x", description=f"{build_file_dir().parent}/{build_file_dir().name}")',
            {"description": "./"},
        ),
    ],
)
def test_python_forms(tmp_path: Path, run: Runner, build: str, expected: dict[str, Any]) -> None:
    root = pants_repo(tmp_path, build + "\n")
    assert fields(run, root, "//:x") == expected


def test_build_file_dir_is_a_pure_path(tmp_path: Path, run: Runner) -> None:
    build = (
        "d = build_file_dir()\n"
        'target(name="x", tags=[str(d), d.name, str(d.parent), d.parent.name, str(d / "f.py"),'
        " str(d.parts), str(d.parent.parent), d.joinpath('g', 'h.txt')])\n"
    )
    root = make_repo(tmp_path, {"pants.toml": "", "src/python/pkg/BUILD": build})
    assert fields(run, root, "src/python/pkg:x")["tags"] == [
        "src/python/pkg",
        "pkg",
        "src/python",
        "python",
        "src/python/pkg/f.py",
        '("src", "python", "pkg")',
        "src",
        "src/python/pkg/g/h.txt",
    ]


@pytest.mark.parametrize(
    "line",
    [
        'target(name="x", tags=[*["a"]], description=f"{1 + 1}" + missing)',
        # ast counts columns in UTF-8 bytes, starlark in characters
        'target(name="x", description="é…" + f"{len(\'€\')}" + missing)',
    ],
)
def test_columns_after_a_lowered_form_are_the_users(tmp_path: Path, run: Runner, line: str) -> None:
    root = pants_repo(tmp_path, f"\n{line}\n")
    assert_error(
        failure(run, root),
        f"BUILD:2:{line.index('missing') + 1}: name 'missing' is not defined",
        line,
    )


def test_bazel_files_are_not_python(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": 'assert True, "x"\n'})
    assert_error(
        failure(run, root),
        "BUILD.bazel:1:1: syntax error: cannot use reserved keyword `assert`",
        'assert True, "x"',
    )


# ---------------------------------------------------------------- refused


@pytest.mark.parametrize(
    ("build", "error", "hint"),
    [
        (
            "import os",
            "BUILD:1:1: `import os`: BUILD files and macros cannot import modules",
            "Pants forbids imports in BUILD files and macros too; only `from typing import ...`"
            " and `from __future__ import ...` are accepted (and ignored)",
        ),
        (
            'def at_least(version):\n    pants = __import__("pants")\n    return pants.version',
            "BUILD:2:13: __import__() imports modules, which BUILD files and macros cannot",
            "graphpub evaluates them without Python's modules: read the value with env()",
        ),
        (
            "x = 1\nclass Config:\n    name = 'x'",
            "BUILD:2:1: `class` is Python that graphpub does not evaluate",
            "macros are functions: define them with def, and pass data as dicts",
        ),
        (
            "try:\n    x = 1\nexcept KeyError:\n    x = 2",
            "BUILD:1:1: `try` is Python that graphpub does not evaluate",
            'Starlark has no exceptions: test with `if`, and stop with fail("...")',
        ),
        (
            'x = {**{"a": 1}, "b": 2}',
            "BUILD:1:5: `**` in a dict is Python that graphpub does not evaluate",
            'merge dicts with |: a | {"key": value}',
        ),
        (
            "x = [1] is [1]",
            "BUILD:1:5: `is` between values other than None, True and False is Python that "
            "graphpub does not evaluate",
            "compare with == instead",
        ),
        (
            'x = f"{3:>4}"',
            "BUILD:1:5: f-string fields with `=` or a format spec are Python that graphpub does "
            "not evaluate",
            'Starlark has no format specs: format the value yourself, e.g. f"{str(n).rjust(4)}"',
        ),
    ],
)
def test_python_graphpub_does_not_evaluate(
    tmp_path: Path, run: Runner, build: str, error: str, hint: str
) -> None:
    root = pants_repo(tmp_path, build + "\n")
    line = int(error.split(":")[1])
    assert_error(failure(run, root), error, build.splitlines()[line - 1], hint=hint)


# ---------------------------------------------------------------- sets, strings, self


def test_sets_and_strings_behave_as_in_python(tmp_path: Path, run: Runner) -> None:
    """envoyproxy/toolshed's macros: a set built with add(), a set comprehension, a string's
    characters in a loop, a target that names its own directory among its dependencies."""
    build = (
        "def canonical(name: str) -> str:\n"
        "    chars = []\n"
        "    for char in name.lower():\n"
        '        chars.append("-" if char in "_." else char)\n'
        '    return "".join(chars)\n'
        "names = set()\n"
        'for raw in ["A_b", "a.B", "c"]:\n'
        "    names.add(canonical(raw))\n"
        'unique = {canonical(n) for n in ["x_y", "x.y"]}\n'
        "python_sources(\n"
        '    name="lib",\n'
        '    tags=sorted(names) + sorted(unique) + [str(len(names)), str("c" in names)],\n'
        '    dependencies=["//:lib"],\n'
        ")\n"
    )
    root = pants_repo(tmp_path, build)
    assert fields(run, root, "//:lib")["tags"] == ["a-b", "c", "x-y", "2", "True"]
    code, out, err = run(["dependencies", "//:lib"], root=root)
    assert (code, out, err) == (0, "", "")


# ---------------------------------------------------------------- open()


def test_open_reads_a_file_below_the_root(tmp_path: Path, run: Runner) -> None:
    """Pants runs BUILD files and macros with the root as working directory: `open()` and
    `with open(...) as f:` read files from there (frontrunner-sdk's VERSION and README)."""
    build = (
        'with open("./VERSION", "r") as _version:\n'
        "    VERSION = _version.readline().strip()\n"
        'with open("docs/README.md") as a, open("VERSION") as b:\n'
        "    LINES = a.readlines() + [b.read()]\n"
        'python_sources(name="root", description="|".join([VERSION] + LINES))\n'
    )
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "BUILD": build,
            "VERSION": "1.2.3\nnext\n",
            "docs/README.md": "Hello \u2713\nsecond\n",
        },
    )
    assert fields(run, root, "//:root")["description"] == (
        "1.2.3|Hello \u2713\n|second\n|1.2.3\nnext\n"
    )


@pytest.mark.parametrize(
    ("opened", "error", "hint"),
    [
        (
            'open("/etc/passwd").read()',
            "BUILD:2:1: opened file '/etc/passwd' is an absolute path: files are read from "
            "inside the build root only",
            "write the path relative to the build root",
        ),
        (
            'open("../outside.txt").read()',
            "BUILD:2:1: opened file '../outside.txt' is outside the build root",
            "files graphpub reads must be inside the repository",
        ),
        (
            'open("link").read()',
            "BUILD:2:1: cannot read link: it leaves the build root (a symlink?)",
            "files graphpub reads must be inside the repository, symlinks included",
        ),
        (
            'open("VERSION", "w")',
            'BUILD:2:1: fail: open("VERSION", "w"): BUILD files and macros may only read '
            "text files (mode 'r')",
            None,
        ),
        (
            'open("docs").read()',
            "BUILD:2:1: cannot read docs: it is a directory, not a regular file",
            "name a file of the repository",
        ),
    ],
    ids=["absolute", "dotdot", "symlink", "write", "directory"],
)
def test_open_never_leaves_the_root_nor_writes(
    tmp_path: Path, run: Runner, opened: str, error: str, hint: str | None
) -> None:
    (tmp_path / "outside.txt").write_text("SECRET-OUTSIDE\n")
    root = make_repo(
        tmp_path / "repo",
        {
            "pants.toml": "",
            "BUILD": f"X = 1\nDESCRIPTION = {opened}\n",
            "VERSION": "1.0\n",
            "docs/README.md": "",
        },
    )
    (root / "link").symlink_to(tmp_path / "outside.txt")
    code, out, err = run(["list", "::"], root=root)
    assert code == 1 and "SECRET-OUTSIDE" not in out + err
    assert_error(err, error, f"DESCRIPTION = {opened}", hint=hint)
    assert (root / "VERSION").read_text() == "1.0\n"


# ---------------------------------------------------------------- the lowering itself


@pytest.mark.parametrize(
    ("python", "starlark"),
    [
        ("f(a, **b, c=1)\n", "f(a, **python_kwargs__(b, dict(c=1)))\n"),
        ("f(**a, **b)\n", "f(**python_kwargs__(a, b))\n"),
        ("x = [a, *b, c]\n", "x = ([a] + list(b) + [ c])\n"),
        ("x = (a, *b)\n", "x = tuple([a] + list(b))\n"),
        ("x = tuple(f(s) for s in y)\n", "x = tuple([f(s) for s in python_iter__(y)])\n"),
        ("for c in s.strip():\n    pass\n", "for c in python_iter__(s.strip()):\n    pass\n"),
        ("x = [c for c in range(3)]\n", "x = [c for c in range(3)]\n"),
        ("x = {a, b}\n", "x = {a: True, b: True}\n"),
        ("x = {f(c) for c in [1]}\n", "x = {f(c): True for c in [1]}\n"),
        ("s = set()\ns.add(1)\n", "s = python_set__()\npython_add__(s, 1)\n"),
        ("def f() -> set:\n    pass\n", "def f()       :\n    pass\n"),
        ('x = f"a{b.c}d"\n', 'x = ("a" + str(b.c) + "d")\n'),
        ('x = f"{b!r}"\n', "x = (repr(b))\n"),
        ('x = "a" "b"\n', 'x = ("a"+ "b")\n'),
        ("assert a, m\n", 'if not ( a): fail("AssertionError:", m)\n'),
        ("assert a\n", 'if not ( a): fail("AssertionError")\n'),
        ('raise ValueError("m")\n', 'fail( "ValueError:","m")\n'),
        ("x = a is not None\n", "x = a != None\n"),
        ("x = a < b < c\n", "x = (a < b and b < c)\n"),
        ("def f(a: int = 1) -> str:\n    pass\n", "def f(a      = 1)       :\n    pass\n"),
        ("from typing import Any\n", "pass                  \n"),
        ("x = p.parent / 'y'\n", "x = python_div__(python_path__(p, \"parent\") , 'y')\n"),
        ("x = (a or b).name\n", 'x = python_path__((a or b), "name")\n'),
        ("if x:\n\tx = 1\n", "if x:\n x = 1\n"),
        ('x = open("V").read()\n', 'x = python_open__("V").read()\n'),
        ('with open("V") as f:\n    x = 1\n', 'for f in [python_open__("V")]:\n    x = 1\n'),
        ("with a as x, b:\n    pass\n", "for x, _ in [(a, b)]:\n    pass\n"),
        (
            "with (\n    a as x,\n    b as y,\n):\n    pass\n",
            "for x, y in [(\na\n, b\n)]:\n    pass\n",
        ),
    ],
)
def test_lowering(python: str, starlark: str) -> None:
    lowered = python_compat.lower(python)
    assert lowered is not None
    assert lowered.text == starlark


def test_lowering_keeps_lines_and_maps_columns_back() -> None:
    python = 'x = [\n    a,  # first\n    *b,\n]\ny = f"{c.d}" + e\n'
    lowered = python_compat.lower(python)
    assert lowered is not None
    assert lowered.text == "x = ([\n    a] +  # first\n    list(b)\n)\ny = (str(c.d)) + e\n"
    new_column = lowered.text.splitlines()[4].index("e") + 1
    assert lowered.columns.original(5, new_column) == python.splitlines()[4].index("e") + 1


def test_text_that_is_not_python_is_not_lowered() -> None:
    assert python_compat.lower("x = [1,\n") is None
