"""The cache of built distributions (`.graphpub/cache/`): a build is taken from it only while
everything that made it is as it was (each input changed here in turn makes a new build); an
entry that is not whole (damaged, foreign, without its manifest) is ignored with a warning
and built again; an unchanged distribution is not laid out again; only checked builds enter."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable
from pathlib import Path

import packaging
import pytest

import graphpub
from graphpub.publish import build as build_module
from graphpub.publish import build_cache
from graphpub.publish.build_cache import MANIFEST, BuildCache
from tests.conftest import Runner, make_repo

FILES = {
    "pants.toml": '[source]\nroot_patterns = ["/"]\n',
    "lib/__init__.py": "VALUE = 1\n",
    "lib/data.json": '{"a": 1}\n',
    "lib/BUILD": (
        "python_sources()\n"
        'resources(name = "data", sources = ["data.json"])\n'
        'python_distribution(name = "dist", dependencies = [":lib", ":data"],\n'
        '    provides = python_artifact(name = "lib", version = "1.0",\n'
        '        description = "The library."))\n'
    ),
    "app/__init__.py": "import lib\n",
    "app/BUILD": (
        "python_sources()\n"
        'python_distribution(name = "dist", dependencies = [":app"],\n'
        '    provides = python_artifact(name = "app", version = "2.0",\n'
        '        description = "The app."))\n'
    ),
}


def package(run: Runner, root: Path) -> dict[str, str]:
    """`graphpub package ::`: file name to sha256; no warning."""
    code, out, err = run(["package", "--quiet", "--format", "json", "::"], root=root)
    assert (code, err) == (0, ""), err
    return {Path(r["path"]).name: r["sha256"] for r in json.loads(out)}


def entries(root: Path) -> set[str]:
    """The names of the cache's entries (not its temporary directories nor METADATA files)."""
    cache = root / ".graphpub" / "cache"
    return {p.name for p in cache.iterdir() if p.is_dir() and "." not in p.name}


def edit(root: Path, path: str, old: str, new: str) -> None:
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path, run: Runner, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))  # the user's key
    root = make_repo(tmp_path, FILES)
    package(run, root)
    return root


# Each changes one input of `lib:dist`'s build (and, for the toolchain, of both); `app:dist`
# stays as it was unless its requirements change.
FILE_CHANGES: dict[str, tuple[Callable[[Path], None], int]] = {
    "a source file": (lambda r: edit(r, "lib/__init__.py", "1", "2"), 1),
    "a resource": (lambda r: edit(r, "lib/data.json", "1", "2"), 1),
    "the metadata": (lambda r: edit(r, "lib/BUILD", "The library.", "A library."), 1),
    "the version (and so the pin of its dependent)": (
        lambda r: edit(r, "lib/BUILD", '"1.0"', '"1.1"'),
        2,
    ),
    "the wheel's config settings": (
        lambda r: edit(
            r,
            "lib/BUILD",
            'name = "dist",',
            'name = "dist", wheel_config_settings = {"--build-option": ["--python-tag=py39"]},',
        ),
        1,
    ),
    "the build's environment (env_vars)": (
        lambda r: edit(r, "lib/BUILD", 'name = "dist",', 'name = "dist", env_vars = ["LANG=C"],'),
        1,
    ),
    "the interpreter constraints (pants.toml)": (
        lambda r: (r / "pants.toml").write_text(
            FILES["pants.toml"] + '[python]\ninterpreter_constraints = [">=3.10"]\n',
            encoding="utf-8",
        ),
        2,
    ),
}


@pytest.mark.parametrize("change", list(FILE_CHANGES), ids=list(FILE_CHANGES))
def test_an_input_of_the_repository_changed_makes_a_new_build(
    repo: Path, run: Runner, change: str
) -> None:
    before, held = package(run, repo), entries(repo)
    assert package(run, repo) == before and entries(repo) == held  # unchanged: reused
    alter, rebuilt = FILE_CHANGES[change]
    alter(repo)
    package(run, repo)
    assert len(entries(repo) - held) == rebuilt


