"""Dependency inference: the targets a Python file's imports name, as Pants infers them.

Each module is owned by the targets holding its file below a source root (first party) or by
the requirement providing it (third party). In a Pants repository only owners of the
importing target's own resolve count, as Pants keeps a module mapping per resolve (a `mypy`
resolve's numpy does not compete with the default one's). An import owned by several targets
is ambiguous: a warning and no edge, unless an explicit dependency already says which. `!` /
`!!` in `dependencies` drop an inferred edge.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement

from graphpub.buildgraph.address import Address, Exclusion, parse_address
from graphpub.buildgraph.config import Dialect
from graphpub.buildgraph.graph import BuildGraph
from graphpub.buildgraph.graph_snapshot import Inference
from graphpub.buildgraph.target import Target
from graphpub.publish.imports import ImportCache, StringImports, module_names
from graphpub.rules.module_mapping import default_modules
from graphpub.rules.requirements import REQUIREMENT_KIND

# Kinds whose files are Python code that imports things (of every dialect).
PYTHON_SOURCE_KINDS = frozenset(
    {
        "python_source",
        "python_test",
        "py_library",
        "py_binary",
        "py_test",
        "python_library",
        "python_binary",
    }
)
PANTS_SOURCE_KINDS = frozenset({"python_source", "python_test"})
BUCK2_KINDS = frozenset({"python_library", "python_binary", "python_test"})
BAZEL_KINDS = frozenset({"py_library", "py_binary", "py_test"})


@dataclass
class ModuleOwners:
    """Module name to the targets owning it, first and third party."""

    first_party: dict[str, set[Address]] = field(default_factory=dict)
    third_party: dict[str, set[Address]] = field(default_factory=dict)
    stubs: dict[str, set[Address]] = field(default_factory=dict)
    """`.pyi` files and type-stub requirements: dependencies beside the code, never rivals."""
    resolves: dict[Address, str] = field(default_factory=dict)
    """Each owner's Pants resolve (Pants repositories only)."""

    def owners(
        self, candidates: Iterable[str], resolve: str | None = None
    ) -> tuple[set[Address], set[Address]]:
        """(code owners, stub owners) of the longest module name an import may mean, of
        `resolve` only when given; at the same length first party wins over third party."""

        def mine(table: Mapping[str, set[Address]], name: str) -> set[Address]:
            found = table.get(name, set())
            if resolve is None:
                return set(found)
            return {a for a in found if self.resolves.get(a) == resolve}

        for name in module_names(candidates):
            code = mine(self.first_party, name) or mine(self.third_party, name)
            stubs = mine(self.stubs, name)
            if code or stubs:
                return code, stubs
        return set(), set()


def file_modules(target: Target, path: str, roots: list[str]) -> list[str]:
    """The module names a file of `target` is imported as (Bazel may give several)."""
    # A script without extension (Pants' python_source takes those) is its own stem.
    stem = posixpath.splitext(path)[0] if path.endswith((".py", ".pyi")) else path
    package_dir = target.address.directory
    if target.kind in BUCK2_KINDS:
        base = target.fields.get("base_module")
        prefix = base if isinstance(base, str) else package_dir.replace("/", ".")
        relative = posixpath.relpath(stem, package_dir or ".")
        bases = [prefix] if prefix else []
        return [_dotted(".".join([*bases, relative.replace("/", ".")]))]
    if target.kind in BAZEL_KINDS:
        bases = [
            posixpath.normpath(posixpath.join(package_dir, i))
            for i in target.fields.get("imports") or ()
        ]
        return [
            _relative_module(stem, b if b != "." else "") for b in [*bases, ""] if _under(stem, b)
        ]
    root = source_root_of(posixpath.dirname(path), roots)
    return [_relative_module(stem, root)] if root is not None else []


def _dotted(module: str) -> str:
    """A package's module without its `__init__`; a source root's own `__init__.py` is no
    module (Pants names it `.`), so nothing imported as `__init__` finds it."""
    if module == "__init__":
        return ""
    return module[: -len(".__init__")] if module.endswith(".__init__") else module


def _relative_module(stem: str, root: str) -> str:
    """The module of `stem` (a normalized root-relative path) below `root`, which holds it
    (callers check): string slicing, as posixpath.relpath costs a second per 40,000 files."""
    relative = stem[len(root) + 1 :] if root and root != "." else stem
    return _dotted(relative.replace("/", "."))


