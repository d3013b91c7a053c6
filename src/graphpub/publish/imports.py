"""The modules a Python file imports, read with `ast`, cached by the file's content hash.

Which content a file has is known without reading it again while its size and modification
time are those recorded (unless it was modified within `RACY_NS` of being recorded, when a
change in the same tick would not show), as git's index does: a warm `dependencies ::` then
reads no source file.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import io
import json
import os
import time
import tokenize
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from graphpub.buildgraph.files import RACY_NS
from graphpub.workdir import NAME as WORK_DIRECTORY
from graphpub.workdir import work_directory


@dataclass(frozen=True)
class ImportedModule:
    """One import: candidate module names, most specific first (`from a import b` may import
    the module `a.b` or the name `b` of `a`), and the line, for messages."""

    candidates: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class StringImports:
    """Pants' `[python-infer] string_imports`: a string literal that looks like a dotted module
    name (`"myapp.settings.Base"`, a Django setting, a pytest plugin) with at least `min_dots`
    dots, matching none of the `ignore` globs, is an import too."""

    min_dots: int = 2
    ignore: tuple[str, ...] = ()

    def matches(self, text: str) -> bool:
        # (Pants' parser keeps strings without whitespace or backslashes, its rules those with
        # enough dots whose every part is an identifier.)
        return (
            text.count(".") >= self.min_dots
            and all(part.isidentifier() for part in text.split("."))
            and not any(fnmatch.fnmatchcase(text, glob) for glob in self.ignore)
        )


def parse_imports(
    source: str, module: str, is_package: bool, strings: StringImports | None = None
) -> list[ImportedModule]:
    """Imports of a file whose module is `module` (`a.b`; a package's `__init__` is `a.b` with
    `is_package`): absolute, relative, `from x import y`, `__import__("x")`, and with
    `strings` the string literals that look like modules, as Pants' parser finds them; but
    those a `# pants: no-infer-dep` comment ends the line of. (`importlib.import_module("x")`
    is not one: Pants infers nothing from it, so an optional dependency loaded that way does
    not become a requirement.)"""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []  # not Python we can read: nothing to infer, as Pants does
    ignored = _pragma_lines(source) if NO_INFER_DEP in source else frozenset()

    def kept(node: ast.AST) -> bool:
        return getattr(node, "end_lineno", None) not in ignored

    package = module if is_package else module.rpartition(".")[0]
    found: list[ImportedModule] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and kept(node):
            found.extend(ImportedModule((alias.name,), node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and kept(node):
            base = _absolute(node.module or "", node.level, package)
            if base is None:
                continue
            for alias in node.names:
                if not kept(alias):  # `from x import (a,  # pants: no-infer-dep` leaves out a
                    continue
                names = (f"{base}.{alias.name}", base) if alias.name != "*" and base else (base,)
                found.append(ImportedModule(tuple(n for n in names if n), node.lineno))
        elif isinstance(node, ast.Call) and _is_dunder_import(node) and kept(node):
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.append(ImportedModule((argument.value,), node.lineno))
    if strings is not None:
        found.extend(_string_imports(tree, strings, ignored))
    return found


# Pants' pragma: an import, or a string taken for one, on a line this comment ends is none.
NO_INFER_DEP = "# pants: no-infer-dep"


def _pragma_lines(source: str) -> frozenset[int]:
    """The lines holding a `# pants: no-infer-dep` comment (a comment, not a string that
    says so: read with tokenize, only for the few files mentioning it)."""
    lines: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and NO_INFER_DEP in token.string:
                lines.add(token.start[0])
    except (tokenize.TokenError, SyntaxError):
        pass  # (ast read it: what tokenize saw before its complaint stands)
    return frozenset(lines)


def _absolute(module: str, level: int, package: str) -> str | None:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level > len(parts):
        return None  # beyond the top-level package (or in a top-level module): Python fails too
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _is_dunder_import(node: ast.Call) -> bool:
    """`__import__("x")`, the one call Pants' parser reads as an import (by its name as
    written: not `builtins.__import__`, not `importlib.import_module`)."""
    function = node.func
    return isinstance(function, ast.Name) and function.id == "__import__" and bool(node.args)


def _string_imports(
    tree: ast.AST, strings: StringImports, ignored: frozenset[int]
) -> list[ImportedModule]:
    """The string literals `strings` takes for modules, but those ending on an `ignored`
    line. An f-string counts only without a placeholder, and nothing inside one or inside
    `__import__(...)` does (Pants' parser does not look there)."""
    found: list[ImportedModule] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        text: str | None = None
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            value = node.value
            text = value if isinstance(value, str) else value.decode("ascii", errors="replace")
        elif isinstance(node, ast.JoinedStr):
            parts = [
                p.value
                for p in node.values
                if isinstance(p, ast.Constant) and isinstance(p.value, str)
            ]
            if len(parts) != len(node.values):
                continue  # a placeholder: not a name known before running
            text = "".join(parts)
        elif isinstance(node, ast.Call) and _is_dunder_import(node):
            continue
        else:
            pending.extend(reversed(list(ast.iter_child_nodes(node))))  # in source order
            continue
        if text and strings.matches(text) and getattr(node, "end_lineno", None) not in ignored:
            found.append(ImportedModule((text,), getattr(node, "lineno", 0)))
    return found


class ImportCache:
    """Parsed imports by content hash, in `.graphpub/imports.json` below the build root.

    An entry is keyed by the file's content key (its content, module and whether it is a
    package: `_key`) and by how it was parsed (`PARSER`, `strings`), so a graphpub reading
    imports otherwise, or `string_imports` turned on, parses anew."""

    def __init__(self, root: Path, strings: StringImports | None = None) -> None:
        self._root = root
        self._strings = strings
        self._how = f":{PARSER}" + (f":{_digest_of(strings)}" if strings is not None else "")
        self._path = root / WORK_DIRECTORY / "imports.json"
        self._stats_path = root / WORK_DIRECTORY / "import-keys.json"
        self._parsed: dict[str, list[list[object]]] | None = None
        self._keys: dict[tuple[str, str, bool], str] = {}
        self._dirty = False
        # Root-relative path: [size, modification time in ns, when recorded in ns, module,
        # is_package, key] (`prefetch`).
        self._stats: dict[str, list[object]] = _read_json(self._stats_path)
        self._stats_dirty = False

    @property
    def _entries(self) -> dict[str, list[list[object]]]:
        """The parsed imports by content key, read when first needed (checking that files
        are unchanged does not: `unchanged`)."""
        if self._parsed is None:
            self._parsed = _read_json(self._path)
        return self._parsed

    def prefetch(self, files: Iterable[tuple[str | Path, str, bool]], jobs: int) -> None:
        """Parse every file not cached yet, in `jobs` processes when there are many."""
        missing: list[tuple[str, bytes, str, bool, StringImports | None]] = []
        for path, module, is_package in files:
            name = str(path)
            known = self._known_key(name, module, is_package)
            if known is not None:
                self._keys[(name, module, is_package)] = known
                continue
            try:
                data, key = self._read_key(name, module, is_package)
            except OSError:
                continue
            if key + self._how not in self._entries:
                missing.append((key + self._how, data, module, is_package, self._strings))
        if not missing:
            return
        if jobs > 1 and len(missing) >= PARALLEL_FROM:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
                parsed = list(pool.map(_parse_entry, missing, chunksize=64))
        else:
            parsed = [_parse_entry(item) for item in missing]
        self._entries.update(parsed)
        self._dirty = True

    def _relative(self, path: str) -> str:
        root = f"{self._root}/"
        return path[len(root) :] if path.startswith(root) else path

    def _known_key(self, path: str, module: str, is_package: bool) -> str | None:
        """The content key of a file as recorded (`_recorded_key`) if its parsed imports are
        kept too."""
        key = self._recorded_key(self._relative(path), path, module, is_package)
        return key if key is not None and key + self._how in self._entries else None

    def _recorded_key(self, relative: str, path: str, module: str, is_package: bool) -> str | None:
        """The content key recorded with a file whose size and time are those recorded with
        it (and not recent enough for a change in the same tick to hide), without reading it.
        (Run for every file imported in the repository by every warm command that infers.)"""
        known = self._stats.get(relative)
        if not (type(known) is list and len(known) == 6):
            return None
        size, mtime, recorded, known_module, known_package, key = known
        if not (isinstance(recorded, int) and isinstance(key, str)):
            return None
        if known_module != module or known_package != is_package:
            return None
        try:
            status = os.stat(path)
        except OSError:
            return None
        if status.st_size != size or status.st_mtime_ns != mtime:
            return None
        return key if status.st_mtime_ns < recorded - RACY_NS else None

    def _read_key(self, path: str, module: str, is_package: bool) -> tuple[bytes, str]:
        """A file's content and content key, recorded with its size and time."""
        status = os.stat(path)
        data = _read(path)
        key = _key(data, module, is_package)
        self._keys[(path, module, is_package)] = key
        recorded = time.time_ns()
        self._stats[self._relative(path)] = [
            status.st_size,
            status.st_mtime_ns,
            recorded,
            module,
            is_package,
            key,
        ]
        self._stats_dirty = True
        return data, key

    def used(self) -> tuple[tuple[str, str, bool, str], ...]:
        """The files prefetched, root-relative, with their modules and content keys."""
        return tuple(
            (self._relative(path), module, is_package, key)
            for (path, module, is_package), key in self._keys.items()
        )

    def unchanged(self, files: Iterable[tuple[str, str, bool, str]]) -> bool:
        """Whether each file (root-relative) has the content key given (`used`)."""
        for relative, module, is_package, key in files:
            path = f"{self._root}/{relative}"
            known = self._recorded_key(relative, path, module, is_package)
            if known is None:
                try:
                    known = self._read_key(path, module, is_package)[1]
                except OSError:
                    return False
            if known != key:
                return False
        return True

    def imports(self, path: str | Path, module: str, is_package: bool) -> list[ImportedModule]:
        key = self._keys.get((str(path), module, is_package))
        if key is None:
            try:
                data = _read(path)
            except OSError:
                return []
            key = _key(data, module, is_package)
        else:
            data = b""
        cached = self._entries.get(key + self._how)
        if cached is not None:
            return [ImportedModule(tuple(c), int(line)) for c, line in cached]  # type: ignore[arg-type,call-overload]
        if not data:
            data = _read(path)
        found = parse_imports(
            data.decode("utf-8", errors="replace"), module, is_package, self._strings
        )
        self._entries[key + self._how] = [[list(i.candidates), i.line] for i in found]
        self._dirty = True
        return found

    def save(self) -> None:
        if self._dirty:
            _write_json(self._root, self._path, self._entries)
            self._dirty = False
        if self._stats_dirty:
            _write_json(self._root, self._stats_path, self._stats)
            self._stats_dirty = False


def _read_json(path: Path) -> dict[str, Any]:
    """A cache file's mapping; empty if missing, corrupt or of another shape."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}


def _write_json(root: Path, path: Path, entries: object) -> None:
    work_directory(root)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(entries), encoding="utf-8")
    os.replace(temporary, path)  # atomic: concurrent runs never see half a file


def _read(path: str | Path) -> bytes:
    # (open() on a string: pathlib's Path.read_bytes costs twice as much per file.)
    with open(path, "rb") as file:
        return file.read()


# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_FROM = 500


def _key(data: bytes, module: str, is_package: bool) -> str:
    return hashlib.sha256(data + f"\0{module}\0{is_package}".encode()).hexdigest()


# How imports are read: a new value when parse_imports finds other imports in the same file (2:
# `importlib.import_module()` no longer one; 3: `# pants: no-infer-dep` heeded).
PARSER = 3


def _digest_of(strings: StringImports) -> str:
    settings = json.dumps([strings.min_dots, list(strings.ignore)])
    return hashlib.sha256(settings.encode()).hexdigest()[:16]


def _parse_entry(
    item: tuple[str, bytes, str, bool, StringImports | None],
) -> tuple[str, list[list[object]]]:
    key, data, module, is_package, strings = item
    found = parse_imports(data.decode("utf-8", errors="replace"), module, is_package, strings)
    return key, [[list(i.candidates), i.line] for i in found]


def module_names(candidates: Iterable[str]) -> list[str]:
    """Every prefix of each candidate, longest first: `a.b.c` may be owned as `a.b` or `a`."""
    names: list[str] = []
    for candidate in candidates:
        parts = candidate.split(".")
        names.extend(".".join(parts[:i]) for i in range(len(parts), 0, -1))
    return list(dict.fromkeys(names))
