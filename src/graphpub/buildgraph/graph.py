"""The target graph: one networkx DiGraph, an edge from each target to each dependency.

Packages are evaluated on demand, as Pants does: the directories a command names, then every
package their targets depend on, transitively. A broken build file elsewhere does not matter.
The loaded graph is checked (missing dependencies, cycles) before any command sees it.

Loading fills two plain dicts, targets by address and their resolved dependencies, which is all
the checks and spec matching need; the networkx DiGraph is made from them on first use, so a
command such as `list ::` on 30,000 targets does not pay for it.
"""

from __future__ import annotations

import difflib
import gc
import os
import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain
from operator import attrgetter
from types import MappingProxyType
from typing import TYPE_CHECKING

from graphpub.buildgraph.address import Address, AddressInput, Exclusion, generator_of_file
from graphpub.buildgraph.config import Config, Dialect, file_dialect
from graphpub.buildgraph.confined import read_inside_root
from graphpub.buildgraph.evaluator import Evaluator, Package
from graphpub.buildgraph.files import FileTree, GlobPatternError
from graphpub.buildgraph.graph_snapshot import (
    GraphSnapshot,
    Inference,
    addressed,
    numbered,
    read_snapshot,
    snapshot_path,
    write_snapshot,
)
from graphpub.buildgraph.hooks import StarlarkHooks
from graphpub.buildgraph.package_cache import (
    PackageCache,
    configuration_key,
    digest,
    listing_digest,
)
from graphpub.buildgraph.parallel import evaluate_packages
from graphpub.buildgraph.target import RuleSet, Target
from graphpub.buildgraph.target_index import TargetIndex
from graphpub.errors import (
    BuildFileError,
    GraphError,
    GraphpubError,
    SourceLocation,
    locate_keyword,
    locate_quoted,
)

if TYPE_CHECKING:
    import networkx as nx


def ancestors(directory: str) -> list[str]:
    """`directory` and every directory above it, up to the root (`""`), nearest first."""
    found = [directory]
    while directory:
        directory = posixpath.dirname(directory)
        found.append(directory)
    return found


