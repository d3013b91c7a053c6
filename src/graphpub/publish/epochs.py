"""SOURCE_DATE_EPOCH per distribution: when its own inputs last changed.

A distribution's bytes depend on the files it packs, the build files that declare it and
its code, the files its rule reads (a README, a requirements file) and the repository's
configuration. Its SOURCE_DATE_EPOCH is the time of the last commit that touched one of
those (`git log -1 --format=%ct -- <inputs>`), so a commit elsewhere in the repository
changes none of its bytes, and an already published distribution stays `skipped`, not a
`conflict`.

The working tree: an input with uncommitted changes (modified, or not committed at all)
dates the distribution at its modification time, if later: rebuilding an unchanged working
tree gives the same bytes; editing an input gives new ones. Outside a git repository nothing
dates the inputs, and every distribution gets the earliest time a zip file holds (1980).
`SOURCE_DATE_EPOCH` in the environment wins over all of this, as every reproducible-build
tool lets it.

All distributions are dated in one pass: one `git ls-files`, one `git diff`, and one
`git log` read newest first, stopped as soon as every distribution has its commit.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Hashable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from graphpub.buildgraph.address import Address
from graphpub.buildgraph.graph import BuildGraph
from graphpub.publish import bazel_wheel, buck2_wheel
from graphpub.publish.ownership import Contents
from graphpub.rules.bazel_outputs import maker_of

# The earliest time a zip file can hold: the date of files when nothing better is known.
EARLIEST_ZIP_TIME = 315532800
# The configuration that shapes every distribution (what of it exists is an input).
CONFIG_FILES = ("graphpub.toml", "pyproject.toml", "pants.toml", ".buckconfig", "MODULE.bazel")
_GIT_TIMEOUT = 60.0

K = TypeVar("K", bound=Hashable)


def source_date_epochs(graph: BuildGraph, held: Mapping[Address, Contents]) -> dict[Address, int]:
    """SOURCE_DATE_EPOCH of each distribution `held` describes."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        fixed = int(os.environ["SOURCE_DATE_EPOCH"])
        return dict.fromkeys(held, fixed)
    inputs = {address: inputs_of(graph, contents) for address, contents in held.items()}
    return epochs(graph.config.root, inputs)


def inputs_of(graph: BuildGraph, contents: Contents) -> set[str]:
    """The root-relative files a distribution's bytes depend on."""
    view = contents.distribution
    target = graph.target(view.address)
    found = set(contents.files)
    found.add(target.location.path)  # the build file declaring it
    found.update(graph.target(a).location.path for a in contents.owned)
    found.update(f for f in CONFIG_FILES if (graph.config.root / f).is_file())
    found.update(view.plugin_inputs)
    if view.kind == "py_wheel":
        found.update(bazel_wheel.other_inputs(graph, target))
        # A write_file's output: its BUILD file says its bytes.
        makers = [maker_of(graph, path) for path in found if not graph.tree_has_file(path)]
        found.update(maker.location.path for maker in makers if maker is not None)
    elif view.kind == "python_wheel":
        found.update(buck2_wheel.other_inputs(graph, target))
    elif isinstance(view.metadata.get("long_description_path"), str):
        found.add(view.metadata["long_description_path"])  # Pants: root-relative
    return {path for path in found if path}


def epochs(root: Path, inputs: Mapping[K, Iterable[str]]) -> dict[K, int]:
    """For each key, the epoch of its set of root-relative input paths."""
    wanted = {key: set(paths) for key, paths in inputs.items()}
    tracked = _git(root, ["ls-files", "-z"])
    if tracked is None:  # not a git repository (or no git)
        return dict.fromkeys(wanted, EARLIEST_ZIP_TIME)
    tracked_paths = set(_split(tracked))
    changed = _git(root, ["diff", "--no-ext-diff", "--name-only", "-z", "--relative", "HEAD"])
    dirty = set(_split(changed)) if changed is not None else set(tracked_paths)
    committed = _last_commits(root, {k: p & tracked_paths for k, p in wanted.items()})
    result = {}
    for key, paths in wanted.items():
        epoch = committed.get(key, EARLIEST_ZIP_TIME)
        for path in sorted(p for p in paths if p in dirty or p not in tracked_paths):
            try:
                epoch = max(epoch, int((root / path).stat().st_mtime))
            except OSError:
                continue  # gone: nothing of it is packed
        result[key] = max(epoch, EARLIEST_ZIP_TIME)
    return result


def _last_commits(root: Path, tracked: Mapping[K, set[str]]) -> dict[K, int]:
    """The commit time of the newest commit touching any of each key's paths, reading the
    log newest first until every key with a path has one."""
    pending = {key: paths for key, paths in tracked.items() if paths}
    by_path: dict[str, list[K]] = {}
    for key, paths in pending.items():
        for path in paths:
            by_path.setdefault(path, []).append(key)
    found: dict[K, int] = {}
    if not pending:
        return found
    command = ["git", "log", "--format=%x01%ct", "--name-only", "--relative", "-z", "--", "."]
    try:
        process = subprocess.Popen(
            command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except OSError:
        return found
    assert process.stdout is not None
    time, after_commit, rest = 0, False, b""
    try:
        while pending:
            chunk = os.read(process.stdout.fileno(), 1 << 16)
            if not chunk:
                break
            *tokens, rest = (rest + chunk).split(b"\0")
            for token in tokens:
                if token.startswith(b"\x01"):
                    time, after_commit = int(token[1:]), True
                    continue
                if after_commit and token.startswith(b"\n"):
                    token = token[1:]
                after_commit = False
                for key in by_path.get(os.fsdecode(token), ()):
                    if key in pending:
                        found[key] = time
                        del pending[key]
    finally:
        process.kill()
        process.stdout.close()
        process.wait()
    return found


def _git(root: Path, arguments: list[str]) -> bytes | None:
    try:
        result = subprocess.run(
            ["git", *arguments],
            cwd=root,
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


def _split(output: bytes | None) -> list[str]:
    return [os.fsdecode(p) for p in (output or b"").split(b"\0") if p]
