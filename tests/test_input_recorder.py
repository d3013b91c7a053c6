"""`InputRecorder`: what nested evaluations read counts for each of them, and nothing is
recorded (nor a file digested) without a package cache to keep it."""

from __future__ import annotations

import os
from pathlib import Path

from graphpub.buildgraph import load_config
from graphpub.buildgraph.files import FileTree
from graphpub.buildgraph.input_recorder import InputRecorder
from graphpub.buildgraph.package_cache import Inputs, digest
from graphpub.buildgraph.source_reader import SourceReader
from tests.conftest import make_repo


def test_reads_count_for_every_evaluation_under_way(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "a/BUILD.bazel": "", "a/x.txt": "x"})
    tree = FileTree(load_config(root))
    recorder = InputRecorder(tree)
    recorder.enable()
    reader = SourceReader(str(root), 1 << 20, recorder)
    outer, inner = Inputs(), Inputs()
    recorder.begin(outer)
    recorder.note_package("a")
    recorder.begin(inner)
    assert tree.on_listing == recorder.note_listing
    reader.read_text("a/x.txt")
    recorder.note_environment("HOME", "/home/me")
    recorder.note_warning("key", "message")
    recorder.end()
    assert tree.on_listing is not None  # the outer one still records
    reader.read_text("a/BUILD.bazel")
    recorder.end()
    assert tree.on_listing is None
    status = os.stat(root / "a/x.txt")
    assert inner.files == {"a/x.txt": (1, status.st_mtime_ns, digest(b"x"))}
    assert set(outer.files) == {"a/x.txt", "a/BUILD.bazel"}
    assert outer.packages == {"a"} and inner.packages == set()
    assert outer.env == inner.env == {"HOME": "/home/me"}
    assert outer.warnings == inner.warnings == [("key", "message")]


def test_nothing_is_recorded_without_a_cache(tmp_path: Path) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "x.txt": "x"})
    tree = FileTree(load_config(root))
    recorder = InputRecorder(tree)
    inputs = Inputs()
    recorder.begin(inputs)
    assert tree.on_listing is None
    SourceReader(str(root), 1 << 20, recorder).read_text("x.txt")
    recorder.note_package("")
    recorder.end()
    assert inputs == Inputs()
