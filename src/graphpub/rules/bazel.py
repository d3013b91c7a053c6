"""The Bazel dialect: rules_python's rules and the native rules a Python repository uses.

The attributes are those the real rules accept, so that no real BUILD file is rejected for an
attribute Bazel takes; where rules_python renamed or dropped one, both spellings stay. Taken from:

- rules_python `python/private/attributes.bzl` (COMMON_ATTRS, PY_SRCS_ATTRS, IMPORTS_ATTRS,
  AGNOSTIC_EXECUTABLE_ATTRS, AGNOSTIC_TEST_ATTRS, CONFIG_SETTINGS_ATTR), `py_library.bzl`,
  `py_executable.bzl`, `py_binary_rule.bzl`, `py_test_rule.bzl`, `py_wheel.bzl`,
  `py_package.bzl`, `py_runtime_rule.bzl`, `py_runtime_pair_rule.bzl`, `python/packaging.bzl`
  (the py_wheel macro), `docs/packaging.md` (py_wheel's removed `incompatible_normalize_*`)
  and `examples/wheel/BUILD.bazel` (py_wheel's `license_expression`, `metadata_fields`,
  `metadata_file`, `add_path_prefix`, from pull requests #4065 and #3679);
- Bazel's "common definitions" (attributes of every rule, of `*_binary` and of `*_test`) and
  `GenRuleBaseRule.java`, the general rules (alias, config_setting, filegroup, genrule,
  test_suite) and `package_group`;
- rules_shell `shell/private/sh_executable.bzl`, `sh_library.bzl`, `sh_test.bzl`.

`select()` is resolved before validation, so each field sees one plain value. Bazel writes
booleans as 0 / 1, which BOOL accepts; tristate attributes (`stamp`, `legacy_create_init`) take
-1 / 0 / 1 or a bool. `data` is never a dependency field (its labels often name generated
files); its files of the package are the target's, like `srcs`.
`exports_files`, `package` and `licenses(...)` are functions, not rules.
"""

from __future__ import annotations

from graphpub.rules.schema import (
    ADDRESSES,
    ANY,
    BOOL,
    DICT,
    INT,
    SOURCES,
    STRING,
    STRING_DICT,
    STRING_LIST,
    STRING_LIST_DICT,
    Field,
    Role,
    RuleSchema,
    either,
    one_of,
)

DIALECT = "bazel"


TRISTATE = either(INT, BOOL)  # -1 (follow the flag), 0 / False, 1 / True


def _common(name: str, help: str) -> Field:
    return Field(name, ANY, help)


# Attributes every Bazel rule accepts (Bazel's "common definitions" page, `BaseRuleClasses`).
COMMON_FIELDS: tuple[Field, ...] = (
    _common("visibility", "Who may depend on the target: //visibility:public, :private or groups."),
    _common("tags", "Free-form tags (manual, no-remote, exclusive, ...) tools filter targets by."),
    _common("testonly", "If true, only tests and other testonly targets may depend on it."),
    _common("deprecation", "A warning Bazel prints when another target depends on this one."),
    _common("features", "Toolchain features to turn on, or off with a leading '-', for it."),
    _common("compatible_with", "Extra environments it builds for (legacy constraint system)."),
    _common("restricted_to", "The only environments it builds for (legacy constraint system)."),
    _common("target_compatible_with", "Constraints the target platform needs, or it is skipped."),
    _common("exec_compatible_with", "Constraints the execution platform building it must have."),
    _common(
        "exec_group_compatible_with",
        "Per execution group, constraints that group's execution platform must have.",
    ),
    _common("exec_properties", "Properties (remote-execution keys) passed to its execution."),
    _common("toolchains", "Targets whose Make variables, or toolchain types, it may use."),
    _common("licenses", "Deprecated license kinds of the target (notice, restricted, ...)."),
    _common("applicable_licenses", "License targets (rules_license) that apply to the target."),
    _common("package_metadata", "Metadata targets (license, version, ...) attached to it."),
    _common("aspect_hints", "Labels shown to aspects of the rules that depend on the target."),
    _common("distribs", "Deprecated distribution kinds of the target."),
    _common("transitive_configs", "Experimental: flags its configuration depends on."),
    _common("generator_name", "Set for targets a macro made: the macro call's name."),
    _common("generator_function", "Set for targets a macro made: the macro's function."),
    _common("generator_location", "Set for targets a macro made: where the macro was called."),
)


