"""Buck2's configuration as Buck2 reads it: `.buckconfig` syntax, the files of a project and
of each cell, cells and their aliases under both names, cells that are not on disk, and where
the project root is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphpub.buildgraph import find_root
from tests.conftest import Runner, assert_error, failure, lines, make_repo, peek

LABELS_OF_C = (
    "python_library(\n"
    '    name = "c",\n'
    "    labels = [\n"
    '        read_config("app", "version", "unset"),\n'
    '        read_config("app", "label", "unset"),\n'
    '        read_config("app", "local", "unset"),\n'
    "    ],\n"
    ")\n"
)


def labels(run: Runner, root: Path, spec: str) -> list[str]:
    [record] = peek(run, root, "--no-infer", spec)
    found: list[str] = record["fields"]["labels"]
    return found


# ---------------------------------------------------------------- syntax


def test_values_continued_lines_comments_and_references(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": (
                "# a comment line\n"
                "; another one\n"
                "[cells]\n"
                "  root = .\n"
                "\n"
                "[app] # a comment after a section header\n"
                "  version = 2.0\n"
                "  label = app-$(config app.version)-$(config other.missing)x\n"
                "  local = one, \\\n"
                "    two\n"
            ),
            "c/BUCK": LABELS_OF_C,
        },
    )
    assert labels(run, root, "//c:c") == ["2.0", "app-2.0-x", "one, two"]


def test_later_files_override_earlier_ones(tmp_path: Path, run: Runner) -> None:
    # Buck2: .buckconfig.d/* in name order, then .buckconfig, then .buckconfig.local.
    root = make_repo(
        tmp_path,
        {
            ".buckconfig.d/10-b.buckconfig": "[app]\n  version = from-d-10\n  label = d10\n",
            ".buckconfig.d/01-a.buckconfig": "[app]\n  version = from-d-01\n  local = d01\n",
            ".buckconfig": "[cells]\n  root = .\n[app]\n  version = from-buckconfig\n",
            ".buckconfig.local": "[app]\n  local = from-local\n",
            "c/BUCK": LABELS_OF_C,
        },
    )
    assert labels(run, root, "//c:c") == ["from-buckconfig", "d10", "from-local"]


def test_includes(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": (
                "[cells]\n  root = .\n"
                "<file:config/app.bcfg>\n"
                "<?file:config/not-here.bcfg>\n"
                "[app]\n"
                "<file:config/keys.bcfg>\n"
            ),
            # An included file may hold whole sections, or keys of the section it is read in.
            "config/app.bcfg": "[app]\n  version = included\n<file:nested/more.bcfg>\n",
            "config/nested/more.bcfg": "  label = nested\n",
            "config/keys.bcfg": "local = keys-only\n",
            "c/BUCK": LABELS_OF_C,
        },
    )
    assert labels(run, root, "//c:c") == ["included", "nested", "keys-only"]


@pytest.mark.parametrize(
    ("line", "message", "hint"),
    [
        (
            "<file:config/missing.bcfg>",
            "the included file does not exist: `config/missing.bcfg`",
            "write <?file:config/missing.bcfg> to include it only where it exists",
        ),
        (
            "<file:../outside.bcfg>",
            "<file:../outside.bcfg> is outside the build root: graphpub reads configuration "
            "from inside it only",
            None,
        ),
        (
            "<file:/etc/hostname>",
            "<file:/etc/hostname> is outside the build root: graphpub reads configuration "
            "from inside it only",
            None,
        ),
        ("[app", "improperly formatted section: expected `[section]`, got `[app`", None),
        ("= value", "expected `key = value`, but the key is empty: `= value`", None),
        (
            "just words",
            "cannot parse the line: expected an include (`<file:path>`), a section "
            "(`[section]`) or a key assignment (`key = value`), got `just words`",
            None,
        ),
        (
            "x = $(config app.y)\ny = $(config app.x)",
            "cycle in $(config ...) references: `app.x` -> `app.y` -> `app.x`",
            None,
        ),
    ],
)
def test_errors_point_at_their_line(
    tmp_path: Path, run: Runner, line: str, message: str, hint: str | None
) -> None:
    indented = "".join(f"  {text}\n" for text in line.split("\n"))
    root = make_repo(
        tmp_path, {".buckconfig": f"[cells]\n  root = .\n[app]\n{indented}", "BUCK": ""}
    )
    err = failure(run, root)
    assert_error(err, f".buckconfig:4:3: {message}", indented.split("\n")[0], hint=hint)


def test_an_optional_include_outside_the_root_is_not_read(tmp_path: Path, run: Runner) -> None:
    (tmp_path / "outside.bcfg").write_text("[app]\n  version = outside\n")
    root = make_repo(
        tmp_path,
        {".buckconfig": "[cells]\n  root = .\n<?file:../outside.bcfg>\n", "c/BUCK": LABELS_OF_C},
    )
    assert labels(run, root, "//c:c") == ["unset", "unset", "unset"]


# ---------------------------------------------------------------- cells


def test_repositories_is_the_older_name_of_cells(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": (
                "[repositories]\n  root = .\n  vendor = third-party\n"
                "[repository_aliases]\n  tp = vendor\n"
            ),
            "third-party/BUCK": 'python_library(name = "dep")\n',
            "app/BUCK": 'python_library(name = "app", deps = ["vendor//:dep", "tp//:dep"])\n',
        },
    )
    code, out, err = run(["dependencies", "--no-infer", "//app:app"], root=root)
    assert (code, out, err) == (0, "vendor//:dep\n", "")
    code, out, err = run(["list", "tp//:"], root=root)
    assert (code, out, err) == (0, "vendor//:dep\n", "")


def test_cells_wins_over_repositories(tmp_path: Path, run: Runner) -> None:
    # Buck2 reads [repositories] only when there is no [cells] section at all.
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\n  root = .\n[repositories]\n  vendor = third-party\n",
            "third-party/BUCK": 'python_library(name = "dep")\n',
        },
    )
    code, _, err = run(["list", "vendor//:"], root=root)
    assert code == 1
    assert err.startswith("error: spec 'vendor//:' names the unknown cell 'vendor'"), err


def test_external_cells_are_external_repositories(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": (
                "[cells]\n  root = .\n  prelude = prelude\n"
                "[cell_aliases]\n  config = prelude\n"
                "[external_cells]\n  prelude = bundled\n"
            ),
            "app/BUCK": (
                "python_library(\n"
                '    name = "app",\n'
                '    deps = ["prelude//python/runtime:bootstrap", "config//os:linux"],\n'
                ")\n"
            ),
        },
    )
    [record] = peek(run, root, "--no-infer", "//app:app")
    assert record["dependencies"] == ["prelude//os:linux", "prelude//python/runtime:bootstrap"]
    code, _, err = run(["list", "prelude//python:"], root=root)
    assert code == 1
    assert err.splitlines()[0] == (
        "error: spec 'prelude//python:' names the cell 'prelude', which is not on disk "
        "([external_cells]); specs select targets of this repository"
    )


def test_an_undeclared_cell_is_external_with_a_warning(tmp_path: Path, run: Runner) -> None:
    # Meta's own cells (fbsource, fbcode) appear in open-source BUCK files without a cell.
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\n  root = .\n",
            "a/BUCK": (
                "python_library(\n"
                '    name = "a",\n'
                '    deps = ["fbsource//third-party/python:six", "fbsource//xplat:log"],\n'
                ")\n"
            ),
            "b/BUCK": 'python_library(name = "b", deps = ["fbcode//xplat:log"])\n',
        },
    )
    code, out, err = run(["dependencies", "--no-infer", "//a:a", "//b:b"], root=root)
    assert code == 0
    assert lines(out) == [
        "fbcode//xplat:log",
        "fbsource//third-party/python:six",
        "fbsource//xplat:log",
    ]
    # Once per cell.
    assert sorted(lines(err)) == [
        "warning: a/BUCK:3:13: cell 'fbsource' is not declared in .buckconfig ([cells], "
        "[cell_aliases]): its targets, such as 'fbsource//third-party/python:six', are taken "
        "as those of an external repository",
        "warning: b/BUCK:1:36: cell 'fbcode' is not declared in .buckconfig ([cells], "
        "[cell_aliases]): its targets, such as 'fbcode//xplat:log', are taken as those of an "
        "external repository",
    ]


def test_a_load_of_an_external_cell_is_an_external_load(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\n  root = .\n  prelude = prelude\n"
            "[external_cells]\n  prelude = bundled\n",
            "BUCK": (
                'load("prelude//python:python_wheel.bzl", "python_wheel")\n'
                'load("fbcode//tools:defs.bzl", "tool")\n'
                'python_wheel(name = "whl", python = "py3")\n'
                'tool(name = "t")\n'
            ),
        },
    )
    code, out, err = run(["list", "//..."], root=root)
    assert (code, lines(out)) == (0, ["//:t", "//:whl"])
    assert lines(err) == [
        "warning: BUCK:2:6: load of unknown external 'fbcode//tools:defs.bzl': tool stand in "
        "as the file uses them (a call with a name makes an opaque target; map the repository "
        "with the external_loads config key, or set strict_loads = true)"
    ]


def test_labels_in_a_cell_are_relative_to_its_root(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\n  root = .\n  shim = shim\n[app]\n  version = root\n",
            "shim/.buckconfig": (
                "[cells]\n  shim = .\n[cell_aliases]\n  fbsource = shim\n[app]\n  version = shim\n"
            ),
            "shim/defs.bzl": (
                "def lib(name, **kwargs):\n    native.python_library(name = name, **kwargs)\n"
            ),
            "shim/lib/BUCK": 'python_library(name = "log")\n',
            "shim/BUCK": (
                'load("//:defs.bzl", "lib")\n'
                'load("@//:defs.bzl", lib_too = "lib")\n'
                "lib(\n"
                '    name = "compat",\n'
                '    deps = ["//lib:log", "fbsource//lib:log"],\n'
                '    labels = [read_config("app", "version")],\n'
                ")\n"
            ),
            "lib/BUCK": 'python_library(name = "log")\n',
            "BUCK": (
                "python_library(\n"
                '    name = "top",\n'
                '    deps = ["//lib:log", "shim//:compat"],\n'
                '    labels = [read_config("app", "version")],\n'
                ")\n"
            ),
        },
    )
    records = {r["address"]: r for r in peek(run, root, "--no-infer", "//:top", "shim//:compat")}
    assert records["//:top"]["dependencies"] == ["//lib:log", "shim//:compat"]
    assert records["//:top"]["fields"]["labels"] == ["root"]
    # Inside the shim cell, `//lib:log` is shim's own; so is `fbsource//`, its alias there.
    assert records["shim//:compat"]["dependencies"] == ["shim//lib:log"]
    assert records["shim//:compat"]["fields"]["labels"] == ["shim"]
    assert records["shim//:compat"]["location"] == "shim/BUCK:3"


# ---------------------------------------------------------------- the project root


def test_the_project_root_is_the_outermost_buckconfig(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\n  root = .\n",
            "android/.buckconfig": "[cells]\n  root = .\n",
            "android/app/src/f.txt": "",
            "shim/.buckconfig": "[cells]\n  shim = .\n",
            "shim/.buckroot": "",
            "shim/lib/f.txt": "",
        },
    )
    assert find_root(root / "android" / "app" / "src") == root
    # `.buckroot` stops the search: shim is a project of its own when run from inside it.
    assert find_root(root / "shim" / "lib") == root / "shim"


def test_peek_shows_cell_addresses(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[repositories]\n  main = .\n  vendor = vendor\n",
            "vendor/python/BUCK": 'python_library(name = "six")\n',
        },
    )
    code, out, err = run(["peek", "--no-infer", "vendor//python:six"], root=root)
    assert (code, err) == (0, "")
    assert json.loads(out)[0]["address"] == "vendor//python:six"


def test_an_include_through_a_symlink_leaving_the_root(tmp_path: Path, run: Runner) -> None:
    secret = tmp_path / "secret.bcfg"
    secret.write_text("[app]\n  version = s3cr3t-value\n")
    root = make_repo(
        tmp_path,
        {".buckconfig": "[cells]\n  root = .\n<file:config/app.bcfg>\n", "c/BUCK": LABELS_OF_C},
    )
    (root / "config").mkdir()
    (root / "config" / "app.bcfg").symlink_to(secret)
    err = failure(run, root)
    assert err.splitlines()[0] == (
        ".buckconfig:3:1: cannot read config/app.bcfg: it leaves the build root (a symlink?)"
    )
    assert "s3cr3t" not in err
