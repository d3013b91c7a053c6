"""docs/ci.md: its two GitHub Actions workflows parse, have the shape trusted publishing and
secrets need, and every graphpub command in them works, run as the workflow would run it
against the demo repository after a merge, with local indexes."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT, TESTDATA
from tests.servers import PRIVATE_CREDENTIALS, IndexServer, clean_env, start_pypiserver

DOC = REPO_ROOT / "docs" / "ci.md"


def workflow(name: str) -> dict[str, Any]:
    """The YAML block after `<!-- workflow:NAME -->` in docs/ci.md."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- workflow:{name} -->\n```yaml\n(.*?)\n```", text, re.S)
    assert match, f"docs/ci.md has no workflow {name}"
    document: dict[Any, Any] = yaml.safe_load(match.group(1))
    # YAML 1.1 reads the key `on` as True, as PyYAML does; GitHub reads it as "on".
    if True in document:
        document["on"] = document.pop(True)
    return document


def evaluate(text: str, context: Mapping[str, str]) -> str:
    """`${{ expression }}` replaced as GitHub would, for the expressions the docs use."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        assert expression in context, f"unexpected expression {expression!r} in docs/ci.md"
        return context[expression]

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "-c", "user.email=ci@example.com", "-c", "user.name=CI", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture
def private_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """A private index of its own: nothing another test uploaded is on it."""
    server = start_pypiserver(tmp_path_factory.mktemp("ci-private"), *PRIVATE_CREDENTIALS)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def merged(tmp_path: Path, private_index: IndexServer) -> tuple[Path, str]:
    """The demo as a clone after a push to main that changed demo-greeting's code, its
    `@pypi` a directory index and `@private-repo` the local private index; and the commit
    before the push (`github.event.before`)."""
    root = tmp_path / "demo"
    shutil.copytree(TESTDATA / "demo", root, ignore=shutil.ignore_patterns("dist", ".graphpub"))
    (root / ".pypirc").write_text(
        "[distutils]\nindex-servers =\n    pypi\n    private-repo\n\n"
        "[pypi]\nrepository: file:dist/index\n\n"
        f"[private-repo]\nrepository: {private_index.url}\n",
        encoding="utf-8",
    )
    (root / ".gitignore").write_text("/dist/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "before")
    before = git(root, "rev-parse", "HEAD")
    greeting = root / "src/python/greeting/greeting.py"
    greeting.write_text(greeting.read_text(encoding="utf-8") + "# a fix\n", encoding="utf-8")
    git(root, "commit", "-qam", "fix greeting")
    return root, before


def run_steps(
    document: dict[str, Any], root: Path, context: Mapping[str, str], environ: Mapping[str, str]
) -> list[subprocess.CompletedProcess[str]]:
    """Run the job's steps that call graphpub, with the job's and step's `env`, in `root`."""
    job = document["jobs"]["publish"]
    done = []
    for step in job["steps"]:
        command = step.get("run", "")
        if "graphpub " not in command or command.startswith("pip install"):
            continue
        env = {**environ}
        for scope in (job.get("env", {}), step.get("env", {})):
            env.update({k: evaluate(str(v), context) for k, v in scope.items()})
        result = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", evaluate(command, context)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        done.append(result)
    return done


def _environ() -> dict[str, str]:
    """A runner's environment: graphpub on PATH (as `pip install graphpub` puts it)."""
    environ = {k: v for k, v in clean_env().items() if not k.startswith("TWINE_")}
    environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}"
    environ["GITHUB_ACTIONS"] = "true"
    return environ


def test_trusted_publishing_workflow(merged: tuple[Path, str]) -> None:
    document = workflow("trusted-publishing")
    assert document["on"] == {"push": {"branches": ["main"]}}
    job = document["jobs"]["publish"]
    assert job["permissions"]["id-token"] == "write"
    assert "secrets." not in str(document)  # no stored password: the job's identity
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    root, before = merged
    environ = _environ()
    # What GitHub sets for a job with `id-token: write`; a directory index ignores it.
    environ["ACTIONS_ID_TOKEN_REQUEST_URL"] = "http://127.0.0.1:9/token"
    environ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "request-token"
    plan, publish = run_steps(document, root, {"github.event.before": before}, environ)
    assert "demo_greeting-1.0.0.tar.gz would be published to @pypi" in plan.stdout
    assert "demo-1.0.0.tar.gz would be published to @pypi" in plan.stdout  # a dependent
    assert "testutil" not in plan.stdout  # unchanged
    assert "✓ demo_greeting-1.0.0-py3-none-any.whl published to @pypi" in publish.stdout
    index = root / "dist" / "index"
    assert sorted(p.name for p in index.iterdir() if p.is_dir()) == ["demo", "demo-greeting"]
    assert (root / "publish-report.json").is_file()


def test_private_index_workflow(merged: tuple[Path, str], private_index: IndexServer) -> None:
    document = workflow("private-index")
    job = document["jobs"]["publish"]
    assert job["env"] == {
        "TWINE_USERNAME_PRIVATE_REPO": "${{ secrets.PRIVATE_REPO_USERNAME }}",
        "TWINE_PASSWORD_PRIVATE_REPO": "${{ secrets.PRIVATE_REPO_PASSWORD }}",
    }
    assert "id-token" not in job["permissions"]
    root, before = merged
    username, password = PRIVATE_CREDENTIALS
    context = {
        "github.event.before": before,
        "secrets.PRIVATE_REPO_USERNAME": username,
        "secrets.PRIVATE_REPO_PASSWORD": password,
    }
    plan, publish = run_steps(document, root, context, _environ())
    assert (
        "@private-repo: credentials from TWINE_USERNAME_PRIVATE_REPO, TWINE_PASSWORD_PRIVATE_REPO"
        in plan.stdout
    )
    assert password not in plan.stdout + plan.stderr + publish.stdout + publish.stderr
    assert {p.name for p in private_index.packages_dir.rglob("*.*")} == {
        "demo-1.0.0.tar.gz",
        "demo-1.0.0-py3-none-any.whl",
        "demo_greeting-1.0.0.tar.gz",
        "demo_greeting-1.0.0-py3-none-any.whl",
    }
    assert password not in (root / "publish-report.json").read_text(encoding="utf-8")
