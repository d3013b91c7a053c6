"""Publishing: every selected distribution to each of its repositories, dependencies first.

Repositories go concurrently; in each, a dependency is uploaded before its dependents, files
already there (same sha256) are skipped, and when one fails its dependents are `blocked` while
the rest go on. Secrets never reach the output: twine's own included.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import networkx as nx
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from graphpub.buildgraph.address import Address
from graphpub.buildgraph.config import Config
from graphpub.buildgraph.graph import BuildGraph
from graphpub.errors import GraphpubError, SourceLocation
from graphpub.lifetime import guarded_command, watch_pipe
from graphpub.publish.directory import (
    DirectoryIndexError,
    check_index_directory,
    directory_files,
    publish_to_directory,
)
from graphpub.publish.index import existing_files, sha256_of, state_on_index
from graphpub.publish.index_client import IndexClient, IndexLimits, IndexReadError
from graphpub.publish.ownership import Contents
from graphpub.publish.repositories import (
    Repository,
    index_credentials,
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
    override = options.pypirc or (config.root / config.pypirc if config.pypirc else None)
    searched = pypirc_candidates(config.root, override)
    pypirc = read_pypirc(searched, options.secrets)
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
                elif not _already_there(result.repositories[name], other, config, options):
                    raise PublishError(
                        f"{held[address].distribution.label} requires {other.label}, which "
                        f"does not go to {name} and is not there: installing it from {name} "
                        "would fail",
                        location=held[address].distribution.location,
                        hint=f"add {name!r} to the repositories of {other.label}, "
                        f"or publish it there first",
                    )
        result.uploads[name] = [a for a in order if a in addresses]
    for address in order:
        if any(address in addresses for addresses in result.uploads.values()):
            for conflict in held[address].first_party_conflicts:
                raise conflict  # another index could satisfy the requirement: confusion
            for lack in held[address].incomplete:
                raise lack  # a wheel without files its users' build puts in it
    return result


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
    repository: Repository, view: Distribution, config: Config, options: Options
) -> bool:
    environment, _ = twine_environment(repository, options.environ)
    credentials = _index_credentials(repository, environment, options.secrets)
    client = _index_client(repository, config, credentials)
    try:
        files = _existing(repository, view.name, config.index_urls, client)
    except _INDEX_ERRORS:
        return False
    finally:
        if client is not None:
            client.close()
    version = Version(view.checked_version())
    return any(_version_of(name) == version for name in files)


def _version_of(filename: str) -> Version | None:
    """The version a wheel's or sdist's file name says, if it says one."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def _index_credentials(
    repository: Repository, environment: Mapping[str, str], secrets: Secrets
) -> tuple[str | None, str | None]:
    """Who reads the repository's index; nobody for a directory (no keyring lookup either)."""
    if repository.is_directory:
        return None, None
    return index_credentials(repository, environment, secrets)


def _index_client(
    repository: Repository, config: Config, credentials: tuple[str | None, str | None]
) -> IndexClient | None:
    """The reader of the repository's index over HTTP, for all its projects; None for a
    directory."""
    if repository.is_directory:
        return None
    return IndexClient(
        _simple_url(repository, config.index_urls),
        credentials,
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
) -> Mapping[str, str | None]:
    if client is None:
        return directory_files(repository.directory, project)
    return existing_files(client, _simple_url(repository, index_urls), project)


def publish(
    graph: BuildGraph,
    the_plan: Plan,
    artifacts: Mapping[Address, Sequence[Path]],
    held: Mapping[Address, Contents],
    options: Options,
    on_outcome: Callable[[Outcome], None] = lambda _outcome: None,
) -> list[Outcome]:
    """Upload per the plan, repositories concurrently; one Outcome per file and repository.
    `on_outcome` hears of each as it is decided (from the repositories' threads)."""
    outcomes: list[Outcome] = [
        Outcome(view.label, "", "", "skipped", reason) for view, reason in the_plan.skipped
    ]
    with ThreadPoolExecutor(max_workers=max(1, len(the_plan.uploads))) as pool:
        futures = [
            pool.submit(
                _RepositoryUpload(
                    graph, the_plan.repositories[name], artifacts, held, options, on_outcome
                ).run,
                addresses,
            )
            for name, addresses in the_plan.uploads.items()
        ]
        for future in futures:
            outcomes.extend(future.result())
    return outcomes


_WHY = {"skipped": "already there", "conflict": "a different file of that name is there"}


class _Unreachable(Exception):
    """The repository cannot be used at all; every file still to go fails with this reason."""


# Failures worth another try: the server or the network, not the request.
_TRANSIENT = re.compile(
    r"\b50[0-4] [A-Z]|Connection aborted|Connection reset|Connection refused|RemoteDisconnected|"
    r"Max retries exceeded|timed out|Broken pipe|EOF occurred"
)
_REFUSED_AS_EXISTING = re.compile(r"\b(409|400) [A-Z]|already exists|File exists")
_ACCESS_DENIED = re.compile(r"\b40[13] [A-Z]")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_UPLOADING = re.compile(r"Uploading (\S+\.(?:whl|tar\.gz|zip))\s*$", re.MULTILINE)


