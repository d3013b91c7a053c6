"""Publishing: every selected distribution to each of its repositories, dependencies first.

Repositories go concurrently; in each, a dependency is uploaded before its dependents, files
already there (same sha256) are skipped, and when one fails its dependents are `blocked` while
the rest go on. Secrets never reach the output: twine's own included.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from graphpub.buildgraph.address import Address
from graphpub.buildgraph.graph import BuildGraph
from graphpub.errors import GraphpubError
from graphpub.publish.index import existing_files, publish_to_directory, sha256_of
from graphpub.publish.ownership import Contents
from graphpub.publish.repositories import (
    Repository,
    pypirc_candidates,
    read_pypirc,
    redact,
    resolve,
    secrets_of,
    simple_index_url,
    twine_environment,
)
from graphpub.rules.distribution import Distribution
from graphpub.rules.requirements import normalize_project


class PublishError(GraphpubError):
    """A publish that cannot start: found before anything is uploaded."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one file for one repository (or to a skipped distribution)."""

    target: str
    file: str
    repository: str
    status: str  # published, skipped, failed, conflict, blocked
    reason: str | None = None
    exit_code: int | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "conflict", "blocked")


@dataclass
class Plan:
    """Which distributions go to which repositories, in which order."""

    repositories: dict[str, Repository] = field(default_factory=dict)
    uploads: dict[str, list[Address]] = field(default_factory=dict)
    skipped: list[tuple[Distribution, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    no_deps: bool = False
    skip_twine: bool = False
    interactive: bool = False
    pypirc: Path | None = None
    only: tuple[str, ...] = ()
    """`--to`: only these repositories; the others are reported skipped."""
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


def plan(
    graph: BuildGraph,
    selected: Sequence[Address],
    held: Mapping[Address, Contents],
    skip: set[Address],
    options: Options,
) -> Plan:
    """Decide everything before anything is uploaded; problems are errors now, not halfway."""
    config = graph.config
    override = options.pypirc or (config.root / config.pypirc if config.pypirc else None)
    searched = pypirc_candidates(config.root, override)
    pypirc = read_pypirc(searched)
    result = Plan()
    order = _dependency_order(held)
    wanted: dict[str, set[Address]] = {}
    for address in selected:
        view = held[address].distribution
        reason = view.skip_reason  # the target's own (skip_twine, no repositories) comes first
        if reason is None and options.skip_twine:
            reason = "by --skip-twine"
        elif reason is None and address in skip:
            reason = f"by the `skip` config key on {view.label}"
        if reason:
            result.skipped.append((view, reason))
            continue
        for name in view.repositories:
            if options.only and name not in options.only:
                result.skipped.append((view, f"{name} not chosen with --to"))
                continue
            if name not in result.repositories:
                result.repositories[name] = resolve(name, pypirc, searched, view.location)
            wanted.setdefault(name, set()).add(address)
    for name, addresses in wanted.items():
        for address in list(addresses):
            for needed in _needs(address, held):
                other = held[needed].distribution
                if needed in addresses:
                    continue
                if name in other.repositories and not options.no_deps:
                    addresses.add(needed)  # published there first, though not named
                elif name in other.repositories:
                    result.missing.append(
                        f"{held[address].distribution.label} needs {other.label} on {name} "
                        "(not selected, --no-deps)"
                    )
                elif not _already_there(
                    result.repositories[name], other, config.index_urls, options
                ):
                    raise PublishError(
                        f"{held[address].distribution.label} requires {other.label}, which "
                        f"does not go to {name} and is not there: installing it from {name} "
                        "would fail",
                        location=held[address].distribution.location,
                        hint=f"add {name!r} to the repositories of {other.label}, "
                        f"or publish it there first",
                    )
        result.uploads[name] = [a for a in order if a in addresses]
    return result


def _needs(address: Address, held: Mapping[Address, Contents]) -> list[Address]:
    """The distributions `address` requires, transitively."""
    found: list[Address] = []
    frontier = list(held[address].depends_on)
    while frontier:
        current = frontier.pop()
        if current not in found and current in held:
            found.append(current)
            frontier.extend(held[current].depends_on)
    return found


def _dependency_order(held: Mapping[Address, Contents]) -> list[Address]:
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(held)
    graph.add_edges_from((d, a) for a, c in held.items() for d in c.depends_on if d in held)
    return list(nx.lexicographical_topological_sort(graph))


def _already_there(
    repository: Repository,
    view: Distribution,
    index_urls: Mapping[str, str],
    options: Options,
) -> bool:
    try:
        files = _existing(repository, view.name, index_urls, options.environ)
    except (OSError, urllib.error.URLError):
        return False
    version = view.checked_version()
    return any(f"-{version}" in name for name in files)


def _existing(
    repository: Repository, project: str, index_urls: Mapping[str, str], environ: Mapping[str, str]
) -> dict[str, str | None]:
    if repository.is_directory:
        directory = repository.directory / normalize_project(project)
        if not directory.is_dir():
            return {}
        return {
            p.name: sha256_of(p)
            for p in directory.iterdir()
            if p.is_file() and p.name != "index.html"
        }
    environment, _ = twine_environment(repository, environ)
    return existing_files(
        index_urls.get(repository.name) or simple_index_url(repository.url),
        project,
        environment.get("TWINE_USERNAME") or repository.username,
        environment.get("TWINE_PASSWORD") or repository.password,
        timeout=30,
    )


def publish(
    graph: BuildGraph,
    the_plan: Plan,
    artifacts: Mapping[Address, Sequence[Path]],
    held: Mapping[Address, Contents],
    options: Options,
) -> list[Outcome]:
    """Upload per the plan, repositories concurrently; one Outcome per file and repository."""
    outcomes: list[Outcome] = [
        Outcome(view.label, "", "", "skipped", reason) for view, reason in the_plan.skipped
    ]
    with ThreadPoolExecutor(max_workers=max(1, len(the_plan.uploads))) as pool:
        futures = [
            pool.submit(
                _publish_to,
                graph,
                the_plan.repositories[name],
                addresses,
                artifacts,
                held,
                options,
            )
            for name, addresses in the_plan.uploads.items()
        ]
        for future in futures:
            outcomes.extend(future.result())
    return outcomes


def _publish_to(
    graph: BuildGraph,
    repository: Repository,
    addresses: Sequence[Address],
    artifacts: Mapping[Address, Sequence[Path]],
    held: Mapping[Address, Contents],
    options: Options,
) -> list[Outcome]:
    environment, _ = twine_environment(repository, options.environ)
    secrets = secrets_of(repository, environment)
    outcomes: list[Outcome] = []
    failed: set[Address] = set()
    pending: list[tuple[Address, Path]] = []
    for address in addresses:
        label = held[address].distribution.label
        blocking = [d for d in _needs(address, held) if d in failed]
        if blocking:
            failed.add(address)
            reason = f"{held[blocking[0]].distribution.label} failed here"
            outcomes.extend(
                Outcome(label, p.name, repository.name, "blocked", reason)
                for p in artifacts[address]
            )
            continue
        try:
            there = _existing(
                repository,
                held[address].distribution.name,
                graph.config.index_urls,
                options.environ,
            )
        except (OSError, urllib.error.URLError) as e:
            there = {}
            if not repository.is_directory:
                outcomes.append(
                    Outcome(
                        label,
                        "",
                        repository.name,
                        "failed",
                        redact(f"cannot read the index: {e}", secrets),
                    )
                )
                failed.add(address)
                continue
        for path in artifacts[address]:
            digest = sha256_of(path)
            if path.name in there:
                if there[path.name] in (None, digest):
                    outcomes.append(
                        Outcome(label, path.name, repository.name, "skipped", "already there")
                    )
                else:
                    outcomes.append(
                        Outcome(
                            label,
                            path.name,
                            repository.name,
                            "conflict",
                            "a different file of that name is there",
                        )
                    )
                    failed.add(address)
            else:
                pending.append((address, path))
    if options.dry_run:
        return outcomes + [
            Outcome(held[a].distribution.label, p.name, repository.name, "planned")
            for a, p in pending
        ]
    if repository.is_directory:
        # One distribution at a time, in order: a conflict found now still blocks dependents.
        for address in dict.fromkeys(a for a, _ in pending):
            label = held[address].distribution.label
            paths = [p for a, p in pending if a == address]
            blocking = [d for d in _needs(address, held) if d in failed]
            if blocking:
                failed.add(address)
                reason = f"{held[blocking[0]].distribution.label} failed here"
                outcomes.extend(
                    Outcome(label, p.name, repository.name, "blocked", reason) for p in paths
                )
                continue
            statuses = publish_to_directory(repository.directory, {p: sha256_of(p) for p in paths})
            for path in paths:
                status = statuses[path]
                why = "a different file of that name is there" if status == "conflict" else None
                outcomes.append(Outcome(label, path.name, repository.name, status, why))
                if status == "conflict":
                    failed.add(address)
        return outcomes
    outcomes.extend(
        _upload_with_twine(graph, repository, pending, held, failed, environment, secrets, options)
    )
    return outcomes


_UPLOADING = re.compile(r"Uploading (\S+\.(?:whl|tar\.gz|zip))")


def _upload_with_twine(
    graph: BuildGraph,
    repository: Repository,
    pending: list[tuple[Address, Path]],
    held: Mapping[Address, Contents],
    failed: set[Address],
    environment: dict[str, str],
    secrets: Sequence[str],
    options: Options,
) -> list[Outcome]:
    """One twine process for the repository's files, in order; after a failure, the files of
    distributions that do not need the failed one go on in another."""
    outcomes: list[Outcome] = []
    while pending:
        ready = [(a, p) for a, p in pending if not any(d in failed for d in _needs(a, held))]
        for address, path in pending:
            if (address, path) not in ready:
                blocking = next(d for d in _needs(address, held) if d in failed)
                outcomes.append(
                    Outcome(
                        held[address].distribution.label,
                        path.name,
                        repository.name,
                        "blocked",
                        f"{held[blocking].distribution.label} failed here",
                    )
                )
        if not ready:
            break
        result = _run_twine(graph, repository, [p for _, p in ready], environment, options)
        output = redact(result.stdout + result.stderr, secrets)
        uploaded = _UPLOADING.findall(output)
        if result.returncode == 0:
            outcomes.extend(
                Outcome(
                    held[a].distribution.label, p.name, repository.name, "published", exit_code=0
                )
                for a, p in ready
            )
            break
        failing = uploaded[-1] if uploaded else ready[0][1].name
        reason = _reason(output)
        remaining: list[tuple[Address, Path]] = []
        reached_failure = False
        for address, path in ready:
            label = held[address].distribution.label
            if path.name == failing:
                reached_failure = True
                status = "failed"
                if re.search(r"\b(409|400)\b|already exists|File exists", output):
                    # The file may be there already: the index says whether it is this one.
                    status = _after_refusal(graph, repository, held[address], path, options)
                outcomes.append(
                    Outcome(label, path.name, repository.name, status, reason, result.returncode)
                )
                if status != "skipped":
                    failed.add(address)
            elif not reached_failure:
                outcomes.append(
                    Outcome(label, path.name, repository.name, "published", exit_code=0)
                )
            else:
                remaining.append((address, path))
        pending = remaining
    return outcomes


def _after_refusal(
    graph: BuildGraph, repository: Repository, held: Contents, path: Path, options: Options
) -> str:
    try:
        there = _existing(
            repository, held.distribution.name, graph.config.index_urls, options.environ
        )
    except (OSError, urllib.error.URLError):
        return "failed"
    if path.name not in there:
        return "failed"
    return "skipped" if there[path.name] in (None, sha256_of(path)) else "conflict"


def _run_twine(
    graph: BuildGraph,
    repository: Repository,
    files: Sequence[Path],
    environment: dict[str, str],
    options: Options,
) -> subprocess.CompletedProcess[str]:
    config = graph.config
    command = [sys.executable, "-m", "twine", "upload", "--disable-progress-bar"]
    if not options.interactive:
        command.append("--non-interactive")
    if config.ca_certs:
        command += ["--cert", str(config.root / config.ca_certs)]
    if repository.alias and repository.config_file is not None:
        command += ["--config-file", str(repository.config_file), "--repository", repository.alias]
    else:
        command += ["--repository-url", repository.url]
    command += [*config.twine_args, *map(str, files)]
    try:
        return subprocess.run(
            command,
            env={**environment, "COLUMNS": "1000"},  # twine wraps its messages otherwise
            capture_output=True,
            text=True,
            timeout=config.upload_timeout,
            stdin=None if options.interactive else subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(
            command,
            124,
            "",
            f"ERROR twine took longer than {config.upload_timeout:g} s (upload_timeout)",
        )


def _reason(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if "ERROR" in line or "HTTPError" in line]
    text = lines[-1] if lines else (output.strip().splitlines() or ["twine failed"])[-1]
    return re.sub(r"^ERROR\s+", "", text)[:300]
