"""The build root and graphpub's configuration.

The root is the nearest ancestor holding one of `ROOT_MARKERS` (for a `.buckconfig`, the
outermost one up to a `.buckroot`, as Buck2 finds it), else the git top level. Configuration
comes from `graphpub.toml` or `[tool.graphpub]` in the root `pyproject.toml`; in a Pants
repository `pants.toml`'s `[GLOBAL] build_patterns` / `build_ignore` apply when graphpub's own
configuration does not set them, and its `[GLOBAL] build_file_prelude_globs` name the files of
macros (`pants_macros`). What the build system reads is read as it reads it: which
files are build files, what it ignores (`pants_ignore` and `.gitignore`, Buck2's `[project]
ignore`, `.bazelignore`), Buck2's configuration (`buckconfig`).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import posixpath
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import pathspec

from graphpub.buildgraph.address import Address, AddressStyle
from graphpub.buildgraph.buckconfig import Buck2Project, read_buck2_project
from graphpub.buildgraph.cells import Cells
from graphpub.buildgraph.confined import OutsideRootError, inside_root_path
from graphpub.buildgraph.toml_lines import key_lines
from graphpub.errors import ConfigError, SourceLocation
from graphpub.secrets import DEFAULT_SECRET_ENV

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ROOT_MARKERS = (
    "graphpub.toml",
    "pants.toml",
    "MODULE.bazel",
    "REPO.bazel",
    "WORKSPACE",
    "WORKSPACE.bazel",
    ".buckconfig",
)

DEFAULT_BUILD_PATTERNS = ("BUILD", "BUILD.*", "BUCK", "BUCK.v2")
PANTS_BUILD_PATTERNS = ("BUILD", "BUILD.*")
BAZEL_BUILD_FILES = ("BUILD.bazel", "BUILD")
# Pants' own default of `[GLOBAL] pants_ignore`: hidden directories but two, and dist/.
PANTS_IGNORE = (".*/", "/dist/", "__pycache__", "!.semgrep/", "!.github/")
# A gitignore-style pattern's wildcards are matched by pathspec's regexes, which backtrack: more
# than this many `*` in one segment could take minutes on a long directory name.
MAX_IGNORE_STARS_PER_SEGMENT = 2
DEFAULT_BUILD_IGNORE = (
    ".git/",
    ".hg/",
    ".svn/",
    "node_modules/",
    "/dist/",  # graphpub's output; a package named dist below is code (protobuf's python/dist)
    ".graphpub/",
    ".venv/",
    "__pycache__/",
    "/bazel-*",
    "/buck-out/",
)


class Dialect(Enum):
    """Which build system's conventions the repository follows."""

    PANTS = "pants"
    BAZEL = "bazel"
    BUCK2 = "buck2"
    GRAPHPUB = "graphpub"

    @property
    def address_style(self) -> AddressStyle:
        return (
            AddressStyle.PANTS if self in (Dialect.PANTS, Dialect.GRAPHPUB) else AddressStyle.BAZEL
        )

    @property
    def bare_name_is_target(self) -> bool:
        """Bazel and Buck2 read `deps = ["util"]` as `:util`; Pants as the directory `util`."""
        return self is not Dialect.PANTS


def file_dialect(build_file: str, repo_dialect: Dialect) -> Dialect:
    """Build files named for one system follow its conventions, whatever the repository's."""
    name = posixpath.basename(build_file)
    if name == "BUILD.bazel":
        return Dialect.BAZEL
    if name.startswith("BUCK"):
        return Dialect.BUCK2
    return repo_dialect


@dataclass(frozen=True)
class PublishRule:
    """`[[publish]]`: repositories for targets whose rules cannot name them (Bazel, Buck2)."""

    targets: tuple[str, ...]
    repositories: tuple[str, ...]


