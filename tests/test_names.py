"""Names are text: a control or bidi character (NUL, ESC, RIGHT-TO-LEFT OVERRIDE) in a target
name, an address, a distribution's name or version or a repository is an error at its place,
and nothing graphpub prints shows such a character raw. Pants BUILD files are Python: a byte
order mark and tab indentation load."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import Runner, make_repo

# How a build file writes each character (Starlark escapes), and how graphpub names it.
CHARACTERS = [
    ("\\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("\\x1b", "U+001B (a control character)"),
    ("\\x00", "U+0000 (a control character)"),
    ("\\u2066", "U+2066 (LEFT-TO-RIGHT ISOLATE)"),
]


def fails(run: Runner, root: Path, *args: str) -> str:
    code, out, err = run(list(args or ("list", "::")), root=root)
    assert (code, out) == (1, ""), err
    assert "Traceback" not in err
    assert not any(c in err for c in "\u202e\x1b\x00\u2066"), err
    return err


@pytest.mark.parametrize(("written", "named"), CHARACTERS)
def test_a_target_name(tmp_path: Path, run: Runner, written: str, named: str) -> None:
    root = make_repo(tmp_path, {"pants.toml": "", "a/BUILD": f'target(name="x{written}y")\n'})
    err = fails(run, root)
    assert err.startswith(f"a/BUILD:1:1: the target name 'x{written}y' holds {named}\n"), err


@pytest.mark.parametrize(("written", "named"), CHARACTERS)
def test_an_address(tmp_path: Path, run: Runner, written: str, named: str) -> None:
    build = f'target(name="x", dependencies=["b{written}:y"])\n'
    root = make_repo(tmp_path, {"pants.toml": "", "a/BUILD": build})
    err = fails(run, root)
    assert err.startswith(f"a/BUILD:1:1: invalid address 'b{written}:y': it holds {named}"), err


def test_a_file_a_generator_is_named_after(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"pants.toml": "", "a/BUILD": "python_sources()\n"})
    (root / "a" / "evil\u202ecod.py").write_text("")
    err = fails(run, root)
    assert err.startswith("a/BUILD:1:1: the target name 'evil\\u202ecod.py' holds U+202E"), err


def test_a_spec(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"pants.toml": "", "a/BUILD": 'target(name="x")\n'})
    code, _, err = run(["list", "a:x\u202e"], root=root)
    assert code == 1
    assert "U+202E" in err and "\u202e" not in err


DISTRIBUTION = """\
python_sources(name="lib")
python_distribution(
    name="dist",
    dependencies=[":lib"],
    provides=python_artifact(name={name!r}, version={version!r}),
    repositories=[{repository!r}],
)
"""


@pytest.mark.parametrize(
    ("values", "location", "what"),
    [
        ({"name": "probe\u202e"}, "a/BUILD:5:30", "the name of a:dist, 'probe\\u202e'"),
        ({"version": "1.0\x1b[31m"}, "a/BUILD:5:44", "the version of a:dist, '1.0\\x1b[31m'"),
        ({"repository": "@pri\u2066vate"}, "a/BUILD:6:5", "the repository of a:dist"),
    ],
)
def test_a_distribution(
    tmp_path: Path, run: Runner, values: dict[str, str], location: str, what: str
) -> None:
    fields = {"name": "probe", "version": "1.0", "repository": "@pypi", **values}
    build = DISTRIBUTION.format(**fields)
    root = make_repo(tmp_path, {"pants.toml": "", "a/__init__.py": "", "a/BUILD": build})
    err = fails(run, root, "peek", "a:dist")
    assert err.startswith(f"{location}: {what}"), err


def test_a_raw_control_character_in_a_build_file_is_shown_escaped(
    tmp_path: Path, run: Runner
) -> None:
    root = make_repo(tmp_path, {"pants.toml": "", "a/BUILD": 'target(name="x\u202ey")\n'})
    err = fails(run, root)
    assert '   1 | target(name="x\\u202ey")' in err.splitlines(), err


def test_a_byte_order_mark_in_a_pants_build_file(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"pants.toml": "", "a/BUILD": b'\xef\xbb\xbftarget(name="x")\n'})
    assert run(["list", "::"], root=root)[:2] == (0, "a:x\n")


TABBED = 'def named(n):\n\tif n:\n\t\treturn "yes"\n\treturn "no"\n\ntarget(name=named(1))\n'


def test_tab_indentation_in_a_pants_build_file(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"pants.toml": "", "a/BUILD": TABBED})
    assert run(["list", "::"], root=root)[:2] == (0, "a:yes\n")


def test_tab_indentation_in_a_bazel_build_file_is_starlarks_error(
    tmp_path: Path, run: Runner
) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "a/BUILD.bazel": TABBED})
    err = fails(run, root)
    assert "tabs are not allowed" in err.splitlines()[0], err


@pytest.mark.skipif(os.name != "posix", reason="POSIX file names")
def test_the_printed_names_of_good_targets_are_unchanged(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"pants.toml": "", "a/BUILD": 'target(name="naïve-名前")\n'})
    assert run(["list", "::"], root=root)[:2] == (0, "a:naïve-名前\n")
