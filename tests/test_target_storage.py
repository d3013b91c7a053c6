"""How targets are kept: read-only, compact (what repeats between targets kept once), and
the same after crossing processes; a worker's packages arrive whole or not at all."""

from __future__ import annotations

import dataclasses
import os
import pickle
from pathlib import Path

import pytest

from graphpub.buildgraph import parallel
from graphpub.buildgraph.address import Address, parse_address
from graphpub.buildgraph.budget import PROGRESS_SIZE
from graphpub.buildgraph.target import Target
from graphpub.errors import SourceLocation
from tests.conftest import Runner, lines, load_graph, make_repo


def two_packages() -> dict[str, str]:
    build = (
        'py_library(name = "lib", srcs = ["util.py"], deps = ["//common:base"])\n'
        'filegroup(name = "data", srcs = ["data.txt"])\n'
    )
    return {
        "MODULE.bazel": "",
        "common/BUILD.bazel": 'py_library(name = "base")\n',
        "a/BUILD.bazel": build,
        "a/util.py": "",
        "a/data.txt": "",
        "b/BUILD.bazel": build,
        "b/util.py": "",
        "b/data.txt": "",
    }


def loaded(root: Path) -> dict[Address, Target]:
    graph = load_graph(root)
    graph.load(["a", "b", "common"])
    return {t.address: t for t in graph.targets()}


def test_targets_keep_what_they_share_once(tmp_path: Path) -> None:
    targets = loaded(make_repo(tmp_path, two_packages()))
    first, second = targets[Address("a", "lib")], targets[Address("b", "lib")]
    assert (
        dict(first.fields)
        == dict(second.fields)
        == {
            "srcs": ("util.py",),
            "deps": ("//common:base",),
        }
    )
    # Equal values are one object: the source lists, the labels, the kind.
    assert first.fields["srcs"] is second.fields["srcs"]
    assert first.sources is second.sources is first.fields["srcs"]
    assert first.fields["deps"][0] is second.fields["deps"][0]
    assert first.dependencies[0] is second.dependencies[0]
    assert first.kind is second.kind
    assert not hasattr(first, "__dict__")


def test_target_fields_are_a_read_only_mapping(tmp_path: Path) -> None:
    target = loaded(make_repo(tmp_path, two_packages()))[Address("a", "data")]
    fields = target.fields
    assert (len(fields), list(fields), "srcs" in fields, "deps" in fields) == (
        1,
        ["srcs"],
        True,
        False,
    )
    assert fields.get("deps") is None and fields.get("deps", ()) == ()
    assert fields == {"srcs": ("data.txt",)} and fields != {"srcs": ()}
    assert repr(fields) == "{'srcs': ('data.txt',)}"
    with pytest.raises(KeyError):
        fields["deps"]
    with pytest.raises(TypeError):
        fields["srcs"] = ()  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        target.kind = "other"  # type: ignore[misc]


def test_a_target_made_by_hand_keeps_its_fields_and_location() -> None:
    where = SourceLocation("x/BUILD", 3, 7)
    dependency = parse_address("//y:z")
    target = Target(Address("x", "t"), "thing", {"b": 1, "a": ("p",)}, where, (dependency,))
    assert (target.location, dict(target.fields)) == (where, {"b": 1, "a": ("p",)})
    assert list(target.fields) == ["b", "a"]  # in the order given
    same = Target(Address("x", "t"), "thing", {"a": ("p",), "b": 1}, where, (dependency,))
    assert target == same  # (fields compare as a dict does)
    moved = Target(Address("x", "t"), "thing", {"b": 1, "a": ("p",)}, SourceLocation("x/BUILD", 4))
    assert target != moved


def test_targets_cross_processes_unchanged(tmp_path: Path) -> None:
    targets = list(loaded(make_repo(tmp_path, two_packages())).values())
    copies = pickle.loads(pickle.dumps(targets, protocol=pickle.HIGHEST_PROTOCOL))
    assert copies == targets
    for copy, target in zip(copies, targets, strict=True):
        assert (copy.location, copy.generator, copy.sources) == (
            target.location,
            target.generator,
            target.sources,
        )
        assert copy.kind is target.kind  # (interned again)
    assert [dict(c.fields) for c in copies] == [dict(t.fields) for t in targets]


def test_list_writes_every_address_of_a_large_package(tmp_path: Path, run: Runner) -> None:
    """Addresses are written a batch at a time: every one, sorted, one a line."""
    count = 9000  # more than two batches
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "p/BUILD.bazel": f'[filegroup(name = "t%d" % i) for i in range({count})]\n',
        },
    )
    code, out, err = run(["--no-cache", "list", "::"], root=root)
    assert (code, err) == (0, "")
    assert out.endswith("\n") and "\n\n" not in out
    assert lines(out) == sorted(f"//p:t{i}" for i in range(count))


def _worker_sending(
    frames: list[bytes], exit_status: int = 0, lowest_fd: int = 0
) -> parallel._Worker:
    """A real child process that sends these bytes and exits, as a worker does (read through a
    descriptor numbered `lowest_fd` or more)."""
    import fcntl
    import mmap

    read_fd, write_fd = os.pipe()
    if lowest_fd:
        moved = fcntl.fcntl(read_fd, fcntl.F_DUPFD, lowest_fd)
        os.close(read_fd)
        read_fd = moved
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        try:
            os.close(read_fd)
            with os.fdopen(write_fd, "wb") as pipe:
                for frame in frames:
                    pipe.write(frame)
        finally:
            os._exit(exit_status)
    os.close(write_fd)
    return parallel._Worker(pid, read_fd, mmap.mmap(-1, PROGRESS_SIZE))


def _frames(count: int) -> list[bytes]:
    header = pickle.dumps(parallel._Result(warnings=[("k", "a warning")]))
    frames = [parallel._frame(header)]
    for index in range(count):
        packages = {f"p{index}": None}
        frames.append(parallel._frame(pickle.dumps((packages, {f"p{index}": b"entry"}))))
    return frames


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")
@pytest.mark.parametrize("lowest_fd", [0, 1100])
def test_a_workers_packages_arrive_frame_by_frame(lowest_fd: int) -> None:
    """(Also through a descriptor select() refuses, as a process holding many files has.)"""
    import resource

    if lowest_fd >= resource.getrlimit(resource.RLIMIT_NOFILE)[0]:
        pytest.skip("the process may not hold that many files")
    worker = _worker_sending(_frames(3), lowest_fd=lowest_fd)
    result = parallel._collect(worker, None)  # type: ignore[arg-type]
    assert result.error is None
    assert (list(result.packages), result.warnings) == (["p0", "p1", "p2"], [("k", "a warning")])
    assert result.cached == {"p0": b"entry", "p1": b"entry", "p2": b"entry"}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="workers are forked")
def test_a_worker_cut_short_while_sending_is_a_failure_not_half_a_graph() -> None:
    frames = _frames(3)
    cut = b"".join(frames)[: -len(frames[-1]) // 2]
    result = parallel._collect(_worker_sending([cut]), None)  # type: ignore[arg-type]
    assert result.packages == {}
    assert isinstance(result.error, RuntimeError)
    assert "worker failed" in str(result.error)
    died = parallel._collect(_worker_sending(_frames(2), exit_status=1), None)  # type: ignore[arg-type]
    assert died.packages == {} and isinstance(died.error, RuntimeError)
