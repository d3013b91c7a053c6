"""`graphpub publish` against real indexes pre-seeded with the states that used to mislead it:
a foreign wheel without its sdist (the distribution is the unit: nothing of it goes), a file
of the same name with other timestamps and member order (the same content: skipped), a
near-miss version of a dependency (not there), a legacy hyphenated sdist name (there).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner
from tests.monorepos import chain_repo
from tests.servers import (  # noqa: F401  (fixtures)
    DevpiServer,
    IndexServer,
    devpi_server_fixture,
    make_sdist,
    make_wheel,
    simple_project_files,
    start_pypiserver,
    twine_upload,
)

USER, PASSWORD = "seeder", "Zq8-states-S3CRET-4411"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """A pypiserver of this module's own: the projects below have the issue's exact names."""
    started = start_pypiserver(tmp_path_factory.mktemp("states"), USER, PASSWORD)
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TWINE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TWINE_USERNAME", USER)
    monkeypatch.setenv("TWINE_PASSWORD", PASSWORD)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def report_of(root: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((root / "report.json").read_text(encoding="utf-8"))
    return document


def seeded(server: IndexServer | DevpiServer, *files: Path) -> None:
    """`files` uploaded to `server` with twine, as another publisher would have."""
    for file in files:
        result = twine_upload(server, file)  # type: ignore[arg-type]
        assert result.returncode == 0, result.stdout + result.stderr


def built_elsewhere(run: Runner, root: Path, package: str, source: str) -> list[Path]:
    """The files of `package`'s distribution (wheel first) built from a copy of `root` whose
    `package/__init__.py` is `source`: the same names, other sources."""
    import shutil

    other = root.parent / f"{root.name}-elsewhere"
    shutil.copytree(root, other)
    (other / package / "__init__.py").write_text(source, encoding="utf-8")
    code, out, err = run(["package", f"{package}:dist"], root=other)
    assert code == 0, out + err
    return sorted((other / "dist").iterdir(), key=lambda p: not p.name.endswith(".whl"))


def version_location(root: Path, package: str) -> str:
    """`package/BUILD:LINE:COL` of the `version=` in its python_artifact."""
    lines = (root / package / "BUILD").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "version=" in text)
    return f"{package}/BUILD:{line}:{lines[line - 1].index('version=') + 1}"


# ---------------------------------------------------------------- the distribution is the unit


@pytest.mark.parametrize("kind", ["pypiserver", "devpi"])
def test_a_foreign_wheel_without_its_sdist_is_a_conflict_and_nothing_of_the_version_goes(
    tmp_path: Path,
    run: Runner,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    index: IndexServer | DevpiServer = request.getfixturevalue(
        "server" if kind == "pypiserver" else "devpi_server"
    )
    if kind == "devpi":
        monkeypatch.setenv("TWINE_USERNAME", index.username)
        monkeypatch.setenv("TWINE_PASSWORD", index.password)
    name = f"half-{kind}"
    project = f"{name}-p0"
    root = chain_repo(tmp_path / "repo", [index.url], count=2, name=name)
    # Another build of the version, from other sources, reached the index: its wheel only.
    foreign = built_elsewhere(run, root, "p0", "VALUE = 'other'\n")[0]
    seeded(index, foreign)
    code, out, err = run(["publish", "::", "--output", str(root / "report.json")], root=root)
    assert code == 1, out + err
    wheel = root / "dist" / foreign.name
    where = version_location(root, "p0")
    sdist = root / "dist" / f"{project.replace('-', '_')}-1.0.tar.gz"
    assert out.splitlines() == [
        f"✕ p0:dist conflict on {index.url}: {foreign.name} is already there with other "
        "content: version 1.0 was published before from other sources",
        f"    {foreign.name}:",
        f"      ours:   sha256 {sha256(wheel)}",
        f"      theirs: sha256 {sha256(foreign)}",
        "      first difference: p0/__init__.py differs (10 bytes here, 16 there)",
        "    hint: a published version never changes: bump the version of p0:dist "
        f"({where}) and publish again",
        "    blocked by it: p1:dist",
        f"{index.url}: 0 published, 0 skipped, 1 failed (1 conflict), 1 blocked "
        "(of 2 distributions)",
        "Nothing published.",
    ]
    # Neither the sdist of that version nor anything needing it went: one version, one source.
    assert simple_project_files(index, project) == {foreign.name}  # type: ignore[arg-type]
    assert simple_project_files(index, f"{name}-p1") == set()  # type: ignore[arg-type]
    records = {r["target"]: r for r in report_of(root)["uploads"]}
    assert records["p0:dist"]["status"] == "conflict"
    assert records["p0:dist"]["location"] == where
    assert [
        (f["name"], f["status"], f["sha256"], f["existing_sha256"])
        for f in records["p0:dist"]["files"]
    ] == [
        (wheel.name, "conflict", sha256(wheel), sha256(foreign)),
        (sdist.name, "blocked", sha256(sdist), None),
    ]
    assert (records["p1:dist"]["status"], records["p1:dist"]["cause"]) == ("blocked", "p0:dist")


# ---------------------------------------------------------------- the same content, other bytes


def rebuilt_wheel(wheel: Path, into: Path) -> Path:
    """`wheel` written again as another builder would: other timestamps, the members in
    reverse order, another compression level. The same content, other bytes."""
    into.mkdir(parents=True, exist_ok=True)
    target = into / wheel.name
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(target, "w") as copy:
        for info in reversed(source.infolist()):
            again = zipfile.ZipInfo(info.filename, date_time=(2001, 2, 3, 4, 5, 6))
            again.external_attr = info.external_attr
            again.compress_type = zipfile.ZIP_DEFLATED
            copy.writestr(again, source.read(info), compresslevel=1)
    return target


def rebuilt_sdist(sdist: Path, into: Path) -> Path:
    """`sdist` written again with other member times, owners and order, and another gzip
    header time."""
    into.mkdir(parents=True, exist_ok=True)
    target = into / sdist.name
    buffer = io.BytesIO()
    with tarfile.open(sdist, "r:gz") as source, tarfile.open(fileobj=buffer, mode="w") as copy:
        for member in reversed(source.getmembers()):
            data = source.extractfile(member) if member.isfile() else None
            member.mtime, member.uid, member.uname = 981173106, 1000, "someone"
            copy.addfile(member, data)
    with gzip.GzipFile(target, "wb", mtime=981173106) as compressed:
        compressed.write(buffer.getvalue())
    return target


def test_a_file_there_with_other_timestamps_and_order_is_the_same_content(
    tmp_path: Path, run: Runner, server: IndexServer
) -> None:
    root = chain_repo(tmp_path / "repo", [server.url], count=2, name="retimed")
    code, out, err = run(["package", "::"], root=root)
    assert code == 0, out + err
    dist = root / "dist"
    wheel0, sdist0 = dist / "retimed_p0-1.0-py3-none-any.whl", dist / "retimed_p0-1.0.tar.gz"
    wheel1, sdist1 = dist / "retimed_p1-1.0-py3-none-any.whl", dist / "retimed_p1-1.0.tar.gz"
    # Another run of the same sources put p0's wheel and p1's sdist there, built otherwise.
    theirs_wheel = rebuilt_wheel(wheel0, tmp_path / "theirs")
    theirs_sdist = rebuilt_sdist(sdist1, tmp_path / "theirs")
    assert sha256(theirs_wheel) != sha256(wheel0) and sha256(theirs_sdist) != sha256(sdist1)
    seeded(server, theirs_wheel, theirs_sdist)
    code, out, err = run(["publish", "::", "--output", str(root / "report.json")], root=root)
    assert code == 0, out + err
    url = server.url
    assert out.splitlines() == [
        f"{wheel0.name} skipped (same content already on {url})",
        f"✓ {sdist0.name} published to {url}",
        f"✓ {wheel1.name} published to {url}",
        f"{sdist1.name} skipped (same content already on {url})",
        f"{url}: 2 published, 0 skipped, 0 failed, 0 blocked (of 2 distributions)",
    ]
    # What was there stays: a published file never changes.
    assert sha256(server.packages_dir / wheel0.name) == sha256(theirs_wheel)
    assert sha256(server.packages_dir / sdist1.name) == sha256(theirs_sdist)
    files = {f["name"]: f for r in report_of(root)["uploads"] for f in r["files"]}
    assert files[wheel0.name] == {
        "name": wheel0.name,
        "status": "skipped",
        "sha256": sha256(wheel0),
        "existing_sha256": sha256(theirs_wheel),
        "note": "same content",
    }
    assert (files[sdist1.name]["status"], files[sdist1.name]["note"]) == (
        "skipped",
        "same content",
    )


# ---------------------------------------------------------------- is the dependency there


def needing_repo(root: Path, dependency: str, repository: str) -> Path:
    """`app` (`needs-DEPENDENCY` 1.0, going to `repository`) imports `dep`, the distribution
    `dependency` 1.0, which goes elsewhere: `repository` must hold it already."""
    files = {
        "pants.toml": '[source]\nroot_patterns = ["/"]\n',
        "dep/__init__.py": "VALUE = 1\n",
        "dep/BUILD": (
            "python_sources()\n"
            'python_distribution(name="dist", dependencies=[":dep"],\n'
            f'    provides=python_artifact(name="{dependency}", version="1.0"),\n'
            '    repositories=["https://elsewhere.example/"])\n'
        ),
        "app/__init__.py": "import dep\n",
        "app/BUILD": (
            "python_sources()\n"
            'python_distribution(name="dist", dependencies=[":app"],\n'
            f'    provides=python_artifact(name="needs-{dependency}", version="1.0"),\n'
            f'    repositories=["{repository}"])\n'
        ),
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def test_a_near_miss_version_is_not_there_and_a_normalised_one_is(
    tmp_path: Path, run: Runner, server: IndexServer
) -> None:
    root = needing_repo(tmp_path / "repo", "p-b", server.url)
    # `p-b==1.0` is required; only 1.0.1 is there (which `-1.0` in the name used to match).
    seeded(server, make_wheel(tmp_path / "near", "p-b", "1.0.1"))
    code, out, err = run(["publish", "app:dist"], root=root)
    assert (code, out) == (1, "")
    url = server.url
    assert err.splitlines()[0] == (
        f"app/BUILD:2:1: app:dist requires dep:dist (p-b==1.0), which does not go to {url} "
        f"and is not there (it holds p-b 1.0.1 only): installing it from {url} would fail"
    )
    assert err.splitlines()[-1] == (
        f"hint: add '{url}' to the repositories of dep:dist, or publish it there first"
    )
    assert simple_project_files(server, "needs-p-b") == set()
    # 1.0.0 is 1.0 under PEP 440, and p_b is p-b under PEP 503: that one will do.
    seeded(server, make_wheel(tmp_path / "exact", "p_b", "1.0.0"))
    code, out, err = run(["publish", "app:dist"], root=root)
    assert code == 0, out + err
    assert f"✓ needs_p_b-1.0.tar.gz published to {url}" in out.splitlines()


def test_a_legacy_hyphenated_sdist_name_is_there(
    tmp_path: Path, run: Runner, server: IndexServer
) -> None:
    root = needing_repo(tmp_path / "repo", "my-pkg", server.url)
    # As setuptools named sdists before PEP 625: `my-pkg-1.0.tar.gz`, project my-pkg 1.0.
    sdist = make_sdist(tmp_path / "legacy", "my-pkg", "1.0")
    legacy = sdist.rename(sdist.with_name("my-pkg-1.0.tar.gz"))
    (server.packages_dir / legacy.name).write_bytes(legacy.read_bytes())
    assert simple_project_files(server, "my-pkg") == {"my-pkg-1.0.tar.gz"}
    code, out, err = run(["publish", "app:dist"], root=root)
    assert code == 0, out + err
    assert out.splitlines()[-1] == (
        f"{server.url}: 1 published, 0 skipped, 0 failed, 0 blocked (of 1 distribution)"
    )


# ---------------------------------------------------------------- the story the output tells


def story_repo(root: Path, index: Path) -> Path:
    """p1, p2, p10 and zz going to the directory index `@local`; p1 imports zz."""
    files = {
        "pants.toml": (
            '[source]\nroot_patterns = ["/"]\n\n[python]\ninterpreter_constraints = [">=3.9"]\n'
        ),
        ".pypirc": f"[distutils]\nindex-servers = local\n\n[local]\nrepository: {index.as_uri()}\n",
    }
    for package in ("p1", "p2", "p10", "zz"):
        files[f"{package}/__init__.py"] = "import zz\n" if package == "p1" else "VALUE = 1\n"
        files[f"{package}/BUILD"] = (
            "python_sources()\n"
            f'python_distribution(name="dist", dependencies=[":{package}"],\n'
            f'    provides=python_artifact(name="story-{package}", version="1.0"),\n'
            '    repositories=["@local"])\n'
        )
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


def test_the_output_tells_the_story_in_upload_order(tmp_path: Path, run: Runner) -> None:
    index = tmp_path / "index"
    root = story_repo(tmp_path / "repo", index)
    code, out, err = run(["publish", "--dry-run", "::"], root=root)
    assert code == 0, out + err
    assert err.splitlines()[0] == "packaging 4 distributions"
    # Dependencies first; among those free to go, names in natural order (p2 before p10).
    order = ["story_p2", "story_p10", "story_zz", "story_p1"]
    assert out.splitlines() == [
        *(
            f"{project}-1.0{suffix} would be published to @local"
            for project in order
            for suffix in ("-py3-none-any.whl", ".tar.gz")
        ),
        "@local: 4 to publish, 0 skipped, 0 failed, 0 blocked (of 4 distributions)",
    ]
    assert not index.exists()
    # One of them there already, with other content: the others go, and the run fails.
    code, out, err = run(["publish", "p10:dist"], root=root)
    assert code == 0, out + err
    assert err.splitlines()[0] == "packaging 1 distribution"
    # Issue 12's install hint: story-p10 needs nothing else, so the directory index is pip's
    # only one (--index-url), which no public story-p10 can stand in for.
    assert out.splitlines()[-1] == (
        f"Install from @local: pip install --index-url {index.as_uri()} story-p10"
    )
    (index / "story-p10" / "story_p10-1.0.tar.gz").write_bytes(b"another build")
    code, out, err = run(["publish", "::"], root=root)
    assert code == 1
    lines = out.splitlines()
    assert lines[:4] == [
        "✓ story_p2-1.0-py3-none-any.whl published to @local",
        "✓ story_p2-1.0.tar.gz published to @local",
        "✕ p10:dist conflict on @local: story_p10-1.0.tar.gz is already there with other "
        "content: version 1.0 was published before from other sources",
        "    story_p10-1.0.tar.gz:",
    ]
    assert lines[-5:] == [
        "✓ story_zz-1.0-py3-none-any.whl published to @local",
        "✓ story_zz-1.0.tar.gz published to @local",
        "✓ story_p1-1.0-py3-none-any.whl published to @local",
        "✓ story_p1-1.0.tar.gz published to @local",
        # No install hint: the run failed.
        "@local: 3 published, 0 skipped, 1 failed (1 conflict), 0 blocked (of 4 distributions)",
    ]


@pytest.mark.parametrize(
    ("to", "hint"),
    [("@lcoal", "did you mean --to @local?"), ("@staging", "name one they list")],
)
def test_to_a_repository_no_distribution_lists_is_a_usage_error(
    tmp_path: Path, run: Runner, to: str, hint: str
) -> None:
    index = tmp_path / "index"
    root = story_repo(tmp_path / "repo", index)
    code, out, err = run(["publish", "--to", to, "::"], root=root)
    assert (code, out) == (2, "")  # not "Nothing published." and 0
    assert err.splitlines() == [
        f"error: --to {to}: no selected distribution lists this repository (they list: @local)",
        f"hint: {hint}",
    ]
    assert not index.exists()