def _unique(*fields: Field) -> tuple[Field, ...]:
    """The fields, each name once (the first spelling wins)."""
    first: dict[str, Field] = {}
    for field_ in fields:
        first.setdefault(field_.name, field_)
    return tuple(first.values())


def _deps(help: str) -> Field:
    return Field("deps", ADDRESSES, help, role=Role.DEPENDENCIES)


def _srcs(help: str) -> Field:
    return Field("srcs", SOURCES, help, role=Role.SOURCES)


# Not a dependency field (its labels often name generated files), but its files of this
# package belong to the target: rules_python packs a library's data files into wheels.
_DATA = Field(
    "data",
    ANY,
    "Files and targets needed at run time (not dependencies: often generated files).",
    role=Role.SOURCES,
)
_ENV = Field("env", STRING_DICT, "Environment variables set when it runs ($(location) expanded).")
_ARGS = Field("args", STRING_LIST, "Arguments passed when it runs (bazel run / bazel test).")
_OUTPUT_LICENSES = Field("output_licenses", ANY, "Deprecated license kinds of its outputs.")

# Attributes of every `*_test` rule (Bazel's common definitions, test attributes).
_TEST_FIELDS = (
    _ARGS,
    _ENV,
    Field("env_inherit", STRING_LIST, "Environment variables the test inherits from the shell."),
    Field(
        "size",
        one_of("small", "medium", "large", "enormous"),
        "How heavy the test is: small, medium, large or enormous.",
    ),
    Field(
        "timeout",
        one_of("short", "moderate", "long", "eternal"),
        "How long the test may run: short, moderate, long or eternal.",
    ),
    Field("flaky", BOOL, "If true, a failing run is retried up to three times."),
    Field("shard_count", INT, "How many shards the test runs in, in parallel."),
    Field("local", BOOL, "If true, the test runs locally, without sandboxing or remote execution."),
)

_PY_SRCS = _srcs("The Python files of the target, checked-in or generated (.py, .py3).")
_PY_DEPS = _deps("Libraries it uses, usually py_library targets or requirement(...) labels.")

# PY_SRCS_ATTRS, IMPORTS_ATTRS and COMMON_ATTRS of rules_python's attributes.bzl.
_PY_SOURCE_FIELDS = (
    _PY_SRCS,
    _PY_DEPS,
    _DATA,
    Field("imports", STRING_LIST, "Directories, relative to the package, added to sys.path."),
    Field("srcs_version", STRING, "Defunct: the Python versions of the sources (PY2AND3, PY3)."),
    Field(
        "precompile",
        STRING,
        "Whether its sources are compiled to .pyc at build time: inherit, enabled, disabled.",
    ),
    Field(
        "precompile_invalidation_mode",
        STRING,
        "How compiled files are checked against their sources: auto, checked_hash, ...",
    ),
    Field("precompile_optimize_level", INT, "The optimisation level of compiled files (-O)."),
    Field(
        "precompile_source_retention",
        STRING,
        "Whether a compiled source's .py is kept: inherit, keep_source, omit_source.",
    ),
    Field("pyi_srcs", SOURCES, "Type stub files (.pyi) of the library.", role=Role.SOURCES),
    Field(
        "pyi_deps",
        ADDRESSES,
        "Libraries only type checking needs (imports under TYPE_CHECKING).",
        role=Role.DEPENDENCIES,
    ),
)

_CONFIG_SETTINGS = Field(
    "config_settings", DICT, "Build settings to change for this target: {setting label: value}."
)


def _stamp(default: int) -> Field:
    return Field(
        "stamp",
        TRISTATE,
        "Whether to embed build information: 1 always, 0 never, -1 as --stamp says.",
        default=default,
    )


# EXECUTABLE_ATTRS of py_executable.bzl with AGNOSTIC_EXECUTABLE_ATTRS.
def _py_executable_fields(stamp_default: int) -> tuple[Field, ...]:
    return (
        *_PY_SOURCE_FIELDS,
        Field("main", STRING, "The source file that is the entry point (default: name + .py)."),
        Field("main_module", STRING, "The module run as the program (python -m), instead of main."),
        Field("python_version", STRING, "The Python version it runs with: X.Y, X.Y.Z (PY3: any)."),
        Field("default_python_version", STRING, "Removed: the old name of python_version."),
        Field(
            "legacy_create_init",
            TRISTATE,
            "Whether empty __init__.py files are created in its runfiles (-1: flag decides).",
            default=-1,
        ),
        Field("pyc_collection", STRING, "Whether .pyc files of dependencies are included."),
        Field("interpreter_args", STRING_LIST, "Arguments for the interpreter itself."),
        _ENV,
        _CONFIG_SETTINGS,
        _stamp(stamp_default),
    )