class BuildGraph:
    """Targets of the loaded packages and the dependency edges between them."""

    def __init__(
        self,
        config: Config,
        rules: RuleSet,
        warn: Callable[[str], None] = lambda _m: None,
        jobs: int | None = None,
        strict: bool = False,
        edges: bool = True,
        keep_going: bool = False,
    ) -> None:
        self.config = config
        self.jobs = jobs or os.cpu_count() or 1
        self.strict = strict
        # Bazel's --keep_going: a build file that fails, or a dependency that cannot be
        # resolved, leaves its package or edge out, and the command goes on with the rest;
        # the command says each (`keep_going_errors`) as an error at its end.
        self.keep_going = keep_going
        # Without edges (`list`, as `pants list`, `bazel query //...` and `buck2 targets`),
        # only the packages named are evaluated: no dependency is followed or resolved, so a
        # dangling one or a cycle is no error there.
        self.edges = edges
        self.tree = FileTree(config, jobs=self.jobs)
        self._evaluator = Evaluator(config, self.tree, rules, warn)
        self._evaluator.on_ancestor_failure = self._ancestor_failed
        self._rules = rules
        self._targets: dict[Address, Target] = {}
        # Without edges (or from a graph snapshot): the packages the cache holds unchanged,
        # by their targets' index, until something needs more of a target than its address
        # and kind (`target`). Their addresses are made only when asked for (`_indexed`).
        self._index_of: dict[str, TargetIndex] = {}
        self._kinds: dict[Address, str] | None = None
        self._dependencies: dict[Address, list[Address]] = {}
        # Edges inferred from imports (publish.inference): kept apart, since Pants allows the
        # cycles imports make between files, where explicit dependencies may not have any.
        self._inferred: dict[Address, list[Address]] = {}
        # Targets loaded without being needed whose dependencies could not all be resolved:
        # the error, for when something needs them after all (`check_complete`).
        self._incomplete: dict[Address, GraphpubError] = {}
        self._networkx: nx.DiGraph | None = None
        self._owned: dict[Address, tuple[str, ...]] = {}
        self._in_graph: set[str] = set()
        # The repository's edges kept from an earlier run (`adopt_snapshot`), whether every
        # package is loaded (`load_all`), and the warnings resolving gave, which a snapshot
        # keeps to give them again (`capturing_warnings`).
        self._adopted: GraphSnapshot | None = None
        self._snapshot_tried = False
        self._whole = False
        self._resolution_warnings: list[tuple[str, str]] = []
        self._captured: list[list[tuple[str, str]]] = []
        self._inference: Inference | None = None
        self._adopted_inference: Inference | None = None
        self._hooks: StarlarkHooks | None = None

    @property
    def hooks(self) -> StarlarkHooks:
        """The repository's Starlark hooks (made when first asked for)."""
        if self._hooks is None:
            self._hooks = StarlarkHooks(self.config)
        return self._hooks

    # ---------------------------------------------------------------- loading

    def load(self, directories: Iterable[str], *, needed: bool = True) -> None:
        """Evaluate these packages and all they depend on, add them to the graph, and check it.

        `needed`: the command needs them (a spec names them, ...): a build file that fails
        is the command's error. Otherwise (a command that looks at the whole repository, a
        package above a spec's) it is a warning and the command goes on without it, unless
        `strict`; what needs such a package later gets its error then."""
        with gc_paused():
            self._load(directories, (needed and not self.keep_going) or self.strict)

    def _load(self, directories: Iterable[str], needed: bool) -> None:
        pending = [(d, needed) for d in dict.fromkeys(directories) if d not in self._in_graph]
        self._evaluator.take_cached([d for d, _ in pending], lazily=not self.edges)
        evaluate_packages(
            self._evaluator,
            [d for d, _ in pending if not self._evaluator.is_package_known(d)],
            self.jobs,
            keep_going=not needed,
        )
        added: list[tuple[Package, bool]] = []  # (by package: not a tuple per target)
        seen = self._in_graph
        while pending:
            directory, required = pending.pop()
            if directory in seen:
                continue
            index = None if self.edges else self._evaluator.index(directory)
            if index is not None:
                seen.add(directory)
                self._add_index(directory, index)
                continue
            package = self._package(directory, required)
            if directory not in self._evaluator.failures:
                seen.add(directory)
            if package is None or not package.targets:
                continue
            added.append((package, required))
            if not self.edges:
                continue
            for target in package.targets.values():
                for dependency in target.dependencies:
                    if dependency.repository or dependency.path in seen:
                        continue
                    if self._names_a_file(dependency):
                        # Its owner may be in any package above it: which, resolving tells,
                        # and the error of one that failed is then the target's.
                        directories = ancestors(posixpath.dirname(dependency.path))
                        pending.extend((directory, False) for directory in directories)
                    else:
                        pending.append((dependency.path, required))
        if not added:
            return
        self._networkx = None
        for package, _ in added:
            self._targets.update(package.targets)
        if not self.edges:
            return
        with self.capturing_warnings(self._resolution_warnings):
            for package, required in added:
                for target in package.targets.values():
                    self._dependencies[target.address] = self._resolved_dependencies(
                        target, required
                    )
        for package, _ in added:
            for target in package.targets.values():
                if target.generator is not None:
                    # Pants: a target generator depends on every target it generates.
                    self._dependencies[target.generator].append(target.address)
        self._check_acyclic()

    def _package(self, directory: str, needed: bool) -> Package | None:
        """The package in `directory`; a failure is an error if it is needed, else a warning
        and no package."""
        try:
            return self._evaluator.package(directory)
        except GraphpubError as error:
            if needed or self.strict:
                raise
            self._skipped(directory, error)
            return None

    def _ancestor_failed(self, directory: str, error: GraphpubError) -> None:
        """Pants evaluates the build files above a package for the `__defaults__` they hand
        down: where one fails, the package below cannot be what Pants makes of it if that
        file sets any (its error is then the package's); else the package goes on without it."""
        if self.strict or self._sets_defaults(directory):
            raise error
        self._skipped(directory, error, ": it sets no __defaults__ for the packages below it")

    def _sets_defaults(self, directory: str) -> bool:
        listing = self.tree.listing(directory)
        for name in listing.build_files if listing is not None else ():
            path = posixpath.join(directory, name) if directory else name
            try:
                text = read_inside_root(
                    str(self.config.root), path, self.config.max_build_file_bytes
                )
            except GraphpubError:
                return True  # unreadable: it may
            if b"__defaults__" in text:
                return True
        return False

    def _skipped(self, directory: str, error: GraphpubError, why: str = "") -> None:
        if self.keep_going:
            return  # an error, said at the command's end
        self.warn(
            f"{error} (package '{directory or '//'}' skipped{why}; --strict makes this an error)",
            key=f"skipped:{directory}",
        )

    def use_cache(self) -> None:
        """Keep evaluated packages in `.graphpub/packages/` and take them from there while
        nothing they were made from changed (`package_cache`)."""
        with gc_paused():
            self._use_cache()

    def _use_cache(self) -> None:
        extra = []
        macros = self._evaluator.macro_files()
        if macros is None:
            return  # unreadable: their error comes when a BUILD file needs them
        for path, text in macros.items():
            extra.append((path, digest(text.encode("utf-8"))))
        key = configuration_key(self.config, extra)
        cache = PackageCache(
            self.config.root, key, lambda message: self.warn(message), self.config.render
        )
        if cache.enabled:
            self._evaluator.use_cache(cache)

    def save_cache(self, *, background: bool = False) -> None:
        """Write the package cache back, if one is used and anything changed (`background`:
        by a detached process, the command not waiting for it)."""
        cache = self._evaluator.cache
        if cache is not None:
            self._save_snapshot()
            packages = self._evaluator.packages
            cache.save(
                self.tree.listings_to_remember(),
                bool(self.tree.listed_now),
                packages.get,
                self.tree.listing,
                background=background,
            )

    def load_all(self) -> None:
        """Load every package, for a command that looks at the whole repository (inference's
        module map, `dependents`, ownership): one that fails is a warning (`load`)."""
        self.load(self.tree.packages_under(""), needed=False)
        self._whole = True

    # ---------------------------------------------------------------- the graph snapshot

    def adopt_snapshot(self) -> bool:
        """Take the whole repository's edges from the snapshot an earlier run wrote, if
        nothing they came from changed (`graph_snapshot`), before loading anything: every
        package is then held by its targets' index, unpickled when a command needs more of a
        target than its address, kind and dependencies. For a command that looks at the whole
        repository anyway (one that infers dependencies)."""
        cache = self._evaluator.cache
        if self._snapshot_tried or not self.edges or cache is None or self._in_graph:
            return False
        self._snapshot_tried = True
        secret = cache.secret
        snapshot = read_snapshot(snapshot_path(cache.path), secret) if secret else None
        if snapshot is None:
            return False
        directories = self.tree.packages_under("")
        if len(directories) != len(snapshot.packages) or not self._tree_unchanged():
            return False
        self._evaluator.take_cached(directories, lazily=True)
        walked = set(directories)
        indexes = []
        for directory, recorded in snapshot.packages:
            index = self._evaluator.index(directory)
            if index is None or directory not in walked or cache.recorded_ns(directory) != recorded:
                return False
            indexes.append(index)
        if not self._tree_unchanged():  # (checking the entries may have listed some anew)
            return False
        addresses = [address for index in indexes for address, _ in index]
        addresses.extend(target.address for target in snapshot.external)
        if len(addresses) != len(snapshot.dependencies):
            return False
        for (directory, _), index in zip(snapshot.packages, indexes, strict=True):
            self._add_index(directory, index)
        self._in_graph.update(directories)
        for target in snapshot.external:
            self._targets[target.address] = target
        self._dependencies = addressed(addresses, enumerate(snapshot.dependencies))
        if snapshot.inferred is not None:
            inferred = addressed(addresses, snapshot.inferred)
            self._adopted_inference = Inference(
                inferred, snapshot.inference_files, snapshot.inference_warnings
            )
        self._whole = True
        self._adopted = snapshot
        for key, message in snapshot.warnings:
            self.warn(message, key=key)
        return True

    def _tree_unchanged(self) -> bool:
        """Whether every directory listed anew in this run lists what it did in the last."""
        remembered = self.tree.remembered
        return all(
            directory in remembered
            and listing_digest(remembered[directory][2])
            == listing_digest(self.tree.listing(directory))
            for directory in self.tree.listed_anew()
        )

    @contextmanager
    def capturing_warnings(self, sink: list[tuple[str, str]]) -> Iterator[None]:
        """Note in `sink` too the warnings given here meanwhile, as (key, message), for a
        snapshot to give them again."""
        self._captured.append(sink)
        try:
            yield
        finally:
            self._captured.pop()

    def adopted_inference(self) -> Inference | None:
        """The inferred edges of the snapshot taken, and the files they came from (which the
        caller checks)."""
        return self._adopted_inference

    def record_inference(self, inference: Inference) -> None:
        """Inferred edges to keep in the next snapshot, with the warnings inferring gave."""
        self._inference = inference

    def _save_snapshot(self) -> None:
        cache = self._evaluator.cache
        secret = cache.secret if cache is not None else None
        if (
            cache is None
            or secret is None
            or not self._whole
            or self._evaluator.failures
            or self._incomplete
            or (self._adopted is not None and self._inference is None)  # nothing new
        ):
            return
        packages: list[tuple[str, int]] = []
        addresses: list[Address] = []
        for directory in sorted(self._in_graph):
            recorded = cache.recorded_ns(directory)
            index = self._evaluator.target_index(directory)
            if recorded is None or index is None:
                if self._evaluator.is_package_known(directory):
                    return  # a package the cache does not keep: nothing to check it by
                continue  # (a directory loaded without a build file)
            packages.append((directory, recorded))
            addresses.extend(address for address, _ in index)
        external = tuple(t for a, t in self._targets.items() if a.repository)
        addresses.extend(target.address for target in external)
        inference = self._inference or self._adopted_inference
        edges = numbered(
            addresses, self._dependencies, inference.edges if inference is not None else None
        )
        if edges is None:
            return
        snapshot = GraphSnapshot(
            tuple(packages),
            external,
            edges[0],
            tuple(self._adopted.warnings if self._adopted else self._resolution_warnings),
            edges[1],
            inference.files if inference is not None else (),
            inference.warnings if inference is not None else (),
        )
        try:
            cache.make_directory()
            write_snapshot(snapshot_path(cache.path), snapshot, secret)
        except OSError as error:
            self.warn(f"the graph snapshot cannot be written ({error})")
        except Exception:  # a value that cannot be pickled: no snapshot, as for a package
            return

    def ensure_loaded(self, directory: str, *, needed: bool = True) -> None:
        """Load the package in `directory` (and its dependencies) if not loaded yet."""
        if directory not in self._in_graph:
            self.load([directory], needed=needed)

    @property
    def failures(self) -> Mapping[str, GraphpubError]:
        """The error of each package whose build file failed, by directory."""
        return self._evaluator.failures

    def failure_above(self, path: str) -> tuple[str, GraphpubError] | None:
        """The nearest package at or above a file's directory that failed, and its error:
        where the owner of the file may be."""
        for directory in ancestors(posixpath.dirname(path)):
            error = self._evaluator.failures.get(directory)
            if error is not None:
                return directory, error
        return None

    def check_complete(self, addresses: Iterable[Address]) -> None:
        """Raise the error that left a target these addresses need (they or their
        dependencies) without one of its dependencies (with `keep_going`, none: each is said
        at the command's end)."""
        if not self._incomplete or self.keep_going:
            return
        roots = list(addresses)
        needed = {*roots, *self.dependencies(roots, transitive=True)}
        for address in sorted(needed, key=attrgetter("key")):
            error = self._incomplete.get(address)
            if error is not None:
                raise error

    def keep_going_errors(self) -> list[GraphpubError]:
        """With `keep_going`, what the command went on without: each package's error, then
        each other error of a dependency that could not be resolved, in the order of their
        locations."""
        errors = dict.fromkeys(self._evaluator.failures.values())
        errors.update(dict.fromkeys(self._incomplete.values()))
        return sorted(errors, key=_error_order)

    def mark_incomplete(self, address: Address, error: GraphpubError) -> None:
        """A dependency of `address` could not be found because of `error` (say, an import of
        a module in a package that failed): what needs it gets that error."""
        self._incomplete.setdefault(address, error)

    def is_package(self, directory: str) -> bool:
        return self.tree.is_package(directory)

    def _names_a_file(self, dependency: AddressInput) -> bool:
        """Whether a dependency names a file (Pants' `dir/f.py`) rather than a package."""
        return not self._evaluator.is_package_known(dependency.path) and self.tree_has_file(
            dependency.path
        )

    def tree_has_file(self, path: str) -> bool:
        if not path:
            return False
        listing = self.tree.listing(posixpath.dirname(path))
        return listing is not None and posixpath.basename(path) in listing.files

    # ---------------------------------------------------------------- edges

    def _resolved_dependencies(self, target: Target, needed: bool) -> list[Address]:
        source = target.address
        resolved_all: list[Address] = []
        for dependency in target.dependencies:
            if dependency.exclusion is not Exclusion.NONE:
                continue  # Pants: `!x` / `!!x` only drop (inferred) dependencies
            found = self._targets.get(dependency.directory_address)
            # Most dependencies name a loaded target: take it without the general resolution.
            if found is not None:
                candidates = [found.address]
            else:
                try:
                    candidates = self.resolve(dependency, target)
                except GraphpubError as error:
                    if (needed and not self.keep_going) or self.strict:
                        raise
                    self._incomplete.setdefault(source, error)
                    if self.keep_going:
                        continue  # an error, said at the command's end
                    if error not in self._evaluator.failures.values():  # else already said
                        self.warn(
                            f"{error} (ignored: this command does not need "
                            f"{self.config.render(source)}; --strict makes this an error)"
                        )
                    continue
            for resolved in candidates:
                if resolved is source:  # both canonical: the objects held in self._targets
                    if file_dialect(target.location.path, self.config.dialect) is Dialect.PANTS:
                        continue  # Pants lets a target name itself (a macro's own directory)
                    raise GraphError(
                        f"{self.config.render(source)} depends on itself",
                        location=self.locate_written(target, dependency.written),
                        hint="remove it from the dependencies",
                    )
                resolved_all.append(resolved)
        return list(dict.fromkeys(resolved_all))

    def resolve(self, dependency: AddressInput, referrer: Target) -> list[Address]:
        """The targets a dependency names; `[]` for a plain source file (a Bazel file label)."""
        if dependency.repository:
            address = dependency.directory_address
            if address not in self._targets:
                self._check_cell(dependency, referrer)
                self._targets[address] = self._rules.external_target(
                    address, referrer.location, self.config.python_hubs
                )
                self._dependencies[address] = []
            return [self._targets[address].address]
        address = dependency.directory_address
        found = self._lookup(address)
        if found is not None:
            # The target's own Address object: dict lookups of an identical object skip __eq__.
            return [found.address]
        if self.tree_has_file(dependency.path):
            return self._file_owners(dependency, referrer)
        generator = self._lookup(address.base)
        if generator is not None and address.base != address:
            # A generated target (`dir#name`, `dir:t@k=v`) of a rule that generates none yet.
            return [generator.address]
        if dependency.target and self.tree_has_file(
            posixpath.join(dependency.path, dependency.target)
        ):
            return []
        package = self._evaluator.package(address.directory)
        if package is not None and package.imitated and not self.config.strict_rules:
            # A macro graphpub only imitates may have made it (`pybind_extension(name = "x")`
            # makes `x.so`): the edge goes, with a word.
            self.warn(
                f"{self.locate_written(referrer, dependency.written)}: "
                f"{self.config.render(referrer.address)} depends on '{dependency.written}', "
                f"which no target graphpub sees in '{address.directory or '//'}' makes: left out, "
                "as a macro graphpub only imitates there may make it (strict_rules = true makes "
                "this an error)",
                key=f"imitated-missing:{address}",
            )
            return []
        raise self._missing(dependency, referrer)

    def _check_cell(self, dependency: AddressInput, referrer: Target) -> None:
        """Buck2: a label of a cell `.buckconfig` does not declare names an external
        repository (one this checkout does not hold, such as Meta's `fbsource`): say so once."""
        project = self.config.buck2
        cell = dependency.repository
        if (
            project is None
            or dependency.written.lstrip("!").startswith("@")
            or cell in project.external
        ):
            return
        location = self.locate_written(referrer, dependency.written)
        self.warn(
            f"{location}: cell '{cell}' is not declared in .buckconfig ([cells], "
            f"[cell_aliases]): its targets, such as '{dependency.written}', are taken as "
            "those of an external repository",
            key=f"undeclared-cell:{cell}",
        )

    def _file_owners(self, dependency: AddressInput, referrer: Target) -> list[Address]:
        """Pants file addresses: `a/f.py` names the targets owning it, `a/f.py:t` owner `t`."""
        path = dependency.path
        directory, name = generator_of_file(path, dependency.target or "")
        owners = [
            owner
            for owner in self.owners_of(path)
            if (dependency.target is None or owner.address.name == name)
            and (directory is None or owner.address.directory == directory)
            and (not dependency.parameters or owner.address.parameters == dependency.parameters)
        ]
        failed = self.failure_above(path)
        if not owners and failed is not None:
            raise failed[1]  # the owner may be in the package that failed
        if not owners:
            named = f" named '{dependency.target}'" if dependency.target else ""
            raise GraphError(
                f"no target{named} owns the file '{path}' "
                f"(dependency of {self.config.render(referrer.address)})",
                location=self.locate_written(referrer, dependency.written),
                hint=(
                    "the owner must be in the file's directory or above it, "
                    "with the file in its sources"
                ),
            )
        return [owner.address for owner in owners]

    def _missing(self, dependency: AddressInput, referrer: Target) -> GraphError:
        wanted = dependency.directory_address
        location = self.locate_written(referrer, dependency.written)
        package = self._evaluator.package(wanted.directory)
        if package is None:
            siblings = self._nearby_packages(wanted.directory)
            close = difflib.get_close_matches(wanted.directory, siblings, n=1, cutoff=0.6)
            return GraphError(
                f"{self.config.render(referrer.address)} depends on '{dependency.written}', "
                "but there is no build "
                f"file in '{wanted.directory or '//'}'",
                location=location,
                hint=f"did you mean '{close[0]}'?" if close else "check the path of the dependency",
            )
        names = sorted({a.name for a in package.targets})
        close = difflib.get_close_matches(wanted.name, names, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean '{self.config.render(Address(wanted.directory, close[0]))}'?"
        else:
            hint = f"targets in '{wanted.directory or '//'}': {', '.join(names) or 'none'}"
        return GraphError(
            f"{self.config.render(referrer.address)} depends on '{dependency.written}', "
            "but package "
            f"'{wanted.directory or '//'}' has no target named '{wanted.name}'",
            location=location,
            hint=hint,
        )

    def _nearby_packages(self, directory: str) -> list[str]:
        parent = posixpath.dirname(directory)
        while parent and self.tree.listing(parent) is None:
            parent = posixpath.dirname(parent)
        listing = self.tree.listing(parent)
        if listing is None:
            return []
        children = [posixpath.join(parent, d) if parent else d for d in listing.dirs]
        return [c for c in children if self.tree.is_package(c)] or self.tree.packages_under(parent)

    def locate_keyword(
        self, target: Target, keywords: Sequence[str], within: str | None = None
    ) -> SourceLocation | None:
        """Where the first of `keywords` is given (`keyword=`) at or after the target's call
        (and after the keyword `within`, say the `provides` holding a python_artifact)."""
        location = target.location
        try:
            lines = (self.config.root / location.path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        start = location.line
        if within is not None:
            outer = locate_keyword(location.path, lines, within, start)
            if outer is None:
                return None
            start = outer.line
        for keyword in keywords:
            found = locate_keyword(location.path, lines, keyword, start)
            if found is not None:
                return found
        return None

    def locate_written(self, target: Target, written: str) -> SourceLocation:
        """Where `written` (a quoted string) first appears at or after the target's call."""
        location = target.location
        try:
            lines = (self.config.root / location.path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return location
        return locate_quoted(location.path, lines, written, location.line) or location

    def _check_acyclic(self) -> None:
        successors = self._dependencies
        if self.config.dialect is Dialect.PANTS:
            # Pants tolerates cycles through the targets it generates for files (imports of
            # one module by another, and explicit file dependencies): only those between
            # targets written in BUILD files are errors.
            successors = {
                a: [d for d in dependencies if not d.file]
                for a, dependencies in successors.items()
                if not a.file
            }
        if _is_acyclic(successors):
            return
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_edges_from((a, d) for a, ds in successors.items() for d in ds if d in successors)
        cycle = [edge[0] for edge in nx.find_cycle(graph)]
        cycle = _rotate_to_smallest(cycle)
        first = self.target(cycle[0])
        path = " -> ".join(self.config.render(a) for a in [*cycle, cycle[0]])
        raise GraphError(
            f"dependency cycle: {path}",
            location=first.location,
            related=tuple(self.target(a).location for a in cycle[1:]),
            hint="remove one of these dependencies to break the cycle",
        )

    # ---------------------------------------------------------------- queries

    @property
    def graph(self) -> nx.DiGraph:
        """The loaded targets as a networkx DiGraph: nodes are addresses with a `target`
        attribute, edges point from a target to each of its dependencies."""
        self._need_edges()
        if self._networkx is None:
            import networkx as nx

            graph = nx.DiGraph()
            self.targets()  # (each package held by its index unpickled)
            graph.add_nodes_from((a, {"target": t}) for a, t in self._targets.items())
            graph.add_edges_from((a, d) for a, ds in self._dependencies.items() for d in ds)
            graph.add_edges_from(
                ((a, d) for a, ds in self._inferred.items() for d in ds), inferred=True
            )
            self._networkx = graph
        return self._networkx

    def _need_edges(self) -> None:
        if not self.edges:
            raise RuntimeError("this graph was loaded without edges (BuildGraph(edges=False))")

    def __contains__(self, address: object) -> bool:
        return address in self._targets or address in self._indexed

    def target(self, address: Address) -> Target:
        found = self._lookup(address)
        if found is None:
            raise KeyError(address)
        return found

    def _lookup(self, address: Address) -> Target | None:
        found = self._targets.get(address)
        if found is None and address in self._indexed:
            self._open(address.directory)
            found = self._targets.get(address)
        return found

    def targets(self) -> list[Target]:
        for directory in list(self._index_of):
            self._open(directory)
        return list(self._targets.values())

    def addresses(self) -> list[Address]:
        """The addresses of the loaded targets (without unpickling those the cache holds)."""
        return [*self._targets, *self._indexed]

    def indexes(self) -> list[TargetIndex]:
        """The indexes of the packages whose loaded targets are held by them: what `list`
        needs of those targets, without making their addresses."""
        return list(self._index_of.values())

    def loaded_addresses(self) -> list[Address]:
        """The addresses of the loaded targets not held by an index."""
        return list(self._targets)

    def rendered(self, addresses: Sequence[Address]) -> list[str]:
        """Each address as the repository's users write it (`Config.render`): as the package
        cache kept it, for a target held by its package's index."""
        known: dict[Address, str] = {}
        for directory in {address.directory for address in addresses}:
            index = self._index_of.get(directory)
            if index is not None:
                held = [address for address, _ in index.pairs()]
                known.update(zip(held, index.rendered, strict=True))
        render = self.config.render
        return [known.get(address) or render(address) for address in addresses]

    @property
    def _indexed(self) -> dict[Address, str]:
        """The kinds of the targets held by their package's index, by address."""
        kinds = self._kinds
        if kinds is None:
            kinds = self._kinds = {}
            for index in self._index_of.values():
                kinds.update(index.pairs())
        return kinds

    def _add_index(self, directory: str, index: TargetIndex) -> None:
        self._index_of[directory] = index
        if self._kinds is not None:
            self._kinds.update(index.pairs())

    def kind(self, address: Address) -> str:
        """A loaded target's kind (its rule's name)."""
        found = self._targets.get(address)
        return found.kind if found is not None else self._indexed[address]

    def _open(self, directory: str) -> None:
        """Take the targets of a package held by its index from the package itself."""
        index = self._index_of.pop(directory, None)
        if index is not None and self._kinds is not None:
            for address, _ in index.pairs():
                self._kinds.pop(address, None)
        package = self._evaluator.package(directory)
        for target in package.targets.values() if package is not None else ():
            self._targets[target.address] = target

    def package_targets(self, directory: str) -> list[Target]:
        package = self._evaluator.package(directory)
        return list(package.targets.values()) if package else []

    def package_settings(self, directory: str) -> MappingProxyType[str, object]:
        package = self._evaluator.package(directory)
        return MappingProxyType(package.settings if package else {})

    def dependencies(self, addresses: Iterable[Address], *, transitive: bool) -> set[Address]:
        """The dependencies of `addresses`; `transitive`: their closure, which (as Pants'
        TransitiveTargets) leaves out what any target in it excludes with `!!`."""
        self._need_edges()
        roots = list(addresses)
        if not transitive:  # (by C-level maps: `dependencies ::` looks at every target)
            found = set(chain.from_iterable(map(self._dependencies.__getitem__, roots)))
            found.update(chain.from_iterable(filter(None, map(self._inferred.get, roots))))
            return found
        found = self._walk(roots, self._all_dependencies, transitive)
        return found - self.transitive_excludes([*roots, *found])

    def transitive_excludes(self, addresses: Iterable[Address]) -> set[Address]:
        """What the `!!x` dependencies of `addresses` name: each target, and every target a
        target generator among them generates (Pants resolves them to its Targets)."""
        self._need_edges()
        excluded: set[Address] = set()
        for address in addresses:
            target = self._lookup(address)
            if target is None:
                continue
            for dependency in target.dependencies:
                if dependency.exclusion is not Exclusion.TRANSITIVE:
                    continue
                try:
                    named_targets = self.resolve(dependency, target)
                except GraphpubError:
                    # Not in the graph, so in no closure (a misspelt one is reported where
                    # inference drops the edges it names).
                    continue
                for named in named_targets:
                    excluded.add(named)
                    excluded.update(
                        d
                        for d in self._dependencies.get(named, ())
                        if self.target(d).generator == named
                    )
        return excluded

    def declared_dependencies(self, address: Address) -> list[Address]:
        """The dependencies the build file names, without those inferred from imports (what
        Bazel and Buck2 rules follow: they infer nothing)."""
        return list(self._dependencies.get(address, ()))

    def _all_dependencies(self, address: Address) -> list[Address]:
        inferred = self._inferred.get(address)
        explicit = self._dependencies[address]
        return explicit + inferred if inferred else explicit

    def is_inferred(self, source: Address, dependency: Address) -> bool:
        """Whether `source` depends on `dependency` only by an inferred import."""
        return dependency in self._inferred.get(source, ()) and dependency not in (
            self._dependencies.get(source, ())
        )

    def add_inferred(self, edges: Mapping[Address, Iterable[Address]]) -> None:
        """Dependencies inferred from imports; they join every query of the graph."""
        for source, dependencies in edges.items():
            known = self._inferred.setdefault(source, [])
            known.extend(d for d in dependencies if d not in known)
        self._networkx = None

    def warn(self, message: str, key: str | None = None) -> None:
        """A warning for the user, once per key."""
        for sink in self._captured:
            sink.append((message if key is None else key, message))
        self._evaluator.warn(message, key)

    def dependents(self, addresses: Iterable[Address], *, transitive: bool) -> set[Address]:
        self._need_edges()
        return self._walk(addresses, self.graph.predecessors, transitive)

    def _walk(
        self,
        roots: Iterable[Address],
        step: Callable[[Address], Iterable[Address]],
        transitive: bool,
    ) -> set[Address]:
        roots = list(roots)
        if not transitive:  # (in one pass at C speed: `dependencies ::` steps from every target)
            return set(chain.from_iterable(map(step, roots)))
        found: set[Address] = set()
        frontier = list(roots)
        while frontier:
            current = frontier.pop()
            for neighbour in step(current):
                if neighbour not in found:
                    found.add(neighbour)
                    frontier.append(neighbour)
        return found - set(roots)

    def owned_files(self, target: Target) -> tuple[str, ...]:
        """Root-relative files a target owns: its source entries with globs expanded."""
        cached = self._owned.get(target.address)
        if cached is not None:
            return cached
        directory = target.address.directory
        include = [e for e in target.sources if not e.startswith("!") and _is_pattern(e)]
        exclude = [e[1:] for e in target.sources if e.startswith("!")]
        literal = [e for e in target.sources if not e.startswith("!") and not _is_pattern(e)]
        try:
            matched = self.tree.glob(directory, include, exclude) if include else []
        except GlobPatternError as e:
            raise BuildFileError(f"{target.kind}(): {e}", location=target.location) from None
        prefix = f"{directory}/" if directory else ""
        files = tuple(sorted({prefix + f for f in (*literal, *matched)}))
        self._owned[target.address] = files
        return files

    def owners_of(self, path: str) -> list[Target]:
        """Targets in the file's directory or above whose sources include the file; where a
        generator made a target for the file, that target (as `pants list path` shows)."""
        owners: list[Target] = []
        for directory in ancestors(posixpath.dirname(path)):
            self.ensure_loaded(directory, needed=False)
            if directory in self.failures:
                continue  # what needs an owner it may hold gets its error (`failure_above`)
            if self._index_of:
                self._open(directory)
            for target in self.package_targets(directory):
                address = target.address
                if address.file or address.generated or path not in self.owned_files(target):
                    continue
                relative = posixpath.relpath(path, address.directory or ".")
                generated = Address(
                    address.directory, address.name, file=relative, parameters=address.parameters
                )
                owners.append(self._targets.get(generated, target))
        return owners


@contextmanager
def gc_paused() -> Iterator[None]:
    """Loading (reading the package cache, walking the tree, evaluating) makes many
    long-lived objects and no cyclic garbage: the cyclic collector would only rescan them
    again and again (about a quarter of the load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _error_order(error: GraphpubError) -> tuple[str, int, int, str]:
    location = error.location
    if location is None:
        return ("", 0, 0, str(error))
    return (location.path, location.line, location.column, str(error))


def _is_acyclic(successors: dict[Address, list[Address]]) -> bool:
    """Kahn's algorithm, on integer indices: one hash per edge instead of five."""
    index = {address: position for position, address in enumerate(successors)}
    edges = [[index[d] for d in dependencies] for dependencies in successors.values()]
    indegree = [0] * len(edges)
    for dependencies in edges:
        for dependency in dependencies:
            indegree[dependency] += 1
    ready = [node for node, count in enumerate(indegree) if count == 0]
    visited = 0
    while ready:
        node = ready.pop()
        visited += 1
        for dependency in edges[node]:
            indegree[dependency] -= 1
            if indegree[dependency] == 0:
                ready.append(dependency)
    return visited == len(edges)


def _is_pattern(entry: str) -> bool:
    return any(ch in entry for ch in "*?[")


def _rotate_to_smallest(cycle: Sequence[Address]) -> list[Address]:
    start = min(range(len(cycle)), key=lambda i: cycle[i])
    return [*cycle[start:], *cycle[:start]]
