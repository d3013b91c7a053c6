"""`graphpub publish` against real pypiserver indexes, and into directory indexes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphpub.publish.directory import MARKER
from tests.conftest import REPO_ROOT, TESTDATA, Runner, install_into_fresh_venv
from tests.monorepos import chain_files, chain_repo
from tests.servers import (  # noqa: F401  (fixtures)
    DevpiServer,
    IndexServer,
    clean_env,
    devpi_server_fixture,
    private_server_fixture,
    pypi_server_fixture,
    simple_index_files,
    start_pypiserver,
)

SECRETS = ("s3cret-pypi", "secretvalue")


def demo_repo(tmp_path: Path, url_repository: str, pypirc: str) -> Path:
    """testdata/demo with the docs' third repository pointed at `url_repository`."""
    root = tmp_path / "demo"
    shutil.copytree(TESTDATA / "demo", root, ignore=shutil.ignore_patterns("dist", ".graphpub"))
    for build in root.rglob("BUILD"):
        text = build.read_text(encoding="utf-8")
        build.write_text(
            text.replace("https://pypi.private2.example.com", url_repository), encoding="utf-8"
        )
    (root / ".pypirc").write_text(pypirc, encoding="utf-8")
    return root


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The docs' `secrets` file, and the plain variables the URL repository reads."""
    for name in list(os.environ):
        if name.startswith("TWINE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TWINE_USERNAME_PRIVATE_REPO", "accountname")
    monkeypatch.setenv("TWINE_PASSWORD_PRIVATE_REPO", "secretvalue")
    monkeypatch.setenv("TWINE_PASSWORD_PYPI", "s3cret-pypi")
    monkeypatch.setenv("TWINE_USERNAME", "publisher")
    monkeypatch.setenv("TWINE_PASSWORD", "s3cret-pypi")


def test_the_pants_docs_scenario(
    tmp_path: Path,
    run: Runner,
    credentials: None,
    pypi_server: IndexServer,
    private_server: IndexServer,
) -> None:
    pypirc = (
        "[distutils]\nindex-servers =\n\tpypi\n  private-repo\n\n"
        f"[pypi]\nrepository: {pypi_server.url}\nusername: publisher\n\n"
        f"[private-repo]\nrepository: {private_server.url}\n"
    )
    root = demo_repo(tmp_path, pypi_server.url, pypirc)
    report = tmp_path / "report.json"
    code, out, err = run(["publish", "src/python:demo", "--output", str(report)], root=root)
    assert code == 0, out + err
    files = {
        "demo-1.0.0-py3-none-any.whl",
        "demo-1.0.0.tar.gz",
        "demo_greeting-1.0.0-py3-none-any.whl",
        "demo_greeting-1.0.0.tar.gz",
    }
    # demo needs demo-greeting, which lists the same repositories: published there first.
    assert simple_index_files(private_server) >= files
    assert simple_index_files(pypi_server) >= files
    for name in sorted(files):
        assert f"✓ {name} published to @private-repo" in out
    # The URL repository is the same server as @pypi here: what one uploaded, the other
    # finds there with the same content.
    assert "✕" not in out
    assert "@private-repo: 2 published, 0 skipped, 0 failed, 0 blocked (of 2 distributions)" in out
    for secret in SECRETS:
        assert secret not in out + err + report.read_text(encoding="utf-8")
    records = json.loads(report.read_text(encoding="utf-8"))
    assert records["exit_code"] == 0
    assert {r["status"] for r in records["uploads"]} <= {"published", "skipped"}
    assert records["counts"]["@private-repo"] == {
        "published": 2,
        "skipped": 0,
        "planned": 0,
        "failed": 0,
        "conflict": 0,
        "blocked": 0,
    }

    # The published distributions install from the index, first-party dependency included.
    bin_dir = install_into_fresh_venv(
        tmp_path, "demo", "--index-url", private_server.simple_url, "demo"
    )
    result = subprocess.run(
        [str(bin_dir / "demo"), "Ada"], capture_output=True, text=True, check=False
    )
    assert result.stdout.strip() == "Hello, Ada!"

    # A rerun finishes only what is missing: here, nothing.
    code, out, _ = run(["publish", "src/python:demo"], root=root)
    assert code == 0
    assert "published to" not in out
    assert "Nothing published." in out
    assert "demo-1.0.0.tar.gz skipped (already on @private-repo)" in out


