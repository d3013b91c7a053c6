"""Two `graphpub publish` runs at once into the same index lose nothing and corrupt nothing."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

from tests.monorepos import chain_files, chain_repo
from tests.servers import (  # noqa: F401  (fixtures)
    IndexServer,
    clean_env,
    private_server_fixture,
    simple_project_files,
)

COUNT = 6


def start_publish(root: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "graphpub", "-C", str(root), "publish", "::"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def both_succeed(*runs: subprocess.Popen[str]) -> list[str]:
    outputs = []
    for process in runs:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, out + err
        outputs.append(out)
    return outputs


def test_two_runs_into_one_directory_index(tmp_path: Path) -> None:
    index = tmp_path / "index"
    pypirc = f"[distutils]\nindex-servers = local\n\n[local]\nrepository: {index.as_uri()}\n"
    clones = [chain_repo(tmp_path / name, ["@local"], count=COUNT, pypirc=pypirc) for name in "ab"]
    outputs = both_succeed(*(start_publish(root, clean_env()) for root in clones))
    # Every file is published by exactly one of the runs; the other found it there.
    for name in chain_files(COUNT):
        published = [out for out in outputs if f"✓ {name} published to @local" in out]
        assert len(published) == 1, (name, outputs)
    # The index is complete and every page is consistent with the files it lists.
    projects = sorted(p.name for p in index.iterdir() if p.is_dir())
    assert projects == [f"chain-p{i}" for i in range(COUNT)]
    root_page = (index / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<a href="([^"]+)/">', root_page) == projects
    held = set()
    for project in projects:
        page = (index / project / "index.html").read_text(encoding="utf-8")
        for name, digest in re.findall(r'<a href="([^"#]+)#sha256=([0-9a-f]{64})">', page):
            assert hashlib.sha256((index / project / name).read_bytes()).hexdigest() == digest
            held.add(name)
    assert held == chain_files(COUNT)
    assert not [p for p in index.rglob("*.tmp")]  # no half-written file left behind


def test_two_runs_into_one_pypiserver(tmp_path: Path, private_server: IndexServer) -> None:
    server = private_server
    env = clean_env({"TWINE_USERNAME": server.username, "TWINE_PASSWORD": server.password})
    clones = [
        chain_repo(tmp_path / name, [server.url], count=COUNT, config="retry_backoff = 0.1\n")
        for name in "ab"
    ]
    outputs = both_succeed(*(start_publish(root, env) for root in clones))
    # Each file was uploaded by exactly one run; the other found it there, before uploading
    # or when the server refused it as existing (the index then shows it is the same file).
    for name in chain_files(COUNT):
        published = [out for out in outputs if f"✓ {name} published to {server.url}" in out]
        assert len(published) == 1, (name, outputs)
    for index in range(COUNT):
        assert simple_project_files(server, f"chain-p{index}") == {
            f"chain_p{index}-1.0-py3-none-any.whl",
            f"chain_p{index}-1.0.tar.gz",
        }


def test_two_runs_of_different_sources_never_make_a_mixed_version(
    tmp_path: Path, private_server: IndexServer
) -> None:
    """Two clones whose sources differ publish the same versions at once: one wins each
    version whole, the other is refused (a conflict), and no version on the index holds files
    of both (the distribution is the unit, checked again after a refusal)."""
    server = private_server
    env = clean_env({"TWINE_USERNAME": server.username, "TWINE_PASSWORD": server.password})
    clones = []
    for name in "ab":
        root = chain_repo(
            tmp_path / name, [server.url], count=2, name="rival", config="retry_backoff = 0.1\n"
        )
        (root / "p0" / "__init__.py").write_text(f"VALUE = {name!r}\n", encoding="utf-8")
        clones.append(root)
    runs = [start_publish(root, env) for root in clones]
    results = []
    for process in runs:
        out, err = process.communicate(timeout=180)
        results.append((process.returncode, out, err))
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    loser = next(out for code, out, _ in results if code == 1)
    assert "✕ p0:dist conflict on " in loser, loser
    winner = clones[[code for code, _, _ in results].index(0)]
    for project in ("rival_p0", "rival_p1"):
        held = sorted(server.packages_dir.glob(f"{project}-*"))
        assert [p.name for p in held] == [
            f"{project}-1.0-py3-none-any.whl",
            f"{project}-1.0.tar.gz",
        ]
        for file in held:  # every file of the version is the winner's
            ours = winner / "dist" / file.name
            assert (
                hashlib.sha256(file.read_bytes()).digest()
                == hashlib.sha256(ours.read_bytes()).digest()
            ), file.name
