"""Secrets appear nowhere: not in stdout, stderr or the JSON report, whether the run succeeds,
fails, or fails with --debug (tracebacks included)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphpub.secrets import Secrets
from tests.monorepos import chain_files, chain_repo
from tests.servers import IndexServer, clean_env, simple_index_files, start_pypiserver

# Distinctive values: none of them can appear in any output by chance.
UPLOAD_PASSWORD = "Zq7-upload-S3CRET-4410"
WRONG_PASSWORD = "Zq7-wrong-S3CRET-5521"
PYPIRC_PASSWORD = "Zq7-pypirc-S3CRET-8830"
URL_PASSWORD = "Zq7-userinfo-S3CRET-9902"
SECRETS = (UPLOAD_PASSWORD, WRONG_PASSWORD, PYPIRC_PASSWORD, URL_PASSWORD)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    started = start_pypiserver(tmp_path_factory.mktemp("secrets"), "uploader", UPLOAD_PASSWORD)
    yield started
    started.stop()


def graphpub(root: Path, *args: str, env: dict[str, str]) -> tuple[int, str]:
    """Run graphpub as its own process; its exit code and everything it wrote."""
    report = root / "report.json"
    report.unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "graphpub", "-C", str(root), *args, "--output", str(report)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    written = result.stdout + result.stderr
    if report.exists():
        written += report.read_text(encoding="utf-8")
    return result.returncode, written


def assert_no_secret(written: str) -> None:
    for secret in SECRETS:
        assert secret not in written, written


def repo(tmp_path: Path, server: IndexServer, pypirc_password: str, name: str) -> Path:
    pypirc = (
        "[distutils]\nindex-servers = corp\n\n"
        f"[corp]\nrepository: {server.url}\nusername: uploader\npassword: {pypirc_password}\n"
    )
    return chain_repo(
        tmp_path / "repo",
        ["@corp", server.url],
        count=2,
        name=name,
        pypirc=pypirc,
        config="upload_retries = 0\n",
    )


def test_a_successful_run(tmp_path: Path, server: IndexServer) -> None:
    root = repo(tmp_path, server, PYPIRC_PASSWORD, "succeeding")
    env = clean_env(
        {
            "TWINE_USERNAME": "uploader",
            "TWINE_PASSWORD": UPLOAD_PASSWORD,
            "TWINE_PASSWORD_CORP": UPLOAD_PASSWORD,
        }
    )
    for args in (["publish", "--dry-run", "::"], ["publish", "::"], ["publish", "--debug", "::"]):
        code, written = graphpub(root, *args, env=env)
        assert code == 0, written
        assert_no_secret(written)
    assert simple_index_files(server) >= chain_files(2, "succeeding")


def test_failing_runs_with_and_without_debug(tmp_path: Path, server: IndexServer) -> None:
    root = repo(tmp_path, server, WRONG_PASSWORD, "failing")
    for debug in ([], ["--debug"]):
        # Wrong credentials everywhere: the server answers 403 to each repository.
        env = clean_env({"TWINE_USERNAME": "uploader", "TWINE_PASSWORD": WRONG_PASSWORD})
        code, written = graphpub(root, "publish", *debug, "::", env=env)
        assert code == 1
        assert "403 Forbidden" in written
        assert_no_secret(written)
        # Credentials in the repository URL, and a repository that refuses connections.
        env["TWINE_REPOSITORY_URL_CORP"] = f"http://uploader:{URL_PASSWORD}@127.0.0.1:9/"
        code, written = graphpub(root, "publish", *debug, "::", env=env)
        assert code == 1
        assert "connection refused" in written
        assert_no_secret(written)


def test_an_error_raised_with_debug_shows_its_traceback_but_no_secret(tmp_path: Path) -> None:
    root = chain_repo(
        tmp_path / "repo",
        ["@corp"],
        count=1,
        pypirc="[distutils]\nindex-servers = corp\n[corp]\nrepository: https://x/\n",
    )
    env = clean_env({"TWINE_REPOSITORY_URL_CORP": f"http://u:{URL_PASSWORD}@pypi.corp.example/"})
    code, written = graphpub(root, "publish", "--debug", "::", env=env)
    assert code == 1
    assert "Traceback" in written  # --debug shows it
    assert "credentials would cross the network unencrypted" in written
    assert_no_secret(written)


def test_redact_removes_secrets_and_userinfo() -> None:
    text = (
        f"Uploading to https://user:{URL_PASSWORD}@pypi.example/ as user with {UPLOAD_PASSWORD}\n"
        f"token pypi-{PYPIRC_PASSWORD}"
    )
    secrets = Secrets()
    secrets.add(UPLOAD_PASSWORD, "TWINE_PASSWORD")
    secrets.add(f"pypi-{PYPIRC_PASSWORD}", ".pypirc")
    redacted = secrets.redact(text)
    assert redacted == "Uploading to https://***@pypi.example/ as user with ***\ntoken ***"


# ---------------------------------------------------------------- probes of an attacker

BUILD_PASSWORD = "Zq7-build-S3CRET-3317"
TOKEN = "Zq7-token-S3CRET-6120"


def test_userinfo_in_a_build_file_url_without_any_twine_variable(tmp_path: Path) -> None:
    """No TWINE_* variable at all: the filter is on anyway, for stdout, stderr and the
    report."""
    url = f"http://alice:{BUILD_PASSWORD}@127.0.0.1:9/"
    root = chain_repo(tmp_path / "repo", [url], count=1, config="upload_retries = 0\n")
    for debug in ([], ["--debug"]):
        code, written = graphpub(root, "publish", *debug, "::", env=clean_env())
        assert code == 1
        assert "connection refused" in written
        assert BUILD_PASSWORD not in written, written


@pytest.mark.parametrize(
    "pypirc",
    [
        # An invalid URL in a section that has a password.
        f"[distutils]\nindex-servers = corp\n[corp]\nrepository: http://[::1\n"
        f"password: {PYPIRC_PASSWORD}\n".encode(),
        # A byte that is not UTF-8 on the password line.
        b"[distutils]\nindex-servers = corp\n[corp]\nrepository: https://x.example/\n"
        b"password: " + PYPIRC_PASSWORD.encode() + b"\xff\n",
        # configparser quoting the line it cannot parse.
        f"[distutils]\nindex-servers = corp\n[corp]\nrepository: https://x.example/\n"
        f"password: {PYPIRC_PASSWORD}\n  continued\n[corp]\n"
        f"password = {PYPIRC_PASSWORD}\n".encode(),
    ],
    ids=["invalid-url", "not-utf8", "duplicate-section"],
)
def test_pypirc_errors_never_quote_the_password(tmp_path: Path, pypirc: bytes) -> None:
    root = chain_repo(tmp_path / "repo", ["@corp"], count=1)
    (root / ".pypirc").write_bytes(pypirc)
    code, written = graphpub(root, "publish", "--dry-run", "::", env=clean_env())
    assert code == 1
    assert ".pypirc" in written or "corp" in written
    assert PYPIRC_PASSWORD not in written, written


@pytest.mark.parametrize("variable", ["TWINE_PASSWORD", "TWINE_USERNAME_CORP", "MY_API_TOKEN"])
def test_env_of_a_credential_is_an_error_at_its_call(tmp_path: Path, variable: str) -> None:
    root = chain_repo(tmp_path / "repo", ["@corp"], count=1)
    build = root / "p0" / "BUILD"
    build.write_text(
        build.read_text().replace(
            'description="Link 0 of the chain."', f'description=env("{variable}")'
        )
    )
    env = clean_env({variable: TOKEN})
    code, written = graphpub(root, "publish", "--dry-run", "::", env=env)
    assert code == 1
    assert f"p0/BUILD:4:21: env({variable!r}) reads a credential" in written, written
    assert TOKEN not in written


def test_env_of_a_variable_left_out_of_secret_env_is_read(tmp_path: Path) -> None:
    root = chain_repo(tmp_path / "repo", ["@corp"], count=1, config="secret_env = []\n")
    build = root / "p0" / "BUILD"
    build.write_text(
        build.read_text().replace(
            'description="Link 0 of the chain."', 'description=env("RELEASE_TOKEN")'
        )
    )
    env = clean_env({"RELEASE_TOKEN": "a plain description"})
    _, written = graphpub(root, "publish", "--dry-run", "::", env=env)
    assert "reads a credential" not in written, written


def test_a_credential_in_a_distribution_is_never_published(
    tmp_path: Path, server: IndexServer
) -> None:
    """The repository's own .pypirc, with the upload password, named as the long
    description: inside the root, a regular file, so it is read; but what it holds is a
    credential graphpub knows, so nothing is uploaded."""
    root = repo(tmp_path, server, PYPIRC_PASSWORD, "exfiltrating")
    build = root / "p0" / "BUILD"
    build.write_text(
        build.read_text().replace(
            "repositories=", 'long_description_path=".pypirc",\n    repositories='
        )
    )
    env = clean_env({"TWINE_USERNAME": "uploader", "TWINE_PASSWORD": UPLOAD_PASSWORD})
    code, written = graphpub(root, "publish", "::", env=env)
    assert code == 1
    first = next(line for line in written.splitlines() if "refusing to publish" in line)
    assert first == (
        "p0/BUILD:5:5: refusing to publish exfiltrating-p0 (p0:dist): the Description field "
        "of exfiltrating_p0-1.0-py3-none-any.whl holds the value of a credential "
        f"({root / '.pypirc'} [corp] password)"
    ), first
    assert_no_secret(written)
    assert not [f for f in simple_index_files(server) if f.startswith("exfiltrating")]


def test_secret_env_values_are_redacted() -> None:
    secrets = Secrets()
    secrets.add_environment(
        {"GITHUB_TOKEN": TOKEN, "SECRETS_ENABLED": "true", "TWINE_PASSWORD_X": "pw-x-123"}
    )
    assert secrets.redact(f"{TOKEN} true pw-x-123") == "*** true ***"
    assert secrets.found_in(f"header {TOKEN}") == "GITHUB_TOKEN"