def test_directory_repository(tmp_path: Path, run: Runner, credentials: None) -> None:
    index = tmp_path / "index"
    pypirc = (
        "[distutils]\nindex-servers = pypi private-repo\n"
        f"[pypi]\nrepository: file://{index}\n\n[private-repo]\nrepository: file://{index}\n"
    )
    root = demo_repo(tmp_path, f"file://{index}", pypirc)
    code, out, err = run(["publish", "src/python:demo"], root=root)
    assert code == 0, out + err
    # Not a terminal: progress is a plain line per file and repository, as each is done.
    progress = err.splitlines()
    assert progress[0] == "packaging 2 distributions"
    files = ["demo_greeting-1.0.0-py3-none-any.whl", "demo_greeting-1.0.0.tar.gz"]
    files += ["demo-1.0.0-py3-none-any.whl", "demo-1.0.0.tar.gz"]
    for repository in ("@pypi", "@private-repo", f"file://{index}"):
        done = [line for line in progress if line.startswith(f"{repository}: ")]
        # In any order: the three repositories share one directory, so what one of them
        # finds already there depends on how far the others got.
        assert sorted(line.split()[1] for line in done) == sorted(files), progress
        assert {line.split()[2] for line in done} <= {"published", "skipped"}
    assert (index / "demo" / "index.html").is_file()
    assert "demo-1.0.0.tar.gz" in (index / "demo" / "index.html").read_text(encoding="utf-8")
    assert (index / "demo-greeting" / "demo_greeting-1.0.0-py3-none-any.whl").is_file()
    install_into_fresh_venv(tmp_path, "demo", "--index-url", f"file://{index}", "demo")