def _under(path: str, directory: str) -> bool:
    return not directory or directory == "." or path.startswith(directory + "/")


def source_roots(graph: BuildGraph) -> list[str]:
    """Directories matching the `source_roots` patterns (Pants' `root_patterns`)."""
    config = graph.config
    roots: list[str] = []
    directories = [directory for directory, _ in graph.tree.walk("")]
    for pattern in config.source_roots:
        matcher = _root_pattern(pattern)
        roots.extend(directory for directory in directories if matcher.fullmatch(directory))
    for directory in directories:
        listing = graph.tree.listing(directory)
        if listing and any(m in listing.files for m in config.source_root_markers):
            roots.append(directory)
    return sorted(set(roots), key=len, reverse=True)


def _root_pattern(pattern: str) -> re.Pattern[str]:
    """Pants' root patterns: `/x` from the build root, `x` at any depth; `*` is one directory."""
    body = pattern.strip("/")
    segments = "/".join(
        "[^/]*".join(re.escape(part) for part in segment.split("*")) for segment in body.split("/")
    )
    if pattern.startswith("/"):
        return re.compile(segments)
    return re.compile(f"(?:.*/)?{segments}") if body else re.compile("(?!)")


def source_root_of(directory: str, roots: list[str]) -> str | None:
    """The source root `directory` is below (`roots` longest first), if any."""
    for root in roots:  # longest first
        if not root or directory == root or directory.startswith(root + "/"):
            return root
    return None


def module_owners(
    graph: BuildGraph,
    roots: list[str],
    modules_of: dict[tuple[Address, str], list[str]] | None = None,
) -> ModuleOwners:
    """Who provides each module; each Python file's module names kept in `modules_of`."""
    owners = ModuleOwners()
    by_resolve = graph.config.dialect is Dialect.PANTS
    for target in graph.targets():
        if target.address.repository and target.kind != REQUIREMENT_KIND:
            continue
        if by_resolve:
            owners.resolves[target.address] = resolve_of(graph, target)
        if target.kind in PYTHON_SOURCE_KINDS:
            for path in graph.owned_files(target):
                if path.endswith((".py", ".pyi")):
                    table = owners.stubs if path.endswith(".pyi") else owners.first_party
                    modules = file_modules(target, path, roots)
                    if modules_of is not None:
                        modules_of[target.address, path] = modules
                    for module in modules:
                        if module:
                            table.setdefault(module, set()).add(target.address)
        elif target.kind == "vcs_version":
            # Pants: the file a vcs_version generates is a module its target provides.
            generated = str(target.fields.get("generate_to") or "")
            if generated.endswith(".py"):
                for module in file_modules(target, generated, roots):
                    owners.first_party.setdefault(module, set()).add(target.address)
        elif target.kind == REQUIREMENT_KIND:
            code, stubs = requirement_modules(target)
            for module in code:
                owners.third_party.setdefault(module, set()).add(target.address)
            for module in stubs:
                owners.stubs.setdefault(module, set()).add(target.address)
    return owners


def requirement_modules(target: Target) -> tuple[list[str], list[str]]:
    """(modules, type-stub modules) a python_requirement provides, as Pants' module mapper
    finds them: its `modules` field, else its `type_stub_modules`, else each requirement's
    project's default (`graphpub.rules.module_mapping`)."""
    modules = list(target.fields.get("modules") or ())
    if modules:
        return modules, []
    stubs = list(target.fields.get("type_stub_modules") or ())
    if stubs:
        return [], stubs
    for line in target.fields.get("requirements") or ():
        try:
            name = Requirement(line).name
        except InvalidRequirement:
            continue
        provided = default_modules(name)
        (stubs if provided.type_stubs else modules).extend(provided.modules)
    return modules, stubs


def infer_dependencies(graph: BuildGraph) -> dict[Address, list[Address]]:
    """Load the whole repository, infer every Python target's dependencies from its imports,
    and add them to the graph. Returns the inferred edges, by target."""
    adopted = graph.adopted_inference()
    if adopted is not None and ImportCache(graph.config.root).unchanged(adopted.files):
        # (The repository's edges kept: `graph_snapshot`.)
        for key, message in adopted.warnings:
            graph.warn(message, key=key)
        graph.add_inferred(adopted.edges)
        return adopted.edges
    given: list[tuple[str, str]] = []
    with graph.capturing_warnings(given):
        inferred, files = _inferred(graph)
    graph.record_inference(Inference(inferred, files, tuple(given)))
    return inferred