@dataclass(frozen=True)
class Config:
    """graphpub's settings for one build root."""

    root: Path
    dialect: Dialect = Dialect.GRAPHPUB
    build_patterns: tuple[str, ...] = DEFAULT_BUILD_PATTERNS
    """Every file a pattern matches is a build file of its directory (Pants, graphpub)."""
    build_file_names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Bazel and Buck2 read one build file per directory: at and below each directory given
    (a Buck2 cell; the root), the first of its names present. Where none applies,
    `build_patterns` do."""
    build_ignore: tuple[str, ...] = DEFAULT_BUILD_IGNORE
    """gitignore-style patterns of directories never searched for build files."""
    ignore: tuple[str, ...] = ()
    """gitignore-style patterns of files and directories the build system never reads (Pants'
    `pants_ignore` and `.gitignore`, Buck2's `[project] ignore`): not searched for build files,
    not matched by globs."""
    strict_loads: bool = False
    strict_rules: bool = False
    defines: Mapping[str, str] = field(default_factory=dict)
    conditions: tuple[str, ...] = ()
    external_loads: Mapping[str, str] = field(default_factory=dict)
    buck2: Buck2Project | None = None
    """The Buck2 project (`.buckconfig`): cells and each one's configuration."""
    python_hubs: tuple[str, ...] = ()
    stamp: Mapping[str, str] = field(default_factory=dict)
    publish: tuple[PublishRule, ...] = ()
    source_roots: tuple[str, ...] = ("/", "src", "src/python", "src/py")
    source_root_markers: tuple[str, ...] = ()
    first_party_version_scheme: str = "exact"
    interpreter_constraints: tuple[str, ...] = ()
    """Pants' `[python] interpreter_constraints`: the default of the field of that name (the
    default of the repository's `pants_version` when pants.toml sets none)."""
    resolves_to_interpreter_constraints: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Pants' `[python] resolves_to_interpreter_constraints`: the default for a resolve."""
    default_resolve: str = "python-default"
    """Pants' `[python] default_resolve`: the resolve of a target that names none."""
    enable_resolves: bool = False
    """Pants' `[python] enable_resolves`: without it Pants ignores every `resolve` field (one
    module mapping for all targets)."""
    string_imports_min_dots: int | None = None
    """Pants' `[python-infer] string_imports_min_dots` when `string_imports` is on (None: off):
    string literals with that many dots that look like modules are imports too."""
    string_import_ignore: tuple[str, ...] = ()
    """Pants' `[python-infer] string_import_ignore`: globs of strings that are not imports."""
    generate_setup_default: bool = True
    """Pants' `[setup-py-generation] generate_setup_default`: whether a python_distribution
    without `generate_setup` is built from a generated project (else from its own)."""
    build_isolation: bool = True
    """Whether a project that describes itself is built in an isolated environment with its
    build requirements installed from the package index (as `python -m build` does)."""
    setup_kwargs_plugin: str | None = None
    """A root-relative Starlark file whose `setup_kwargs(kwargs, target)` returns the setup()
    arguments of each generated Pants distribution: a port of a Pants `SetupKwargs` plugin."""
    pants_version: str | None = None
    setuptools_requirements: tuple[str, ...] = ()
    """Pants' `[setuptools]` `requirements` (addresses of requirement targets, or requirement
    strings), `extra_requirements` and `version`: what the legacy setuptools backend of a
    project without [build-system] runs with, beside setuptools."""
    mypy_requirements: tuple[str, ...] = ("mypy",)
    """Pants' `[mypy]` `version`, `requirements` (addresses of requirement targets, or
    requirement strings) and `extra_requirements`: what a `uses_mypyc` distribution is built
    with, beside its own requirements (plain `mypy` when pants.toml names none)."""
    pypirc: str | None = None
    ca_certs: str | None = None
    twine_args: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    index_urls: Mapping[str, str] = field(default_factory=dict)
    upload_timeout: float = 600.0
    upload_deadline: float = 3600.0
    index_timeout: float = 60.0
    max_index_bytes: int = 64 * 1024 * 1024
    upload_retries: int = 3
    retry_backoff: float = 1.0
    evaluation_timeout: float = 10.0
    max_build_file_bytes: int = 10 * 1024 * 1024
    max_nesting_depth: int = 100
    max_evaluation_memory_mib: int = 1024
    bazel_module: str | None = None
    """The root's Bazel module name (`module(name = ...)` in MODULE.bazel), if any."""
    secret_env: tuple[str, ...] = DEFAULT_SECRET_ENV
    """Globs of environment variable names holding credentials (TWINE_* always does)."""
    build_file_prelude_globs: tuple[str, ...] = ()
    """Pants' `[GLOBAL] build_file_prelude_globs`: files of macros every BUILD file sees."""
    bazel_sdist: bool = False
    """Whether a py_wheel gets an sdist too (rules_python makes a wheel only)."""
    buck2_sdist: bool = False
    """Whether a Buck2 python_wheel gets an sdist too (the prelude makes a wheel only)."""
    pants_plugins: bool = False
    """Whether pants.toml loads plugins of its own (`pythonpath`, backends beyond `pants.`),
    which may add fields to the targets graphpub knows."""
    source: SourceLocation | None = None

    @property
    def cells(self) -> Cells:
        """Buck2 cells (`.buckconfig` `[cells]`) as the root cell's labels name them; each
        build file sees them from its own cell (`Cells.seen_from`)."""
        return self.buck2.cells_seen_from("") if self.buck2 is not None else Cells()

    def render(self, address: Address) -> str:
        """An address as this repository's users write it: `dir:name` in Pants repositories,
        `//dir:name` in Bazel ones, `cell//dir:name` for a Buck2 cell other than the root."""
        style = self.dialect.address_style
        if self.dialect is Dialect.BUCK2 and self.buck2 is not None:
            if address.repository:  # a cell not on disk, such as the bundled prelude
                return address.render(style).lstrip("@")
            cell = self.buck2.cell_of(address.directory)
            if cell.directory:
                inner = Address(
                    address.directory[len(cell.directory) :].lstrip("/"),
                    address.name,
                    address.file,
                    address.generated,
                    address.parameters,
                )
                return cell.name + inner.render(style)
        return address.render(style)

    def with_overrides(
        self,
        *,
        defines: Mapping[str, str] = {},
        conditions: tuple[str, ...] = (),
        stamp: Mapping[str, str] = {},
    ) -> Config:
        """This configuration with command-line `--define`, `--condition`, `--stamp` added."""
        return dataclasses.replace(
            self,
            defines={**self.defines, **defines},
            conditions=self.conditions + conditions,
            stamp={**self.stamp, **stamp},
        )


def find_root(start: Path) -> Path:
    """The nearest ancestor of `start` holding a root marker, else the git top level. Where
    that marker is a `.buckconfig`, the root is found as Buck2 finds it: the outermost
    directory above holding a `.buckconfig`, up to the first holding a `.buckroot` (a Buck2
    project's cells and subdirectories often have `.buckconfig` files of their own)."""
    start = start.resolve()
    candidates = [start, *start.parents]
    for index, directory in enumerate(candidates):
        markers = [marker for marker in ROOT_MARKERS if (directory / marker).exists()]
        if markers == [".buckconfig"]:
            return _buck2_project_root(candidates[index:])
        if markers:
            return directory
    for directory in candidates:
        if (directory / ".git").exists():
            return directory
    raise ConfigError(
        f"no build root found at or above {start}",
        hint=(
            "run graphpub inside a repository, pass -C/--root DIR, or create an empty "
            "graphpub.toml at the repository root"
        ),
    )


def _buck2_project_root(candidates: Sequence[Path]) -> Path:
    root = candidates[0]
    home = Path.home()
    for directory in candidates:
        if directory == home:  # ~/.buckconfig configures Buck2 for the user: not a project
            break
        if (directory / ".buckconfig").exists():
            root = directory
        if (directory / ".buckroot").exists():
            break
    return root


_KEYS: dict[str, str] = {
    "dialect": "one of: pants, bazel, buck2, graphpub (detected from the root markers by default)",
    "build_patterns": "file names of build files (glob patterns)",
    "build_ignore": "gitignore-style patterns of paths never searched for build files",
    "strict_loads": "make an unknown external load() an error instead of a warning",
    "strict_rules": "make a rule graphpub has no schema for (cc_library, rules made with "
    "rule(), ...) an error instead of an opaque target",
    "defines": "KEY = VALUE pairs for `$(KEY)` and `select()` (like --define)",
    "conditions": "labels of config_settings taken as true in `select()` (like --condition)",
    "external_loads": "maps '@repo' or a full '@repo//pkg:file.bzl' label to a local path",
    "python_hubs": "repositories of pip requirements (rules_python hubs), besides those found "
    "in MODULE.bazel / WORKSPACE",
    "stamp": "KEY = VALUE pairs for version stamps such as {BUILD_EMBED_LABEL} (like --stamp)",
    "publish": "[[publish]] tables: targets = [specs], repositories = ['@name' or URL]",
    "source_roots": "directories Python imports are relative to, as Pants' root_patterns: "
    "'/src' from the root, 'src/python' anywhere",
    "source_root_markers": "file names marking a source root (Pants' marker_filenames)",
    "first_party_version_scheme": "how a distribution requires another of this repository: "
    "exact (==), compatible (~=) or any",
    "build_isolation": "build projects that describe themselves (generate_setup=False) in an "
    "isolated environment, their build requirements installed from the package index (true, "
    "the default), or with graphpub's own Python (false, like --no-build-isolation)",
    "setup_kwargs_plugin": "a Starlark file (root-relative) defining setup_kwargs(kwargs, "
    "target): the setup() arguments of every generated python_distribution, as a Pants "
    "SetupKwargs plugin returns them (README: Pants plugins that compute setup() arguments)",
    "pypirc": "the .pypirc file for '@name' repositories (default: the root's, else ~/.pypirc)",
    "ca_certs": "a CA bundle for twine (--cert) and for reading the repositories' indexes",
    "twine_args": "more arguments for every `twine upload`",
    "skip": "specs of distributions `graphpub publish` skips",
    "index_urls": "repository ('@name' or URL) = URL of its simple index, where graphpub "
    "cannot derive it",
    "upload_timeout": "seconds graphpub waits on an upload that moves no bytes (and on the "
    "answer after the last one) before it abandons it (twine's has no timeout)",
    "upload_deadline": "seconds one file's upload may take in all, however steadily it moves; "
    "inf for no limit",
    "index_timeout": "seconds one read of a repository's index may take in all, however "
    "slowly the server answers",
    "max_index_bytes": "the largest index page graphpub reads, in bytes",
    "upload_retries": "how many times a transient failure (5xx, refused or reset connection, "
    "timeout) is retried, per file",
    "retry_backoff": "seconds before the first retry; doubled for each next one",
    "evaluation_timeout": "seconds the evaluation of one build or .bzl file may take",
    "max_build_file_bytes": "the largest build or .bzl file graphpub reads, in bytes",
    "max_nesting_depth": "how deeply brackets and blocks may nest in a build or .bzl file (an "
    "expression may chain ten times as many operators)",
    "max_evaluation_memory_mib": "MiB of memory evaluating one build or .bzl file may take",
    "bazel_sdist": "true: a py_wheel gets an sdist as well (rules_python makes only the wheel)",
    "buck2_sdist": "true: a Buck2 python_wheel gets an sdist as well (Buck2 makes only the wheel)",
    "secret_env": "globs of environment variable names that hold credentials (TWINE_* always "
    "do): env() refuses them, and their values never appear in output or published files; "
    'default ["*TOKEN*", "*PASSWORD*", "*SECRET*"]',
}


class ConfigKeyError(ConfigError):
    """A configuration error about one key of graphpub's table, located by `key_path`
    (`("publish", "2", "pypirc")`) once the file's lines are known."""

    def __init__(self, message: str, key_path: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.key_path = key_path


def load_config(root: Path) -> Config:
    """Read the configuration of the build root `root`."""
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(f"build root {root} is not a directory")
    table, source = _graphpub_table(root)
    try:
        return _load_config(root, table, source)
    except ConfigKeyError as error:
        if source is None:
            raise
        lines = key_lines((root / source.path).read_text(encoding="utf-8"))
        # The key itself, else the table that lacks it (a missing `targets`: its [[publish]]).
        path = error.key_path
        while path:
            line = lines.get(path) or lines.get(("tool", "graphpub", *path))
            if line is not None:
                error.location = SourceLocation(source.path, line)
                break
            path = path[:-1]
        raise


def _load_config(root: Path, table: dict[str, Any], source: SourceLocation | None) -> Config:
    pants = _read_toml(root / "pants.toml") if (root / "pants.toml").is_file() else {}
    pants = _interpolated(pants, root)
    for section in _PANTS_SECTIONS:
        if not isinstance(pants.get(section, {}), dict):
            raise ConfigError(f"[{section}] must be a table", location=SourceLocation("pants.toml"))
    pants_globals = pants.get("GLOBAL", {})

    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(_KEYS), n=1)
        raise ConfigKeyError(
            f"unknown configuration key {unknown[0]!r}",
            (unknown[0],),
            location=source,
            hint=f"did you mean {close[0]!r}?" if close else "known keys: " + ", ".join(_KEYS),
        )

    dialect = _detect_dialect(root)
    if "dialect" in table:
        try:
            dialect = Dialect(table["dialect"])
        except ValueError:
            raise ConfigKeyError(
                f"unknown dialect {table['dialect']!r}",
                ("dialect",),
                location=source,
                hint=_KEYS["dialect"],
            ) from None

    max_build_file_bytes = _whole_number(table, "max_build_file_bytes", 10 << 20, source, minimum=1)
    buck2 = (
        read_buck2_project(root, max_build_file_bytes) if (root / ".buckconfig").is_file() else None
    )
    build_patterns = _string_list(table, "build_patterns", source)
    build_file_names: Mapping[str, tuple[str, ...]] = {}
    if build_patterns is None:
        build_patterns, build_file_names = _dialect_build_files(dialect, pants_globals, buck2)
    build_ignore = _string_list(table, "build_ignore", source)
    if build_ignore is None:
        pants_ignore = _pants_list_option(pants_globals, "build_ignore", ())
        build_ignore = pants_ignore or ()
        _check_ignore_patterns(build_ignore, SourceLocation("pants.toml"))
    else:
        _check_ignore_patterns(build_ignore, source)
    bazelignore = root / ".bazelignore"
    if bazelignore.is_file():
        bazel_ignore = _bazelignore_patterns(bazelignore)
        _check_ignore_patterns(bazel_ignore, SourceLocation(".bazelignore"))
        build_ignore = (*build_ignore, *bazel_ignore)
    if dialect is Dialect.PANTS:
        ignore = _pants_ignore(root, pants_globals)
    elif buck2 is not None:
        ignore = _buck2_ignore(buck2)
    else:
        ignore = ()

    strict_loads = table.get("strict_loads", False)
    strict_rules = table.get("strict_rules", False)
    bazel_sdist = table.get("bazel_sdist", False)
    buck2_sdist = table.get("buck2_sdist", False)
    for key, value in (
        ("strict_loads", strict_loads),
        ("strict_rules", strict_rules),
        ("bazel_sdist", bazel_sdist),
        ("buck2_sdist", buck2_sdist),
    ):
        if not isinstance(value, bool):
            raise ConfigKeyError(
                f"{key} must be true or false", (key,), location=source, hint=_KEYS[key]
            )

    return Config(
        root=root,
        dialect=dialect,
        build_patterns=build_patterns or DEFAULT_BUILD_PATTERNS,
        build_file_names=build_file_names,
        build_ignore=DEFAULT_BUILD_IGNORE + tuple(build_ignore),
        ignore=ignore,
        strict_loads=strict_loads,
        strict_rules=strict_rules,
        defines=_string_table(table, "defines", source),
        conditions=tuple(_string_list(table, "conditions", source) or ()),
        external_loads=_string_table(table, "external_loads", source),
        buck2=buck2,
        python_hubs=tuple(
            dict.fromkeys(
                [*_declared_python_hubs(root), *(_string_list(table, "python_hubs", source) or ())]
            )
        ),
        stamp=_string_table(table, "stamp", source),
        publish=_publish_rules(table, source),
        source_roots=_string_list(table, "source_roots", source)
        or _pants_list(pants, "source", "root_patterns")
        or Config.source_roots,
        source_root_markers=_string_list(table, "source_root_markers", source)
        or _pants_list(pants, "source", "marker_filenames")
        or (),
        first_party_version_scheme=_version_scheme(table, pants, source),
        interpreter_constraints=_pants_list(pants, "python", "interpreter_constraints")
        or default_interpreter_constraints(_pants_version(pants_globals)),
        resolves_to_interpreter_constraints=_resolves_to_constraints(pants),
        default_resolve=str(pants.get("python", {}).get("default_resolve") or "python-default"),
        enable_resolves=_pants_boolean(pants, "python", "enable_resolves", False),
        string_imports_min_dots=_string_imports_min_dots(pants),
        string_import_ignore=_pants_list_option(
            pants.get("python-infer", {}), "string_import_ignore", (), "python-infer"
        )
        or (),
        generate_setup_default=_generate_setup_default(pants),
        build_isolation=_boolean(table, "build_isolation", True, source),
        setup_kwargs_plugin=_file_in_root(root, table, "setup_kwargs_plugin", source),
        pants_version=_pants_version(pants_globals),
        setuptools_requirements=_tool_requirements(pants, "setuptools"),
        mypy_requirements=_tool_requirements(pants, "mypy") or ("mypy",),
        pypirc=_optional_string(table, "pypirc", source),
        ca_certs=_optional_string(table, "ca_certs", source),
        twine_args=_string_list(table, "twine_args", source) or (),
        skip=_string_list(table, "skip", source) or (),
        index_urls=_string_table(table, "index_urls", source),
        upload_timeout=_positive_number(table, "upload_timeout", 600.0, source),
        upload_deadline=_positive_number(table, "upload_deadline", 3600.0, source),
        index_timeout=_positive_number(table, "index_timeout", 60.0, source),
        max_index_bytes=_whole_number(table, "max_index_bytes", 64 << 20, source, minimum=1),
        upload_retries=_whole_number(table, "upload_retries", 3, source, minimum=0),
        retry_backoff=_positive_number(table, "retry_backoff", 1.0, source),
        evaluation_timeout=_positive_number(table, "evaluation_timeout", 10.0, source),
        max_build_file_bytes=max_build_file_bytes,
        max_nesting_depth=_whole_number(table, "max_nesting_depth", 100, source, minimum=1),
        max_evaluation_memory_mib=_whole_number(
            table, "max_evaluation_memory_mib", 1024, source, minimum=1
        ),
        bazel_module=_bazel_module_name(root),
        secret_env=_or_default(_string_list(table, "secret_env", source), DEFAULT_SECRET_ENV),
        build_file_prelude_globs=_pants_list_option(pants_globals, "build_file_prelude_globs", ())
        or (),
        bazel_sdist=bazel_sdist,
        buck2_sdist=buck2_sdist,
        pants_plugins=_loads_plugins(pants_globals),
        source=source,
    )


def _dialect_build_files(
    dialect: Dialect, pants_globals: dict[str, Any], buck2: Buck2Project | None
) -> tuple[tuple[str, ...], Mapping[str, tuple[str, ...]]]:
    """(build_patterns, build_file_names) as the build system reads them: Pants every file
    its `build_patterns` match; Bazel and Buck2 one file per directory, the first present of
    `BUILD.bazel`, `BUILD` (not gazelle's `BUILD.in` / `BUILD.out` golden files) or of each
    cell's `[buildfile]` names."""
    if dialect is Dialect.PANTS:
        patterns = _pants_list_option(pants_globals, "build_patterns", PANTS_BUILD_PATTERNS)
        return patterns or PANTS_BUILD_PATTERNS, {}
    if dialect is Dialect.BAZEL:
        return BAZEL_BUILD_FILES, {"": BAZEL_BUILD_FILES}
    if dialect is Dialect.BUCK2 and buck2 is not None:
        names = {cell.directory: cell.build_files for cell in buck2.cells.values()}
        return buck2.cell_of("").build_files, names
    return DEFAULT_BUILD_PATTERNS, {}


def _publish_rules(table: dict[str, Any], source: SourceLocation | None) -> tuple[PublishRule, ...]:
    entries = table.get("publish", [])
    example = '[[publish]]\ntargets = ["//python:wheel"]\nrepositories = ["@pypi"]'
    if not isinstance(entries, list):
        raise ConfigKeyError(
            "publish must be an array of tables ([[publish]])",
            ("publish",),
            location=source,
            hint=example,
        )
    rules = []
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ConfigKeyError(
                f"[[publish]] #{index} must be a table",
                ("publish", str(index)),
                location=source,
                hint=example,
            )
        unknown = sorted(set(entry) - {"targets", "repositories"})
        if unknown:
            key = unknown[0]
            hint = example
            if key in _KEYS:  # written after the [[publish]] header, so TOML put it inside
                hint = (
                    f"{key!r} is a top-level key, but TOML puts every key after a [[publish]] "
                    f"header into that table: move `{key} = ...` above the first [[publish]]"
                )
            raise ConfigKeyError(
                f"[[publish]] #{index}: unknown key {key!r}",
                ("publish", str(index), key),
                location=source,
                hint=hint,
            )
        rules.append(
            PublishRule(
                _required_strings(entry, "targets", f"[[publish]] #{index}", source, example),
                _required_strings(entry, "repositories", f"[[publish]] #{index}", source, example),
            )
        )
    return tuple(rules)


def _required_strings(
    entry: dict[str, Any], key: str, where: str, source: SourceLocation | None, example: str
) -> tuple[str, ...]:
    value = entry.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigKeyError(
            f"{where}: {key} must be a non-empty list of strings",
            ("publish", where.rsplit("#", 1)[-1], key),
            location=source,
            hint=example,
        )
    return tuple(value)


_HUB_DECLARATION = re.compile(
    r"""hub_name\s*=\s*["'](\w+)["']|pip_(?:parse|install|repository)\(\s*name\s*=\s*["'](\w+)["']"""
)


_MODULE_NAME = re.compile(r"""^module\(\s*name\s*=\s*["']([\w.-]+)["']""", re.MULTILINE)
_WORKSPACE_NAME = re.compile(r"""^workspace\(\s*name\s*=\s*["']([\w.-]+)["']""", re.MULTILINE)


def _bazel_module_name(root: Path) -> str | None:
    """`module(name = "rules_python", ...)` in MODULE.bazel, else `workspace(name = ...)` in
    a WORKSPACE file (before bzlmod): the repository's own name."""
    for name, pattern in (
        ("MODULE.bazel", _MODULE_NAME),
        ("WORKSPACE.bazel", _WORKSPACE_NAME),
        ("WORKSPACE", _WORKSPACE_NAME),
    ):
        path = root / name
        if path.is_file():
            match = pattern.search(path.read_text(encoding="utf-8", errors="replace"))
            if match:
                return match.group(1)
    return None


def _declared_python_hubs(root: Path) -> list[str]:
    """rules_python hubs: `pip.parse(hub_name = "pypi")` in MODULE.bazel, `pip_parse(name =
    "pip")` in a WORKSPACE file."""
    hubs: list[str] = []
    for name in ("MODULE.bazel", "WORKSPACE", "WORKSPACE.bazel"):
        path = root / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            hubs.extend(a or b for a, b in _HUB_DECLARATION.findall(text))
    return hubs


def _optional_string(table: dict[str, Any], key: str, source: SourceLocation | None) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigKeyError(f"{key} must be a string", (key,), location=source, hint=_KEYS[key])
    return value


def _file_in_root(
    root: Path, table: dict[str, Any], key: str, source: SourceLocation | None
) -> str | None:
    """A root-relative path of a file below the root, normalized (checked again, without
    following a symlink out, when it is read)."""
    value = _optional_string(table, key, source)
    if value is None:
        return None
    try:
        normalized = inside_root_path(value, what=key)
    except OutsideRootError as e:
        why = "is outside the build root" if e.reason == "outside" else "is not a file name"
        raise ConfigKeyError(
            f"{key}: {value!r} {why}",
            (key,),
            location=source,
            hint="name a file of the repository, relative to its root",
        ) from None
    if not (root / normalized).is_file():
        raise ConfigKeyError(
            f"{key}: {value} does not exist",
            (key,),
            location=source,
            hint="name a file of the repository, relative to its root",
        )
    return normalized


def _positive_number(
    table: dict[str, Any], key: str, default: float, source: SourceLocation | None
) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:  # NaN
        raise ConfigKeyError(
            f"{key} must be a positive number", (key,), location=source, hint=_KEYS[key]
        )
    return float(value)


def _whole_number(
    table: dict[str, Any], key: str, default: int, source: SourceLocation | None, minimum: int
) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = "a positive whole number" if minimum == 1 else f"a whole number, {minimum} or more"
        raise ConfigKeyError(f"{key} must be {what}", (key,), location=source, hint=_KEYS[key])
    return value


def _boolean(table: dict[str, Any], key: str, default: bool, source: SourceLocation | None) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false", location=source, hint=_KEYS[key])
    return value


def _pants_version(pants_globals: Mapping[str, Any]) -> str | None:
    version = pants_globals.get("pants_version")
    return version if isinstance(version, str) else None


# Pants' own `[python] interpreter_constraints` when pants.toml sets none, by the first release
# of each default; from 2.17 there is none (Pants refuses to run Python goals without one).
_DEFAULT_INTERPRETER_CONSTRAINTS = (
    ((2, 17), ()),
    ((2, 11), ("CPython>=3.7,<4",)),
    ((2, 10), ("CPython>=3.6,<4",)),
    ((2, 0), ("CPython>=3.6",)),
)


def default_interpreter_constraints(pants_version: str | None) -> tuple[str, ...]:
    """The interpreter constraints the repository's Pants release assumes when pants.toml
    names none: none at all for 2.17 and later, or when the release is unknown."""
    match = re.match(r"(\d+)\.(\d+)", pants_version or "")
    if match is None:
        return ()
    release = (int(match.group(1)), int(match.group(2)))
    for first, constraints in _DEFAULT_INTERPRETER_CONSTRAINTS:
        if release >= first:
            return constraints
    return ()


def _resolves_to_constraints(pants: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    table = pants.get("python", {}).get("resolves_to_interpreter_constraints", {})
    if not isinstance(table, dict):
        return {}
    return {
        str(resolve): tuple(str(c) for c in constraints)
        for resolve, constraints in table.items()
        if isinstance(constraints, list)
    }


def _tool_requirements(pants: dict[str, Any], tool: str) -> tuple[str, ...]:
    """The requirements a Pants tool subsystem (`[setuptools]`, `[mypy]`) installs."""
    table = pants.get(tool, {})
    if not isinstance(table, dict):
        return ()
    found: list[str] = []
    for key in ("version", "requirements", "extra_requirements"):
        value = table.get(key)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):  # `requirements.add = [...]`
            found.extend(str(v) for v in value.get("add", []))
        elif isinstance(value, list):
            found.extend(str(v) for v in value)
    return tuple(found)


def _generate_setup_default(pants: dict[str, Any]) -> bool:
    return _pants_boolean(pants, "setup-py-generation", "generate_setup_default", True)


def _pants_boolean(pants: dict[str, Any], section: str, key: str, default: bool) -> bool:
    value = pants.get(section, {}).get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(
            f"[{section}] {key} must be true or false", location=SourceLocation("pants.toml")
        )
    return value


def _string_imports_min_dots(pants: dict[str, Any]) -> int | None:
    """`[python-infer] string_imports_min_dots` (Pants' default 2) if `string_imports` is on."""
    if not _pants_boolean(pants, "python-infer", "string_imports", False):
        return None
    value = pants["python-infer"].get("string_imports_min_dots", 2)
    if type(value) is not int or value < 0:
        raise ConfigError(
            "[python-infer] string_imports_min_dots must be a whole number",
            location=SourceLocation("pants.toml"),
        )
    return value


# The sections of pants.toml graphpub reads (load_config checks that they are tables).
_PANTS_SECTIONS = ("GLOBAL", "source", "python", "python-infer", "setup-py-generation")


def _pants_list(pants: dict[str, Any], section: str, key: str) -> tuple[str, ...] | None:
    value = pants.get(section, {}).get(key)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _version_scheme(
    table: dict[str, Any], pants: dict[str, Any], source: SourceLocation | None
) -> str:
    if "first_party_version_scheme" in table:
        key, where = "first_party_version_scheme", source
        scheme = table[key]
    else:  # Pants' own setting, else exact
        pants_key = "first_party_dependency_version_scheme"
        key, where = f"[setup-py-generation] {pants_key}", SourceLocation("pants.toml")
        scheme = pants.get("setup-py-generation", {}).get(pants_key, "exact")
    if scheme not in ("exact", "compatible", "any"):
        raise ConfigError(
            f"{key} must be exact, compatible or any, got {scheme!r}",
            location=where,
            hint=_KEYS["first_party_version_scheme"],
        )
    return str(scheme)


def _detect_dialect(root: Path) -> Dialect:
    if (root / "pants.toml").exists():
        return Dialect.PANTS
    if any(
        (root / m).exists() for m in ("MODULE.bazel", "REPO.bazel", "WORKSPACE", "WORKSPACE.bazel")
    ):
        return Dialect.BAZEL
    if (root / ".buckconfig").exists():
        return Dialect.BUCK2
    return Dialect.GRAPHPUB


_INTERPOLATION = re.compile(r"%\(([A-Za-z0-9_.-]+)\)s")


def _interpolated(pants: dict[str, Any], root: Path) -> dict[str, Any]:
    """pants.toml with Pants' `%(name)s` references filled in, in every string: a key of the
    same section or of `[DEFAULT]`, `buildroot`, `homedir`, `user`, `pants_workdir`,
    `pants_supportdir`, `pants_distdir`, or `env.NAME` (st2:
    `interpreter_constraints = ["%(st2_interpreter_constraints)s"]`). An unknown name is
    left as written."""
    found_defaults = pants.get("DEFAULT")
    defaults: Mapping[str, Any] = found_defaults if isinstance(found_defaults, dict) else {}
    seeds = {
        "buildroot": str(root),
        "homedir": os.path.expanduser("~"),
        "user": os.environ.get("USER", ""),
        "pants_workdir": str(root / ".pants.d"),
        "pants_supportdir": str(root / "build-support"),
        "pants_distdir": str(root / "dist"),
    }

    def fill(value: Any, section: Mapping[str, Any], depth: int = 0) -> Any:
        if isinstance(value, list):
            return [fill(v, section, depth) for v in value]
        if isinstance(value, dict):
            return {k: fill(v, section, depth) for k, v in value.items()}
        if not isinstance(value, str) or "%(" not in value or depth > 10:
            return value

        def named(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("env."):
                return os.environ.get(name[len("env.") :], match.group(0))
            for scope in (section, defaults):
                found = scope.get(name)
                if isinstance(found, (str, int, float)) and not isinstance(found, bool):
                    return str(fill(str(found), section, depth + 1))
            return seeds.get(name, match.group(0))

        return _INTERPOLATION.sub(named, value)

    return {
        name: fill(section, section) if isinstance(section, dict) else section
        for name, section in pants.items()
    }


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        document: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        return document
    except UnicodeDecodeError as e:
        raise ConfigError(
            f"{path.name} is not UTF-8 text: {e}", location=SourceLocation(path.name)
        ) from None
    except tomllib.TOMLDecodeError as e:
        match = re.search(r"line (\d+), column (\d+)", str(e))
        line, column = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        raise ConfigError(
            f"invalid TOML: {message}", location=SourceLocation(path.name, line, column)
        ) from None


def _graphpub_table(root: Path) -> tuple[dict[str, Any], SourceLocation | None]:
    dedicated = root / "graphpub.toml"
    if dedicated.is_file():
        document = _read_toml(dedicated)
        tool = document.get("tool")
        # Accept both a bare file and one that repeats the [tool.graphpub] header.
        table = tool.get("graphpub", document) if isinstance(tool, dict) else document
        return _table(table, "[tool.graphpub]", "graphpub.toml"), SourceLocation("graphpub.toml")
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        tool = _table(_read_toml(pyproject).get("tool", {}), "[tool]", "pyproject.toml")
        if "graphpub" in tool:
            table = _table(tool["graphpub"], "[tool.graphpub]", "pyproject.toml")
            return table, SourceLocation("pyproject.toml")
    return {}, None


def _table(value: Any, name: str, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(
            f"{name} must be a table, not {_toml_type(value)}", location=SourceLocation(path)
        )
    return value


def _toml_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "a date or time"


def _loads_plugins(pants_globals: Mapping[str, Any]) -> bool:
    """Whether pants.toml loads plugins of its own: a `pythonpath`, or a backend package that is
    not one of Pants' own (`pants.backend...`)."""
    backends = pants_globals.get("backend_packages", [])
    if isinstance(backends, Mapping):  # `backend_packages.add = [...]`
        backends = backends.get("add", [])
    own = [b for b in backends if isinstance(b, str) and not b.startswith("pants.")]
    return bool(pants_globals.get("pythonpath")) or bool(own)


def _pants_list_option(
    table: dict[str, Any], key: str, default: tuple[str, ...], section: str = "GLOBAL"
) -> tuple[str, ...] | None:
    """A Pants list option: a plain list, or a table with `add` / `remove` (`key.add = [...]`)."""
    if key not in table:
        return None
    value = table[key]
    where = SourceLocation("pants.toml")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    if (
        isinstance(value, dict)
        and set(value) <= {"add", "remove"}
        and all(isinstance(v, list) and all(isinstance(s, str) for s in v) for v in value.values())
    ):
        added = value.get("add", [])
        removed = set(value.get("remove", []))
        return tuple(v for v in (*default, *added) if v not in removed)
    raise ConfigError(
        f"[{section}] {key} must be a list of strings, or .add / .remove lists of strings",
        location=where,
    )


def _check_ignore_patterns(
    patterns: Sequence[str], location: SourceLocation | None, key: str = "build_ignore"
) -> None:
    """An invalid gitignore pattern is an error of the file that has it, not of the run."""
    for pattern in patterns:
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except ValueError as e:
            raise ConfigError(
                f"invalid {key} pattern {pattern!r}: {e}",
                location=location,
                hint=_KEYS["build_ignore"],
            ) from None
        if any(s.count("*") > MAX_IGNORE_STARS_PER_SEGMENT for s in pattern.split("/")):
            raise ConfigError(
                f"{key} pattern {pattern!r} has more than {MAX_IGNORE_STARS_PER_SEGMENT} '*' "
                "in one path segment",
                location=location,
                hint="simplify it: every '*' more makes matching a long name slower",
            )


def _pants_ignore(root: Path, pants_globals: dict[str, Any]) -> tuple[str, ...]:
    """`[GLOBAL] pants_ignore` after the patterns of `.gitignore` and `.git/info/exclude`
    (unless `pants_ignore_use_gitignore = false`), as Pants reads them: its own patterns
    win, so `!pattern` there includes what git ignores."""
    use_gitignore = pants_globals.get("pants_ignore_use_gitignore", True)
    if not isinstance(use_gitignore, bool):
        raise ConfigError(
            "[GLOBAL] pants_ignore_use_gitignore must be true or false",
            location=SourceLocation("pants.toml"),
        )
    patterns: list[str] = []
    for name in (".gitignore", ".git/info/exclude") if use_gitignore else ():
        path = root / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            for number, line in enumerate(lines, start=1):
                _check_ignore_patterns([line], SourceLocation(name, number), name)
                patterns.append(line)
    own = _pants_list_option(pants_globals, "pants_ignore", PANTS_IGNORE)
    own = PANTS_IGNORE if own is None else own
    _check_ignore_patterns(own, SourceLocation("pants.toml"), "[GLOBAL] pants_ignore")
    return (*patterns, *own)


def _buck2_ignore(project: Buck2Project) -> tuple[str, ...]:
    """Each cell's `[project] ignore`, and where the cells that are not on disk are declared
    (Buck2 reads their files from elsewhere: the bundled prelude from itself)."""
    patterns = [pattern for cell in project.cells.values() for pattern in cell.ignore]
    patterns.extend(f"/{directory}/" for directory in project.external_directories if directory)
    _check_ignore_patterns(patterns, SourceLocation(".buckconfig"), "[project] ignore")
    return tuple(patterns)


def _bazelignore_patterns(path: Path) -> list[str]:
    patterns = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            patterns.append("/" + line.strip("/") + "/")
    return patterns


def _or_default(value: tuple[str, ...] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """A list key's value, the default only when it is not set (an empty list stays empty)."""
    return default if value is None else value


def _string_list(
    table: dict[str, Any], key: str, source: SourceLocation | None
) -> tuple[str, ...] | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigKeyError(
            f"{key} must be a list of strings", (key,), location=source, hint=_KEYS[key]
        )
    return tuple(value)


def _string_table(table: dict[str, Any], key: str, source: SourceLocation | None) -> dict[str, str]:
    value = table.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigKeyError(
            f"{key} must be a table of strings", (key,), location=source, hint=_KEYS[key]
        )
    return dict(value)
