"""A Buck2 project's configuration, read as Buck2 reads it.

Files: for each cell, `.buckconfig.d/*` (in name order), `.buckconfig`, then
`.buckconfig.local`, a later value overriding an earlier one. Lines are `[section]`,
`key = value` and `<file:path>` (`<?file:path>`: only if the file exists), which reads another
file in place, relative to the one including it; a line ending in `\\` goes on on the next one;
`#` and `;` start comment lines; `$(config section.key)` in a value is that key's value.
graphpub reads only the project's own files, never `~/.buckconfig`, `/etc/buckconfig` or a file
outside the root, so every machine sees the same configuration.

Cells come from the root's `[cells]` (or `[repositories]`, its older name, when there is no
`[cells]`), aliases from `[cell_aliases]` (or `[repository_aliases]`): the root's, which every
cell sees, and each cell's own. As Buck2 does, graphpub reads these three sections of the root
without following includes. A cell named in `[external_cells]` (`bundled`: the prelude built into
Buck2; `git`) is not on disk: its labels name an external repository, and the directory it is
declared at is not part of the project.

Each cell's own configuration says which file of a directory is its build file (`[buildfile]
name_v2`, else `name`, each `NAME` meaning `NAME.v2` then `NAME`, else `BUCK.v2`, `BUCK`: the
first present) and which paths Buck2 never reads (`[project] ignore`).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from graphpub.buildgraph.cells import Cells
from graphpub.buildgraph.confined import OutsideRootError, read_inside_root
from graphpub.errors import ConfigError, SourceLocation

DEFAULT_BUILD_FILES = ("BUCK.v2", "BUCK")
# The sections Buck2 reads with their pre-cells names as fallbacks.
_CELLS = ("cells", "repositories")
_ALIASES = ("cell_aliases", "repository_aliases")
_INCLUDE = re.compile(r"<(?P<optional>\?)?file:(?P<path>.+)>")
_REFERENCE = re.compile(r"\$\(config ([^)]*)\)")
# Deeper than any real configuration: a file including itself, references chained in a loop.
MAX_INCLUDE_DEPTH = 32
MAX_REFERENCE_DEPTH = 64
_UNSPECIFIED = "__unspecified__"  # Buck2's section for keys before the first `[section]`


@dataclass(frozen=True)
class Buck2Cell:
    """One cell on disk and its own configuration."""

    name: str
    directory: str
    """Root-relative; `""` for the root cell."""
    config: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Its configuration, `$(config ...)` resolved: what `read_config()` reads."""
    build_files: tuple[str, ...] = DEFAULT_BUILD_FILES
    """A directory's build file: the first of these it holds."""
    ignore: tuple[str, ...] = ()
    """`[project] ignore` as gitignore patterns from the build root."""


@dataclass(frozen=True)
class Buck2Project:
    """The cells of a Buck2 project and what each one's configuration says."""

    cells: Mapping[str, Buck2Cell]
    """Cells on disk, by name."""
    names: Mapping[str, Mapping[str, str]]
    """For each cell, the names its labels may use (cells and aliases) to cell names."""
    external: frozenset[str] = frozenset()
    """Declared cells that are not on disk (`[external_cells]`)."""
    external_directories: tuple[str, ...] = ()
    """Where those are declared: directories that are not part of the project."""
    _seen: dict[str, Cells] = field(default_factory=dict, compare=False, repr=False)
    """`cells_seen_from`'s answers, by cell: every address a build file holds asks."""

    def cell_of(self, directory: str) -> Buck2Cell:
        """The cell a root-relative directory belongs to: the innermost one holding it."""
        found: Buck2Cell | None = None
        for cell in self.cells.values():
            if _is_within(directory, cell.directory) and (
                found is None or len(cell.directory) > len(found.directory)
            ):
                found = cell
        return found or Buck2Cell("root", "")

    def cells_seen_from(self, directory: str) -> Cells:
        """The cells as the labels of a build file in `directory` name them."""
        cell = self.cell_of(directory)
        seen = self._seen.get(cell.name)
        if seen is None:
            names = self.names.get(cell.name, {})
            seen = self._seen[cell.name] = Cells(
                {n: self.cells[c].directory for n, c in names.items() if c in self.cells},
                home=cell.directory,
                external={n: c for n, c in names.items() if c in self.external},
                open=True,
                within=self.cells_seen_from,
            )
        return seen


