import os
from pathlib import Path
import pytest
from tests.conftest import Runner
from tests.monorepos import chain_repo
from tests.servers import IndexServer, pypi_server_fixture  # noqa: F401

def test_show(tmp_path: Path, run: Runner, pypi_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TWINE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    root = chain_repo(tmp_path / "repo", [pypi_server.url], count=2)
    code, out, err = run(["publish", "::"], root=root)
    open("/tmp/exp13/out.txt", "a").write(out + "=====\n")
    monkeypatch.setenv("TWINE_USERNAME", "publisher")
    monkeypatch.setenv("TWINE_PASSWORD", "wrong")
    code, out, err = run(["publish", "::"], root=root)
    open("/tmp/exp13/out.txt", "a").write(out + "=====\n")
    assert 0