def _inferred(
    graph: BuildGraph,
) -> tuple[dict[Address, list[Address]], tuple[tuple[str, str, bool, str], ...]]:
    """`infer_dependencies` without a snapshot: the edges, and the files they came from."""
    graph.load_all()
    roots = source_roots(graph)
    modules_of: dict[tuple[Address, str], list[str]] = {}
    owners = module_owners(graph, roots, modules_of)
    cache = ImportCache(graph.config.root, string_imports(graph))
    python_targets = [
        t for t in graph.targets() if t.kind in PYTHON_SOURCE_KINDS and not t.address.repository
    ]

    def modules_for(target: Target, path: str) -> list[str]:
        known = modules_of.get((target.address, path))  # (.py / .pyi: module_owners saw it)
        return known if known is not None else file_modules(target, path, roots)

    # (target, file, its module, whether it is a package's __init__), worked out once.
    files = [
        (target, path, modules[0], posixpath.basename(path).startswith("__init__."))
        for target in python_targets
        for path in graph.owned_files(target)
        if _is_python_file(target, path) and (modules := modules_for(target, path))
    ]
    root = str(graph.config.root)
    cache.prefetch(
        ((f"{root}/{path}", module, package) for _, path, module, package in files), graph.jobs
    )
    by_target: dict[Address, list[tuple[str, str, bool]]] = {}
    for target, path, module, package in files:
        by_target.setdefault(target.address, []).append((path, module, package))
    inferred: dict[Address, list[Address]] = {}
    by_resolve = graph.config.dialect is Dialect.PANTS
    for target in python_targets:
        excluded = _excluded(target, graph)
        resolve = resolve_of(graph, target) if by_resolve else None
        explicit = graph.dependencies([target.address], transitive=False)
        found: dict[Address, None] = {}
        for path, module, is_package in by_target.get(target.address, ()):
            for imported in cache.imports(f"{root}/{path}", module, is_package):
                code, stubs = owners.owners(imported.candidates, resolve)
                if not code and not stubs and graph.failures:
                    _note_unowned(graph, target, imported.candidates, roots)
                code -= excluded | {target.address}
                stubs -= excluded | {target.address}
                if len(code) > 1:
                    if not code & explicit:
                        _warn_ambiguous(graph, target, path, imported.line, code)
                    code = set()
                found.update(dict.fromkeys(sorted(code | stubs)))
        edges = [a for a in found if a not in explicit]
        if edges:
            inferred[target.address] = edges
    if by_resolve:
        for target in graph.targets():
            if target.address.repository:
                continue
            if target.kind == "python_distribution":
                edges = _entry_point_dependencies(graph, target, owners)
            elif target.kind == "pex_binary":
                edges = _pex_entry_point_dependencies(graph, target, owners, roots)
            else:
                continue
            if edges:
                inferred[target.address] = edges
    cache.save()
    graph.add_inferred(inferred)
    return inferred, cache.used()


def _entry_point_dependencies(
    graph: BuildGraph, target: Target, owners: ModuleOwners
) -> list[Address]:
    """Pants infers a python_distribution's dependencies from its entry points (its field's
    and its `provides`'): the module of each `module:function` (of any resolve), and each
    pex_binary an address (`:app`, `dir:app`) names. frontrunner-sdk's distribution depends
    on its package through an entry point alone."""
    provides = target.fields.get("provides") or {}
    groups = [target.fields.get("entry_points") or {}, provides.get("entry_points") or {}]
    excluded = _excluded(target, graph)
    explicit = graph.dependencies([target.address], transitive=False)
    found: dict[Address, None] = {}
    for group in groups:
        for entries in group.values():
            for reference in entries.values():
                reference = str(reference).strip()
                if reference.startswith(":") or "/" in reference:
                    written = parse_address(
                        reference,
                        relative_to=target.address.directory,
                        bare_name_is_target=False,
                        location=graph.locate_written(target, reference),
                    )
                    found.update(dict.fromkeys(graph.resolve(written, target)))
                    continue
                module = reference.partition(":")[0].strip()
                code, _ = owners.owners([module])
                code -= excluded
                if len(code) > 1:
                    if not code & explicit:
                        _warn_ambiguous_entry_point(graph, target, reference, code)
                    continue
                found.update(dict.fromkeys(sorted(code)))
    return [a for a in found if a not in explicit and a != target.address]