def read_buck2_project(root: Path, limit: int) -> Buck2Project:
    """The Buck2 project whose root `.buckconfig` is in `root`; `limit`: the largest file read."""
    reader = _Reader(root, limit)
    bare = reader.cell_sections("", follow_includes=False)
    declared = next((bare[s] for s in _CELLS if s in bare), {})
    directories: dict[str, str] = {}  # cell name to directory, in declaration order
    canonical: dict[str, str] = {}  # every name [cells] gives to the cell's first name
    first_by_directory: dict[str, str] = {}
    for name, value in declared.items():
        directory = _cell_directory(value.text)
        first = first_by_directory.setdefault(directory, name)
        canonical[name] = first
        if first == name:
            directories[name] = directory
    if "" not in first_by_directory:  # Buck2 insists on a `.` entry; graphpub calls it root
        directories.setdefault("root", "")
        canonical.setdefault("root", "root")
    root_names = {**canonical, **_aliases(bare, canonical)}

    external: set[str] = set()
    for name, origin in reader.resolved(bare).get("external_cells", {}).items():
        if origin.strip() != "disabled" and root_names.get(name) in directories:
            external.add(root_names[name])

    cells: dict[str, Buck2Cell] = {}
    names: dict[str, Mapping[str, str]] = {}
    for name, directory in directories.items():
        if name in external:
            continue
        config = reader.resolved(reader.cell_sections(directory, follow_includes=True))
        cells[name] = Buck2Cell(
            name,
            directory,
            config,
            _build_files(config),
            tuple(_ignore_patterns(config.get("project", {}).get("ignore", ""), directory)),
        )
        own = _aliases(reader.cell_sections(directory, True), root_names) if directory else {}
        names[name] = {**root_names, **own}
    return Buck2Project(
        cells,
        names,
        frozenset(external),
        tuple(sorted(directories[n] for n in external)),
    )


def _cell_directory(path: str) -> str:
    normalized = posixpath.normpath(path.strip())
    return "" if normalized == "." else normalized


def _aliases(
    sections: Mapping[str, Mapping[str, _Value]], names: Mapping[str, str]
) -> dict[str, str]:
    """`[cell_aliases]` (or `[repository_aliases]`): alias to cell name, for aliases of known
    cells (an alias of an unknown one is left out: its labels are external)."""
    declared = next((sections[s] for s in _ALIASES if s in sections), {})
    found: dict[str, str] = {}
    for alias, value in declared.items():
        target = value.text.strip()
        if alias not in names and target in names:
            found[alias] = names[target]
    return found


def _build_files(config: Mapping[str, Mapping[str, str]]) -> tuple[str, ...]:
    section = config.get("buildfile", {})
    if "name_v2" in section:
        names = _list(section["name_v2"])
    elif "name" in section:
        names = [n for name in _list(section["name"]) for n in (f"{name}.v2", name)]
    else:
        names = list(DEFAULT_BUILD_FILES)
    extra = section.get("extra_for_test", "").strip()
    return tuple(dict.fromkeys([*names, *([extra] if extra else [])]))


def _list(value: str) -> list[str]:
    """A Buck2 list value: comma-separated."""
    return [item.strip() for item in value.split(",") if item.strip()]


def _ignore_patterns(spec: str, directory: str) -> Iterator[str]:
    """`[project] ignore` as gitignore patterns from the build root. Buck2 matches each item
    from the cell's root: a glob within path segments (`*` never crosses a `/`), anything
    else as that path and everything below it; both are what an anchored gitignore pattern
    means."""
    for item in _list(spec):
        item = item.rstrip("/")
        if item:
            yield "/" + (posixpath.join(directory, item) if directory else item)


def _is_within(directory: str, ancestor: str) -> bool:
    return not ancestor or directory == ancestor or directory.startswith(ancestor + "/")


# ---------------------------------------------------------------- reading files


@dataclass(frozen=True)
class _Value:
    text: str
    location: SourceLocation


_Sections = dict[str, dict[str, _Value]]


