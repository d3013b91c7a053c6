"""Publishing: every selected distribution to each of its repositories, dependencies first.

The distribution is the unit. In each repository (repositories go concurrently) graphpub
takes the distributions in dependency order and, for each, checks all its files against the
index first (`publish.existing`): if any file of that name is there with other content, none
of its files is uploaded and the distribution is a `conflict`; if all are there, it is
`skipped`; otherwise the missing files go, with one twine process (wheels first, always in the
same order, so that of two runs racing with different files the second is refused at its first
file). A refusal as existing is checked again under the same rule. When a distribution fails,
the ones that need it are `blocked` there, the others go on; a repository that cannot be
used at all (down, or refusing the credentials) fails what is left with that one reason.
Secrets never reach the output: twine's own included.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TypeVar

from graphpub.buildgraph.address import Address
from graphpub.buildgraph.config import Config
from graphpub.buildgraph.graph import BuildGraph
from graphpub.errors import GraphpubError, SourceLocation, UsageError
from graphpub.lifetime import guarded_command, watch_pipe
from graphpub.publish.content import compare
from graphpub.publish.credentials import Credentials, look_up
from graphpub.publish.directory import (
    DirectoryIndexError,
    check_index_directory,
    directory_files,
    existing_file,
    publish_to_directory,
)
from graphpub.publish.filenames import parse_filename, pin, satisfies
from graphpub.publish.forkserver import ForkedProcess, ForkServer, ForkServerError
from graphpub.publish.index import IndexFile, existing_files, sha256_of
from graphpub.publish.index_client import IndexClient, IndexLimits, IndexReadError
from graphpub.publish.order import dependency_order, natural_key, upload_order
from graphpub.publish.ownership import Contents
from graphpub.publish.repositories import (
    Repository,
    pypirc_candidates,
    read_pypirc,
    resolve,
    sends_credentials_in_clear,
    simple_index_url,
    twine_environment,
    with_environment_url,
    without_userinfo,
)
from graphpub.rules.distribution import Distribution
from graphpub.secrets import Secrets

_T = TypeVar("_T")
_JobT = TypeVar("_JobT", bound="_Job")


class PublishError(GraphpubError):
    """A publish that cannot start: found before anything is uploaded."""


# The statuses of a distribution in a repository (and of each of its files).
PUBLISHED, SKIPPED, PLANNED = "published", "skipped", "planned"
FAILED, CONFLICT, BLOCKED = "failed", "conflict", "blocked"
FAILURES = (FAILED, CONFLICT, BLOCKED)


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file of a distribution."""

    name: str
    status: str
    sha256: str | None = None
    existing_sha256: str | None = None
    """The sha256 of the file of that name the repository holds, when it differs."""
    note: str | None = None
    """`same content` for a file there with other bytes but the same content; for a conflict,
    the first difference."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one distribution in one repository; with no repository, to a
    distribution not published anywhere (`skipped` by its target or the command line)."""

    target: str
    repository: str
    status: str  # published, skipped, planned, failed, conflict, blocked
    files: tuple[FileOutcome, ...] = ()
    reason: str | None = None
    details: tuple[str, ...] = ()
    """More lines on a failure: twine's own errors, where the credentials were looked up,
    the two sha256 of a conflict."""
    hint: str | None = None
    location: SourceLocation | None = None
    """For a conflict: where the version is written."""
    cause: str | None = None
    """The distribution whose failure this one shares: for `blocked`, the one it needed that
    failed first (the root cause); for `failed`, the first that failed for the same reason."""
    exit_code: int | None = None
    publisher: str = "twine"

    @property
    def failed(self) -> bool:
        return self.status in FAILURES

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.files]


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
    allow_insecure_http: bool = False
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    secrets: Secrets = field(default_factory=Secrets)
    """Where every credential met is registered (the command's registry, for its output)."""


def plan(
    graph: BuildGraph,
    selected: Sequence[Address],
    held: Mapping[Address, Contents],
    skip: set[Address],
    options: Options,
) -> Plan:
    """Decide everything before anything is uploaded; problems are errors now, not halfway."""
    config = graph.config
    _check_chosen(options.only, [held[a].distribution for a in selected])
    override = options.pypirc or (config.root / config.pypirc if config.pypirc else None)
    searched = pypirc_candidates(config.root, override)
    pypirc = read_pypirc(searched, options.secrets)
    result = Plan()
    order = dependency_order(
        {a: c.depends_on for a, c in held.items()}, lambda a: held[a].distribution.label
    )
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
                target = graph.target(address)
                where = (
                    graph.locate_written(target, name)
                    if view.location == target.location
                    else view.location  # listed by the configuration's [[publish]]
                )
                result.repositories[name] = _usable(
                    resolve(name, pypirc, searched, where, options.secrets), where, config, options
                )
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
                else:
                    dependent = held[address].distribution
                    _check_there(result.repositories[name], dependent, other, config, options)
        result.uploads[name] = [a for a in order if a in addresses]
    for address in order:
        if any(address in addresses for addresses in result.uploads.values()):
            for conflict in held[address].first_party_conflicts:
                raise conflict  # another index could satisfy the requirement: confusion
            for lack in held[address].incomplete:
                raise lack  # a wheel without files its users' build puts in it
    return result


def _check_chosen(only: Sequence[str], views: Sequence[Distribution]) -> None:
    """`--to` names repositories the selected distributions list; a typo is a usage error."""
    listed = sorted({r for view in views for r in view.repositories}, key=natural_key)
    for name in only:
        if name in listed:
            continue
        close = difflib.get_close_matches(name, listed, n=1, cutoff=0.6)
        among = ", ".join(listed) if listed else "none"
        raise UsageError(
            f"--to {name}: no selected distribution lists this repository (they list: {among})",
            hint=f"did you mean --to {close[0]}?" if close else "name one they list",
        )