def test_a_new_source_date_epoch_makes_new_bytes(
    repo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first, held = package(run, repo), entries(repo)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000001")
    second = package(run, repo)
    assert len(entries(repo) - held) == 2
    assert all(first[name] != second[name] for name in first if name.endswith(".tar.gz"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert package(run, repo) == first  # back to the first: its builds again


TOOLCHAIN = {
    "graphpub's version": (graphpub, "__version__", "999.0"),
    "graphpub's own files": (
        build_cache,
        "graphpub_fingerprint",
        lambda: [("publish/build.py", 1, 2)],
    ),
    "hatchling's version": (build_cache, "hatchling_version", "0.0.1"),
    "packaging's version": (packaging, "__version__", "0.0.1"),
}


@pytest.mark.parametrize("part", list(TOOLCHAIN), ids=list(TOOLCHAIN))
def test_a_new_toolchain_makes_new_builds(
    repo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch, part: str
) -> None:
    held = entries(repo)
    module, name, value = TOOLCHAIN[part]
    monkeypatch.setattr(module, name, value)
    package(run, repo)
    assert len(entries(repo) - held) == 2


def test_the_python_is_part_of_the_toolchain(monkeypatch: pytest.MonkeyPatch) -> None:
    before = build_cache.toolchain_digest()
    monkeypatch.setattr(build_cache.sys, "version", "3.99.0 (another build)")
    assert build_cache.toolchain_digest() != before


def test_an_unchanged_distribution_is_not_laid_out_again(
    repo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    laid_out: list[str] = []
    lay_out = build_module.lay_out
    monkeypatch.setattr(build_module, "lay_out", lambda p: laid_out.append(p.label) or lay_out(p))
    package(run, repo)
    assert laid_out == []
    edit(repo, "lib/__init__.py", "1", "3")
    package(run, repo)
    assert laid_out == ["lib:dist"]


def test_a_source_changed_while_it_is_packaged_is_an_error(
    repo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key says what was read when staging: the project is laid out only with the same
    bytes, never with others under that key."""
    edit(repo, "lib/__init__.py", "1", "5")
    lay_out = build_module.lay_out

    def changing_first(project: build_module.Staged) -> None:
        edit(repo, "lib/__init__.py", "5", "6")
        lay_out(project)

    monkeypatch.setattr(build_module, "lay_out", changing_first)
    held = entries(repo)
    code, out, err = run(["package", "--quiet", "::"], root=repo)
    assert (code, out) == (1, "")
    assert "lib/__init__.py changed while lib:dist was being packaged" in err
    assert entries(repo) == held


def entry_of(root: Path, name: str) -> Path:
    """The entry holding the file `name`."""
    cache = root / ".graphpub" / "cache"
    return next(p for p in cache.iterdir() if (p / name).exists() or (p / name).is_symlink())


def truncate(entry: Path) -> None:
    wheel = next(entry.glob("*.whl"))
    wheel.write_bytes(wheel.read_bytes()[:-10])


def same_size_other_bytes(entry: Path) -> None:
    wheel = next(entry.glob("*.whl"))
    data = bytearray(wheel.read_bytes())
    data[100] ^= 0xFF
    wheel.write_bytes(bytes(data))


def manifest_of_another_entry(entry: Path) -> None:
    manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
    manifest["entry"] = "0" * 64
    (entry / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def signed_with(key: bytes) -> Callable[[Path], None]:
    """The entry made whole again, with other bytes, as someone else would make it: its
    manifest right in every other way, signed with `key`."""

    def resign(entry: Path) -> None:
        same_size_other_bytes(entry)
        manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
        for name, record in manifest["files"].items():
            record["sha256"] = hashlib.sha256((entry / name).read_bytes()).hexdigest()
        signed = json.dumps([entry.name, manifest["files"]], sort_keys=True).encode()
        manifest["signature"] = hmac.new(key, signed, "sha256").hexdigest() if key else ""
        (entry / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    return resign


def link_instead_of_file(entry: Path) -> None:
    wheel = next(entry.glob("*.whl"))
    copy = entry.parent / "elsewhere.whl"
    wheel.rename(copy)
    wheel.symlink_to(copy)


def replaced_by_a_file(entry: Path) -> None:
    for file in entry.iterdir():
        file.unlink()
    entry.rmdir()
    entry.write_bytes(b"not a directory")


DAMAGE: dict[str, Callable[[Path], None]] = {
    "a file cut short": truncate,
    "a file with other bytes": same_size_other_bytes,
    "a file missing": lambda e: next(e.glob("*.tar.gz")).unlink(),
    "a file added": lambda e: (e / "extra-1.0-py3-none-any.whl").write_bytes(b"PK"),
    "no manifest (an older or interrupted graphpub)": lambda e: (e / MANIFEST).unlink(),
    "a manifest that is not JSON": lambda e: (e / MANIFEST).write_bytes(b"\x00{"),
    "a manifest of another shape": lambda e: (e / MANIFEST).write_text("[1]", encoding="utf-8"),
    "another entry's manifest": manifest_of_another_entry,
    "whole, but signed with another user's key (or came with the repository)": signed_with(
        b"someone else's key, 32 bytes long"
    ),
    "whole, but not signed": signed_with(b""),
    "a link instead of a file": link_instead_of_file,
    "a file in its place": replaced_by_a_file,
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_a_damaged_or_foreign_entry_is_built_again_with_one_warning(
    repo: Path, run: Runner, damage: str
) -> None:
    good = package(run, repo)
    wheel = "lib-1.0-py3-none-any.whl"
    entry = entry_of(repo, wheel)
    DAMAGE[damage](entry)
    code, out, err = run(["package", "--quiet", "--format", "json", "::"], root=repo)
    assert code == 0, err
    warnings = [line for line in err.splitlines() if "cached build" in line]
    assert len(warnings) == 1, err
    assert "lib:dist" in warnings[0] and "building it again" in warnings[0]
    assert {Path(r["path"]).name: r["sha256"] for r in json.loads(out)} == good
    dist = repo / "dist" / wheel
    assert hashlib.sha256(dist.read_bytes()).hexdigest() == good[wheel]
    assert package(run, repo) == good  # replaced by a whole entry: no warning again
    assert not [p for p in (repo / ".graphpub" / "cache").iterdir() if p.suffix == ".stale"]


def test_a_build_failing_twine_check_never_enters_the_cache(
    repo: Path, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = entries(repo)
    edit(repo, "lib/__init__.py", "1", "4")
    checking = build_module._twine_check

    def failing(files: list[Path], *, strict: bool) -> None:
        if files:
            raise build_module.BuildError("twine check --strict failed: (a test)")

    monkeypatch.setattr(build_module, "_twine_check", failing)
    code, _, err = run(["package", "::"], root=repo)
    assert code == 1 and "twine check --strict failed" in err
    cache = repo / ".graphpub" / "cache"
    assert entries(repo) == held
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.setattr(build_module, "_twine_check", checking)
    package(run, repo)
    assert len(entries(repo) - held) == 1


def made(cache: BuildCache, files: dict[str, bytes]) -> Path:
    """A build of `files`, as a worker leaves it in its temporary directory."""
    directory = cache.temporary("key")
    for file, data in files.items():
        (directory / file).write_bytes(data)
    return directory


KEY = b"this user's key, 32 bytes or more"


def test_an_entry_another_run_made_meanwhile_is_kept(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache", "toolchain", KEY)
    files = {"a-1.0-py3-none-any.whl": b"wheel", "a-1.0.tar.gz": b"sdist"}
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    first, second = made(cache, files), made(cache, files)
    assert cache.commit(first, "key") == digests
    entry = cache.entry("key")
    inode = os.stat(entry).st_ino
    assert cache.commit(second, "key") == digests  # the other run's, whole: kept
    assert os.stat(entry).st_ino == inode
    assert not second.exists()
    assert cache.held("key") == digests


def test_a_corrupt_entry_is_replaced_by_a_commit(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache", "toolchain", KEY)
    files = {"a-1.0-py3-none-any.whl": b"wheel"}
    cache.commit(made(cache, files), "key")
    (cache.entry("key") / MANIFEST).unlink()
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    assert cache.commit(made(cache, files), "key") == digests
    assert cache.held("key") == digests
    assert sorted(p.name for p in cache.directory.iterdir()) == [cache.entry("key").name]


def test_entries_are_apart_per_toolchain(tmp_path: Path) -> None:
    one, other = BuildCache(tmp_path, "one", KEY), BuildCache(tmp_path, "other", KEY)
    assert one.entry("key") != other.entry("key")
    assert one.entry("key") != one.entry("other key")


def test_without_a_key_nothing_is_taken_from_the_cache(tmp_path: Path) -> None:
    files = {"a-1.0-py3-none-any.whl": b"wheel"}
    keyed = BuildCache(tmp_path / "cache", "toolchain", KEY)
    keyed.commit(made(keyed, files), "key")
    assert keyed.held("key") is not None
    assert BuildCache(keyed.directory, "toolchain", None).held("key") is None