class _Reader:
    """Reads configuration files below one root, each cell's files once per mode."""

    def __init__(self, root: Path, limit: int) -> None:
        self._root = str(root)
        self._limit = limit
        self._cache: dict[tuple[str, bool], _Sections] = {}

    def cell_sections(self, directory: str, follow_includes: bool) -> _Sections:
        """The merged sections of a cell's files, `$(config ...)` not yet resolved."""
        key = (directory, follow_includes)
        if key not in self._cache:
            sections: _Sections = {}
            if _inside(directory):
                for path in self._project_files(directory):
                    _FileParser(self, sections, follow_includes).parse(path)
            self._cache[key] = sections
        return self._cache[key]

    def _project_files(self, directory: str) -> list[str]:
        join = partial(posixpath.join, directory) if directory else (lambda name: name)
        confd = join(".buckconfig.d")
        try:
            with os.scandir(os.path.join(self._root, confd)) as entries:
                extra = sorted(e.name for e in entries if e.is_file())
        except OSError:
            extra = []
        return [
            *(posixpath.join(confd, name) for name in extra),
            join(".buckconfig"),
            join(".buckconfig.local"),
        ]

    def read(self, path: str, included_at: SourceLocation | None) -> str | None:
        """A file's text; None if it does not exist."""
        try:
            data = read_inside_root(
                self._root, path, self._limit, what="configuration file", location=included_at
            )
        except OutsideRootError as error:
            if error.reason == "missing":
                return None
            raise ConfigError(error.message, location=error.location, hint=error.hint) from None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start) + 1
            raise ConfigError(
                f"file is not valid UTF-8 text (byte 0x{data[e.start]:02x})",
                location=SourceLocation(path, line),
            ) from None

    def resolved(self, sections: _Sections) -> dict[str, dict[str, str]]:
        """The sections' values with every `$(config section.key)` replaced by that value."""
        done: dict[tuple[str, str], str] = {}
        return {
            name: {key: self._value(sections, name, key, done, []) for key in values}
            for name, values in sections.items()
        }

    def _value(
        self,
        sections: _Sections,
        section: str,
        key: str,
        done: dict[tuple[str, str], str],
        chain: list[tuple[str, str]],
    ) -> str:
        if (section, key) in done:
            return done[(section, key)]
        value = sections.get(section, {}).get(key)
        if value is None:
            return ""  # as Buck2: a reference to nothing is empty
        if (section, key) in chain:
            cycle = [*chain[chain.index((section, key)) :], (section, key)]
            raise ConfigError(
                "cycle in $(config ...) references: " + " -> ".join(f"`{s}.{k}`" for s, k in cycle),
                location=value.location,
            )
        if len(chain) > MAX_REFERENCE_DEPTH:
            raise ConfigError(
                f"$(config ...) references chained more than {MAX_REFERENCE_DEPTH} deep",
                location=value.location,
            )
        chain.append((section, key))

        def substitute(match: re.Match[str]) -> str:
            referenced, dot, referenced_key = match.group(1).strip().partition(".")
            if not dot or not referenced or not referenced_key:
                raise ConfigError(
                    f"$(config {match.group(1)}): expected a `section.key`",
                    location=value.location,
                )
            return self._value(sections, referenced, referenced_key, done, chain)

        text = _REFERENCE.sub(substitute, value.text)
        chain.pop()
        done[(section, key)] = text
        return text


class _FileParser:
    """One top-level file and what it includes, into `sections`: an included file goes on in
    the section the including one is in, and may start others, as in Buck2."""

    def __init__(self, reader: _Reader, sections: _Sections, follow_includes: bool) -> None:
        self._reader = reader
        self._sections = sections
        self._follow = follow_includes
        self._section = _UNSPECIFIED
        self._depth = 0

    def parse(self, path: str, included_at: SourceLocation | None = None) -> bool:
        """Whether the file exists."""
        text = self._reader.read(path, included_at)
        if text is None:
            return False
        for number, line in _logical_lines(text):
            location = SourceLocation(path, number)
            if line.startswith("["):
                body = line[1:].split(" #", 1)[0]  # a comment may follow a section header
                if not body.endswith("]"):
                    raise ConfigError(
                        f"improperly formatted section: expected `[section]`, got `{line}`",
                        location=location,
                    )
                self._section = body[:-1]
                self._sections.setdefault(self._section, {})
            elif "=" in line:
                key, _, value = line.partition("=")
                if not key.strip():
                    raise ConfigError(
                        f"expected `key = value`, but the key is empty: `{line}`",
                        location=location,
                    )
                self._sections.setdefault(self._section, {})[key.strip()] = _Value(
                    value.strip(), location
                )
            elif (include := _INCLUDE.search(line)) is not None:
                if self._follow:
                    self._include(path, include, location)
            else:
                raise ConfigError(
                    "cannot parse the line: expected an include (`<file:path>`), a section "
                    f"(`[section]`) or a key assignment (`key = value`), got `{line}`",
                    location=location,
                )
        return True

    def _include(self, including: str, include: re.Match[str], location: SourceLocation) -> None:
        optional = include.group("optional") is not None
        written = include.group("path")
        if self._depth >= MAX_INCLUDE_DEPTH:
            raise ConfigError(
                f"<file:{written}>: includes nest more than {MAX_INCLUDE_DEPTH} deep "
                "(a file including itself?)",
                location=location,
            )
        relative = (
            written
            if posixpath.isabs(written)
            else posixpath.join(posixpath.dirname(including), written)
        )
        normalized = posixpath.normpath(relative)
        if not _inside(normalized):
            if optional:
                return  # graphpub reads nothing outside the root: for it, the file is not there
            raise ConfigError(
                f"<file:{written}> is outside the build root: graphpub reads configuration "
                "from inside it only",
                location=location,
            )
        self._depth += 1
        try:
            exists = self.parse(normalized, location)
        finally:
            self._depth -= 1
        if not exists and not optional:
            raise ConfigError(
                f"the included file does not exist: `{written}`",
                location=location,
                hint=f"write <?file:{written}> to include it only where it exists",
            )


def _inside(path: str) -> bool:
    return not posixpath.isabs(path) and path != ".." and not path.startswith("../")


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, line) with whitespace trimmed, `\\`-continued lines joined, and
    empty and comment lines left out."""
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if pending is not None:
            number, line = pending[0], pending[1] + line
        if line.endswith("\\"):
            pending = (number, line[:-1])
            continue
        pending = None
        if line and not line.startswith(("#", ";")):
            yield number, line
    if pending is not None and pending[1] and not pending[1].startswith(("#", ";")):
        yield pending
