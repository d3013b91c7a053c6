"""Command-line habits users bring from Pants, Bazel, Buck2, uv and twine: filters on list,
relative labels inside a package, `.graphpub/` ignored by git, verbosity, colour, one --format
spelling, shell completion."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, TESTDATA, Runner, lines


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(TESTDATA / "demo", root, ignore=shutil.ignore_patterns("dist", ".graphpub"))
    return root


def listed(run: Runner, root: Path, *args: str) -> list[str]:
    code, out, err = run(["list", *args], root=root)
    assert code == 0, err
    return lines(out)


# ---------------------------------------------------------------- list filters


def test_filter_target_type_as_pants(demo: Path, run: Runner) -> None:
    assert listed(run, demo, "::", "--filter-target-type=python_distribution") == [
        "src/python/greeting:dist",
        "src/python/testutil:dist",
        "src/python:demo",
    ]
    # Comma: any of them; repeated: each; `-`: none of them.
    assert listed(run, demo, "::", "--filter-target-type=python_distribution,pex_binary") == [
        "src/python/demo:bin",
        "src/python/greeting:dist",
        "src/python/testutil:dist",
        "src/python:demo",
    ]
    everything = listed(run, demo, "::")
    not_sources = listed(run, demo, "::", "--filter-target-type=-python_source,python_sources")
    assert "src/python/demo/main.py" not in not_sources and "src/python/demo" not in not_sources
    assert "src/python:demo" in not_sources and len(not_sources) < len(everything)
    assert (
        listed(
            run,
            demo,
            "::",
            "--filter-target-type=python_distribution",
            "--filter-target-type=-python_distribution",
        )
        == []
    )
    code, _, err = run(["list", "::", "--filter-target-type=python_distributoin"], root=demo)
    assert code == 1
    assert "unknown target type 'python_distributoin'" in err
    assert "did you mean python_distribution" in err


def test_filter_address_regex(demo: Path, run: Runner) -> None:
    assert listed(run, demo, "::", "--filter-address-regex=:dist$") == [
        "src/python/greeting:dist",
        "src/python/testutil:dist",
    ]
    assert listed(
        run,
        demo,
        "::",
        "--filter-address-regex=:dist$",
        "--filter-address-regex=-testutil",
    ) == ["src/python/greeting:dist"]
    code, _, err = run(["list", "::", "--filter-address-regex=("], root=demo)
    assert code == 1 and "is not a regular expression" in err


# ---------------------------------------------------------------- relative labels


def test_relative_labels_in_bazel_and_buck2(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    root = TESTDATA / "bazel_wheel"
    monkeypatch.chdir(root / "src" / "greetlib")
    code, out, err = run(["list", ":all"])
    assert code == 0, err
    assert lines(out) == ["//src/greetlib:core_test", "//src/greetlib:greetlib"]
    code, out, _ = run(["list", ":greetlib"])
    assert lines(out) == ["//src/greetlib:greetlib"]
    monkeypatch.chdir(root / "src")
    code, out, _ = run(["list", "greetlib:greetlib", "-greetcli:wheel_pkg", "greetcli/..."])
    assert code == 0
    assert "//src/greetlib:greetlib" in lines(out)
    assert "//src/greetcli:wheel_pkg" not in lines(out)
    assert "//src/greetcli:wheel" in lines(out)
    # Absolute labels mean the same anywhere.
    code, out, _ = run(["list", "//src/greetlib:greetlib"])
    assert lines(out) == ["//src/greetlib:greetlib"]
    buck2 = TESTDATA / "buck2_python"
    package = next(p.parent for p in sorted(buck2.rglob("BUCK")) if p.parent != buck2)
    monkeypatch.chdir(package)
    code, out, err = run(["list", ":"])
    assert code == 0, err
    relative = package.relative_to(buck2).as_posix()
    assert lines(out) and all(f"//{relative}:" in line for line in lines(out))


def test_pants_specs_stay_relative_to_the_root(
    demo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(demo / "src" / "python")
    code, out, err = run(["list", "src/python:demo"])
    assert (code, lines(out)) == (0, ["src/python:demo"]), err


# ---------------------------------------------------------------- .graphpub and dist


def test_graphpub_directory_is_ignored_by_git(demo: Path, run: Runner) -> None:
    subprocess.run(["git", "init", "-q", str(demo)], check=True)
    code, _, err = run(["package", "src/python/greeting:dist"], root=demo)
    assert code == 0, err
    assert (demo / ".graphpub" / ".gitignore").read_text().splitlines()[-1] == "*"
    status = subprocess.run(
        ["git", "-C", str(demo), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ".graphpub" not in status
    assert "dist/" in status  # the README says to ignore it: the user's choice
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert "add `dist/` to your `.gitignore`" in readme