_PY_LIBRARY = RuleSchema(
    kind="py_library",
    dialect=DIALECT,
    help="A library of Python code that other Python targets depend on.",
    fields=(
        *_PY_SOURCE_FIELDS,
        Field(
            "experimental_venvs_site_packages",
            STRING,
            "rules_python-internal: a flag treating srcs as a site-packages layout.",
        ),
    ),
)

_PY_BINARY = RuleSchema(
    kind="py_binary",
    dialect=DIALECT,
    help="An executable Python program: its sources, dependencies and a launcher.",
    fields=_unique(*_py_executable_fields(stamp_default=-1), _ARGS, _OUTPUT_LICENSES),
)

_PY_TEST = RuleSchema(
    kind="py_test",
    dialect=DIALECT,
    help="A Python test program; `bazel test` runs it and it passes by exiting 0.",
    fields=_unique(*_py_executable_fields(stamp_default=0), *_TEST_FIELDS),
)

_PY_WHEEL = RuleSchema(
    kind="py_wheel",
    dialect=DIALECT,
    help="A Python wheel of the files of its deps (rules_python's py_wheel macro).",
    distribution=True,
    # The macro's other targets: `<name>.dist` (the wheel under its real file name) and
    # `<name>.publish` (a twine upload), names users give `bazel run` and graphpub alike.
    companions=((".dist", "py_wheel_dist"), (".publish", "py_wheel_publisher")),
    fields=(
        _deps(
            "The targets whose files go in the wheel: py_library or py_package targets, "
            "not their dependencies."
        ),
        Field(
            "distribution",
            STRING,
            "The distribution's name, as on PyPI; {STAMP} keys are filled in.",
            required=True,
        ),
        Field(
            "version",
            STRING,
            "The version: a string, a {BUILD_EMBED_LABEL} stamp or a $(VERSION) make variable.",
            required=True,
        ),
        Field("python_tag", STRING, "The wheel's Python tag: py3, cp311, ...", default="py3"),
        Field("abi", STRING, "The wheel's ABI tag; none for pure Python.", default="none"),
        Field("platform", STRING, "The wheel's platform tag; any for pure Python.", default="any"),
        _stamp(-1),
        Field("compress", BOOL, "Whether the wheel's archive is compressed.", default=True),
        Field("force_zip64", BOOL, "If true, the wheel is written as zip64."),
        Field("requires", STRING_LIST, "The wheel's requirements (Requires-Dist), PEP 508."),
        Field("requires_file", STRING, "A requirements file of the wheel, instead of requires."),
        Field(
            "extra_requires",
            STRING_LIST_DICT,
            "Requirements of each extra: {extra: [requirement, ...]}.",
        ),
        Field(
            "extra_requires_files",
            DICT,
            "Requirements files of extras: {file label: extra}.",
        ),
        Field(
            "entry_points",
            STRING_LIST_DICT,
            'Entry points by group: {"console_scripts": ["name = module:function"]}.',
        ),
        Field(
            "console_scripts",
            STRING_DICT,
            "Deprecated console scripts: {name: module:function}; use entry_points.",
        ),
        Field("summary", STRING, "A one-line summary of the distribution (Summary)."),
        Field("description_file", STRING, "A file with the long description (README)."),
        Field(
            "description_content_type",
            STRING,
            "The description's type (text/markdown, ...); default: from the file's extension.",
        ),
        Field("author", STRING, "The author's name (Author)."),
        Field("author_email", STRING, "The author's email address (Author-email)."),
        Field("license", STRING, "The license of the distribution (License)."),
        Field("license_expression", STRING, "An SPDX license expression (License-Expression)."),
        Field(
            "metadata_fields",
            DICT,
            "More METADATA fields, each with its values: {field: [value, ...]}.",
        ),
        Field("metadata_file", STRING, "A METADATA-format file merged into the wheel's METADATA."),
        Field("classifiers", STRING_LIST, "Trove classifiers of the distribution."),
        Field("homepage", STRING, "The URL of the project's home page (Home-page)."),
        Field("project_urls", STRING_DICT, "More URLs of the project: {label: url}."),
        Field("python_requires", STRING, "The Python versions it supports, e.g. '>=3.9'."),
        Field(
            "strip_path_prefixes",
            STRING_LIST,
            "Path prefixes removed from the files' paths in the wheel; the first that matches.",
        ),
        Field(
            "add_path_prefix",
            STRING,
            "A prefix added to the files' paths in the wheel, after strip_path_prefixes.",
        ),
        Field(
            "data_files",
            DICT,
            "Files for the wheel's .data directory: {file label: purelib/..., scripts/...}.",
        ),
        Field(
            "extra_distinfo_files",
            DICT,
            "Extra files for the .dist-info directory: {file label: name}.",
        ),
        Field(
            "incompatible_normalize_name",
            BOOL,
            "Removed in rules_python 0.29: normalise the name in the wheel's file name.",
        ),
        Field(
            "incompatible_normalize_version",
            BOOL,
            "Removed in rules_python 0.29: normalise the version to PEP 440.",
        ),
        _CONFIG_SETTINGS,
        Field("twine", STRING, "A twine py_library label: adds a <name>.publish target."),
        Field("twine_binary", STRING, "A twine binary label for the <name>.publish target."),
        Field("publish_args", STRING_LIST, "Arguments for `twine upload` of <name>.publish."),
        Field("dist_folder", STRING, "The directory <name>.dist puts the wheel in."),
    ),
)

