"""`--changed-since REF` and `--changed-dependents`, with Pants' semantics.

The changed files are what git reports: the files changed on this branch since it left REF
(`git diff REF...HEAD`), the uncommitted changes to tracked files (`git diff HEAD`) and the
untracked files git does not ignore, as Pants' `Git.changed_files` collects them. The changed
targets are the owners of those files (a changed build file changes every target it declares;
a deleted file changes the targets whose sources named it), then, with `--changed-dependents`,
the targets depending on them, directly or transitively. `publish` and `package` take the
distributions among those, and the distributions owning any of them.
"""

from __future__ import annotations

import posixpath
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from graphpub.buildgraph import Address, BuildGraph
from graphpub.buildgraph.graph import ancestors
from graphpub.errors import GraphpubError

DEPENDENTS = ("none", "direct", "transitive")


class ChangedError(GraphpubError):
    """git could not say what changed."""


@dataclass(frozen=True)
class Changes:
    """What changed below the build root since a git reference."""

    since: str
    files: tuple[str, ...]
    """Root-relative POSIX paths, sorted; deleted files included."""


def changed_files(root: Path, since: str) -> Changes:
    """The files below `root` changed since `since`, as Pants' `--changed-since` finds them."""
    top = Path(_git(root, ["rev-parse", "--show-toplevel"], since).strip()).resolve()
    known = subprocess.run(
        ["git", "-C", str(top), "rev-parse", "--verify", "--quiet", f"{since}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if known.returncode != 0:
        raise ChangedError(
            f"--changed-since {since}: git knows no commit {since!r}",
            hint="REF is a commit, branch or tag of this clone (in CI, fetch the history "
            "it needs: actions/checkout with fetch-depth: 0)",
        )
    commands = (
        ["diff", "--name-only", "--no-renames", "HEAD", "--"],
        ["diff", "--name-only", "--no-renames", f"{since}...HEAD", "--"],
        ["ls-files", "--others", "--exclude-standard", "--full-name", "--", "."],
    )
    found: set[str] = set()
    for command in commands:
        # ls-files is run from the top level so that its paths are too.
        output = _git(top, command, since)
        found.update(line for line in output.splitlines() if line)
    below = root.resolve()
    files = set()
    for name in found:
        path = top / name
        try:
            files.add(path.relative_to(below).as_posix())
        except ValueError:
            continue  # outside this build root: another build's change
    return Changes(since, tuple(sorted(files)))


def within_build(graph: BuildGraph, changes: Changes) -> Changes:
    """`changes` without the files of directories the build ignores (`dist/`, `.graphpub/`,
    build_ignore, virtualenvs, other builds): no target owns them."""
    kept = tuple(f for f in changes.files if not graph.tree.is_ignored(posixpath.dirname(f)))
    return Changes(changes.since, kept)


def _git(cwd: Path, arguments: Sequence[str], since: str) -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(cwd), *arguments],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise ChangedError(
            "--changed-since needs git, which is not installed", hint="install git"
        ) from None
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["git failed"])[-1]
        if "not a git repository" in result.stderr:
            raise ChangedError(
                f"--changed-since {since}: {cwd} is not in a git repository",
                hint="--changed-since compares git commits; run it in a clone",
            )
        raise ChangedError(
            f"--changed-since {since}: git {' '.join(arguments[:2])} failed: {reason}",
            hint="REF is a commit, branch or tag git knows (in CI, fetch enough history: "
            "actions/checkout with fetch-depth: 0)",
        )
    return result.stdout


def changed_targets(graph: BuildGraph, changes: Changes, dependents: str) -> list[Address]:
    """The targets owning `changes`, with their direct or transitive dependents."""
    graph.load_all()  # a build file anywhere may own a changed file, or depend on its owner
    changed_paths = set(changes.files)
    owners: set[Address] = set()
    for target in graph.targets():
        if target.location.path in changed_paths:
            owners.add(target.address)  # its build file changed
    for path in changes.files:
        if (graph.config.root / path).exists():
            owners.update(t.address for t in graph.owners_of(path))
        else:
            owners.update(_owners_of_deleted(graph, path))
    if dependents != "none":
        owners |= graph.dependents(owners, transitive=dependents == "transitive")
    return sorted(owners)


def _owners_of_deleted(graph: BuildGraph, path: str) -> set[Address]:
    """The targets whose source entries would have held `path`, which no longer exists."""
    found: set[Address] = set()
    for directory in ancestors(posixpath.dirname(path)):
        if directory in graph.failures:
            continue
        relative = posixpath.relpath(path, directory or ".")
        for target in graph.package_targets(directory):
            if target.address.file or target.address.generated or not target.sources:
                continue
            spec = pathspec.GitIgnoreSpec.from_lines(
                "!/" + entry[1:].lstrip("/") if entry.startswith("!") else "/" + entry.lstrip("/")
                for entry in target.sources
            )
            if spec.match_file(relative):
                found.add(target.address)
    return found


def changed_distributions(
    changed: Iterable[Address],
    owned: Mapping[Address, Iterable[Address]],
    generators: Mapping[Address, Address],
    dependencies: Mapping[Address, Iterable[Address]] | None = None,
    *,
    read: Mapping[Address, Iterable[str]] | None = None,
    files: Iterable[str] = (),
) -> list[Address]:
    """The distributions (the keys of `owned`, what each holds) that are among `changed`,
    own one of them, name one among their own dependencies (`dependencies`), or had one of
    the changed `files` read for them (`read`). A target a generator made counts as its
    generator too, as ownership works on either."""
    changed_files = set(files)
    selected = set(changed)
    selected |= {a for a, paths in (read or {}).items() if changed_files.intersection(paths)}
    selected |= {generators[a] for a in selected if a in generators}
    named = dependencies or {}

    def touched(held: Iterable[Address]) -> bool:
        return any(a in selected or generators.get(a) in selected for a in held)

    return sorted(
        distribution
        for distribution, held in owned.items()
        if distribution in selected or touched(held) or touched(named.get(distribution, ()))
    )
