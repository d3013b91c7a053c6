"""Command-line habits users bring from Pants, Bazel, Buck2, uv and twine: filters on list,
relative labels inside a package, `.graphpub/` ignored by git, verbosity, colour, one --format
spelling, shell completion."""

from __future__ import annotations

import functools
import json
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
    readme = " ".join((REPO_ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "add `dist/` to your `.gitignore`" in readme


# ---------------------------------------------------------------- verbosity and colour


def git_clone_of(root: Path) -> None:
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(
            ["git", "-C", str(root), "-c", "user.email=a@b", "-c", "user.name=a", *args],
            check=True,
        )


def test_verbose_and_quiet(demo: Path, run: Runner) -> None:
    git_clone_of(demo)
    greeting = demo / "src/python/greeting/greeting.py"
    greeting.write_text(greeting.read_text() + "# changed\n")
    code, out, err = run(["package", "--changed-since", "HEAD"], root=demo)
    assert code == 0, err
    # Issue 13's counts say one in the singular.
    assert err == "packaging 1 distribution\n"
    code, out_v, err = run(["-v", "package", "--changed-since", "HEAD"], root=demo)
    assert code == 0 and out_v == out
    assert "1 files changed since HEAD:\n  src/python/greeting/greeting.py\n" in err
    assert "  src/python/greeting:dist\n" in err
    code, out_q, err = run(["package", "-q", "--changed-since", "HEAD"], root=demo)
    assert (code, out_q, err) == (0, out, "")
    # Warnings: shown with -q, not with -qq; errors always.
    (demo / "broken").mkdir()
    (demo / "broken" / "BUILD").write_text("python_sources(\n")
    code, _, err = run(["-q", "dependents", "src/python/greeting"], root=demo)
    assert code == 0 and err.startswith("warning: ")
    code, _, err = run(["-qq", "dependents", "src/python/greeting"], root=demo)
    assert (code, err) == (0, "")
    code, _, err = run(["-qq", "list", "broken:"], root=demo)
    assert code == 1 and err.startswith("broken/BUILD:")
    # -vendor:: is still a spec to exclude, not -v.
    code, out, err = run(["list", "src/python::", "-src/python/demo::"], root=demo)
    assert code == 0 and "src/python/demo" not in out


def test_color(demo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    code, _, err = run(["--color", "always", "list", "src/python:nope"], root=demo)
    assert code == 1
    assert err.startswith("\033[1;31merror:\033[0m ")
    assert "\033[1;36mhint:\033[0m" in err
    # Not a terminal: none in auto; never: none.
    for option in ("--color=auto", "--color=never"):
        code, _, err = run([option, "list", "src/python:nope"], root=demo)
        assert code == 1 and "\033[" not in err
    # A located error: the location in bold, the caret in colour.
    (demo / "broken").mkdir()
    (demo / "broken" / "BUILD").write_text("python_sources(nme='x')\n")
    code, _, err = run(["--color=always", "list", "broken:"], root=demo)
    assert err.startswith("\033[1mbroken/BUILD:1:")
    assert "\033[1;31m^\033[0m" in err


def test_color_auto_follows_the_terminal_and_no_color(demo: Path) -> None:
    """In a real terminal (a pseudo-terminal), auto colours unless NO_COLOR is set."""
    import pty

    def on_terminal(*args: str, no_color: str | None = None) -> str:
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        env["TERM"] = "xterm"
        if no_color is not None:
            env["NO_COLOR"] = no_color
        parent, child = pty.openpty()
        process = subprocess.Popen(
            [sys.executable, "-m", "graphpub", "-C", str(demo), *args, "list", "nope:x"],
            stdin=child,
            stdout=child,
            stderr=child,
            env=env,
        )
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(parent, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
        os.close(parent)
        return b"".join(chunks).decode()

    assert "\033[1;31merror:" in on_terminal()
    assert "\033[" not in on_terminal(no_color="1")
    assert "\033[1;31merror:" in on_terminal(no_color="")  # empty: not set, as no-color.org says
    assert "\033[1;31merror:" in on_terminal("--color=always", no_color="1")
    assert "\033[" not in on_terminal("--color=never")


# ---------------------------------------------------------------- --format


def test_format_json_on_every_data_command(demo: Path, run: Runner) -> None:
    def as_json(*args: str) -> object:
        code, out, err = run([*args, "--format", "json"], root=demo)
        assert code == 0, err
        return json.loads(out)

    assert as_json("list", "src/python:") == [
        {"address": "src/python:demo", "kind": "python_distribution"}
    ]
    # The one written, and its entry point's module (inferred, as Pants infers it: issue 12's
    # Pants side).
    assert as_json("dependencies", "src/python:demo") == [
        {"address": "src/python/demo", "kind": "python_sources"},
        {"address": "src/python/demo/main.py", "kind": "python_source"},
    ]
    dependents = as_json("dependents", "src/python/demo")
    assert {"address": "src/python:demo", "kind": "python_distribution"} in dependents
    assert as_json("peek", "src/python:demo")[0]["address"] == "src/python:demo"
    records = as_json("package", "src/python/greeting:dist")
    assert [Path(r["path"]).name for r in records] == [
        "demo_greeting-1.0.0-py3-none-any.whl",
        "demo_greeting-1.0.0.tar.gz",
    ]
    # The old spelling still works, with a warning.
    code, out, err = run(["package", "--output", "json", "src/python/greeting:dist"], root=demo)
    assert code == 0 and json.loads(out) == records
    assert "warning: package --output is deprecated: use --format json" in err
    # publish: the report --output writes, on stdout.
    pypirc = ["--pypirc", str(demo / "local.pypirc"), "--to", "@pypi"]
    report_file = demo / "report.json"
    code, out, err = run(
        ["publish", "src/python:demo", *pypirc, "--format=json", "--output", str(report_file)],
        root=demo,
    )
    assert code == 0, err
    report = json.loads(out)
    assert report == json.loads(report_file.read_text())
    assert report["exit_code"] == 0
    assert {u["status"] for u in report["uploads"]} >= {"published"}


# ---------------------------------------------------------------- shell completion

GRAPHPUB = str(Path(sys.executable).parent / "graphpub")


@functools.cache
def completion_script(shell: str) -> str:
    result = subprocess.run(
        [GRAPHPUB, "completion", shell], capture_output=True, text=True, check=True
    )
    return result.stdout


def bash_complete(line: str, cwd: Path) -> list[str]:
    """What bash offers for `line` (the cursor at its end), with graphpub's script loaded."""
    words = line.split(" ")
    program = (
        completion_script("bash")
        + f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        + '_graphpub; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        ["bash", "--norc", "-c", program], capture_output=True, text=True, cwd=cwd, check=True
    )
    return [w for w in result.stdout.splitlines() if w]


def test_bash_completion(demo: Path) -> None:
    assert bash_complete("graphpub pu", demo) == ["publish"]
    assert bash_complete("graphpub -C . gr", demo) == ["graph"]
    assert set(bash_complete("graphpub list --filter-", demo)) == {
        "--filter-target-type",
        "--filter-address-regex",
    }
    assert bash_complete("graphpub graph --format ", demo) == ["dot", "json", "mermaid", "html"]
    assert bash_complete("graphpub list --format ", demo) == ["text", "json"]
    assert bash_complete("graphpub --color a", demo) == ["auto", "always"]
    assert bash_complete("graphpub list --changed-dependents t", demo) == ["transitive"]
    assert "python_distribution" in bash_complete("graphpub help python_d", demo)
    assert bash_complete("graphpub help python_a", demo) == ["python_artifact"]
    assert bash_complete("graphpub list src/python/gr", demo) == ["src/python/greeting"]
    assert bash_complete("graphpub completion ", demo) == ["bash", "zsh", "fish"]
    assert "--dry-run" in bash_complete("graphpub publish --", demo)
    assert "--dry-run" not in bash_complete("graphpub package --", demo)


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completion(demo: Path) -> None:
    """zsh loads the script (through bashcompinit) and offers the same words."""
    program = (
        completion_script("zsh")
        + "emulate -L sh; setopt kshglob noshglob braceexpand\n"
        + "COMP_WORDS=(graphpub graph --level ''); COMP_CWORD=3\n"
        + '_graphpub; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(
        ["zsh", "-f", "-c", program], capture_output=True, text=True, cwd=demo, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["targets", "distributions"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completion(demo: Path, tmp_path: Path) -> None:
    script = tmp_path / "graphpub.fish"
    script.write_text(completion_script("fish"))

    def complete(line: str) -> list[str]:
        result = subprocess.run(
            ["fish", "--no-config", "-c", f"source {script}; complete -C {line!r}"],
            capture_output=True,
            text=True,
            cwd=demo,
            check=True,
        )
        return [w.split("\t")[0] for w in result.stdout.splitlines()]

    assert complete("graphpub pub") == ["publish"]
    assert sorted(complete("graphpub graph --format ")) == ["dot", "html", "json", "mermaid"]
    assert "--changed-since" in complete("graphpub publish --chan")
    assert "--changed-since" not in complete("graphpub peek --chan")
    assert complete("graphpub help python_a") == ["python_artifact"]
