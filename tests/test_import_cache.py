"""Parsing many files at once: in worker processes, with the same results as one by one; and
not reading again the files whose size and modification time are as recorded."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from graphpub.publish import imports as imports_module
from graphpub.publish.imports import PARALLEL_FROM, ImportCache, ImportedModule


def test_parallel_prefetch_gives_what_parsing_one_by_one_gives(tmp_path: Path) -> None:
    files = []
    for index in range(PARALLEL_FROM + 10):
        path = tmp_path / f"m{index}.py"
        path.write_text(f"import os\nfrom pkg import sub{index}\nfrom . import sibling\n")
        files.append((path, f"pkg.m{index}", False))
    parallel = ImportCache(tmp_path / "a")
    parallel.prefetch(files, jobs=2)
    serial = ImportCache(tmp_path / "b")
    for path, module, is_package in files:
        assert parallel.imports(path, module, is_package) == serial.imports(
            path, module, is_package
        )
    found = parallel.imports(*files[7])
    assert [i.candidates for i in found] == [
        ("os",),
        ("pkg.sub7", "pkg"),
        ("pkg.sibling", "pkg"),
    ]


# ------------------------------------------------- which content a file has, by size and time


def _aged(path: Path, seconds: float = 60) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files the import cache reads from now on."""
    read: list[str] = []
    original = imports_module._read

    def counted(path: str | Path) -> bytes:
        read.append(Path(path).name)
        return original(path)

    monkeypatch.setattr(imports_module, "_read", counted)
    return read


def _prefetched(root: Path, files: list[tuple[Path, str, bool]]) -> ImportCache:
    cache = ImportCache(root)
    cache.prefetch([(str(p), m, i) for p, m, i in files], jobs=1)
    return cache


def test_a_file_unchanged_since_it_was_recorded_is_not_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "m.py"
    source.write_text("import a\n")
    _aged(source)
    files = [(source, "m", False)]
    _prefetched(tmp_path, files).save()
    read = _reads(monkeypatch)
    cache = _prefetched(tmp_path, files)
    assert cache.imports(str(source), "m", False) == [ImportedModule(("a",), 1)]
    assert read == []


def test_an_edited_file_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "m.py"
    source.write_text("import a\n")
    _aged(source, 120)
    files = [(source, "m", False)]
    _prefetched(tmp_path, files).save()
    source.write_text("import bb\n")
    _aged(source)
    read = _reads(monkeypatch)
    cache = _prefetched(tmp_path, files)
    assert cache.imports(str(source), "m", False) == [ImportedModule(("bb",), 1)]
    assert read == ["m.py"]


def test_a_file_changed_in_the_tick_it_was_recorded_in_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same size, same time: a change within the clock's resolution of the recording would
    not show in them, so a recent file is read (as git's racy index entries)."""
    source = tmp_path / "m.py"
    source.write_text("import a\n")
    files = [(source, "m", False)]
    _prefetched(tmp_path, files).save()
    status = source.stat()
    source.write_text("import b\n")
    os.utime(source, ns=(status.st_atime_ns, status.st_mtime_ns))
    read = _reads(monkeypatch)
    cache = _prefetched(tmp_path, files)
    assert cache.imports(str(source), "m", False) == [ImportedModule(("b",), 1)]
    assert read == ["m.py"]


def test_a_file_seen_as_another_module_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "m.py"
    source.write_text("from . import x\n")
    _aged(source)
    _prefetched(tmp_path, [(source, "p.m", False)]).save()
    read = _reads(monkeypatch)
    cache = _prefetched(tmp_path, [(source, "q.m", False)])
    assert cache.imports(str(source), "q.m", False) == [ImportedModule(("q.x", "q"), 1)]
    assert read == ["m.py"]


@pytest.mark.parametrize(
    "damage", ["{not json", "[]", '{"m.py": 3}', '{"m.py": [1, 2, "x", "m", false, ["k"]]}']
)
def test_a_corrupt_record_of_file_keys_is_ignored(tmp_path: Path, damage: str) -> None:
    source = tmp_path / "m.py"
    source.write_text("import a\n")
    _aged(source)
    files = [(source, "m", False)]
    _prefetched(tmp_path, files).save()
    (tmp_path / ".graphpub/import-keys.json").write_text(damage)
    cache = _prefetched(tmp_path, files)
    assert cache.imports(str(source), "m", False) == [ImportedModule(("a",), 1)]
