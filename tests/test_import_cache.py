"""Parsing many files at once: in worker processes, with the same results as one by one."""

from __future__ import annotations

from pathlib import Path

from graphpub.publish.imports import PARALLEL_FROM, ImportCache


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