_PY_PACKAGE = RuleSchema(
    kind="py_package",
    dialect=DIALECT,
    help="The files of some Python packages out of its deps' transitive closure, for a wheel.",
    fields=(
        _deps("Targets whose transitive files are filtered."),
        Field(
            "packages",
            STRING_LIST,
            "The Python packages kept, with their sub-packages (a.b); empty keeps all.",
        ),
    ),
)

_PY_RUNTIME = RuleSchema(
    kind="py_runtime",
    dialect=DIALECT,
    help="A Python runtime: an in-build interpreter target or a path on the platform.",
    fields=(
        Field(
            "files",
            SOURCES,
            "For an in-build runtime, the files making up the runtime.",
            role=Role.SOURCES,
        ),
        Field("interpreter", STRING, "For an in-build runtime, the interpreter file or target."),
        Field(
            "interpreter_path", STRING, "For a platform runtime, the interpreter's absolute path."
        ),
        Field(
            "python_version",
            STRING,
            "Whether the runtime is Python 2 or 3: PY2 or PY3.",
            default="PY3",
        ),
        Field("interpreter_version_info", DICT, "The interpreter's version: {major, minor, ...}."),
        Field(
            "implementation_name", STRING, "The implementation's name (sys.implementation.name)."
        ),
        Field("pyc_tag", STRING, "The tag of .pyc file names, e.g. cpython-311."),
        Field("abi_flags", STRING, "The runtime's ABI flags (sys.abiflags)."),
        Field("coverage_tool", STRING, "A target collecting coverage of py_binary and py_test."),
        Field("bootstrap_template", STRING, "The template of the launcher script of binaries."),
        Field("stage2_bootstrap_template", STRING, "The template of the second launcher stage."),
        Field("zip_main_template", STRING, "The template of a zipped binary's __main__.py."),
        Field("site_init_template", STRING, "The template of the binaries' site-init hook."),
        Field("stub_shebang", STRING, "The shebang line of the launcher script."),
        Field("supports_build_time_venv", BOOL, "Whether the runtime supports build-time venvs."),
    ),
)

_PY_RUNTIME_PAIR = RuleSchema(
    kind="py_runtime_pair",
    dialect=DIALECT,
    help="A Python toolchain of up to two runtimes, for Python 2 and Python 3.",
    fields=(
        Field(
            "py2_runtime", STRING, "The py_runtime for Python 2 targets.", role=Role.DEPENDENCIES
        ),
        Field(
            "py3_runtime", STRING, "The py_runtime for Python 3 targets.", role=Role.DEPENDENCIES
        ),
    ),
)

_FILEGROUP = RuleSchema(
    kind="filegroup",
    dialect=DIALECT,
    help="A name for a set of files, or of other targets' outputs.",
    fields=(
        _srcs("The files of the group; labels of other targets add their outputs."),
        _DATA,
        Field("output_group", STRING, "Take this output group of the srcs instead of their files."),
        _OUTPUT_LICENSES,
        Field("path", STRING, "Removed: a path for rules that depend on the group."),
    ),
)