def _usable(
    repository: Repository, where: SourceLocation, config: Config, options: Options
) -> Repository:
    """`repository` at the URL twine will use; plain HTTP off this machine is refused, since
    the credentials would go with the upload and the index reads in clear, and so is a
    directory that is not an index graphpub made."""
    environment, _ = twine_environment(repository, options.environ)
    repository = with_environment_url(repository, environment)
    if repository.is_directory:
        try:
            check_index_directory(repository.directory)
        except DirectoryIndexError as e:
            raise PublishError(
                f"{repository.name}: {e.message}", location=where, hint=e.hint
            ) from None
    insecure = [
        url
        for url in (repository.url, config.index_urls.get(repository.name, ""))
        if sends_credentials_in_clear(url)
    ]
    if insecure and not options.allow_insecure_http:
        raise PublishError(
            f"{repository.name} is plain http:// ({without_userinfo(insecure[0])}): "
            "credentials would cross the network unencrypted",
            location=where,
            hint="use an https:// URL, or pass --allow-insecure-http if you must",
        )
    return repository


def _needs(address: Address, held: Mapping[Address, Contents]) -> list[Address]:
    """The distributions `address` requires, transitively."""
    found: dict[Address, None] = {}  # ordered, and a set: long chains are common
    frontier = list(held[address].depends_on)
    while frontier:
        current = frontier.pop()
        if current not in found and current in held:
            found[current] = None
            frontier.extend(held[current].depends_on)
    return list(found)


def _check_there(
    repository: Repository,
    dependent: Distribution,
    view: Distribution,
    config: Config,
    options: Options,
) -> None:
    """A PublishError unless `repository` holds a file of `view` at a version `dependent`'s
    pin accepts (exactly: file names parsed, versions under PEP 440, projects under PEP 503).
    An index that cannot be read counts as not holding it."""
    credentials = look_up(repository, options.environ, options.secrets)
    client = _index_client(repository, config, credentials)
    try:
        files = _existing(repository, view.name, config.index_urls, client)
    except _INDEX_ERRORS:
        files = {}
    finally:
        if client is not None:
            client.close()
    version = view.checked_version()
    accepted = pin(config.first_party_version_scheme, version)
    if satisfies(files, view.name, accepted):
        return
    versions = sorted(
        {str(p.version) for name in files if (p := parse_filename(name, view.name)) is not None},
        key=natural_key,
    )
    holds = f" (it holds {view.name} {', '.join(versions)} only)" if versions else ""
    name = repository.name
    raise PublishError(
        f"{dependent.label} requires {view.label} ({view.name}{accepted or ''}), which does "
        f"not go to {name} and is not there{holds}: installing it from {name} would fail",
        location=dependent.location,
        hint=f"add {name!r} to the repositories of {view.label}, or publish it there first",
    )


def _index_client(
    repository: Repository, config: Config, credentials: Credentials
) -> IndexClient | None:
    """The reader of the repository's index over HTTP, for all its projects; None for a
    directory."""
    if repository.is_directory:
        return None
    return IndexClient(
        _simple_url(repository, config.index_urls),
        credentials.pair,
        IndexLimits(config.index_timeout, config.max_index_bytes),
        str(config.root / config.ca_certs) if config.ca_certs else None,
    )


def _simple_url(repository: Repository, index_urls: Mapping[str, str]) -> str:
    return index_urls.get(repository.name) or simple_index_url(repository.url)


# Reading an index: over HTTP, or a directory's files.
_INDEX_ERRORS = (IndexReadError, DirectoryIndexError, OSError)


def _existing(
    repository: Repository,
    project: str,
    index_urls: Mapping[str, str],
    client: IndexClient | None,
) -> dict[str, IndexFile]:
    if client is None:
        return {
            name: IndexFile(name, None, digest)
            for name, digest in directory_files(repository.directory, project).items()
        }
    return existing_files(client, _simple_url(repository, index_urls), project)


def publish(
    graph: BuildGraph,
    the_plan: Plan,
    artifacts: Mapping[Address, Sequence[Path]],
    held: Mapping[Address, Contents],
    options: Options,
    on_outcome: Callable[[Outcome], None] = lambda _outcome: None,
) -> list[Outcome]:
    """Upload per the plan, repositories concurrently; one Outcome per distribution and
    repository, in upload order. `on_outcome` hears of each as it is decided (from the
    repositories' threads)."""
    with Publication(graph, the_plan, held, options) as publication:
        return publication.publish(artifacts, on_outcome)


class Publication:
    """A publish per `the_plan`, begun before its distributions are built: once the caller
    says so (`start_reading`), each repository's index is read (the pages of the projects it
    gets, on threads of its own) while the caller goes on checking what will go. `publish`
    then uploads; leaving the `with` block without it abandons the reads."""

    def __init__(
        self, graph: BuildGraph, the_plan: Plan, held: Mapping[Address, Contents], options: Options
    ) -> None:
        self.the_plan = the_plan
        self.uploads = {
            name: _RepositoryUpload(graph, the_plan.repositories[name], held, options)
            for name in the_plan.uploads
        }
        self._reading = False

    def start_reading(self) -> None:
        """Start reading the indexes (once): from now on this process has threads."""
        if self._reading:
            return
        self._reading = True
        for name, upload in self.uploads.items():
            upload.read_ahead(self.the_plan.uploads[name])

    def __enter__(self) -> Publication:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        for upload in self.uploads.values():
            upload.close()

    def publish(
        self,
        artifacts: Mapping[Address, Sequence[Path]],
        on_outcome: Callable[[Outcome], None] = lambda _outcome: None,
    ) -> list[Outcome]:
        """See `publish`: `artifacts` are each distribution's built files."""
        self.start_reading()
        outcomes: list[Outcome] = [
            Outcome(view.label, "", SKIPPED, reason=reason)
            for view, reason in self.the_plan.skipped
        ]
        with ThreadPoolExecutor(max_workers=max(1, len(self.uploads))) as pool:
            futures = [
                pool.submit(upload.run, self.the_plan.uploads[name], artifacts, on_outcome)
                for name, upload in self.uploads.items()
            ]
            for future in futures:
                outcomes.extend(future.result())
        return outcomes