def _pex_entry_point_dependencies(
    graph: BuildGraph, target: Target, owners: ModuleOwners, roots: list[str]
) -> list[Address]:
    """Pants infers a pex_binary's dependency on the module of its `entry_point`: a file
    (`app.py:main`, from the BUILD file's directory) as the module it is below its source root,
    of the binary's resolve."""
    entry_point = str(target.fields.get("entry_point") or "")
    module = entry_point.partition(":")[0].strip()
    if not module:
        return []
    if module.endswith(".py"):
        path = posixpath.normpath(posixpath.join(target.address.directory, module))
        root = source_root_of(posixpath.dirname(path), roots)
        if root is None:
            return []
        module = _relative_module(path[: -len(".py")], root)
    code, _ = owners.owners([module], resolve_of(graph, target))
    code -= _excluded(target, graph)
    explicit = graph.dependencies([target.address], transitive=False)
    if len(code) > 1:
        if not code & explicit:
            _warn_ambiguous_entry_point(graph, target, entry_point, code)
        return []
    return [a for a in sorted(code) if a not in explicit]


def _warn_ambiguous_entry_point(
    graph: BuildGraph, target: Target, reference: str, candidates: set[Address]
) -> None:
    names = ", ".join(sorted(graph.config.render(a) for a in candidates))
    graph.warn(
        f"{graph.config.render(target.address)} has the entry point {reference!r}, whose "
        f"module is owned by several targets ({names}): no dependency inferred; add the one "
        "meant to its dependencies, or exclude the others with `!`",
        key=f"ambiguous:{target.address}:{names}",
    )


def _is_python_file(target: Target, path: str) -> bool:
    """Whether `path` is Python code whose imports count: a `.py` / `.pyi` file, or (Pants'
    python_source, as st2's `bin/st2-*` scripts) a file without an extension."""
    if path.endswith((".py", ".pyi")):
        return True
    return target.kind in PANTS_SOURCE_KINDS and "." not in posixpath.basename(path)


def resolve_of(graph: BuildGraph, target: Target) -> str:
    """A Pants target's resolve: its `resolve` field (`python_resolve` of a vcs_version),
    else `[python] default_resolve`; one for all when `[python] enable_resolves` is off, as
    Pants then ignores the field (pants-dep-graph's `pants_requirements(resolve=...)` provides
    `pants` to its plugin's code, which names no resolve)."""
    if not graph.config.enable_resolves:
        return IGNORED_RESOLVE
    named = target.fields.get("resolve") or target.fields.get("python_resolve")
    return str(named or graph.config.default_resolve)


# Pants' resolve of every target when resolves are off.
IGNORED_RESOLVE = "<ignore>"


def string_imports(graph: BuildGraph) -> StringImports | None:
    """Pants' `[python-infer] string_imports` of the repository (off unless pants.toml turns
    it on)."""
    config = graph.config
    if config.string_imports_min_dots is None or config.dialect is not Dialect.PANTS:
        return None
    return StringImports(config.string_imports_min_dots, config.string_import_ignore)


def _note_unowned(
    graph: BuildGraph, target: Target, candidates: Iterable[str], roots: list[str]
) -> None:
    """An import of a module whose file is in the repository, that no target owns: its owner
    may be in a package that failed, and whatever needs `target` needs that one."""
    for name in module_names(candidates):
        for root in roots:
            base = posixpath.join(root, name.replace(".", "/"))
            for path in (f"{base}.py", f"{base}.pyi", f"{base}/__init__.py"):
                failed = graph.failure_above(path) if graph.tree_has_file(path) else None
                if failed is not None:
                    graph.mark_incomplete(target.address, failed[1])
                    return


def _excluded(target: Target, graph: BuildGraph) -> set[Address]:
    excluded: set[Address] = set()
    for dependency in target.dependencies:
        if dependency.exclusion is not Exclusion.NONE:
            excluded.update(graph.resolve(dependency, target))
    return excluded


def _warn_ambiguous(
    graph: BuildGraph, target: Target, path: str, line: int, candidates: set[Address]
) -> None:
    names = ", ".join(sorted(graph.config.render(a) for a in candidates))
    graph.warn(
        f"{path}:{line}: {graph.config.render(target.address)} imports a module owned by "
        f"several targets ({names}): no dependency inferred; add the one meant to its "
        "dependencies, or exclude the others with `!`",
        key=f"ambiguous:{target.address}:{names}",
    )
