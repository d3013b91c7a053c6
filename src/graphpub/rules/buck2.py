"""The Buck2 dialect: the prelude's Python rules and the general rules Python repositories use.

The attributes are those the prelude declares, old and new (attributes the prelude dropped stay,
so that BUCK files written for an older prelude load), without the `_`-prefixed internal ones
and those made `attrs.default_only` (which a BUCK file cannot set). Taken from facebook/buck2:

- `prelude/decls/python_rules.bzl` (python_library, python_binary, python_test,
  prebuilt_python_library) with its helpers `python_common.bzl`, `common.bzl`,
  `native_common.bzl`, `test_common.bzl`, `re_test_common.bzl`, and `prelude/rules_impl.bzl`
  (the attributes it adds to the Python rules, from before they moved into the decls);
- `prelude/python/python_wheel.bzl` (python_wheel, which BUCK files load explicitly) and
  `prelude/toolchains/python.bzl` (system_python_wheel_toolchain, its toolchain);
- `prelude/decls/core_rules.bzl`, `genrule_common.bzl`, `remote_common.bzl` and
  `prelude/genrule.bzl` (export_file, genrule, http_archive, remote_file), with the generated
  rule signatures on buck2.build for the attributes every rule gets.

`select()` is resolved before validation. `srcs` and `resources` take a list or a
`{destination: source}` dict, as Buck2's named sets do.
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
    STRING_DICT_DICT,
    STRING_LIST,
    Field,
    Role,
    RuleSchema,
    either,
    one_of,
)

DIALECT = "buck2"


NAMED_SOURCES = either(SOURCES, STRING_DICT)  # a list, or {destination: source}


def _common(name: str, help: str) -> Field:
    return Field(name, ANY, help)


# Attributes every Buck2 rule takes (the core attributes of the generated rule signatures) and
# those nearly every prelude rule declares (labels, contacts, licenses, default_host_platform).
COMMON_FIELDS: tuple[Field, ...] = (
    _common("visibility", 'Patterns of the targets that may depend on it; ["PUBLIC"] for all.'),
    _common("within_view", "Patterns of the targets it may depend on."),
    _common("labels", "Free-form labels, for queries (attrfilter) and tools."),
    _common("contacts", "Owners of the target, to contact about it."),
    _common("licenses", "License files of the target."),
    _common("default_target_platform", "The platform it builds for when none is given."),
    _common("default_host_platform", "The host platform used when none is given."),
    _common("target_compatible_with", "Constraints a configuration must satisfy to build it."),
    _common("compatible_with", "Constraints of which a configuration must satisfy one."),
    _common("exec_compatible_with", "Constraints its execution platform must satisfy."),
    _common("metadata", "A key-value map of metadata about the target."),
    _common("modifiers", "Configuration modifiers applied to the target."),
    _common("tests", "Targets that test this one."),
    _common("has_content_based_path", "Whether its outputs' paths come from their content."),
)


def _deps(help: str) -> Field:
    return Field("deps", ADDRESSES, help, role=Role.DEPENDENCIES)


def _unique(*fields: Field) -> tuple[Field, ...]:
    """The fields, each name once (the first spelling wins)."""
    first: dict[str, Field] = {}
    for field_ in fields:
        first.setdefault(field_.name, field_)
    return tuple(first.values())


_SRCS = Field(
    "srcs",
    NAMED_SOURCES,
    "The Python files: a list, or {module path: file} to place them.",
    role=Role.SOURCES,
)
_RESOURCES = Field(
    "resources",
    NAMED_SOURCES,
    "Data files packaged with the code: a list, or {path: file}.",
    role=Role.SOURCES,
)
_BASE_MODULE = Field(
    "base_module",
    STRING,
    "The package its files are placed in (default: the BUCK file's directory); '' for the root.",
)
_PYTHON_DEPS = _deps("python_library (and prebuilt_python_library) targets it imports from.")

# The attributes of python_library that python_test shares (python_common.bzl).
_LIBRARY_FIELDS = (
    _SRCS,
    Field("platform_srcs", ANY, "Sources per Python platform: [(platform regex, [files])]."),
    _RESOURCES,
    Field("platform_resources", ANY, "Resources per Python platform: [(regex, [files])]."),
    _BASE_MODULE,
    _PYTHON_DEPS,
    Field(
        "exclude_deps_from_merged_linking",
        BOOL,
        "If true, its native dependencies are not merged into a merged native link.",
    ),
    Field("platform_deps", ANY, "Dependencies per platform: [(platform regex, [targets])]."),
    Field("versioned_srcs", ANY, "Sources per version of versioned dependencies."),
    Field("versioned_resources", ANY, "Resources per version of versioned dependencies."),
    Field("version_universe", STRING, "Removed: the version universe it builds in."),
    Field("zip_safe", BOOL, "Whether it works when loaded from a zip archive."),
    Field("cxx_platform", STRING, "Removed: the C++ platform of its native code."),
    Field("platform", STRING, "The Python platform flavor to build for (.buckconfig [python])."),
    Field("typing", BOOL, "If true, the target is type checked."),
    Field("shard_typing", BOOL, "Whether its type checking is sharded."),
    Field("py_version_for_type_checking", STRING, "The Python version type checking assumes."),
)

# The attributes python_binary and python_test share (python_rules.bzl, rules_impl.bzl).
_EXECUTABLE_FIELDS = (
    Field(
        "main_module",
        STRING,
        "The module run as the entry point, with its library's base_module.",
    ),
    Field(
        "main_function",
        STRING,
        "The function run as the entry point: pkg.mod.func, or .mod.func relative to the package.",
    ),
    Field(
        "version_selections", STRING_DICT, "Versions of versioned libraries: {library: version}."
    ),
    Field("preload_deps", ADDRESSES, "C/C++ libraries loaded (LD_PRELOAD) before any other."),
    Field(
        "package_style",
        STRING,
        "How it is packaged, overriding [python] package_style: standalone, inplace, ...",
    ),
    Field("par_style", STRING, "The style of the par it is packaged as."),
    Field("linker_flags", STRING_LIST, "Linker flags of its merged native link."),
    Field("deduplicate_merged_link_roots", BOOL, "Share identical merged link roots."),
    Field("executable_deps", ADDRESSES, "Extra targets the native executable links in."),
    Field("link_group_deps", ADDRESSES, "Targets traversed for link groups, not linked."),
    Field("link_group_public_deps_label", STRING, "Label of nodes public in link groups."),
    Field("build_args", STRING_LIST, "Extra arguments for the packaging tool."),
    Field("inplace_build_args", STRING_LIST, "Extra packaging arguments for inplace packages."),
    Field("standalone_build_args", STRING_LIST, "Extra packaging arguments for standalone ones."),
    Field("compile", BOOL, "Whether sources are compiled to bytecode in the package."),
    Field("dummy_omnibus", STRING, "A placeholder omnibus library target."),
    Field("extension", STRING, "The file extension of the package (.pex, .par, ...)."),
    Field("native_link_strategy", STRING, "How native code is linked: separate, native, merged."),
    Field("platform_linker_flags", ANY, "Linker flags per platform: [(regex, [flags])]."),
    Field("platform_preload_deps", ANY, "Preloaded libraries per platform: [(regex, [targets])]."),
    Field("prefer_stripped_native_objects", BOOL, "Link stripped native objects when possible."),
    Field("repl_only_deps", ADDRESSES, "Dependencies added only to its REPL."),
    Field("repl_main", STRING, "The entry point of its REPL."),
    Field("allow_cache_upload", BOOL, "Allow uploading its locally built outputs to the cache."),
    Field("constraint_overrides", STRING_LIST, "Constraint values it is built with instead."),
    Field("anonymous_link_groups", BOOL, "Link groups as anonymous targets."),
    Field("binary_linker_flags", STRING_LIST, "Linker flags of the executable link only."),
    Field("bolt_flags", STRING_LIST, "Flags for BOLT optimisation of the native executable."),
    Field("bolt_profile", STRING, "A BOLT profile for the native executable."),
    Field("compiler_flags", STRING_LIST, "C/C++ compiler flags of its native entry point."),
    Field("cxx_main", STRING, "The C++ main of an embedded native executable."),
    Field("distributed_thinlto_partial_split_dwarf", BOOL, "Split DWARF with distributed ThinLTO."),
    Field("enable_distributed_thinlto", BOOL, "Link its native code with distributed ThinLTO."),
    Field("exe_allow_cache_upload", BOOL, "Allow caching the native executable."),
    Field("executable_name", STRING, "The name of the native executable."),
    Field("link_group", STRING, "The link group it belongs to."),
    Field("link_group_map", ANY, "How native dependencies are split into link groups."),
    Field("link_group_min_binary_node_count", INT, "Minimum nodes for a link group library."),
    Field("link_style", STRING, "How native dependencies link: static, static_pic, shared."),
    Field("make_pex", STRING, "Removed: a tool building the package instead of the default."),
    Field("make_py_package", STRING, "A tool building the package instead of the default."),
    Field(
        "manifest_module_entries",
        DICT,
        "Variables of the generated __manifest__ module: {name: dict or list}.",
    ),
    Field("opt_by_default_enabled", BOOL, "Build its native code optimised by default."),
    Field("package_split_dwarf_dwp", BOOL, "Package the .dwp of split debug info."),
    Field("run_with_inplace", BOOL, "Run it in place rather than from a package."),
    Field("runtime_bundle", STRING, "A Python runtime bundle packaged with it."),
    Field("runtime_bundle_full", BOOL, "Package the whole runtime bundle."),
    Field("runtime_env", STRING_DICT, "Environment variables set when it starts."),
    Field("static_extension_finder", STRING, "The finder of statically linked extensions."),
    Field("static_extension_utils", STRING, "The helpers of statically linked extensions."),
    Field("strip_libpar", STRING, "How its native libraries are stripped: full, extract, none."),
    Field("strip_stapsdt", BOOL, "Strip SystemTap probes from native code."),
    Field("use_anon_target_for_analysis", BOOL, "Analyse it with anonymous targets."),
    Field("use_oss_python", BOOL, "Use the open-source Python toolchain."),
    Field("use_rust_make_par", BOOL, "Build the par with the Rust packager."),
    Field("use_rust_make_par_incremental", BOOL, "Build the par incrementally with it."),
)

_PYTHON_LIBRARY = RuleSchema(
    kind="python_library",
    dialect=DIALECT,
    help="Python sources and resources, placed under base_module, for other targets to use.",
    fields=_unique(
        *_LIBRARY_FIELDS,
        Field("ignore_compile_errors", BOOL, "If true, bytecode compile errors are ignored."),
        Field(
            "type_stubs",
            NAMED_SOURCES,
            "Type stub files (.pyi): a list or {module path: file}.",
            role=Role.SOURCES,
        ),
    ),
)

_PYTHON_BINARY = RuleSchema(
    kind="python_binary",
    dialect=DIALECT,
    help="An executable Python package (.pex / .par) of its deps' modules and resources.",
    fields=_unique(
        Field(
            "main",
            STRING,
            "Deprecated: the file that is the entry point; prefer main_module or main_function.",
        ),
        _BASE_MODULE,
        Field(
            "platform", STRING, "The Python platform flavor to build for (.buckconfig [python])."
        ),
        _PYTHON_DEPS,
        *_EXECUTABLE_FIELDS,
        _RESOURCES,
        Field("platform_deps", ANY, "Dependencies per platform: [(platform regex, [targets])]."),
        Field("cxx_platform", STRING, "Removed: the C++ platform of its native code."),
        Field("version_universe", STRING, "Removed: the version universe it builds in."),
        Field("zip_safe", BOOL, "Whether it works when loaded from a zip archive."),
        Field("typing", BOOL, "If true, the target is type checked."),
        Field("shard_typing", BOOL, "Whether its type checking is sharded."),
        Field("py_version_for_type_checking", STRING, "The Python version type checking assumes."),
    ),
)

_PYTHON_TEST = RuleSchema(
    kind="python_test",
    dialect=DIALECT,
    help="Python tests (unittest), packaged with their deps and run by `buck2 test`.",
    fields=_unique(
        *_LIBRARY_FIELDS,
        *_EXECUTABLE_FIELDS,
        Field("env", STRING_DICT, "Environment variables of the test ($(location) expanded)."),
        Field("test_rule_timeout_ms", INT, "Milliseconds all its tests may take together."),
        Field("additional_coverage_targets", ADDRESSES, "More targets measured for coverage."),
        Field("needed_coverage", ANY, "Coverage required: [(percent, target, path)]."),
        Field("runner", STRING, "A test runner target instead of the default."),
        Field("specs", ANY, "Test specs for the external test runner (JSON)."),
        Field("implicit_test_library", STRING, "A library every test of the kind gets."),
        Field("network_access", STRING, "Network access the test gets: all, none, loopback, ..."),
        Field("remote_execution", ANY, "Remote execution options for the test."),
        Field("remote_execution_action_key_providers", STRING, "Build mode keying remote tests."),
    ),
)

_PREBUILT_PYTHON_LIBRARY = RuleSchema(
    kind="prebuilt_python_library",
    dialect=DIALECT,
    help="A prebuilt wheel (.whl) or egg included in the packages that depend on it.",
    fields=(
        Field(
            "binary_src",
            STRING,
            "The .whl or .egg: a file, or the label of a target (remote_file) making it.",
            required=True,
            role=Role.SOURCES,
        ),
        _deps("Other (prebuilt) Python libraries it needs."),
        Field(
            "exclude_deps_from_merged_linking",
            BOOL,
            "If true, its native dependencies are not merged into a merged native link.",
        ),
        Field("compile", BOOL, "Whether its sources are compiled to bytecode."),
        Field("ignore_compile_errors", BOOL, "If true, bytecode compile errors are ignored."),
        Field("cxx_header_dirs", STRING_LIST, "Directories of C/C++ headers the wheel ships."),
        Field("infer_cxx_header_dirs", BOOL, "Find the wheel's C/C++ header directories."),
        Field("strip_soabi_tags", BOOL, "Strip SOABI tags from its native extensions (unsafe)."),
    ),
)

_PYTHON_WHEEL = RuleSchema(
    kind="python_wheel",
    dialect=DIALECT,
    help="A wheel of the listed libraries' own files (not their deps): load it from the prelude.",
    distribution=True,
    fields=(
        Field(
            "libraries",
            ADDRESSES,
            "The python_library targets whose code the wheel holds (not their dependencies).",
            role=Role.DEPENDENCIES,
        ),
        Field("dist", STRING, "The distribution's name (default: the target's name)."),
        Field("version", STRING, "The distribution's version.", default="1.0.0"),
        Field(
            "python",
            STRING,
            "The wheel's Python tag, e.g. py3, py310 (default: the python_wheel toolchain's, "
            "py3 when it sets none).",
        ),
        Field(
            "abi",
            STRING,
            "The wheel's ABI tag (default: the python_wheel toolchain's, none when it sets none).",
        ),
        Field(
            "platform",
            STRING,
            "The wheel's platform tag (default: the python_wheel toolchain's, any when it sets "
            "none; linux_x86_64 with the prelude's system toolchain).",
        ),
        Field("requires", STRING_LIST, "The wheel's requirements (Requires-Dist), PEP 508."),
        Field(
            "entry_points",
            STRING_DICT_DICT,
            'Entry points by group: {"console_scripts": {"name": "module:function"}}.',
        ),
        Field(
            "extra_metadata",
            STRING_DICT,
            "More METADATA fields: {field: value}, e.g. Summary, License.",
        ),
        Field("libraries_query", STRING, "A query adding the Python libraries it finds."),
        Field("scripts", STRING_DICT, "Scripts installed with the wheel: {name: file}."),
        Field("resources", STRING_DICT, "Extra files of the wheel: {path in wheel: file}."),
        Field("readme", STRING, "A file with the long description (README.md, README.rst, ...)."),
        Field("deffile", STRING, "A .def file for the native extensions linked on Windows."),
        Field("opt_by_default_enabled", BOOL, "Meta-internal: build its libraries optimised."),
        Field("omnibus", BOOL, "Link the libraries' native code into one omnibus library."),
        Field("rpaths", STRING_LIST, "Runtime library paths of its native extensions."),
        Field("lib_dir", STRING, "Where in the wheel its native libraries go."),
        Field("support_future_python_versions", BOOL, "Tag it as usable on later Pythons."),
        Field("linker_flags", STRING_LIST, "Linker flags of its native extensions."),
        Field("anonymous_link", BOOL, "Link native extensions as anonymous targets."),
        Field("link_execution_preference", STRING, "Where its links run: local, remote, any."),
        Field("prefer_stripped_objects", BOOL, "Link stripped native objects (fixed: False)."),
        Field("constraint_overrides", STRING_LIST, "Constraint values it is built with instead."),
    ),
)

# prelude/toolchains/python.bzl: what `system_demo_toolchains()` makes `python_wheel` of.
_SYSTEM_PYTHON_WHEEL_TOOLCHAIN = RuleSchema(
    kind="system_python_wheel_toolchain",
    dialect=DIALECT,
    help="The python_wheel toolchain: the tags a python_wheel gets when it names none.",
    fields=(
        Field("abi", STRING, "The default ABI tag of wheels.", default="none"),
        Field("platform", STRING, "The default platform tag of wheels.", default="linux_x86_64"),
        Field("python", STRING, "The default Python tag of wheels.", default="py3"),
    ),
)

_REMOTE_FILE = RuleSchema(
    kind="remote_file",
    dialect=DIALECT,
    help="A file downloaded from a URL and checked against its hash.",
    fields=(
        Field("url", STRING, "Where to download the file: http(s) or mvn: URL.", required=True),
        Field("vpnless_url", STRING, "Meta-internal: another URL usable off VPN."),
        Field("sha1", STRING, "The SHA-1 the download must have."),
        Field("sha256", STRING, "The SHA-256 the download must have."),
        Field("out", STRING, "The name of the downloaded file (default: the target's name)."),
        Field(
            "type",
            one_of("data", "executable", "exploded_zip"),
            "What the file is: data, executable, or exploded_zip (unzipped).",
        ),
    ),
)

_HTTP_ARCHIVE = RuleSchema(
    kind="http_archive",
    dialect=DIALECT,
    help="An archive downloaded from URLs, checked against its hash and extracted.",
    fields=(
        Field("urls", STRING_LIST, "URLs to download it from, tried in order."),
        Field("vpnless_urls", STRING_LIST, "Meta-internal: other URLs usable off VPN."),
        Field("sha256", STRING, "The SHA-256 the download must have."),
        Field("sha1", STRING, "The SHA-1 the download must have."),
        Field("size_bytes", INT, "The size of the download, in bytes."),
        Field("out", STRING, "The name of the directory it is extracted into."),
        Field("strip_prefix", STRING, "The path in the archive extracted as the root."),
        Field("excludes", STRING_LIST, "Regexes of paths in the archive not extracted."),
        Field("type", STRING, "The archive type (zip, tar, tar.gz, ...) when not its extension."),
        Field("sub_targets", ANY, "Paths in the archive offered as sub-targets ([path])."),
        Field("exec_deps", STRING, "The tools that extract it (anonymous-target use)."),
    ),
)

_EXPORT_FILE = RuleSchema(
    kind="export_file",
    dialect=DIALECT,
    help="One file (or folder) of the package made available to other targets.",
    fields=(
        Field(
            "src",
            STRING,
            "The file exported (default: the target's name).",
            role=Role.SOURCES,
        ),
        Field("out", STRING, "The name other rules see it under."),
        Field(
            "mode",
            one_of("reference", "copy"),
            "Whether it is used in place (reference) or copied to buck-out (copy).",
        ),
    ),
)

_GENRULE = RuleSchema(
    kind="genrule",
    dialect=DIALECT,
    help="A file or folder made by a shell command.",
    fields=(
        Field(
            "srcs",
            NAMED_SOURCES,
            "Inputs, copied to $SRCDIR: a list, or {name in $SRCDIR: file}.",
            role=Role.SOURCES,
        ),
        Field("cmd", STRING, "The shell command; the fallback of bash and cmd_exe."),
        Field("bash", STRING, "The command on Linux and macOS, run with bash -c."),
        Field("cmd_exe", STRING, "The command on Windows, run with cmd.exe."),
        Field("out", STRING, "The output file or folder ($OUT); or use outs."),
        Field("outs", DICT, "Named outputs: {name: [path]}; the command writes under $OUT."),
        Field("default_outs", STRING_LIST, "The default output when outs is used."),
        Field("executable_outs", STRING_LIST, "Outputs that are executable."),
        Field("type", STRING, "A free-form type of the genrule, for logging and queries."),
        Field("env", STRING_DICT, "Environment variables of the command."),
        Field(
            "environment_expansion_separator",
            STRING,
            "The separator of paths in $SRCS (default: space).",
        ),
        Field("executable", BOOL, "If true, the output is executable ($(exe), buck2 run)."),
        Field("enable_sandbox", BOOL, "Whether the command runs in a sandbox."),
        Field("remote", BOOL, "Whether the command may run remotely."),
        Field("cacheable", BOOL, "Whether its output may be cached."),
        Field("allow_offline_output_cache", BOOL, "Cache its output for offline builds."),
        Field("always_print_stderr", BOOL, "Print the command's stderr even when it succeeds."),
        Field("need_android_tools", BOOL, "Give the command the Android tools."),
        Field("metadata_env_var", STRING, "The variable naming the metadata file."),
        Field("metadata_path", STRING, "Where the metadata file is written."),
        Field("no_outputs_cleanup", BOOL, "Keep outputs of earlier runs."),
        Field("platform_override", STRING, "The platform the command runs on instead."),
        Field("remote_execution_dependencies", ANY, "Remote execution dependencies: [{...}]."),
        Field("constraint_overrides", STRING_LIST, "Constraint values it is built with instead."),
        Field("error_handler_category", STRING, "The category of its errors."),
        Field("error_handler_stderr_errorformats", STRING_LIST, "Error formats read on stderr."),
        Field("error_handler_stdout_errorformats", STRING_LIST, "Error formats read on stdout."),
        Field(
            "uses_experimental_content_based_path_hashing",
            BOOL,
            "Experimental: content-based output paths.",
        ),
        Field("weight", INT, "How many local slots the command takes."),
    ),
)

SCHEMAS: tuple[RuleSchema, ...] = (
    _PYTHON_LIBRARY,
    _PYTHON_BINARY,
    _PYTHON_TEST,
    _PREBUILT_PYTHON_LIBRARY,
    _PYTHON_WHEEL,
    _SYSTEM_PYTHON_WHEEL_TOOLCHAIN,
    _REMOTE_FILE,
    _HTTP_ARCHIVE,
    _EXPORT_FILE,
    _GENRULE,
)