class _Unreachable(Exception):
    """The repository cannot be used at all: what is left there fails with this reason."""

    def __init__(self, reason: str, details: Sequence[str] = (), hint: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = tuple(details)
        self.hint = hint


class _CannotCompare(Exception):
    """A file of the same name is there, but could not be read to compare it with ours."""


@dataclass(frozen=True)
class _State:
    """One of our files against the repository: `absent`, `same` (the same bytes), `same
    content` (other bytes, the same distribution) or `conflict`."""

    path: Path
    sha256: str
    status: str
    existing_sha256: str | None = None
    difference: str | None = None


# Failures worth another try: the server or the network, not the request.
_TRANSIENT = re.compile(
    r"\b50[0-4] [A-Z]|Connection aborted|Connection reset|Connection refused|RemoteDisconnected|"
    r"Max retries exceeded|timed out|Broken pipe|EOF occurred"
)
_REFUSED_AS_EXISTING = re.compile(r"\b(409|400) [A-Z]|already exists|File exists")
_ACCESS_DENIED = re.compile(r"\b40[13] [A-Z]")
_NO_CREDENTIALS = re.compile(r"Credential not found|could not determine credentials")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_UPLOADING = re.compile(r"Uploading (\S+\.(?:whl|tar\.gz|zip))\s*$", re.MULTILINE)
# A record of twine's log: a level at the start of a line, continued on indented lines.
_LOG_RECORD = re.compile(r"^(ERROR|WARNING|INFO|DEBUG|CRITICAL)\s+(.*)$")


@dataclass(frozen=True)
class _Job:
    """A distribution that needs an upload here: its files in upload order, and their states."""

    address: Address
    paths: tuple[Path, ...]
    states: Mapping[Path, _State]

    @property
    def missing(self) -> list[Path]:
        return [p for p in self.paths if self.states[p].status == "absent"]


# What the fork server imports once for all the twine processes it forks (twine's own modules,
# for its command line: `python -m twine` is still what each runs), and what an upload imports
# on its way: rich's emoji table for its first message (15 ms), the zip and metadata readers
# for the wheel's METADATA.
_TWINE_MODULES = (
    "twine.cli",
    "twine.commands.upload",
    "twine.package",
    "twine.repository",
    "rich._emoji_codes",
    "importlib_metadata._adapters",
    "zipp",
    "encodings.cp437",
)


# Index pages read at once per repository (the connections its session keeps alive).
_INDEX_READERS = 8
# ... from a server that closes each connection after its answer (HTTP/1.0, as the
# single-threaded servers of Python's wsgiref and socketserver do): each read then connects
# anew, and connection attempts beyond the server's listen backlog (5 for socketserver) are
# dropped, to be tried again by TCP a second later.
_INDEX_READERS_WITHOUT_KEEP_ALIVE = 4
# Twine processes at once per repository, for distributions that do not need one another.
_LANES = 2


@dataclass
class _TwineRun:
    code: int
    output: str  # redacted
    started: list[str]  # the files twine began to upload, in order
    timed_out: bool = False
    over_deadline: bool = False


class _RepositoryUpload:
    """Everything one repository gets, one distribution at a time in dependency order."""

    def __init__(
        self,
        graph: BuildGraph,
        repository: Repository,
        held: Mapping[Address, Contents],
        options: Options,
    ) -> None:
        self.graph = graph
        self.config = graph.config
        self.repository = repository
        self.artifacts: Mapping[Address, Sequence[Path]] = {}
        self.held = held
        self.options = options
        self.on_outcome: Callable[[Outcome], None] = lambda _outcome: None
        self.environment, _ = twine_environment(repository, options.environ)
        self.secrets = options.secrets
        self.credentials = look_up(repository, options.environ, self.secrets)
        self.client = _index_client(repository, self.config, self.credentials)
        self.publisher = "graphpub" if repository.is_directory else "twine"
        self.outcomes: dict[Address, Outcome] = {}
        self.planned: set[Address] = set()
        self.prefetched: dict[Address, dict[Path, _State] | Exception] = {}
        """What was read ahead of each distribution's turn (or why it could not be)."""
        self.pages: dict[Address, dict[str, IndexFile] | _Unreachable] = {}
        """What the index listed of each distribution's project, read before the
        distributions were built (`read_ahead`), or why it could not be read."""
        self._reading: threading.Thread | None = None
        self._abandoned = threading.Event()
        self._lock = threading.Lock()
        self._needed: dict[Address, list[Address]] = {}
        self._forks: ForkServer | None = None
        self._forks_failed = False
        self.unusable: Outcome | None = None
        """The first failure that made the repository unusable."""

    def read_ahead(self, addresses: Sequence[Address]) -> None:
        """Start reading the index's pages of `addresses`' projects, on a thread of its own
        (as `_prefetch` reads: the first alone, then several at once); `run` takes them."""
        if self.client is None or not addresses:
            return
        self._reading = threading.Thread(
            target=self._read_pages,
            args=(list(addresses),),
            name=f"graphpub-read-{self.repository.name}",
            daemon=True,
        )
        self._reading.start()

    def close(self) -> None:
        """Abandon what is still being read (a publish that does not go on), and let the
        index's connections go."""
        self._abandoned.set()
        if self.client is not None:
            self.client.abort()
            self.client.close()

    def _read_pages(self, addresses: Sequence[Address]) -> None:
        first, *rest = addresses
        if not self._read_page(first) or not rest:
            return
        assert self.client is not None
        readers = _INDEX_READERS if self.client.keeps_alive else _INDEX_READERS_WITHOUT_KEEP_ALIVE
        with ThreadPoolExecutor(max_workers=min(readers, len(rest))) as pool:
            futures = [pool.submit(self._read_page, a) for a in rest]
            for future in futures:
                if not future.result():  # unusable or abandoned: what has not started is not read
                    for other in futures:
                        other.cancel()
                    break

    def _read_page(self, address: Address) -> bool:
        """Read `address`'s page into `pages`; False when the repository could not be read at
        all, or the publish was abandoned."""
        if self._abandoned.is_set():
            return False
        try:
            self.pages[address] = self._listed(address)
        except _Unreachable as e:
            self.pages[address] = e
            return False
        return True

    def run(
        self,
        addresses: Sequence[Address],
        artifacts: Mapping[Address, Sequence[Path]],
        on_outcome: Callable[[Outcome], None],
    ) -> list[Outcome]:
        """In rounds: every distribution whose dependencies are decided here is decided (or,
        if it needs an upload, joins the round's batch, as does one that needs an upload and
        whose undecided dependencies are in the batch before it); then the batch goes up in
        lanes, each one distribution after the other in dependency order (`_upload_lane`).
        `artifacts`: each distribution's built files."""
        self.artifacts, self.on_outcome = artifacts, on_outcome
        self.planned = set(addresses)
        if self._reading is not None:
            self._reading.join()  # the pages read ahead, if all went well
        try:
            pending = list(addresses)
            while pending:
                self._prefetch(pending)
                batch: list[_Job] = []
                waiting: list[Address] = []
                for address in pending:
                    undecided = self._undecided(address)
                    if undecided and not (
                        undecided <= {job.address for job in batch} and self._joins(address)
                    ):
                        waiting.append(address)
                        continue
                    decided = self._one(address)
                    if isinstance(decided, _Job):
                        batch.append(decided)
                    else:
                        self._record(address, decided)
                if batch:
                    waiting = self._upload_batch(batch) + waiting
                elif len(waiting) == len(pending):
                    raise AssertionError("no distribution can go: a dependency cycle")
                pending = [a for a in addresses if a in set(waiting)]
        finally:
            if self.client is not None:
                self.client.close()
            if self._forks is not None:
                self._forks.close()
        return [self.outcomes[a] for a in addresses]

    def _needs(self, address: Address) -> list[Address]:
        """`_needs(address)`, worked out once."""
        found = self._needed.get(address)
        if found is None:
            found = self._needed[address] = _needs(address, self.held)
        return found

    def _record(self, address: Address, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes[address] = outcome
            self.on_outcome(outcome)

    def _undecided(self, address: Address) -> set[Address]:
        """The distributions `address` needs that go here and are not decided yet."""
        with self._lock:
            return {d for d in self._needs(address) if d in self.planned and d not in self.outcomes}

    def _joins(self, address: Address) -> bool:
        """Whether `address` certainly needs an upload (read ahead, some of it missing, none
        of it in conflict, nothing it needs failed), so it can join the batch its undecided
        dependencies are in: their lane starts it once they are decided, if none failed."""
        states = self.prefetched.get(address)
        return (
            isinstance(states, dict)
            and self.unusable is None
            and not self.options.dry_run
            and not self.repository.is_directory
            and all(s.status in ("absent", "same", "same content") for s in states.values())
            and any(s.status == "absent" for s in states.values())
            and not any(self._status(d) in FAILURES for d in self._needs(address))
        )

    # ------------------------------------------------------------------ reading ahead

    def _prefetch(self, addresses: Sequence[Address]) -> None:
        """Read what the repository holds of each of `addresses` not read yet, concurrently
        over the client's kept-alive connections. The first is read alone: a repository that
        cannot be used answers that once, not once per distribution, and says whether it
        keeps connections alive (else fewer are read at once). A failure is kept and met
        when its distribution's turn comes, as if read then."""
        if self.client is None or self.unusable is not None:
            return
        unread = [a for a in addresses if a not in self.prefetched and a not in self.outcomes]
        if len(unread) < 2:
            return
        first, *rest = unread
        if not self._read_ahead(first):
            return
        readers = _INDEX_READERS if self.client.keeps_alive else _INDEX_READERS_WITHOUT_KEEP_ALIVE
        with ThreadPoolExecutor(max_workers=min(readers, len(rest))) as pool:
            futures = [pool.submit(self._read_ahead, a) for a in rest]
            for future in futures:
                if not future.result():  # unusable: what has not started is not read
                    for other in futures:
                        other.cancel()
                    break

    def _read_ahead(self, address: Address) -> bool:
        """Read `address`'s states into `prefetched`; False when the repository could not be
        read at all."""
        try:
            self.prefetched[address] = self._states(address, upload_order(self.artifacts[address]))
        except _CannotCompare as e:
            self.prefetched[address] = e
        except _Unreachable as e:
            self.prefetched[address] = e
            return False
        return True

    # ------------------------------------------------------------------ one distribution

    def _one(self, address: Address) -> Outcome | _Job:
        """The outcome of `address` here, or the upload it needs (`_Job`)."""
        paths = upload_order(self.artifacts[address])
        blocking = next((d for d in self._needs(address) if self._status(d) in FAILURES), None)
        if blocking is not None:
            root = self.outcomes[blocking].cause if self._status(blocking) == BLOCKED else None
            return self._outcome(
                address,
                BLOCKED,
                [FileOutcome(p.name, BLOCKED) for p in paths],
                reason=f"needs {self._label(blocking)}, which failed here",
                cause=root or self._label(blocking),
            )
        if self.unusable is not None:
            return self._shares_failure(address, paths, self.unusable)
        try:
            read = self.prefetched.pop(address, None)
            if isinstance(read, Exception):
                raise read
            states = read if read is not None else self._states(address, paths)
        except _Unreachable as e:
            return self._repository_unusable(address, paths, e)
        except _CannotCompare as e:
            return self._outcome(
                address, FAILED, [FileOutcome(p.name, FAILED) for p in paths], reason=str(e)
            )
        if any(s.status == CONFLICT for s in states.values()):
            return self._conflict(address, states)
        missing = [p for p in paths if states[p].status == "absent"]
        if not missing:
            return self._outcome(address, SKIPPED, [_present(states[p]) for p in paths])
        if self.options.dry_run:
            files = [
                FileOutcome(p.name, PLANNED, states[p].sha256)
                if p in missing
                else _present(states[p])
                for p in paths
            ]
            return self._outcome(address, PLANNED, files)
        if self.repository.is_directory:
            return self._copy(address, paths, states)
        return _Job(address, tuple(paths), states)

    def _status(self, address: Address) -> str | None:
        outcome = self.outcomes.get(address)
        return outcome.status if outcome else None

    def _label(self, address: Address) -> str:
        return self.held[address].distribution.label

    def _outcome(
        self, address: Address, status: str, files: Sequence[FileOutcome], **more: object
    ) -> Outcome:
        return Outcome(
            self._label(address),
            self.repository.name,
            status,
            tuple(files),
            publisher=self.publisher,
            **more,  # type: ignore[arg-type]
        )

    def _repository_unusable(
        self, address: Address, paths: Sequence[Path], error: _Unreachable
    ) -> Outcome:
        outcome = self._outcome(
            address,
            FAILED,
            [FileOutcome(p.name, FAILED) for p in paths],
            reason=error.reason,
            details=error.details,
            hint=error.hint,
        )
        self.unusable = outcome
        return outcome

    def _shares_failure(self, address: Address, paths: Sequence[Path], first: Outcome) -> Outcome:
        return self._outcome(
            address,
            FAILED,
            [FileOutcome(p.name, FAILED) for p in paths],
            reason=first.reason,
            cause=first.target,
            exit_code=first.exit_code,
        )

    def _conflict(self, address: Address, states: Mapping[Path, _State]) -> Outcome:
        """The distribution is already there with other content: nothing of it goes."""
        view = self.held[address].distribution
        conflicting = [s for s in states.values() if s.status == CONFLICT]
        first = conflicting[0]
        files = [
            FileOutcome(
                s.path.name,
                CONFLICT,
                s.sha256,
                s.existing_sha256,
                s.difference,
            )
            if s.status == CONFLICT
            else _present(s)
            if s.status != "absent"
            else FileOutcome(s.path.name, BLOCKED, s.sha256, note="another file of it conflicts")
            for s in states.values()
        ]
        details = []
        for state in conflicting:
            details += [
                f"{state.path.name}:",
                f"  ours:   sha256 {state.sha256}",
                f"  theirs: sha256 {state.existing_sha256 or '(not given by the index)'}",
            ]
            if state.difference:
                details.append(f"  first difference: {state.difference}")
        where = self._version_location(address)
        others = f" (and {len(conflicting) - 1} more)" if len(conflicting) > 1 else ""
        return self._outcome(
            address,
            CONFLICT,
            files,
            reason=f"{first.path.name}{others} is already there with other content: "
            f"version {view.version} was published before from other sources",
            details=tuple(details),
            hint=f"a published version never changes: bump the version of {view.label} "
            f"({where}) and publish again",
            location=where,
        )

    def _version_location(self, address: Address) -> SourceLocation:
        """Where the distribution's version is written (`version=` in its target, within
        `provides=` for Pants), else the target."""
        target = self.graph.target(address)
        within = "provides" if target.kind == "python_distribution" else None
        found = self.graph.locate_keyword(target, ("version",), within)
        return found or self.held[address].distribution.location

    # ------------------------------------------------------------------ what is there

    def _states(self, address: Address, paths: Sequence[Path]) -> dict[Path, _State]:
        """Each file of the distribution against what the repository holds of its project
        (as read ahead, else read now)."""
        project = self.held[address].distribution.name
        there = self.pages.pop(address, None)
        if isinstance(there, _Unreachable):
            raise there
        if there is None:
            there = self._listed(address)
        return {path: self._state(path, there.get(path.name), project) for path in paths}

    def _listed(self, address: Address) -> dict[str, IndexFile]:
        """The files the repository lists for `address`'s project."""
        project = self.held[address].distribution.name
        return self._retrying(
            lambda: _existing(self.repository, project, self.config.index_urls, self.client),
            "cannot read the index",
        )

    def _state(self, path: Path, listed: IndexFile | None, project: str) -> _State:
        ours = sha256_of(path)
        if listed is None:
            return _State(path, ours, "absent")
        if listed.sha256 == ours:
            return _State(path, ours, "same")
        with self._downloaded(listed, project) as theirs:
            existing = listed.sha256 or _sha256_of_stream(theirs)
            if existing == ours:
                return _State(path, ours, "same")
            comparison = compare(path, theirs, path.name)
        status = "same content" if comparison.same else CONFLICT
        return _State(path, ours, status, existing, comparison.difference)

    @contextlib.contextmanager
    def _downloaded(self, listed: IndexFile, project: str) -> Iterator[IO[bytes]]:
        """The file of the repository named like one of ours, to compare them."""
        if self.repository.is_directory:
            try:
                with existing_file(self.repository.directory, project, listed.name) as file:
                    yield file
            except (DirectoryIndexError, OSError) as e:
                raise _CannotCompare(f"cannot read {listed.name} there to compare: {e}") from None
            return
        if self.client is None or listed.url is None:
            raise _CannotCompare(f"the index gives no usable link to {listed.name} to compare it")
        client, url = self.client, listed.url
        with tempfile.TemporaryFile() as file:

            def download() -> None:
                file.seek(0)
                file.truncate()
                client.download(url, file)

            try:
                self._retrying(download, f"cannot download {listed.name} to compare it")
            except _Unreachable as e:
                raise _CannotCompare(e.reason) from None
            yield file

    def _retrying(self, read: Callable[[], _T], what: str) -> _T:
        """`read()`, a transient failure retried upload_retries times; _Unreachable when it
        still fails, saying `what` and, for 401 and 403, where the credentials came from."""
        for attempt in range(self.config.upload_retries + 1):
            try:
                return read()
            except _INDEX_ERRORS as e:
                reason = str(e) or type(e).__name__
                retryable = isinstance(e, IndexReadError) and e.transient
                if not retryable or attempt == self.config.upload_retries:
                    tries = f" ({attempt + 1} attempts)" if attempt else ""
                    denied = isinstance(e, IndexReadError) and e.status in (401, 403)
                    raise _Unreachable(
                        self.secrets.redact(f"{what}: {reason}{tries}"),
                        self.credentials.explanation() if denied else (),
                        self.credentials.hint(refused=True) if denied else None,
                    ) from None
                self._pause(attempt)
        raise AssertionError("unreachable")

    def _pause(self, attempt: int) -> None:
        time.sleep(self.config.retry_backoff * 2**attempt)

    # ------------------------------------------------------------------ directory

    def _copy(
        self, address: Address, paths: Sequence[Path], states: Mapping[Path, _State]
    ) -> Outcome:
        """Into a directory index, all files or none, under its lock (a concurrent run may
        have put files there since they were checked)."""
        try:
            placed = publish_to_directory(
                self.repository.directory,
                self.held[address].distribution.name,
                {p: states[p].sha256 for p in paths},
            )
        except (DirectoryIndexError, OSError) as e:
            # The index cannot be written as it is: nothing else will go there either.
            reason = e.message if isinstance(e, DirectoryIndexError) else str(e)
            return self._repository_unusable(
                address, paths, _Unreachable(f"cannot write the index: {reason}")
            )
        now = {
            p: _State(
                p,
                states[p].sha256,
                {"skipped": "same", "withheld": "absent"}.get(placed[p].status, placed[p].status),
                placed[p].existing_sha256,
                placed[p].difference,
            )
            for p in paths
        }
        if any(s.status == CONFLICT for s in now.values()):
            return self._conflict(address, now)
        files = [
            FileOutcome(p.name, PUBLISHED, now[p].sha256)
            if now[p].status == PUBLISHED
            else _present(now[p])
            for p in paths
        ]
        status = PUBLISHED if any(f.status == PUBLISHED for f in files) else SKIPPED
        return self._outcome(address, status, files)

    # ------------------------------------------------------------------ twine

    def _upload_batch(self, batch: Sequence[_Job]) -> list[Address]:
        """Upload `batch` (in dependency order): distributions that need none of one another
        in separate lanes, at most _LANES twine processes at once. The distributions a lane
        did not start, to be decided again."""
        lanes = _lanes(batch, lambda job: set(self._needs(job.address)))
        if len(lanes) == 1:
            return self._upload_lane(lanes[0])
        with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
            left = list(pool.map(self._upload_lane, lanes))
        return [address for lane in left for address in lane]

    def _upload_lane(self, jobs: Sequence[_Job]) -> list[Address]:
        """`jobs` one after the other, each distribution with a twine process of its own (twine
        uploads wheels first, so one process for two distributions could start the second's
        wheel before the first's sdist is there). After a failure, the jobs not started are
        returned, to be decided again."""
        for index, job in enumerate(jobs):
            if index and (self._status(jobs[index - 1].address) in FAILURES or self.unusable):
                return [later.address for later in jobs[index:]]
            self._record(job.address, self._upload(job.address, job.paths, job.states))
        return []

    def _upload(
        self,
        address: Address,
        paths: Sequence[Path],
        states: Mapping[Path, _State],
    ) -> Outcome:
        """The missing files with twine, in order. After a failure: a refusal as existing is
        checked again under the same rule; a transient failure is retried with backoff; a
        repository that refuses the credentials, or stays down, is unusable from then on."""
        done: dict[Path, FileOutcome] = {
            p: _present(states[p]) for p in paths if states[p].status != "absent"
        }
        pending = [p for p in paths if states[p].status == "absent"]
        attempts = 0
        while pending:
            run = self._twine(pending)
            if run.code == 0:
                done.update({p: FileOutcome(p.name, PUBLISHED, states[p].sha256) for p in pending})
                break
            reason, details = _reason(run)
            # Twine stops at the first file that fails: what it started before that one is
            # there, what it did not start is still to go.
            started = [p for p in pending if p.name in run.started]
            failing = started[-1] if started else None
            for path in started[:-1]:
                done[path] = FileOutcome(path.name, PUBLISHED, states[path].sha256)
            pending = [p for p in pending if p not in started[:-1]]
            denied = bool(_ACCESS_DENIED.search(reason))
            if denied or _NO_CREDENTIALS.search(reason):
                error = _Unreachable(
                    reason,
                    [*details, *self.credentials.explanation()],
                    self.credentials.hint(refused=denied),
                )
                return self._failed(address, paths, done, error, run.code, unusable=True)
            if failing is None:  # twine stopped before any upload: nothing of it went
                return self._failed(
                    address, paths, done, _Unreachable(reason, details), run.code, unusable=True
                )
            transient = run.timed_out or bool(_TRANSIENT.search(run.output))
            if run.over_deadline:
                error = _Unreachable(
                    reason,
                    details,
                    "raise upload_deadline, or set `upload_deadline = inf` for no limit",
                )
                return self._failed(address, paths, done, error, run.code)
            if _REFUSED_AS_EXISTING.search(run.output):
                # Maybe another run's: the index says whether it is this distribution's.
                state = self._recheck(address, failing)
                if state is not None and state.status in ("same", "same content"):
                    done[failing] = _present(state)
                    pending.remove(failing)
                    attempts = 0
                    continue
                if state is not None and state.status == CONFLICT:
                    return self._conflict_after_upload(address, states, done, state)
                return self._failed(address, paths, done, _Unreachable(reason, details), run.code)
            if transient and attempts < self.config.upload_retries:
                self._pause(attempts)
                attempts += 1
                state = self._recheck(address, failing)
                if state is not None and state.status == "same":  # it got there after all
                    done[failing] = FileOutcome(failing.name, PUBLISHED, state.sha256)
                    pending.remove(failing)
                continue
            if attempts:
                reason += f" ({attempts + 1} attempts)"
            return self._failed(
                address, paths, done, _Unreachable(reason, details), run.code, unusable=transient
            )
        files = [done[p] for p in paths]
        status = PUBLISHED if any(f.status == PUBLISHED for f in files) else SKIPPED
        return self._outcome(address, status, files, exit_code=0 if status == PUBLISHED else None)

    def _recheck(self, address: Address, path: Path) -> _State | None:
        """What the repository holds now of a file it refused or that failed on the way, by
        the same rule as before the upload; None when that cannot be known."""
        project = self.held[address].distribution.name
        try:
            there = self._retrying(
                lambda: _existing(self.repository, project, self.config.index_urls, self.client),
                "cannot read the index",
            )
            return self._state(path, there.get(path.name), project)
        except (_Unreachable, _CannotCompare):
            return None

    def _failed(
        self,
        address: Address,
        paths: Sequence[Path],
        done: Mapping[Path, FileOutcome],
        error: _Unreachable,
        code: int,
        *,
        unusable: bool = False,
    ) -> Outcome:
        files = [done.get(p) or FileOutcome(p.name, FAILED) for p in paths]
        outcome = self._outcome(
            address,
            FAILED,
            files,
            reason=error.reason,
            details=error.details,
            hint=error.hint,
            exit_code=code,
        )
        if unusable:
            self.unusable = outcome
        return outcome

    def _conflict_after_upload(
        self,
        address: Address,
        states: Mapping[Path, _State],
        done: Mapping[Path, FileOutcome],
        refused: _State,
    ) -> Outcome:
        """A file refused because another upload put a different one there meanwhile."""
        now = dict(states)
        now[refused.path] = refused
        for path, file in done.items():
            if file.status == PUBLISHED:
                now[path] = _State(path, file.sha256 or "", "same")
        outcome = self._conflict(address, now)
        uploaded = {p.name for p, f in done.items() if f.status == PUBLISHED}
        if not uploaded:
            return outcome
        return replace(
            outcome,
            files=tuple(
                replace(f, status=PUBLISHED) if f.name in uploaded else f for f in outcome.files
            ),
            details=(
                *outcome.details,
                f"another upload of this version came between graphpub's check and its own, "
                f"after {', '.join(sorted(uploaded))} went: the repository holds files of both",
            ),
        )

    def _twine(self, files: Sequence[Path]) -> _TwineRun:
        """Run `twine upload` on `files`: abandoned when no bytes have moved and twine has
        printed nothing for upload_timeout seconds, or one file takes longer than
        upload_deadline."""
        config = self.config
        command = ["upload", "--disable-progress-bar"]
        if not self.options.interactive:
            command.append("--non-interactive")
        if config.ca_certs:
            command += ["--cert", str(config.root / config.ca_certs)]
        if self.repository.alias and self.repository.config_file is not None:
            command += [
                "--config-file",
                str(self.repository.config_file),
                "--repository",
                self.repository.alias,
            ]
        else:
            command += ["--repository-url", self.repository.url]
        command += config.twine_args
        # The meter's pipe: its read end belongs to the thread reading it, which closes it at
        # the end of stream (never this thread, which could close a reused number).
        meter_read, meter_write = os.pipe()
        try:
            forked = self._forked(command, [str(f) for f in files], meter_write)
        except BaseException:
            os.close(meter_read)
            os.close(meter_write)
            raise
        if forked is not None:
            os.close(meter_write)  # the child's now: its end of stream is the child's exit
            return self._watch_twine(forked, meter_read)
        with watch_pipe() as watch_fd:
            try:
                process = subprocess.Popen(
                    guarded_command("twine", [*command, *map(str, files)], watch_fd, meter_write),
                    pass_fds=(watch_fd, meter_write),
                    env=self._twine_environment(),
                    stdin=None if self.options.interactive else subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
            except BaseException:
                os.close(meter_read)
                raise
            finally:
                os.close(meter_write)
            return self._watch_twine(process, meter_read)

    def _twine_environment(self) -> dict[str, str]:
        # Plain text to parse: twine wraps its messages, colours them on a terminal.
        return {**self.environment, "COLUMNS": "1000", "NO_COLOR": "1", "TERM": "dumb"}

    def _forked(
        self, command: Sequence[str], files: Sequence[str], meter_fd: int
    ) -> ForkedProcess | None:
        """`python -m twine command... files...` forked from the repository's fork server
        (started at its first upload with `command`, the same for all); None when it must be
        a process of its own: interactive (twine may ask on the terminal), or the fork server
        cannot (then none is used again)."""
        if self.options.interactive:
            return None
        with self._lock:
            if self._forks_failed:
                return None
            if self._forks is None:
                try:
                    self._forks = ForkServer(
                        "twine",
                        command,
                        _TWINE_MODULES,
                        self._twine_environment(),
                        str(self.config.root),
                    )
                except OSError:
                    self._forks_failed = True
                    return None
            forks = self._forks
        try:
            return forks.start(files, meter_fd)
        except ForkServerError:
            with self._lock:
                self._forks_failed = True
            return None

    def _watch_twine(
        self, process: subprocess.Popen[bytes] | ForkedProcess, meter_fd: int
    ) -> _TwineRun:
        """Read twine's output and the bytes its uploads move (`upload_meter`) as they come;
        kill it when neither has moved for upload_timeout, or a file takes longer than
        upload_deadline."""
        config = self.config
        assert process.stdout is not None
        events: queue.Queue[tuple[str, bytes]] = queue.Queue()
        readers = [
            threading.Thread(
                target=_read_all, args=(process.stdout.fileno(), "out", events), daemon=True
            ),
            threading.Thread(target=_read_all, args=(meter_fd, "meter", events, True), daemon=True),
        ]
        for reader in readers:
            reader.start()
        received = bytearray()
        timed_out = over_deadline = False
        now = time.monotonic()
        last_activity = file_started = now
        open_streams = 2
        while open_streams:
            now = time.monotonic()
            deadline = min(
                last_activity + config.upload_timeout, file_started + config.upload_deadline
            )
            try:
                kind, chunk = events.get(timeout=_wait(deadline - now))
            except queue.Empty:
                over_deadline = time.monotonic() >= file_started + config.upload_deadline
                timed_out = not over_deadline
                process.kill()
                break
            if not chunk:
                open_streams -= 1
                continue
            last_activity = time.monotonic()
            if kind == "meter":
                continue
            received += chunk
            if _UPLOADING.search(chunk.decode(errors="replace")):
                file_started = last_activity
            if self.options.interactive:  # twine's prompts are for the user
                sys.stderr.write(self.secrets.redact(chunk.decode(errors="replace")))
                sys.stderr.flush()
        code = process.wait()
        for reader in readers:  # at their end of stream now that twine is gone
            reader.join(timeout=5)
        process.stdout.close()
        output = self.secrets.redact(_ANSI.sub("", received.decode(errors="replace")))
        # Twine says `Uploading FILE` again when it retries a file itself.
        started = list(dict.fromkeys(_UPLOADING.findall(output)))
        if timed_out:
            code = 124
            output += f"\nERROR no progress for {config.upload_timeout:g} s (upload_timeout)"
        elif over_deadline:
            code = 124
            file = started[-1] if started else "the upload"
            output += (
                f"\nERROR {file} still uploading after {config.upload_deadline:g} s "
                "(upload_deadline)"
            )
        return _TwineRun(code, output, started, timed_out, over_deadline)


def _lanes(jobs: Sequence[_JobT], needs: Callable[[_JobT], set[Address]]) -> list[list[_JobT]]:
    """`jobs` (in dependency order) in at most _LANES lists, each in the same order: jobs
    that need one another, directly or through others of `jobs`, in the same list."""
    group: dict[Address, int] = {}  # the address to its group (the first job's index)
    members: dict[int, list[_JobT]] = {}
    for index, job in enumerate(jobs):
        joined = sorted({group[d] for d in needs(job) if d in group})
        home = joined[0] if joined else index
        members.setdefault(home, [])
        for other in joined[1:]:  # this job ties groups together
            for moved in members.pop(other):
                group[moved.address] = home
                members[home].append(moved)
        members[home].append(job)
        group[job.address] = home
    position = {job.address: index for index, job in enumerate(jobs)}
    groups = sorted(members.values(), key=lambda g: -len(g))
    lanes: list[list[_JobT]] = [[] for _ in range(min(_LANES, len(groups)))]
    for members_of in groups:  # the largest first, each to the lane with least so far
        min(lanes, key=len).extend(members_of)
    return [sorted(lane, key=lambda job: position[job.address]) for lane in lanes]


def _wait(seconds: float) -> float | None:
    """A timeout for a blocking wait: None (no limit) for infinity, else at most what the
    platform's locks take."""
    if math.isinf(seconds):
        return None
    return min(max(seconds, 0.0), threading.TIMEOUT_MAX)


def _read_all(
    fd: int, kind: str, events: queue.Queue[tuple[str, bytes]], close: bool = False
) -> None:
    """Put what `fd` gives into `events` as (kind, chunk), then (kind, b"") at its end; with
    `close`, close `fd` then."""
    try:
        with contextlib.suppress(OSError):
            while chunk := os.read(fd, 65536):
                events.put((kind, chunk))
    finally:
        if close:
            os.close(fd)
        events.put((kind, b""))


def _present(state: _State) -> FileOutcome:
    """A file already there: the same bytes, or the same content."""
    note = "same content" if state.status == "same content" else None
    return FileOutcome(state.path.name, SKIPPED, state.sha256, state.existing_sha256, note)


def _sha256_of_stream(stream: IO[bytes]) -> str:
    import hashlib

    stream.seek(0)
    digest = hashlib.sha256()
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _errors(output: str) -> list[list[str]]:
    """Twine's ERROR records, each as its lines (the first, then the continuation lines)."""
    records: list[list[str]] = []
    current: list[str] | None = None
    for raw in output.splitlines():
        line = raw.rstrip()
        record = _LOG_RECORD.match(line)
        if record:
            current = [record.group(2).strip()] if record.group(1) == "ERROR" else None
            if current is not None:
                records.append(current)
        elif current is not None and line.startswith(" ") and line.strip():
            current.append(line.strip())
        else:
            current = None
    return records


def _reason(run: _TwineRun) -> tuple[str, list[str]]:
    """Why twine failed, in a line (the first line of its last error), and every other line
    of its errors, as twine wrote them (redacted), to be shown under it."""
    records = _errors(run.output)
    if not records:
        last = (run.output.strip().splitlines() or ["twine failed"])[-1]
        return _plain_reason(last)[:300], []
    headline = records[-1][0]
    lines = [line for record in records[:-1] for line in record] + records[-1][1:]
    return _plain_reason(headline)[:300], [f"twine: {line}" for line in lines]


def _plain_reason(text: str) -> str:
    """A network failure in words a user reads at a glance, instead of urllib3's repr chain."""
    if "Connection refused" in text:
        return "connection refused"
    if "Connection reset" in text or "Connection aborted" in text or "RemoteDisconnected" in text:
        return "connection reset during the transfer"
    return text
