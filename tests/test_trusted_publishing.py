"""Trusted publishing: GitHub's OIDC variables reach the twine process of a PyPI or TestPyPI
repository that has no password, and no other process; `--dry-run` says so."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from graphpub.publish.repositories import TRUSTED_PUBLISHING, Repository, twine_environment
from graphpub.publish.trusted import OIDC_VARIABLES
from tests.conftest import TESTDATA, Runner
from tests.servers import IndexServer, private_server_fixture, pypi_server_fixture  # noqa: F401

OIDC = {
    "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/_apis/token?api-version=2.0",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-request-secret",
}


def _repository(name: str, url: str, password: str | None = None) -> Repository:
    alias = name[1:] if name.startswith("@") else None
    return Repository(name=name, alias=alias, url=url, password=password)


@pytest.mark.parametrize(
    ("repository", "environ", "trusted"),
    [
        (_repository("@pypi", "https://upload.pypi.org/legacy/"), {}, True),
        (_repository("@testpypi", "https://test.pypi.org/legacy/"), {}, True),
        (
            _repository("https://upload.pypi.org/legacy/", "https://upload.pypi.org/legacy/"),
            {},
            True,
        ),
        # A password found: twine uses it, the identity stays out.
        (_repository("@pypi", "https://upload.pypi.org/legacy/"), {"TWINE_PASSWORD": "t"}, False),
        (
            _repository("@pypi", "https://upload.pypi.org/legacy/"),
            {"TWINE_PASSWORD_PYPI": "t"},
            False,
        ),
        (_repository("@pypi", "https://upload.pypi.org/legacy/", password="pypirc"), {}, False),
        # Not PyPI: a private index never sees it.
        (_repository("@private-repo", "https://pypi.corp.example/"), {}, False),
        (_repository("https://pypi.corp.example/", "https://pypi.corp.example/"), {}, False),
        # @pypi redirected elsewhere by TWINE_REPOSITORY_URL_PYPI is not PyPI.
        (
            _repository("@pypi", "https://upload.pypi.org/legacy/"),
            {"TWINE_REPOSITORY_URL_PYPI": "https://pypi.corp.example/"},
            False,
        ),
    ],
)
def test_the_oidc_variables_go_only_to_pypi_without_password(
    repository: Repository, environ: dict[str, str], trusted: bool
) -> None:
    environment, found = twine_environment(repository, {**environ, **OIDC, "HOME": "/h"})
    assert environment["HOME"] == "/h"
    assert all((name in environment) == trusted for name in OIDC_VARIABLES)
    assert (TRUSTED_PUBLISHING in found) == trusted
    # Without the variables (not on GitHub Actions, or no id-token permission): nothing.
    environment, found = twine_environment(repository, {**environ, "HOME": "/h"})
    assert TRUSTED_PUBLISHING not in found


RECORDER = textwrap.dedent(
    """
    # Loaded by every Python process started with this directory on PYTHONPATH: a twine
    # process records the environment it received; the PyPI one then stops, offline.
    import json, os, sys
    record = os.environ.get("RECORD_TWINE_ENVIRONMENT")
    if record and "twine" in sys.argv[1:] or (record and sys.argv and "--" in sys.argv):
        path = os.path.join(record, f"{os.getpid()}.json")
        with open(path, "w") as f:
            json.dump({"argv": sys.argv, "environ": dict(os.environ)}, f)
        if "pypi" in sys.argv:  # `--repository pypi`: never reach upload.pypi.org
            sys.stderr.write("stopped before uploading to PyPI\\n")
            os._exit(1)
    """
)


@pytest.fixture
def demo(tmp_path: Path, pypi_server: IndexServer, private_server: IndexServer) -> Path:
    """testdata/demo with @pypi left as PyPI (its index read from the local stand-in) and
    @private-repo on the private server."""
    root = tmp_path / "demo"
    shutil.copytree(TESTDATA / "demo", root, ignore=shutil.ignore_patterns("dist", ".graphpub"))
    (root / ".pypirc").write_text(
        "[distutils]\nindex-servers =\n    pypi\n    private-repo\n\n"
        f"[private-repo]\nrepository: {private_server.url}\n",
        encoding="utf-8",
    )
    (root / "graphpub.toml").write_text(
        f'[index_urls]\n"@pypi" = "{pypi_server.simple_url}"\n', encoding="utf-8"
    )
    return root


@pytest.fixture
def github_actions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a GitHub Actions job with `id-token: write` and the private index's
    secrets."""
    for name in list(os.environ):
        if name.startswith("TWINE_"):
            monkeypatch.delenv(name)
    for name, value in OIDC.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("TWINE_USERNAME_PRIVATE_REPO", "accountname")
    monkeypatch.setenv("TWINE_PASSWORD_PRIVATE_REPO", "secretvalue")


def test_each_twine_process_receives_only_its_credentials(
    demo: Path,
    tmp_path: Path,
    run: Runner,
    github_actions: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(
        ["publish", "src/python:demo", "--to", "@pypi", "--to", "@private-repo", "--dry-run"],
        root=demo,
    )
    assert code == 0, err
    assert f"@pypi: credentials from {TRUSTED_PUBLISHING}" in out
    assert (
        "@private-repo: credentials from TWINE_USERNAME_PRIVATE_REPO, TWINE_PASSWORD_PRIVATE_REPO"
        in out
    )
    assert "oidc-request-secret" not in out + err

    hooks, records = tmp_path / "hooks", tmp_path / "records"
    hooks.mkdir()
    records.mkdir()
    (hooks / "sitecustomize.py").write_text(RECORDER, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(hooks))
    monkeypatch.setenv("RECORD_TWINE_ENVIRONMENT", str(records))
    code, out, err = run(
        ["publish", "src/python:demo", "--to", "@pypi", "--to", "@private-repo"], root=demo
    )
    assert code == 1, err  # PyPI's twine stopped before uploading
    assert "✓ demo-1.0.0.tar.gz published to @private-repo" in out
    received = [json.loads(p.read_text()) for p in records.iterdir()]
    twines = [r for r in received if "upload" in r["argv"]]
    to_pypi = [r for r in twines if "pypi" in r["argv"]]
    to_private = [r for r in twines if "private-repo" in r["argv"]]
    assert to_pypi and to_private and len(to_pypi) + len(to_private) == len(twines)
    for record in to_pypi:
        environ = record["environ"]
        assert {k: environ.get(k) for k in OIDC} == OIDC
        assert not any(k.startswith("TWINE_") for k in environ), environ
    for record in to_private:
        environ = record["environ"]
        assert not set(OIDC) & set(environ)
        assert environ["TWINE_PASSWORD"] == "secretvalue"