_ALIAS = RuleSchema(
    kind="alias",
    dialect=DIALECT,
    help="Another name for a target.",
    fields=(
        Field(
            "actual",
            STRING,
            "The target (or file) this name refers to.",
            required=True,
            role=Role.DEPENDENCIES,
        ),
    ),
)

_GENRULE = RuleSchema(
    kind="genrule",
    dialect=DIALECT,
    help="Files made by a shell command.",
    fields=(
        _srcs("Inputs of the command: files, or other targets' outputs ($(SRCS), $<)."),
        Field("outs", STRING_LIST, "The files the command makes, in this package.", required=True),
        Field("cmd", STRING, "The Bash command; $(location), make variables are expanded."),
        Field("cmd_bash", STRING, "The Bash command, taking precedence over cmd."),
        Field("cmd_bat", STRING, "The Windows batch command."),
        Field("cmd_ps", STRING, "The Windows PowerShell command."),
        Field("tools", STRING_LIST, "Tools the command runs, built for the execution platform."),
        Field("exec_tools", STRING_LIST, "Removed in Bazel 7: the old name of tools."),
        Field("executable", BOOL, "If true, the single output is executable (bazel run)."),
        Field("local", BOOL, "If true, runs locally, without sandboxing or remote execution."),
        Field("message", STRING, "A progress message shown while the command runs."),
        Field("output_to_bindir", BOOL, "If true, outputs go to bazel-bin, not bazel-genfiles."),
        Field("stamp", TRISTATE, "Whether the command gets build information (-1: flag)."),
        Field(
            "heuristic_label_expansion", BOOL, "Undocumented: expand labels in cmd heuristically."
        ),
        _OUTPUT_LICENSES,
    ),
)

_CONFIG_SETTING = RuleSchema(
    kind="config_setting",
    dialect=DIALECT,
    help="A configuration state select() can match: flag values or platform constraints.",
    fields=(
        Field("values", STRING_DICT, "Command-line flag values to match: {flag: value}."),
        Field("define_values", STRING_DICT, "--define values to match: {name: value}."),
        Field("flag_values", DICT, "Build setting values to match: {setting label: value}."),
        Field("constraint_values", STRING_LIST, "Constraint values the target platform must have."),
    ),
)

_PACKAGE_GROUP = RuleSchema(
    kind="package_group",
    dialect=DIALECT,
    help="A set of packages, for visibility.",
    fields=(
        Field("packages", STRING_LIST, "Package specs: //foo, //foo/..., public, -//bar."),
        Field("includes", STRING_LIST, "Other package_groups whose packages are included."),
    ),
)

_TEST_SUITE = RuleSchema(
    kind="test_suite",
    dialect=DIALECT,
    help="A set of tests run together; with no tests, every test of the package.",
    fields=(
        Field(
            "tests",
            ADDRESSES,
            "The tests and test suites of the suite.",
            role=Role.DEPENDENCIES,
        ),
    ),
)

_SH_SRCS = _srcs("The shell script (one for sh_binary and sh_test).")
_SH_DEPS = _deps("sh_library targets whose files it uses.")

_SH_BINARY = RuleSchema(
    kind="sh_binary",
    dialect=DIALECT,
    help="An executable shell script.",
    fields=(
        _SH_SRCS,
        _SH_DEPS,
        _DATA,
        _ENV,
        Field("env_inherit", STRING_LIST, "Environment variables inherited from the shell."),
        _ARGS,
        _OUTPUT_LICENSES,
    ),
)

_SH_LIBRARY = RuleSchema(
    kind="sh_library",
    dialect=DIALECT,
    help="Shell scripts and the data they need, for sh_binary and sh_test.",
    fields=(
        _srcs("Shell scripts of the library."),
        _SH_DEPS,
        _DATA,
    ),
)

_SH_TEST = RuleSchema(
    kind="sh_test",
    dialect=DIALECT,
    help="A test written as a shell script; it passes by exiting 0.",
    fields=(_SH_SRCS, _SH_DEPS, _DATA, *_TEST_FIELDS),
)

SCHEMAS: tuple[RuleSchema, ...] = (
    _PY_LIBRARY,
    _PY_BINARY,
    _PY_TEST,
    _PY_WHEEL,
    _PY_PACKAGE,
    _PY_RUNTIME,
    _PY_RUNTIME_PAIR,
    _FILEGROUP,
    _ALIAS,
    _GENRULE,
    _CONFIG_SETTING,
    _PACKAGE_GROUP,
    _TEST_SUITE,
    _SH_BINARY,
    _SH_LIBRARY,
    _SH_TEST,
)