@dataclass
class _TwineRun:
    code: int
    output: str  # redacted
    started: list[str]  # the files twine began to upload, in order
    timed_out: bool = False


class _RepositoryUpload:
    """Everything one repository gets: skip what is there, upload the rest with twine in
    dependency order, retry transient failures, and block the dependents of what failed."""

    def __init__(
        self,
        graph: BuildGraph,
        repository: Repository,
        artifacts: Mapping[Address, Sequence[Path]],
        held: Mapping[Address, Contents],
        options: Options,
        on_outcome: Callable[[Outcome], None],
    ) -> None:
        self.config = graph.config
        self.repository = repository
        self.artifacts = artifacts
        self.held = held
        self.options = options
        self.on_outcome = on_outcome
        self.environment, _ = twine_environment(repository, options.environ)
        self.secrets = options.secrets
        self.credentials = _index_credentials(repository, self.environment, self.secrets)
        self.client = _index_client(repository, self.config, self.credentials)
        self.outcomes: list[Outcome] = []
        self.failed: set[Address] = set()

    def run(self, addresses: Sequence[Address]) -> list[Outcome]:
        try:
            pending = self._not_there(addresses)
            if self.options.dry_run:
                for address, path in pending:
                    self._record(address, path, "planned")
            elif self.repository.is_directory:
                self._copy_to_directory(pending)
            else:
                self._upload(pending)
        finally:
            if self.client is not None:
                self.client.close()
        return self.outcomes

    def _record(
        self,
        address: Address,
        path: Path | None,
        status: str,
        reason: str | None = None,
        exit_code: int | None = None,
    ) -> None:
        label = self.held[address].distribution.label
        name = path.name if path else ""
        outcome = Outcome(label, name, self.repository.name, status, reason, exit_code)
        self.outcomes.append(outcome)
        self.on_outcome(outcome)
        if outcome.failed:
            self.failed.add(address)

    def _blocked(self, address: Address, paths: Sequence[Path]) -> bool:
        """Record `paths` as blocked when a distribution `address` needs failed here."""
        blocking = next((d for d in _needs(address, self.held) if d in self.failed), None)
        if blocking is None:
            return False
        reason = f"{self.held[blocking].distribution.label} failed here"
        for path in paths:
            self._record(address, path, "blocked", reason)
        return True

    def _not_there(self, addresses: Sequence[Address]) -> list[tuple[Address, Path]]:
        """The files still to upload, in order; those already there are recorded skipped, and
        a different file of the same name is a conflict. When the index cannot be read, every
        file not yet recorded fails, and nothing is left to upload."""
        pending: list[tuple[Address, Path]] = []
        for position, address in enumerate(addresses):
            paths = self.artifacts[address]
            if self._blocked(address, paths):
                continue
            try:
                there = self._index_of(address)
            except _Unreachable as e:
                for unread in addresses[position:]:
                    for path in self.artifacts[unread]:
                        self._record(unread, path, "failed", str(e))
                return []
            for path in paths:
                state = state_on_index(there, path)
                if state is None:
                    pending.append((address, path))
                else:
                    self._record(address, path, state, _WHY[state])
        return pending

    def _index_of(self, address: Address) -> Mapping[str, str | None]:
        """What the repository holds of `address`'s project; transient failures are retried."""
        project = self.held[address].distribution.name
        for attempt in range(self.config.upload_retries + 1):
            try:
                return _existing(self.repository, project, self.config.index_urls, self.client)
            except _INDEX_ERRORS as e:
                reason = str(e) or type(e).__name__
                retryable = isinstance(e, IndexReadError) and e.transient
                if not retryable or attempt == self.config.upload_retries:
                    tries = f" ({attempt + 1} attempts)" if attempt else ""
                    raise _Unreachable(
                        self.secrets.redact(f"cannot read the index: {reason}{tries}")
                    ) from None
                self._pause(attempt)
        raise AssertionError("unreachable")

    def _pause(self, attempt: int) -> None:
        time.sleep(self.config.retry_backoff * 2**attempt)

    def _copy_to_directory(self, pending: list[tuple[Address, Path]]) -> None:
        # One distribution at a time, in order: a conflict found now still blocks dependents.
        for address in dict.fromkeys(a for a, _ in pending):
            paths = [p for a, p in pending if a == address]
            if self._blocked(address, paths):
                continue
            try:
                statuses = publish_to_directory(
                    self.repository.directory,
                    self.held[address].distribution.name,
                    {p: sha256_of(p) for p in paths},
                )
            except (DirectoryIndexError, OSError) as e:
                # The index cannot be written as it is: nothing else will go there either.
                reason = f"cannot write the index: {e}"
                for other_address, path in pending[pending.index((address, paths[0])) :]:
                    self._record(other_address, path, "failed", reason)
                return
            for path in paths:
                status = statuses[path]
                self._record(address, path, status, _WHY[status] if status == "conflict" else None)

    def _upload(self, pending: list[tuple[Address, Path]]) -> None:
        """One twine process for the files, in order. After a failure: a transient one is
        retried with backoff; a refused or invalid file fails alone and the files that do not
        need it go on in another process; a repository that is down or denies access fails
        every file still to go."""
        attempts = 0
        while pending:
            ready = [(a, p) for a, p in pending if not self._blocked(a, [p])]
            if not ready:
                return
            result = self._twine([p for _, p in ready])
            if result.code == 0:
                for address, path in ready:
                    self._record(address, path, "published", exit_code=0)
                return
            reason = _reason(result)
            if not result.started:  # twine stopped before any upload: nothing of it went
                for address, path in ready:
                    self._record(address, path, "failed", reason, result.code)
                return
            # Twine uploads in its own order (wheels first), stopping at the first failure:
            # what it started before that one is there, what it did not start is still to go.
            uploaded, failing = set(result.started[:-1]), result.started[-1]
            for address, path in ready:
                if path.name in uploaded:
                    self._record(address, path, "published", exit_code=0)
            address, path = next((a, p) for a, p in ready if p.name == failing)
            pending = [(a, p) for a, p in ready if p.name not in uploaded and p.name != failing]
            transient = result.timed_out or bool(_TRANSIENT.search(result.output))
            if _REFUSED_AS_EXISTING.search(result.output):
                # The file may be there already: the index says whether it is this one.
                status = self._after_refusal(address, path)
                self._record(address, path, status, reason, result.code)
            elif transient and attempts < self.config.upload_retries:
                self._pause(attempts)
                attempts += 1
                if self._after_refusal(address, path) == "skipped":  # it got there after all
                    self._record(address, path, "published", exit_code=0)
                else:
                    pending.insert(0, (address, path))
                continue
            elif transient or _ACCESS_DENIED.search(result.output):
                if attempts:
                    reason += f" ({attempts + 1} attempts)"
                for other_address, other_path in [(address, path), *pending]:
                    self._record(other_address, other_path, "failed", reason, result.code)
                return
            else:
                self._record(address, path, "failed", reason, result.code)
            attempts = 0

    def _after_refusal(self, address: Address, path: Path) -> str:
        """What the index says of a file the repository refused or that failed on the way."""
        try:
            return state_on_index(self._index_of(address), path) or "failed"
        except _Unreachable:
            return "failed"

    def _twine(self, files: Sequence[Path]) -> _TwineRun:
        """Run `twine upload` on `files`, reading its output as it comes: a file that makes no
        progress for upload_timeout seconds ends the process."""
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
        command += [*config.twine_args, *map(str, files)]
        with watch_pipe() as watch_fd:
            return self._run_twine(guarded_command("twine", command, watch_fd), watch_fd)

    def _run_twine(self, command: list[str], watch_fd: int) -> _TwineRun:
        """Run twine (dying with this process, `lifetime`), reading its output as it comes."""
        config = self.config
        process = subprocess.Popen(
            command,
            pass_fds=(watch_fd,),
            # Plain text to parse: twine wraps its messages, and colours them on a terminal.
            env={**self.environment, "COLUMNS": "1000", "NO_COLOR": "1", "TERM": "dumb"},
            stdin=None if self.options.interactive else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert process.stdout is not None
        chunks: queue.Queue[bytes] = queue.Queue()
        reader = threading.Thread(target=_read_all, args=(process.stdout, chunks), daemon=True)
        reader.start()
        received = bytearray()
        timed_out = False
        while True:
            try:
                chunk = chunks.get(timeout=config.upload_timeout)
            except queue.Empty:
                timed_out = True
                process.kill()
                break
            if not chunk:
                break
            received += chunk
            if self.options.interactive:  # twine's prompts are for the user
                sys.stderr.write(self.secrets.redact(chunk.decode(errors="replace")))
                sys.stderr.flush()
        code = 124 if timed_out else process.wait()
        process.wait()
        output = self.secrets.redact(_ANSI.sub("", received.decode(errors="replace")))
        if timed_out:
            output += f"\nERROR no progress for {config.upload_timeout:g} s (upload_timeout)"
        # Twine says `Uploading FILE` again when it retries a file itself.
        started = list(dict.fromkeys(_UPLOADING.findall(output)))
        return _TwineRun(code, output, started, timed_out)


def _read_all(stream: IO[bytes], chunks: queue.Queue[bytes]) -> None:
    while chunk := os.read(stream.fileno(), 65536):
        chunks.put(chunk)
    chunks.put(b"")


def _reason(result: _TwineRun) -> str:
    lines = [
        line.strip()
        for line in result.output.splitlines()
        if "ERROR" in line or "HTTPError" in line or "Error:" in line
    ]
    text = lines[-1] if lines else (result.output.strip().splitlines() or ["twine failed"])[-1]
    return _plain_reason(re.sub(r"^ERROR\s+", "", text))[:300]


def _plain_reason(text: str) -> str:
    """A network failure in words a user reads at a glance, instead of urllib3's repr chain."""
    if "Connection refused" in text:
        return "connection refused"
    if "Connection reset" in text or "Connection aborted" in text or "RemoteDisconnected" in text:
        return "connection reset during the transfer"
    return text
