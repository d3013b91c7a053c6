"""The Pants dialect: Python rules, target generators, `python_artifact`, `__defaults__`,
`parametrize` and `env()`, as Pants documents them."""

from __future__ import annotations

import difflib
import fnmatch
import json
import posixpath
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from graphpub.buildgraph.target import Fields, PackageContext, RuleCall, field_shape
from graphpub.errors import BuildFileError
from graphpub.rules.registry import (
    DEFAULTS_SETTING,
    PARAMETRIZE,
    PARAMETRIZE_GROUP,
    PARAMETRIZE_LABELS,
)
from graphpub.rules.requirements import normalize_project
from graphpub.rules.schema import (
    ADDRESSES,
    BOOL,
    DICT,
    INT,
    SOURCES,
    STRING,
    STRING_DICT,
    STRING_DICT_DICT,
    STRING_LIST,
    Field,
    FieldError,
    FieldType,
    Generates,
    Generator,
    Role,
    RuleSchema,
    one_of,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

DIALECT = "pants"

COMMON_FIELDS = (
    Field("description", STRING, "A human-readable description of the target."),
    Field("tags", STRING_LIST, "Arbitrary strings to describe a target, to filter it with."),
)

_DEPENDENCIES = Field(
    "dependencies",
    ADDRESSES,
    "Addresses of other targets this one depends on, beyond those inferred from imports. "
    "Prefix with `!` to drop an inferred dependency, `!!` to drop it transitively.",
    role=Role.DEPENDENCIES,
)
_RESOLVE = Field("resolve", STRING, "The lockfile resolve the target belongs to.")
_INTERPRETER_CONSTRAINTS = Field(
    "interpreter_constraints",
    STRING_LIST,
    "The Python versions the code runs on, e.g. ['CPython>=3.9,<3.13'].",
)
_OVERRIDES = Field(
    "overrides",
    DICT,
    "Field values for some generated targets: {file or requirement name: {field: value}}.",
)
_LINTER_SKIPS = tuple(
    Field(f"skip_{tool}", BOOL, f"If true, don't run {tool} on the target's code.")
    for tool in (
        "autoflake",
        "bandit",
        "black",
        "docformatter",
        "flake8",
        "isort",
        "mypy",
        "pydocstyle",
        "pylint",
        "pyupgrade",
        "ruff",
        "yapf",
    )
)
_SOURCE_TARGET_FIELDS = (
    _DEPENDENCIES,
    _RESOLVE,
    _INTERPRETER_CONSTRAINTS,
    Field("restartable", BOOL, "If true, `pants run` restarts it when its sources change."),
    Field("run_goal_use_sandbox", BOOL, "Whether `pants run` runs it in a sandbox."),
    *_LINTER_SKIPS,
)
_TEST_FIELDS = (
    Field("timeout", INT, "Seconds a test may run before it is stopped."),
    Field("extra_env_vars", STRING_LIST, "Environment variables for the test: NAME or NAME=value."),
    Field(
        "runtime_package_dependencies",
        ADDRESSES,
        "Addresses of packages (pex_binary, python_distribution, ...) built before the tests run.",
    ),
    Field("batch_compatibility_tag", STRING, "Tests with the same tag may run in one process."),
    Field("xdist_concurrency", INT, "Processes pytest-xdist may use for the test."),
    Field("skip_tests", BOOL, "If true, don't run the tests."),
    Field("entry_point", STRING, "Run the tests through this module or module:function."),
    Field("environment", STRING, "The Pants environment the tests run in."),
)

PYTHON_SOURCE_GLOBS = (
    "*.py",
    "*.pyi",
    "!test_*.py",
    "!*_test.py",
    "!tests.py",
    "!conftest.py",
    "!test_*.pyi",
    "!*_test.pyi",
    "!tests.pyi",
)
PYTHON_TEST_GLOBS = ("test_*.py", "*_test.py", "tests.py")
PYTHON_TEST_UTILS_GLOBS = ("conftest.py", "test_*.pyi", "*_test.pyi", "tests.pyi")


def _sources(default: tuple[str, ...] | None, what: str) -> Field:
    return Field(
        "sources",
        SOURCES,
        f"Files of {what}, as globs relative to the BUILD file's directory; `!` excludes.",
        default=default,
        required=default is None,
        role=Role.SOURCES,
    )


_SOURCE = Field(
    "source",
    STRING,
    "The file, relative to the BUILD file's directory.",
    required=True,
    role=Role.SOURCES,
)


def _generator(
    kind: str, help_text: str, generated: str, sources: Field, *fields: Field
) -> RuleSchema:
    return RuleSchema(
        kind,
        DIALECT,
        help_text,
        (sources, _OVERRIDES, *fields),
        name_required=False,
        generator=Generator(generated, Generates.PER_SOURCE_FILE),
    )


def _single(kind: str, help_text: str, *fields: Field) -> RuleSchema:
    return RuleSchema(kind, DIALECT, help_text, (_SOURCE, *fields), name_required=False)


# vcs_version's `tag_regex` default, Pants' (setuptools-scm's own, before its 8.0).
VCS_TAG_REGEX = r"^(?:[\w-]+-)?(?P<version>[vV]?\d+(?:\.\d+){0,2}[^\+]*)(?:\+.*)?$"

# `provides=python_artifact(...)`: what setup() would get; Pants refuses what it computes itself.
REFUSED_ARTIFACT_KEYS = (
    "data_files",
    "install_requires",
    "namespace_packages",
    "package_data",
    "package_dir",
    "packages",
)


# The keywords of python_artifact() graphpub puts in the distribution's metadata, as data for
# `graphpub help python_artifact`: (keyword, type, what it becomes).
ARTIFACT_KEYWORDS: tuple[tuple[str, str, str], ...] = (
    ("name", "string", "The distribution's name on the index (Name). Required to package."),
    ("version", "string", "Its version (Version); stamps such as {BUILD_EMBED_LABEL} are filled."),
    (
        "description",
        "string",
        "The one-line summary (Summary); also the long description "
        "when the python_distribution has no long_description_path.",
    ),
    ("author", "string", "The author's name (Author)."),
    ("author_email", "string", "The author's email address (Author-email)."),
    ("license", "string", "The license (License)."),
    ("classifiers", "list of strings", "Trove classifiers (Classifier)."),
    ("keywords", "string or list of strings", "Keywords; a string is split on whitespace."),
    ("url", "string", "The home page (Project-URL: Homepage)."),
    ("project_urls", "dict of string to string", "More Project-URL entries, label to URL."),
    ("extras_require", "dict of string to list", "Optional dependencies, by extra name."),
    (
        "entry_points",
        "dict of dicts",
        "Entry points, {group: {name: 'module:function'}}, "
        "merged with the python_distribution's entry_points field.",
    ),
)
"""Other setup() keywords are accepted, as Pants accepts them, and not used; those Pants
computes itself (REFUSED_ARTIFACT_KEYS) are errors."""


def _artifact(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise FieldError(
            f"expected python_artifact(...), got {type(value).__name__}",
            hint='write provides = python_artifact(name = "dist-name", version = "1.0.0")',
        )
    return check_artifact(value)


def check_artifact(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The setup() arguments, checked, with `entry_points` in one form, as Pants'
    PythonArtifact has them: {group: {name: "module:function"}}."""
    refused = sorted(set(kwargs) & set(REFUSED_ARTIFACT_KEYS))
    if refused:
        raise FieldError(
            f"python_artifact() does not take {', '.join(map(repr, refused))}: "
            "graphpub computes it from the dependency graph",
            hint="list code and requirements as dependencies of the python_distribution instead",
        )
    # Name and version may be left out, as Pants allows: a project that describes itself
    # (generate_setup=False) or a plugin supplies them. Packaging says so if nothing does.
    for key in ("name", "version"):
        if key in kwargs and (not isinstance(kwargs[key], str) or not kwargs[key]):
            raise FieldError(
                f"python_artifact(): {key!r} must be a non-empty string",
                hint='python_artifact(name = "my-dist", version = "1.0.0", ...)',
            )
    checked = dict(kwargs)
    if "entry_points" in checked:
        checked["entry_points"] = _normalized_entry_points(checked["entry_points"])
    return checked


def _normalized_entry_points(value: Any) -> dict[str, dict[str, str]]:
    """setup()'s entry points, {group: ["name = module:function", ...]} or {group: {name:
    "module:function"}}, in the second form."""
    if not isinstance(value, Mapping):
        raise FieldError(
            f"the `entry_points` in python_artifact() must be a dict, got {value!r:.60}",
            hint='entry_points = {"console_scripts": ["name = module:function"]}',
        )
    normalized: dict[str, dict[str, str]] = {}
    for group, entries in value.items():
        if isinstance(entries, Mapping):
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items()):
                raise FieldError(f"the entry points of {group!r} must map names to strings")
            normalized[str(group)] = {k.strip(): v.strip() for k, v in entries.items()}
        elif isinstance(entries, (list, tuple)):
            group_entries: dict[str, str] = {}
            for entry in entries:
                if not isinstance(entry, str) or "=" not in entry:
                    raise FieldError(
                        f"invalid entry point {entry!r} in {group!r}: expected "
                        "`<name> = <entry point>`",
                        hint='e.g. "my-script = my_package.cli:main"',
                    )
                name, _, reference = entry.partition("=")
                group_entries[name.strip()] = reference.strip()
            normalized[str(group)] = group_entries
        else:
            raise FieldError(
                f"the entry points of {group!r} in python_artifact() must be a list of strings "
                f"or a dict of string to string, got {entries!r:.60}"
            )
    return normalized


ARTIFACT = FieldType("python_artifact(...)", _artifact)
ENTRY_POINTS = STRING_DICT_DICT

PYTHON_DISTRIBUTION = RuleSchema(
    "python_distribution",
    DIALECT,
    "A publishable Python distribution (sdist and wheel) of the code it depends on, as Pants "
    "builds it: ownership decides which first-party code it carries.",
    (
        _DEPENDENCIES,
        Field(
            "provides",
            ARTIFACT,
            "The distribution's setup() arguments: python_artifact(name=..., version=..., ...).",
            required=True,
        ),
        Field(
            "repositories",
            STRING_LIST,
            "Where `graphpub publish` uploads it: '@name' for a .pypirc section, else a URL.",
        ),
        Field("skip_twine", BOOL, "If true, `graphpub publish` skips it.", default=False),
        Field("wheel", BOOL, "Whether to build a wheel.", default=True),
        Field("sdist", BOOL, "Whether to build an sdist.", default=True),
        Field("entry_points", ENTRY_POINTS, "Entry points: {group: {name: 'module:function'}}."),
        Field(
            "long_description_path",
            STRING,
            "A file (from the build root) whose text becomes the long description.",
        ),
        Field("wheel_config_settings", DICT, "PEP 517 config settings for the wheel build."),
        Field("sdist_config_settings", DICT, "PEP 517 config settings for the sdist build."),
        Field("env_vars", STRING_LIST, "Environment variables for the build: NAME or NAME=value."),
        Field(
            "uses_mypyc",
            BOOL,
            "Build it where mypy (as pants.toml's [mypy] configures it) and its own requirements "
            "are installed: for a setup.py calling mypyc's mypycify().",
            default=False,
        ),
        Field(
            "generate_setup",
            BOOL,
            "Generate the build configuration (true), or build the directory's own project.",
        ),
        Field("output_path", STRING, "Where under dist/ the built files go."),
        _INTERPRETER_CONSTRAINTS,
    ),
    name_required=False,
    distribution=True,
)

_PEX_FIELDS = (
    _DEPENDENCIES,
    _RESOLVE,
    _INTERPRETER_CONSTRAINTS,
    Field("entry_point", STRING, "What the PEX runs: module, module:function or a file."),
    Field("script", STRING, "A console script of a dependency to run instead."),
    Field("executable", STRING, "A Python file to run instead."),
    Field("args", STRING_LIST, "Arguments the PEX always passes."),
    Field("env", STRING_DICT, "Environment variables the PEX always sets."),
    Field("platforms", STRING_LIST, "Abbreviated platforms to build for."),
    Field("complete_platforms", ADDRESSES, "Files describing the platforms to build for."),
    Field("layout", one_of("zipapp", "packed", "loose"), "How the PEX is laid out."),
    Field("execution_mode", one_of("zipapp", "venv"), "How the PEX runs."),
    Field("include_requirements", BOOL, "Whether third-party requirements are included."),
    Field("include_sources", BOOL, "Whether first-party sources are included."),
    Field("include_tools", BOOL, "Whether PEX tools are included."),
    Field("inherit_path", one_of("false", "fallback", "prefer"), "How sys.path is inherited."),
    Field("emit_warnings", BOOL, "Whether the PEX warns at run time."),
    Field("ignore_errors", BOOL, "Whether to ignore requirement resolution errors."),
    Field("shebang", STRING, "The PEX's shebang line."),
    Field("strip_pex_env", BOOL, "Whether PEX_* variables are stripped at run time."),
    Field("venv_site_packages_copies", BOOL, "Copy, not link, site-packages in venv mode."),
    Field("venv_hermetic_scripts", BOOL, "Make venv scripts hermetic."),
    Field("resolve_local_platforms", BOOL, "Resolve for local interpreters matching platforms."),
    Field("sh_boot", BOOL, "Boot the PEX with a shell script."),
    Field("check", one_of("none", "warn", "error"), "Check the PEX zipapp can run."),
    Field("extra_build_args", STRING_LIST, "More arguments for the PEX build."),
    Field("output_path", STRING, "Where under dist/ the PEX goes."),
    Field("restartable", BOOL, "If true, `pants run` restarts it when its sources change."),
    Field("environment", STRING, "The Pants environment it builds in."),
)

_REQUIREMENTS_GENERATOR_FIELDS = (
    _OVERRIDES,
    _RESOLVE,
    Field(
        "module_mapping",
        DICT,
        "Modules of requirements not named like them: {project: [module, ...]}.",
    ),
    Field(
        "type_stubs_module_mapping",
        DICT,
        "Modules whose type stubs requirements provide: {project: [module, ...]}.",
    ),
)

SCHEMAS = (
    _generator(
        "python_sources",
        "Python source files, one python_source target generated for each.",
        "python_source",
        _sources(PYTHON_SOURCE_GLOBS, "Python code"),
        *_SOURCE_TARGET_FIELDS,
    ),
    _single("python_source", "One Python source file.", *_SOURCE_TARGET_FIELDS),
    _generator(
        "python_tests",
        "Python test files (pytest), one python_test target generated for each.",
        "python_test",
        _sources(PYTHON_TEST_GLOBS, "Python tests"),
        *_SOURCE_TARGET_FIELDS,
        *_TEST_FIELDS,
    ),
    _single("python_test", "One Python test file (pytest).", *_SOURCE_TARGET_FIELDS, *_TEST_FIELDS),
    _generator(
        "python_test_utils",
        "Test helpers such as conftest.py, one python_source target generated for each.",
        "python_source",
        _sources(PYTHON_TEST_UTILS_GLOBS, "test helpers"),
        *_SOURCE_TARGET_FIELDS,
    ),
    RuleSchema(
        "python_requirement",
        DIALECT,
        "A third-party requirement: one or more PEP 508 strings of one project.",
        (
            Field("requirements", STRING_LIST, "PEP 508 requirement strings.", required=True),
            Field("modules", STRING_LIST, "The modules it provides, if not named like it."),
            Field("type_stub_modules", STRING_LIST, "The modules it provides type stubs for."),
            Field("entry_point", STRING, "An entry point of the requirement, for pex_binary."),
            _DEPENDENCIES,
            _RESOLVE,
        ),
        name_required=False,
    ),
    RuleSchema(
        "python_requirements",
        DIALECT,
        "Requirements from a requirements.txt file, one python_requirement generated for each.",
        (
            Field(
                "source",
                STRING,
                "The requirements file, relative to the BUILD file.",
                default="requirements.txt",
            ),
            *_REQUIREMENTS_GENERATOR_FIELDS,
        ),
        name_required=False,
        generator=Generator("python_requirement", Generates.PER_REQUIREMENT),
    ),
    RuleSchema(
        "poetry_requirements",
        DIALECT,
        "Requirements from Poetry's pyproject.toml, one python_requirement generated for each.",
        (
            Field(
                "source",
                STRING,
                "The pyproject.toml, relative to the BUILD file.",
                default="pyproject.toml",
            ),
            *_REQUIREMENTS_GENERATOR_FIELDS,
        ),
        name_required=False,
        generator=Generator("python_requirement", Generates.PER_REQUIREMENT),
    ),
    RuleSchema(
        "pipenv_requirements",
        DIALECT,
        "Requirements from Pipenv's Pipfile.lock (its default and develop packages), one "
        "python_requirement generated for each.",
        (
            Field(
                "source",
                STRING,
                "The lockfile, relative to the BUILD file.",
                default="Pipfile.lock",
            ),
            *_REQUIREMENTS_GENERATOR_FIELDS,
        ),
        name_required=False,
        generator=Generator("python_requirement", Generates.PER_REQUIREMENT),
    ),
    RuleSchema(
        "vcs_version",
        DIALECT,
        "A version computed from the git tags by setuptools-scm, generated into a file "
        "(`generate_to`, with `template`) that code depending on the target holds; a "
        "python_distribution holding it whose python_artifact() names no version has it.",
        (
            Field(
                "generate_to",
                STRING,
                "Where the generated file goes, relative to the build root (not written to the "
                "source tree).",
                required=True,
            ),
            Field(
                "template",
                STRING,
                "The generated file's text, with {version} for the version, e.g. "
                "'version = \"{version}\"'.",
                required=True,
            ),
            Field(
                "tag_regex",
                STRING,
                "A regex extracting the version from a git tag: one group, or one named `version`.",
                default=VCS_TAG_REGEX,
            ),
            Field("version_scheme", STRING, "setuptools-scm's version scheme (guess-next-dev)."),
            Field("local_scheme", STRING, "setuptools-scm's local scheme (node-and-date)."),
            Field(
                "fallback_version",
                STRING,
                "The version where git knows none (no repository, no tag): graphpub's, as "
                "setuptools-scm's own option; without it that is an error.",
            ),
            Field("python_resolve", STRING, "The resolve of the generated Python file."),
        ),
        name_required=False,
    ),
    _generator(
        "resources",
        "Data files loaded from code as package resources, one resource target each.",
        "resource",
        _sources(None, "the resources"),
        _DEPENDENCIES,
    ),
    _single("resource", "One data file loaded from code as a package resource.", _DEPENDENCIES),
    _generator(
        "files",
        "Loose files, not packaged with code, one file target each.",
        "file",
        _sources(None, "the files"),
        _DEPENDENCIES,
    ),
    _single("file", "One loose file, not packaged with code.", _DEPENDENCIES),
    RuleSchema(
        "pex_binary",
        DIALECT,
        "A PEX: a self-contained Python executable.",
        _PEX_FIELDS,
        name_required=False,
    ),
    RuleSchema(
        "pex_binaries",
        DIALECT,
        "Several PEX binaries, one per entry point.",
        (
            Field("entry_points", STRING_LIST, "The entry points, one PEX each.", required=True),
            _OVERRIDES,
            *_PEX_FIELDS[:3],
        ),
        name_required=False,
    ),
    RuleSchema(
        "target",
        DIALECT,
        "A generic target: a name for a group of dependencies.",
        (_DEPENDENCIES,),
        name_required=False,
    ),
    PYTHON_DISTRIBUTION,
)


# ---------------------------------------------------------------- generators


def expand_per_source_file(
    package: PackageContext, fields: Mapping[str, Any], call: RuleCall
) -> Sequence[tuple[str, Mapping[str, Any]]]:
    """python_sources & co.: one target per file its `sources` globs match."""
    include, exclude = [], []
    for entry in fields.get("sources") or ():
        if entry.startswith("!"):
            exclude.append(entry[1:])
        else:
            include.append(entry)
    shared = {k: v for k, v in fields.items() if k != "sources" and k != "overrides"}
    overrides = _overrides(fields, call) if "overrides" in fields else {}
    paths = package.glob(include, exclude)
    if not overrides and "source" not in shared:
        # (Most generators: every file's fields are the generator's and its own `source`,
        # in one shape, the values shared.)
        shape = field_shape((*shared, "source"))
        values = tuple(shared.values())
        return [(path, Fields(shape, (*values, path))) for path in paths]
    # A key may be a glob (`test_*.py`), as Pants allows: it overrides every file it matches.
    by_path: dict[str, dict[str, Any]] = {}
    for key in list(overrides):
        matched = [p for p in paths if fnmatch.fnmatchcase(p, key)] if _is_glob(key) else []
        for path in matched if matched else ([key] if key in paths else []):
            by_path.setdefault(path, {}).update(overrides[key])
        if matched or key in paths:
            del overrides[key]
    generated = [(path, {**shared, "source": path, **by_path.get(path, {})}) for path in paths]
    if overrides:
        raise BuildFileError(
            f"{call.kind}(): unused file paths in the `overrides` field: "
            f"{', '.join(map(repr, sorted(overrides)))}",
            location=call.location,
            hint="each key must be a file the `sources` field matches",
        )
    return generated


def _is_glob(key: str) -> bool:
    return any(character in key for character in "*?[")


def expand_per_requirement(
    package: PackageContext, fields: Mapping[str, Any], call: RuleCall
) -> list[tuple[str, dict[str, Any]]]:
    """python_requirements / poetry_requirements: one python_requirement per project."""
    source = str(fields.get("source"))
    text = package.read_text(source, call.location)
    if call.kind == "poetry_requirements":
        requirements = _poetry_requirements(text, source, call, package)
    elif call.kind == "pipenv_requirements":
        requirements = _pipenv_requirements(text, source, call)
    elif source.rpartition("/")[2] == "pyproject.toml":
        requirements = _pyproject_requirements(text, source, call)
    else:
        requirements = _requirements_txt(text, source, call)
    module_mapping = _normalized_keys(fields.get("module_mapping") or {})
    stubs_mapping = _normalized_keys(fields.get("type_stubs_module_mapping") or {})
    overrides = {normalize_project(k): v for k, v in _overrides(fields, call).items()}
    unused = set(overrides) - {normalize_project(name) for name in requirements}
    if unused:
        raise BuildFileError(
            f"{call.kind}(): unused requirement names in the `overrides` field: "
            f"{', '.join(map(repr, sorted(unused)))}",
            location=call.location,
            hint=f"each key must be a project named in {source}",
        )
    generated = []
    for name, strings in requirements.items():
        key = normalize_project(name)
        values: dict[str, Any] = {"requirements": tuple(strings)}
        if key in module_mapping:
            values["modules"] = tuple(module_mapping[key])
        if key in stubs_mapping:
            values["type_stub_modules"] = tuple(stubs_mapping[key])
        if fields.get("resolve"):
            values["resolve"] = fields["resolve"]
        values.update(overrides.get(key, {}))
        generated.append((name, values))
    return generated


def _overrides(fields: Mapping[str, Any], call: RuleCall) -> dict[str, dict[str, Any]]:
    """Field values by file or requirement; a key naming several (a tuple in the BUILD file,
    joined with newlines to cross as JSON) applies to each."""
    result: dict[str, dict[str, Any]] = {}
    for key, values in (fields.get("overrides") or {}).items():
        for one in str(key).split("\n"):
            result.setdefault(one, {}).update(values)
    return result


def _normalized_keys(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {normalize_project(k): v for k, v in mapping.items()}


def _pyproject_requirements(text: str, source: str, call: RuleCall) -> dict[str, list[str]]:
    """`python_requirements(source="pyproject.toml")`: the project's PEP 621 dependencies and
    optional dependencies, PEP 735 dependency groups, PDM's dev-dependencies and Hatch's
    environments' dependencies (as Pants reads a pyproject.toml source)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BuildFileError(f"{source}: invalid TOML: {e}", location=call.location) from None
    project = _table(document, "project")
    tool = _table(document, "tool")
    lists: list[Any] = [project.get("dependencies", [])]
    lists.extend(_table(project, "optional-dependencies").values())
    lists.extend(_table(document, "dependency-groups").values())
    lists.extend(_table(_table(tool, "pdm"), "dev-dependencies").values())
    for environment in _table(_table(tool, "hatch"), "envs").values():
        if isinstance(environment, Mapping):
            lists.append(environment.get("dependencies", []))
            lists.append(environment.get("extra-dependencies", []))
    if not any(isinstance(entries, list) and entries for entries in lists):
        raise BuildFileError(
            f"{source} declares no requirements: no [project] dependencies or "
            "optional-dependencies, dependency groups, PDM dev-dependencies or Hatch "
            "environment dependencies",
            location=call.location,
            hint="for Poetry's [tool.poetry] dependencies use poetry_requirements()",
        )
    requirements: dict[str, list[str]] = {}
    spelled: dict[str, str] = {}
    for entries in lists:
        for raw in entries if isinstance(entries, list) else ():
            if not isinstance(raw, str):
                continue  # a PEP 735 {include-group = ...}: its group is read on its own
            # As Pants: pip options after `--` are left out, and so are comments.
            entry = raw.partition("--")[0].strip().rstrip("\\").strip()
            if not entry or entry.startswith(("#", "-")):
                continue
            try:
                requirement = Requirement(entry)
            except InvalidRequirement as e:
                raise BuildFileError(
                    f"{source}: {entry!r} is not a valid requirement: {e}",
                    location=call.location,
                ) from None
            # One target per project, named as first written (`Requests` is `requests`).
            name = spelled.setdefault(normalize_project(requirement.name), requirement.name)
            strings = requirements.setdefault(name, [])
            if entry not in strings:
                strings.append(entry)
    return requirements


def _table(document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = document.get(key, {})
    return value if isinstance(value, Mapping) else {}


def _requirements_txt(text: str, source: str, call: RuleCall) -> dict[str, list[str]]:
    # Imported here: only build files with python_requirements() need it, `list ::` on a
    # large repository of other rules starts faster without it.
    from packaging.requirements import InvalidRequirement, Requirement

    requirements: dict[str, list[str]] = {}
    logical_lines = re.sub(r"\\\n", "", text).splitlines()
    for raw in logical_lines:
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line or line.startswith("-"):
            continue  # options such as -r, -c, --index-url, --hash apply to the whole file
        line = re.split(r"\s--hash", line)[0].strip()
        try:
            requirement = Requirement(line)
        except InvalidRequirement as e:
            raise BuildFileError(
                f"{source}: {line!r} is not a valid requirement: {e}",
                location=call.location,
                hint="requirements files hold one PEP 508 requirement per line",
            ) from None
        requirements.setdefault(requirement.name, []).append(line)
    return requirements


def _poetry_requirements(
    text: str, source: str, call: RuleCall, package: PackageContext
) -> dict[str, list[str]]:
    """`poetry_requirements`: [tool.poetry] dependencies, dev-dependencies and every group's, as
    Pants reads them (`^`, `~` and `*` constraints, extras, markers, `python`, git, url; a
    `path` dependency inside the repository is first party, not a requirement)."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BuildFileError(f"{source}: invalid TOML: {e}", location=call.location) from None
    poetry = _table(_table(document, "tool"), "poetry")
    if "poetry" not in _table(document, "tool"):
        raise BuildFileError(
            f"{source} has no [tool.poetry] section, which poetry_requirements() reads",
            location=call.location,
            hint=f'for PEP 621 [project] dependencies use python_requirements(source="{source}")',
        )
    declared: dict[str, Any] = dict(_table(poetry, "dependencies"))
    declared.pop("python", None)  # the interpreter, not a requirement
    declared.update(_table(poetry, "dev-dependencies"))
    for group in _table(poetry, "group").values():
        if isinstance(group, Mapping):
            declared.update(_table(group, "dependencies"))
    requirements: dict[str, list[str]] = {}
    for name, spec in declared.items():
        for written in _poetry_specs(name, spec, source, call, package):
            try:
                requirement = str(Requirement(written))
            except InvalidRequirement as e:
                raise BuildFileError(
                    f"{source}: {name} = {spec!r} is not a requirement graphpub understands: {e}",
                    location=call.location,
                ) from None
            requirements.setdefault(name, []).append(requirement)
    return requirements


def _poetry_specs(
    name: str, spec: Any, source: str, call: RuleCall, package: PackageContext
) -> list[str]:
    if isinstance(spec, str):  # foo = "^1.2"
        return [_poetry_version(name, "", spec, source, call)]
    if isinstance(spec, Mapping):  # foo = {version = "^1.2", extras = [...], ...}
        one = _poetry_table(name, spec, source, call, package)
        return [one] if one else []
    if isinstance(spec, list):  # foo = [{version = "...", python = "..."}, ...]
        found = [_poetry_table(name, s, source, call, package) for s in spec]
        return [f for f in found if f]
    raise BuildFileError(
        f"{source}: {name} must be a string, a table or a list of tables, not {spec!r:.60}",
        location=call.location,
    )


def _poetry_table(
    name: str, spec: Any, source: str, call: RuleCall, package: PackageContext
) -> str | None:
    import urllib.parse

    if not isinstance(spec, Mapping):
        raise BuildFileError(f"{source}: {name}: expected a table, got {spec!r:.60}")
    extras = spec.get("extras")
    written_extras = f"[{','.join(extras)}]" if isinstance(extras, list) and extras else ""
    base = ""
    if "git" in spec:
        url = str(spec["git"])
        if not urllib.parse.urlsplit(url).scheme:  # git@host:owner/repo.git is ssh
            url = "ssh://" + url.replace(":", "/", 1)
        suffix = "".join(
            f"{mark}{spec[key]}"
            for key, mark in (("tag", "@"), ("branch", "@"), ("rev", "#"))
            if spec.get(key)
        )
        base = f"{name}{written_extras} @ git+{url}{suffix}"
    if "path" in spec:
        path = str(spec["path"])
        inside = posixpath.normpath(posixpath.join(package.directory, path))
        if not path.startswith("/") and not inside.startswith(".."):
            return None  # a project of this repository: first party, as Pants has it
        package.warn(
            f"{source}: {name} is a path outside the repository ({path}), which graphpub "
            "cannot require: left out",
            key=f"poetry-path:{source}:{name}",
        )
        return None
    if "url" in spec:
        base = f"{name}{written_extras} @ {spec['url']}"
    if "version" in spec:
        base = _poetry_version(name, written_extras, str(spec["version"]), source, call)
    if not base:
        raise BuildFileError(
            f"{source}: {name} names no version, url, path or git location",
            location=call.location,
        )
    markers = [f"({spec['markers']})"] if spec.get("markers") else []
    if spec.get("python"):
        markers.append(f"({_poetry_python_marker(str(spec['python']), source, call)})")
    return f"{base}; {' and '.join(markers)}" if markers else base


def _poetry_version(name: str, extras: str, constraint: str, source: str, call: RuleCall) -> str:
    """A Poetry constraint as PEP 440: `^1.2` is `>=1.2,<2.0.0`, `~1.2.3` `>=1.2.3,<1.3.0`,
    `1.2.*` `>=1.2.0,<1.3.0`, `1.2` `==1.2`."""
    from packaging.version import InvalidVersion, Version

    def parsed(text: str) -> Version:
        try:
            return Version(text)
        except InvalidVersion:
            raise BuildFileError(
                f"{source}: {name} = {constraint!r}: {text!r} is not a version",
                location=call.location,
                hint="Poetry constraints: ^1.2, ~1.2, 1.2.*, >=1.2,<2, 1.2",
            ) from None

    specifiers: list[str] = []
    for part in (p.strip() for p in constraint.split(",")):
        if not part or part == "*":
            continue
        if part.startswith("^"):
            version = parsed(part[1:])
            specifiers.append(f">={version.public},<{_caret_bound(version)}")
        elif part.startswith("~") and not part.startswith("~="):
            version = parsed(part[1:])
            specifiers.append(f">={version.public},<{_tilde_bound(version)}")
        elif part.endswith("*"):
            version = parsed(part[:-1] + "0")
            release = list(version.release)
            release[-2] += 1
            specifiers.append(f">={version.public},<{release[0]}.{release[1]}.0")
        else:
            specifiers.append(part if part[0] in "<>!~=" else f"=={part}")
    return f"{name}{extras} {','.join(specifiers)}".rstrip()


def _caret_bound(version: Any) -> str:
    """The upper bound of `^version`: the first non-zero part of the release bumped."""
    major, minor, micro = [*version.release, 0, 0][:3]
    if major:
        return f"{major + 1}.0.0"
    if minor:
        return f"0.{minor + 1}.0"
    if micro:
        return f"0.0.{micro + 1}"
    return {1: "1.0.0", 2: "0.1.0"}.get(len(version.release), "0.0.1")


def _tilde_bound(version: Any) -> str:
    """The upper bound of `~version`: the minor bumped, or the major when it stands alone."""
    release = list(version.release)
    if len(release) >= 2:
        return f"{release[0]}.{release[1] + 1}.0"
    return f"{release[0] + 1}.0.0"


def _poetry_python_marker(constraint: str, source: str, call: RuleCall) -> str:
    """A Poetry `python = "^3.8 || ~2.7"` as a `python_version` marker."""
    alternatives = []
    for alternative in constraint.split("||"):
        clauses = []
        for part in alternative.split(","):
            for bound in _poetry_version("", "", part.strip(), source, call).split(","):
                bound = bound.strip()
                if not bound:
                    continue
                operator = re.match(r"[<>!~=]*", bound).group(0)  # type: ignore[union-attr]
                version = ".".join(bound[len(operator) :].split(".")[:2])
                clauses.append(f"python_version {operator} '{version}'")
        alternatives.append(" and ".join(clauses))
    if len(alternatives) == 1:
        return alternatives[0]
    return " or ".join(f"({a})" for a in alternatives)


def _pipenv_requirements(text: str, source: str, call: RuleCall) -> dict[str, list[str]]:
    """`pipenv_requirements`: the `default` and `develop` packages of a Pipfile.lock, each with
    its locked version, extras and markers, as Pants reads them."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        lock = json.loads(text)
    except json.JSONDecodeError as e:
        raise BuildFileError(f"{source}: invalid JSON: {e}", location=call.location) from None
    if not isinstance(lock, Mapping):
        raise BuildFileError(f"{source}: expected a Pipfile.lock object", location=call.location)
    packages: dict[str, Any] = {**_table(lock, "default"), **_table(lock, "develop")}
    requirements: dict[str, list[str]] = {}
    for name, info in packages.items():
        info = info if isinstance(info, Mapping) else {}
        written = name
        if info.get("extras"):
            written += f"[{','.join(info['extras'])}]"
        written += str(info.get("version", ""))
        if info.get("markers"):
            written += f"; {info['markers']}"
        try:
            requirements.setdefault(name, []).append(str(Requirement(written)))
        except InvalidRequirement as e:
            raise BuildFileError(
                f"{source}: {name}: {written!r} is not a valid requirement: {e}",
                location=call.location,
            ) from None
    return requirements


# ---------------------------------------------------------------- builtins


def python_artifact(package: PackageContext, **kwargs: Any) -> dict[str, Any]:
    """`python_artifact(name=..., version=..., ...)`: the setup() arguments of a distribution."""
    try:
        return check_artifact(kwargs)
    except FieldError as e:
        raise BuildFileError(e.message, hint=e.hint) from None


def parametrize(package: PackageContext, *values: Any, **named: Any) -> dict[str, Any]:
    """`field=parametrize(a, b)`: one target per value; `**parametrize("name", f=v)`: a group."""
    if len(values) == 1 and named and isinstance(values[0], str):
        return {f"{PARAMETRIZE_GROUP}{values[0]}": named}
    if named and not values:  # parametrize(t1 = [...], t2 = [...]): labelled values
        return {PARAMETRIZE: list(named.values()), PARAMETRIZE_LABELS: list(named)}
    if named:
        raise BuildFileError(
            "parametrize() takes either values, or a group name and field values",
            hint=(
                'resolve = parametrize("a", "b"), '
                'or **parametrize("py3", interpreter_constraints = [...])'
            ),
        )
    if not values:
        raise BuildFileError("parametrize() needs at least one value")
    return {PARAMETRIZE: list(values)}


def env(package: PackageContext, name: str, default: Any = None) -> Any:
    """`env("NAME", default)`: an environment variable's value."""
    if not isinstance(name, str):
        raise BuildFileError(
            f"env() takes the variable's name as a string, not {type(name).__name__}",
            hint='call it as env("NAME") or env("NAME", "default")',
        )
    if package.is_credential_variable(name):
        # Whatever a BUILD file reads ends up in what is published (a description, a
        # version): a credential must never get there.
        raise BuildFileError(
            f"env({name!r}) reads a credential: graphpub never passes credentials to build "
            "files, whose values end up in published files",
            hint="TWINE_* variables always hold credentials"
            if name.upper().startswith("TWINE_")
            else f"if {name} holds no credential, leave it out of secret_env under "
            "[tool.graphpub] (its default is *TOKEN*, *PASSWORD*, *SECRET*)",
        )
    value = package.environment(name)
    return default if value is None else value


def build_file_dir(package: PackageContext) -> str:
    """The BUILD file's directory, relative to the build root, as Pants' PurePath of it
    prints: `.` at the root. (Python code's `.name`, `.parent` and `/` on it are lowered to
    PurePath's meaning: buildgraph/python_compat.py.)"""
    return package.directory or "."


def _record_defaults(package: PackageContext, encoded: str) -> None:
    named, all_fields, extend, ignore_unknown = json.loads(encoded)
    known = {s.kind: s for s in SCHEMAS}
    common = {f.name for f in COMMON_FIELDS}
    for kind, fields in named.items():
        schema = known.get(kind)
        if schema is None:
            close = difflib.get_close_matches(kind, list(known), n=1)
            raise BuildFileError(
                f"__defaults__: no target type {kind!r}",
                hint=f"did you mean {close[0]!r}?" if close else None,
            )
        if not isinstance(fields, Mapping):
            raise BuildFileError(f"__defaults__: the defaults of {kind} must be a dict")
        unknown = sorted(set(fields) - set(schema.field_map) - common)
        if unknown and not ignore_unknown:
            raise BuildFileError(
                f"__defaults__: {kind} has no field {unknown[0]!r}",
                hint="pass ignore_unknown_fields=True to allow it",
            )
    package.settings[DEFAULTS_SETTING] = {
        "types": named,
        "all": all_fields or {},
        "extend": bool(extend),
    }


# Pants' dunder builtins take rule functions as dict keys, which only Starlark can read:
# `str(python_sources)` ends in the rule's name. `__x__` is written `x____` here (see
# RuleSet.prelude_source).
PRELUDE = """
def defaults____(
        defaults = None, all = None, extend = False, ignore_unknown_fields = False, **kwargs):
    named = {}
    for key, value in (defaults or {}).items():
        for one in (key if type(key) == "tuple" else [key]):
            named[one if type(one) == "string" else str(one).rpartition(".")[2]] = value
    named.update(kwargs)
    _defaults(json.encode([named, all, extend, ignore_unknown_fields]))

def dependencies_rules____(*args, **kwargs):
    return None

def dependents_rules____(*args, **kwargs):
    return None
"""

FUNCTIONS: Mapping[str, Callable[..., object]] = {
    "python_artifact": python_artifact,
    "setup_py": python_artifact,
    "parametrize": parametrize,
    "env": env,
    "build_file_dir": build_file_dir,
    "_defaults": _record_defaults,
}
