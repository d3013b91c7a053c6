"""The commands: list, peek, dependencies, dependents, graph; output styles; the entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from graphpub import __version__
from tests.conftest import TESTDATA, Runner, lines, make_repo
from tests.test_fixtures import DEMO_TARGETS

PANTS_REPO = {
    "pants.toml": "",
    "lib/BUILD": (
        'python_sources(sources = ["*.py"])\n\nresources(name = "data", sources = ["*.json"])\n'
    ),
    "lib/util.py": "",
    "lib/table.json": "{}",
    "app/BUILD": (
        'python_sources(dependencies = ["lib", "lib:data"])\n'
        'pex_binary(name = "bin", dependencies = [":app"], entry_point = "main.py")\n'
    ),
    "release/BUILD": (
        "python_distribution(\n"
        '    name = "rel",\n'
        '    dependencies = ["app:bin"],\n'
        '    provides = python_artifact(name = "rel", version = "0.1"),\n'
        ")\n"
    ),
    "other/BUILD": 'target(name = "other", dependencies = ["lib:data"])\n',
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path, PANTS_REPO)


def test_list(repo: Path, run: Runner) -> None:
    code, out, err = run(["list", "::"], root=repo)
    assert (code, err) == (0, "")
    assert out == "app\napp:bin\nlib\nlib:data\nother\nrelease:rel\n"


def test_peek(repo: Path, run: Runner) -> None:
    code, out, err = run(["peek", "app:bin", "lib:data"], root=repo)
    assert (code, err) == (0, "")
    records = json.loads(out)
    assert records == [
        {
            "address": "app:bin",
            "kind": "pex_binary",
            "location": records[0]["location"],
            "fields": {"dependencies": [":app"], "entry_point": "main.py", "name": "bin"},
            "dependencies": ["app"],
            "sources": [],
        },
        {
            "address": "lib:data",
            "kind": "resources",
            "location": records[1]["location"],
            "fields": {"name": "data", "sources": ["*.json"]},
            "dependencies": [],
            "sources": ["lib/table.json"],
        },
    ]
    assert records[0]["location"] in ("app/BUILD:2", "app/BUILD:2:1")
    assert records[1]["location"] in ("lib/BUILD:3", "lib/BUILD:3:1")


def test_peek_sources_are_expanded(repo: Path, run: Runner) -> None:
    code, out, _ = run(["peek", "lib"], root=repo)
    assert code == 0
    [record] = json.loads(out)
    assert record["sources"] == ["lib/util.py"]
    assert record["fields"]["sources"] == ["*.py"]


def test_dependencies(repo: Path, run: Runner) -> None:
    assert run(["dependencies", "app"], root=repo) == (0, "lib\nlib:data\n", "")
    assert run(["dependencies", "release:rel"], root=repo) == (0, "app:bin\n", "")
    assert run(["dependencies", "lib"], root=repo) == (0, "", "")


def test_dependencies_transitive(repo: Path, run: Runner) -> None:
    code, out, err = run(["dependencies", "--transitive", "release:rel"], root=repo)
    assert (code, err) == (0, "")
    assert out == "app\napp:bin\nlib\nlib:data\n"


def test_dependencies_of_several_roots(repo: Path, run: Runner) -> None:
    code, out, _ = run(["dependencies", "app:bin", "other"], root=repo)
    assert (code, out) == (0, "app\nlib:data\n")


def test_dependents(repo: Path, run: Runner) -> None:
    assert run(["dependents", "lib:data"], root=repo) == (0, "app\nother\n", "")
    assert run(["dependents", "release:rel"], root=repo) == (0, "", "")


def test_dependents_transitive(repo: Path, run: Runner) -> None:
    code, out, err = run(["dependents", "--transitive", "lib"], root=repo)
    assert (code, err) == (0, "")
    assert out == "app\napp:bin\nrelease:rel\n"


def test_graph_json(repo: Path, run: Runner) -> None:
    code, out, err = run(["graph", "--format", "json", "app:bin"], root=repo)
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "nodes": [
            {"address": "app", "kind": "python_sources"},
            {"address": "app:bin", "kind": "pex_binary"},
            {"address": "lib", "kind": "python_sources"},
            {"address": "lib:data", "kind": "resources"},
        ],
        "edges": [
            {"from": "app", "to": "lib"},
            {"from": "app", "to": "lib:data"},
            {"from": "app:bin", "to": "app"},
        ],
    }


def test_graph_dot(repo: Path, run: Runner) -> None:
    code, out, err = run(["graph", "--format", "dot", "app"], root=repo)
    assert (code, err) == (0, "")
    assert out == (
        "digraph targets {\n"
        '  "app" [label="app\\npython_sources"];\n'
        '  "lib" [label="lib\\npython_sources"];\n'
        '  "lib:data" [label="lib:data\\nresources"];\n'
        '  "app" -> "lib";\n'
        '  "app" -> "lib:data";\n'
        "}\n"
    )


def test_graph_defaults_to_dot(repo: Path, run: Runner) -> None:
    code, out, _ = run(["graph", "lib"], root=repo)
    assert code == 0
    assert out.startswith("digraph targets {\n")


def test_graph_rejects_unknown_format(repo: Path, run: Runner) -> None:
    code, out, err = run(["graph", "--format", "svg", "lib"], root=repo)
    assert code == 2
    assert out == ""
    assert "invalid choice" in err


def test_bazel_style_output(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": 'py_library(name = "top", deps = ["//lib"])\n',
            "lib/BUILD.bazel": (
                'py_library(name = "lib", deps = [":helper"])\npy_library(name = "helper")\n'
            ),
        },
    )
    assert run(["list", "//..."], root=root) == (0, "//:top\n//lib:helper\n//lib:lib\n", "")
    assert run(["dependencies", "--transitive", "//:top"], root=root) == (
        0,
        "//lib:helper\n//lib:lib\n",
        "",
    )
    assert run(["dependents", "//lib:helper"], root=root) == (0, "//lib:lib\n", "")
    code, out, _ = run(["graph", "--format", "json", "//lib"], root=root)
    assert code == 0
    assert json.loads(out)["edges"] == [{"from": "//lib:lib", "to": "//lib:helper"}]


def test_buck2_style_output(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": "[cells]\n  root = .\n",
            "app/BUCK": 'python_library(name = "app")\n',
        },
    )
    assert run(["list", "//..."], root=root) == (0, "//app:app\n", "")


def test_version(run: Runner) -> None:
    code, out, _ = run(["--version"])
    assert code == 0
    assert out.strip() == f"graphpub {__version__}"


def test_no_command_prints_help(run: Runner) -> None:
    code, out, err = run([])
    assert code == 2
    assert out == ""
    assert "usage: graphpub" in err


def test_command_needs_a_spec(repo: Path, run: Runner) -> None:
    code, _, err = run(["list"], root=repo)
    assert code == 2
    assert "usage:" in err


def test_console_script_entry_point() -> None:
    script = Path(sys.executable).parent / "graphpub"
    result = subprocess.run(
        [str(script), "-C", str(TESTDATA / "demo"), "list", "src/python::"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [t for t in DEMO_TARGETS if t.startswith("src/python")]


def test_pants_file_address_dependencies(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "a/BUILD": (
                'python_sources(sources = ["*.py"])\n'
                'python_sources(name = "other", sources = ["x.py"])\n'
                'target(name = "never")\n'
            ),
            "a/x.py": "",
            "a/y.py": "",
            "3rd/BUILD": "python_requirements()\n",
            "util/BUILD": "target()\n",
            "b/BUILD": (
                "target(\n"
                '    name = "b",\n'
                "    dependencies = [\n"
                '        "a/y.py",\n'
                '        "a/x.py:other",\n'
                '        "!a:never",\n'
                '        "!!a:never",\n'
                '        "3rd#attrs",\n'
                '        "util",\n'
                "    ],\n"
                ")\n"
            ),
        },
    )
    code, out, err = run(["dependencies", "b"], root=root)
    assert (code, err) == (0, "")
    assert lines(out)[1:] == ["a", "a:other", "util"]
    assert lines(out)[0] in ("3rd", "3rd#attrs")
    assert run(["dependents", "a:never"], root=root) == (0, "", "")