def test_unknown_repository_name_fails_before_anything_is_uploaded(
    tmp_path: Path, run: Runner, credentials: None
) -> None:
    root = demo_repo(tmp_path, "https://example.invalid/", "[pypi]\nrepository: file:///nowhere\n")
    code, out, err = run(["publish", "src/python:demo"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(
        "src/python/BUILD:18:9: repository '@private-repo' is not a section of any .pypirc"
    )
    assert str(root / ".pypirc") in err


def test_dependency_not_going_to_a_repository_stops_the_run(
    tmp_path: Path, run: Runner, credentials: None
) -> None:
    index = tmp_path / "index"
    pypirc = (
        "[distutils]\nindex-servers = pypi private-repo\n"
        f"[pypi]\nrepository: file://{index}\n\n[private-repo]\nrepository: file://{index}\n"
    )
    root = demo_repo(tmp_path, f"file://{index}", pypirc)
    greeting = root / "src" / "python" / "greeting" / "BUILD"
    text = greeting.read_text(encoding="utf-8")
    greeting.write_text(text.replace('"@private-repo",', ""), encoding="utf-8")
    code, out, err = run(["publish", "src/python:demo"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(
        "src/python/BUILD:1:1: src/python:demo requires src/python/greeting:dist "
        "(demo-greeting==1.0.0), which does not go to @private-repo and is not there: "
        "installing it from @private-repo would fail\n"
    ), err
    assert not index.exists()


def test_dry_run_names_the_credential_variables_and_uploads_nothing(
    tmp_path: Path, run: Runner, credentials: None, request: pytest.FixtureRequest
) -> None:
    # An index of its own: the session's may hold the demo already.
    private_server = start_pypiserver(tmp_path / "server", "accountname", "secretvalue")
    request.addfinalizer(private_server.stop)
    index = tmp_path / "index"
    pypirc = (
        "[distutils]\nindex-servers = pypi private-repo\n"
        f"[pypi]\nrepository: file://{index}\n\n"
        f"[private-repo]\nrepository: {private_server.url}\n"
    )
    root = demo_repo(tmp_path, f"file://{index}", pypirc)
    files = simple_index_files(private_server)
    code, out, _ = run(["publish", "--dry-run", "src/python:demo"], root=root)
    assert code == 0
    assert "demo-1.0.0.tar.gz would be published to @private-repo" in out
    # By name, never by value; a directory index (graphpub writes it) has no credentials.
    assert out.splitlines()[-1] == (
        "@private-repo: credentials from TWINE_USERNAME_PRIVATE_REPO, TWINE_PASSWORD_PRIVATE_REPO"
    )
    assert "@pypi: credentials" not in out
    assert "secretvalue" not in out
    assert not index.exists()
    assert simple_index_files(private_server) == files


def demo_publish(root: Path) -> list[str]:
    """The README's quick start: the demo at `root` into its directory index, `@pypi`."""
    return ["publish", "--pypirc", str(root / "local.pypirc"), "--to", "@pypi", "src/python:demo"]


def publish_demo(tmp_path: Path, run: Runner) -> tuple[Path, str]:
    """A copy of the demo, published by `demo_publish`; its root and what graphpub printed."""
    root = tmp_path / "demo"
    shutil.copytree(TESTDATA / "demo", root, ignore=shutil.ignore_patterns("dist", ".graphpub"))
    code, out, err = run(demo_publish(root), root=root)
    assert code == 0, out + err
    return root, out


def test_readme_quick_start_publishes_the_demo_into_a_directory_index(
    tmp_path: Path, run: Runner, credentials: None
) -> None:
    root, out = publish_demo(tmp_path, run)
    index = root / "dist" / "index"
    # In upload order: the dependency first, then a count line and where to install from.
    assert out.splitlines() == [
        "src/python:demo skipped (@private-repo not chosen with --to)",
        "src/python:demo skipped (https://pypi.private2.example.com not chosen with --to)",
        "✓ demo_greeting-1.0.0-py3-none-any.whl published to @pypi",
        "✓ demo_greeting-1.0.0.tar.gz published to @pypi",
        "✓ demo-1.0.0-py3-none-any.whl published to @pypi",
        "✓ demo-1.0.0.tar.gz published to @pypi",
        "@pypi: 2 published, 0 skipped, 0 failed, 0 blocked (of 2 distributions)",
        "Install from @pypi: pip install "
        f"'demo @ {(index / 'demo' / 'demo-1.0.0-py3-none-any.whl').as_uri()}' "
        "'demo-greeting @ "
        f"{(index / 'demo-greeting' / 'demo_greeting-1.0.0-py3-none-any.whl').as_uri()}'",
    ]
    assert sorted(p.name for p in index.iterdir() if p.is_dir()) == ["demo", "demo-greeting"]
    assert (index / MARKER).is_file()  # made by graphpub: it may write there again
    assert not (root / "dist" / "private-index").exists()
    code, out, _ = run(demo_publish(root), root=root)
    assert code == 0
    assert out.splitlines()[-2:] == [
        "@pypi: 0 published, 2 skipped, 0 failed, 0 blocked (of 2 distributions)",
        "Nothing published.",  # and no install hint: nothing was
    ]
    assert "✓" not in out


def test_publish_to_devpi(
    tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch, devpi_server: DevpiServer
) -> None:
    for name in list(os.environ):
        if name.startswith("TWINE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TWINE_USERNAME", devpi_server.username)
    monkeypatch.setenv("TWINE_PASSWORD", devpi_server.password)
    root = demo_repo(tmp_path, devpi_server.url, "")
    command = ["publish", "--to", devpi_server.url, "src/python/greeting:dist"]
    code, out, err = run(command, root=root)
    assert code == 0, out + err
    assert f"✓ demo_greeting-1.0.0.tar.gz published to {devpi_server.url}" in out
    assert devpi_server.password not in out + err
    # devpi's simple index (/alice/dev/+simple/) tells graphpub what is there already.
    code, out, _ = run(command, root=root)
    assert code == 0
    assert f"demo_greeting-1.0.0.tar.gz skipped (already on {devpi_server.url})" in out
    install_into_fresh_venv(
        tmp_path, "greeting", "--index-url", devpi_server.simple_url, "demo-greeting"
    )


def local_demo(tmp_path: Path) -> tuple[Path, Path]:
    index = tmp_path / "index"
    pypirc = (
        "[distutils]\nindex-servers = pypi private-repo\n"
        f"[pypi]\nrepository: file://{index}\n\n[private-repo]\nrepository: file://{index}\n"
    )
    return demo_repo(tmp_path, f"file://{index}", pypirc), index


def test_skip_twine_flag_packages_and_uploads_nothing(
    tmp_path: Path, run: Runner, credentials: None
) -> None:
    root, index = local_demo(tmp_path)
    code, out, err = run(["publish", "--skip-twine", "src/python:demo"], root=root)
    assert code == 0
    assert out.splitlines() == ["src/python:demo skipped (by --skip-twine)", "Nothing published."]
    assert "packaging 0 distributions" in err
    assert not index.exists()
    assert not (root / "dist").exists()  # skipped targets are not even packaged


def test_skip_config_key(tmp_path: Path, run: Runner, credentials: None) -> None:
    root, index = local_demo(tmp_path)
    (root / "graphpub.toml").write_text('skip = ["src/python/greeting:dist"]\n', encoding="utf-8")
    code, out, _ = run(
        ["publish", "src/python/greeting:dist", "src/python/testutil:dist"], root=root
    )
    assert code == 0
    assert out.splitlines() == [
        "src/python/greeting:dist skipped (by the `skip` config key on src/python/greeting:dist)",
        # The target's own reason comes first.
        "src/python/testutil:dist skipped (by `skip_twine` on src/python/testutil:dist)",
        "Nothing published.",
    ]
    assert not index.exists()


def test_no_deps_lists_what_is_missing(tmp_path: Path, run: Runner, credentials: None) -> None:
    root, index = local_demo(tmp_path)
    code, out, _ = run(["publish", "--no-deps", "--to", "@pypi", "src/python:demo"], root=root)
    assert code == 0
    assert (
        "missing: src/python:demo needs src/python/greeting:dist on @pypi (not selected, --no-deps)"
        in out
    )
    assert not (index / "demo-greeting").exists()
    assert (index / "demo" / "demo-1.0.0.tar.gz").is_file()


def test_conflict_blocks_the_dependents_and_fails_the_run(
    tmp_path: Path, run: Runner, credentials: None
) -> None:
    root, index = local_demo(tmp_path)
    # Another file of the same name is already in the index (one graphpub made: it has the
    # marker): a conflict, never overwritten.
    (index / "demo-greeting").mkdir(parents=True)
    (index / MARKER).touch()
    (index / "demo-greeting" / "demo_greeting-1.0.0.tar.gz").write_bytes(b"not the same")
    report = tmp_path / "report.json"
    code, out, _ = run(
        ["publish", "--to", "@pypi", "--output", str(report), "src/python:demo"], root=root
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[2] == (
        "✕ src/python/greeting:dist conflict on @pypi: demo_greeting-1.0.0.tar.gz is already "
        "there with other content: version 1.0.0 was published before from other sources"
    )
    ours = hashlib.sha256(next((root / "dist").glob("demo_greeting-*.tar.gz")).read_bytes())
    assert lines[3:8] == [
        "    demo_greeting-1.0.0.tar.gz:",
        f"      ours:   sha256 {ours.hexdigest()}",
        f"      theirs: sha256 {hashlib.sha256(b'not the same').hexdigest()}",
        "      first difference: the file there is not a readable archive: not a gzip file",
        "    hint: a published version never changes: bump the version of "
        "src/python/greeting:dist (src/python/greeting/BUILD:23:9) and publish again",
    ]
    assert lines[8:] == [
        "    blocked by it: src/python:demo",
        "@pypi: 0 published, 0 skipped, 1 failed (1 conflict), 1 blocked (of 2 distributions)",
        "Nothing published.",
    ]
    # The distribution is the unit: its wheel was not uploaded either, nor the dependent.
    assert [p.name for p in (index / "demo-greeting").iterdir()] == ["demo_greeting-1.0.0.tar.gz"]
    assert not (index / "demo").exists()
    assert (index / "demo-greeting" / "demo_greeting-1.0.0.tar.gz").read_bytes() == b"not the same"
    records = json.loads(report.read_text(encoding="utf-8"))
    assert records["exit_code"] == 1
    statuses = {r["target"]: r["status"] for r in records["uploads"] if r["repository"]}
    assert statuses == {"src/python/greeting:dist": "conflict", "src/python:demo": "blocked"}
    conflict = next(r for r in records["uploads"] if r["status"] == "conflict")
    assert conflict["location"] == "src/python/greeting/BUILD:23:9"
    assert [(f["name"], f["status"]) for f in conflict["files"]] == [
        ("demo_greeting-1.0.0-py3-none-any.whl", "blocked"),
        ("demo_greeting-1.0.0.tar.gz", "conflict"),
    ]
    blocked = next(r for r in records["uploads"] if r["status"] == "blocked")
    assert blocked["cause"] == "src/python/greeting:dist"


@pytest.fixture(scope="module")
def private_reads_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """A pypiserver that wants credentials for reading its index too, as private indexes do."""
    server = start_pypiserver(
        tmp_path_factory.mktemp("private-reads"),
        "keyed-user",
        "k3yring-only-s3cret",
        authenticated="update,download,list",
    )
    yield server
    server.stop()


def graphpub_process(
    root: Path, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """`graphpub -C root ARGS` as its own process (a keyring backend is chosen once per process)."""
    return subprocess.run(
        [sys.executable, "-m", "graphpub", "-C", str(root), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_password_from_the_keyring(tmp_path: Path, private_reads_server: IndexServer) -> None:
    server = private_reads_server
    pypirc = (
        "[distutils]\nindex-servers = keyed\n\n"
        f"[keyed]\nrepository: {server.url}\nusername: {server.username}\n"
    )
    root = chain_repo(tmp_path / "repo", ["@keyed"], count=2, pypirc=pypirc)
    keyring_file = tmp_path / "keyring.json"
    keyring_file.write_text(
        json.dumps({f"{server.url} {server.username}": server.password}), encoding="utf-8"
    )
    env = clean_env(
        {
            "PYTHON_KEYRING_BACKEND": "tests.keyring_backend.JsonFileKeyring",
            "GRAPHPUB_TEST_KEYRING": str(keyring_file),
            "PYTHONPATH": str(REPO_ROOT),
        }
    )
    first = graphpub_process(root, "publish", "::", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert simple_index_files(server) == chain_files(2)
    # graphpub read the private index with the keyring's password too: nothing is uploaded twice.
    again = graphpub_process(root, "publish", "::", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Nothing published." in again.stdout
    assert "chain_p0-1.0.tar.gz skipped (already on @keyed)" in again.stdout
    for result in (first, again):
        assert server.password not in result.stdout + result.stderr
    # Without the keyring, the index refuses to answer: a clear failure, not a traceback.
    env.pop("PYTHON_KEYRING_BACKEND")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    denied = graphpub_process(root, "publish", "::", env=env)
    assert denied.returncode == 1
    assert denied.stdout.splitlines() == [
        f"✕ p0:dist failed for @keyed: cannot read the index: 401 Unauthorized from "
        f"{server.url}simple/chain-p0/",
        f"    username: from `username` in [keyed] of {root / '.pypirc'}"
        " (not set in TWINE_USERNAME_KEYED, TWINE_USERNAME)",
        "    password: not found in TWINE_PASSWORD_KEYED, TWINE_PASSWORD, "
        f"`password` in [keyed] of {root / '.pypirc'} or the keyring",
        f"    keyring: asked (null Keyring) for {server.url}: had no password",
        "    hint: give the password: set TWINE_PASSWORD_KEYED or TWINE_PASSWORD, add "
        f"`password` to [keyed] in {root / '.pypirc'}, store it in the keyring, or pass "
        "--interactive to type it",
        "    blocked by it: p1:dist",
        "@keyed: 0 published, 0 skipped, 1 failed, 1 blocked (of 2 distributions)",
        "Nothing published.",
    ]
    assert "Traceback" not in denied.stderr


def test_twine_stopping_before_any_upload_fails_every_file(
    tmp_path: Path, run: Runner, pypi_server: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("TWINE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    root = chain_repo(tmp_path / "repo", [pypi_server.url], count=2)
    code, out, _ = run(["publish", "::"], root=root)
    assert code == 1
    # No credentials and no prompt (non-interactive): twine gives up before uploading anything,
    # so no file is reported published, and each names twine's reason.
    url = pypi_server.url
    assert out.splitlines() == [
        f"✕ p0:dist failed for {url}: NonInteractive: Credential not found for username.",
        "    username: not found in TWINE_USERNAME, the repository URL's username or the keyring",
        "    password: not found in TWINE_PASSWORD, the repository URL's password or the keyring",
        f"    keyring: asked (null Keyring) for {url}: had none",
        "    hint: give the username: set TWINE_USERNAME, store it in the keyring, "
        "or pass --interactive to type it",
        "    blocked by it: p1:dist",
        f"{url}: 0 published, 0 skipped, 1 failed, 1 blocked (of 2 distributions)",
        "Nothing published.",
    ]
    assert not simple_index_files(pypi_server) & chain_files(2)


def test_plain_http_off_this_machine_is_refused(tmp_path: Path, run: Runner) -> None:
    root = chain_repo(
        tmp_path / "repo",
        ["http://pypi.internal.example/"],
        count=1,
        config="upload_retries = 0\n",
    )
    code, out, err = run(["publish", "::"], root=root)
    assert code == 1
    assert out == ""
    assert err.startswith(
        "p0/BUILD:5:19: http://pypi.internal.example/ is plain http:// "
        "(http://pypi.internal.example/): credentials would cross the network unencrypted"
    ), err
    assert "--allow-insecure-http" in err
    code, out, err = run(["publish", "--allow-insecure-http", "::"], root=root)
    assert "plain http" not in err
    # Allowed, it goes on to the index, which does not resolve here.
    assert out.startswith(
        "✕ p0:dist failed for http://pypi.internal.example/: cannot read the index: "
    ), out


# ---------------------------------------------------------------- dependency confusion


def impostor_wheel(directory: Path, name: str, version: str) -> Path:
    """A wheel of a public project that has the name of one of the repository's own."""
    import zipfile

    directory.mkdir(parents=True, exist_ok=True)
    escaped = name.replace("-", "_")
    path = directory / f"{escaped}-{version}-py3-none-any.whl"
    info = f"{escaped}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{escaped}/__init__.py", "IMPOSTOR = True\n")
        wheel.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        wheel.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        wheel.writestr(f"{info}/RECORD", "")
    return path


def test_install_hint_cannot_be_satisfied_by_a_public_project(
    tmp_path: Path, run: Runner, credentials: None
) -> None:
    """The printed command installs the repository's demo-greeting 1.0.0 even where pip's own
    index (here a --find-links directory standing in for PyPI) has a demo-greeting 99.0."""
    import shlex

    _, out = publish_demo(tmp_path, run)
    [hint] = [line for line in out.splitlines() if line.startswith("Install from @pypi: ")]
    words = shlex.split(hint.removeprefix("Install from @pypi: "))
    assert words[:2] == ["pip", "install"]
    assert "--extra-index-url" not in words
    public = impostor_wheel(tmp_path / "public", "demo-greeting", "99.0").parent
    bin_dir = install_into_fresh_venv(
        tmp_path, "confusion", "--no-index", "--find-links", str(public), *words[2:]
    )
    shown = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "show", "demo-greeting"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Version: 1.0.0" in shown
    result = subprocess.run([str(bin_dir / "demo"), "Ada"], capture_output=True, text=True)
    assert result.stdout.strip() == "Hello, Ada!"


WHEELS_BUILD = """\
load("@rules_python//python:defs.bzl", "py_library")
load("@rules_python//python:packaging.bzl", "py_wheel")

py_library(name = "mathx_lib", srcs = ["mathx/__init__.py"])
py_library(name = "app_lib", srcs = ["app/__init__.py"])

py_wheel(name = "mathx", distribution = "mathx", version = "0.2.0", deps = [":mathx_lib"])
py_wheel(
    name = "app",
    distribution = "app",
    version = "1.0.0",
    requires = ["Mathx==0.2.0"],
    deps = [":app_lib"],
)
"""


def wheels_repo(tmp_path: Path, publish: str) -> Path:
    root = tmp_path / "wheels"
    files = {
        "MODULE.bazel": "",
        "BUILD.bazel": WHEELS_BUILD,
        "mathx/__init__.py": "PI = 3\n",
        "app/__init__.py": "import mathx\nVALUE = mathx.PI\n",
        "graphpub.toml": publish,
        ".pypirc": (
            "[distutils]\nindex-servers = local\n[local]\n"
            f"repository = {(tmp_path / 'index').as_uri()}\n"
        ),
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


def test_py_wheel_requirement_on_another_wheel_is_published_first(
    tmp_path: Path, run: Runner, credentials: None
) -> None:
    root = wheels_repo(
        tmp_path, '[[publish]]\ntargets = ["//:app", "//:mathx"]\nrepositories = ["@local"]\n'
    )
    code, out, err = run(["publish", "//:app"], root=root)
    assert code == 0, out + err
    uploaded = [line.split()[1] for line in err.splitlines() if line.endswith(" published")]
    assert uploaded == ["mathx-0.2.0-py3-none-any.whl", "app-1.0.0-py3-none-any.whl"]
    index = (tmp_path / "index").as_uri()
    # Nothing but the repository's own wheels is needed: the index is pip's only one.
    assert out.splitlines()[-1] == f"Install from @local: pip install --index-url {index} app"


def test_py_wheel_requirement_on_a_wheel_not_on_the_repository_is_an_error(
    tmp_path: Path, run: Runner, credentials: None
) -> None:
    root = wheels_repo(tmp_path, '[[publish]]\ntargets = ["//:app"]\nrepositories = ["@local"]\n')
    code, out, err = run(["publish", "//:app"], root=root)
    assert (code, out) == (1, "")
    # Issue 13's publishing names the requirement it pins (name and version) in this message.
    assert "//:app requires //:mathx (mathx==0.2.0), which does not go to @local" in err
    assert "and is not there" in err
    assert not (tmp_path / "index" / "app").exists()


def test_py_wheel_requirement_excluding_the_repositorys_version(
    tmp_path: Path, run: Runner, credentials: None
) -> None:
    """Built as written, with a warning; refused for publishing, as another index could
    satisfy it."""
    root = wheels_repo(
        tmp_path, '[[publish]]\ntargets = ["//:app", "//:mathx"]\nrepositories = ["@local"]\n'
    )
    build = root / "BUILD.bazel"
    build.write_text(WHEELS_BUILD.replace("Mathx==0.2.0", "mathx>=1"), encoding="utf-8")
    code, out, err = run(["package", "//:app"], root=root)
    assert code == 0, err
    message = (
        "//:app requires 'mathx>=1', but //:mathx of this repository is version 0.2.0: "
        "installing app would take mathx from elsewhere"
    )
    assert f"warning: BUILD.bazel:12:17: {message}" in err
    code, out, err = run(["publish", "//:app"], root=root)
    assert (code, out) == (1, "")
    assert f"\nBUILD.bazel:12:17: {message}\n" in err  # the error, after the warning
    assert "hint: require the version the repository builds (mathx==0.2.0)" in err
    assert not (tmp_path / "index").exists()
