"""Macros and rules of the kind real repositories keep next to their BUILD files."""

load("@bazel_skylib//lib:paths.bzl", "paths")
load("@platforms//host:constraints.bzl", "HOST_CONSTRAINTS")
load("@rules_python//python:defs.bzl", "py_binary")
load("@vendored_runtime//:runtime.bzl", "copy_kwargs", "runtime")

VersionInfo, _new_version_info = provider(
    doc = "The version a rule stamps.",
    fields = ["version"],
    init = lambda version: {"version": version},
)

_ALLOCATOR = configuration_field(fragment = "cpp", name = "custom_malloc")

def _platform_transition_impl(settings, attr):
    return {"//command_line_option:platforms": str(attr.platform)}

platform_transition = transition(
    implementation = _platform_transition_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _version_info_impl(ctx):
    toolchain = ctx.toolchains["@bazel_tools//tools/cpp:toolchain_type"]
    files = depset([ctx.file.src], transitive = [depset(ctx.files.data)])
    return [
        DefaultInfo(files = files),
        VersionInfo(version = ctx.attr.version),
        CcInfo(),
        testing.ExecutionInfo({"requires-network": ""}),
    ]

version_info = rule(
    implementation = _version_info_impl,
    attrs = {
        "src": attr.label(allow_single_file = True),
        "data": attr.label_list(allow_files = True),
        "version": attr.string(default = "0.1.0"),
        "_allocator": attr.label(default = _ALLOCATOR),
    },
    cfg = platform_transition,
    toolchains = [config_common.toolchain_type("@bazel_tools//tools/cpp:toolchain_type", mandatory = False)],
)

def _app_impl(name, visibility, srcs, data):
    py_binary(name = name, srcs = srcs, data = data, main = srcs[0], visibility = visibility)

app_macro = macro(
    implementation = _app_impl,
    attrs = {"srcs": attr.label_list(), "data": attr.label_list()},
)

def py_app(name, srcs, data = [], **kwargs):
    """A binary and its library, through the runtime of an external repository."""
    main = paths.basename(srcs[0])
    os = [c for c in HOST_CONSTRAINTS if c.startswith("@platforms//os:")]
    kwargs = copy_kwargs(kwargs)  # a copy the macro may change, as rules_python's helpers give
    kwargs["tags"] = kwargs.get("tags", []) + ["app"]
    tags = kwargs.pop("tags", default = [])
    runtime.python_library(name = name + "_lib", srcs = srcs, tags = tags + os)
    py_binary(name = name, srcs = srcs, main = main, data = data, deps = [":" + name + "_lib"])
    files = depset(srcs).to_list()
    native.filegroup(name = name + "_files", srcs = files)

def _test_answers_questions():
    pass

def _test_cites_sources():
    pass

def test_suite(name, tests):
    """rules_testing's way: each test's target is named after its function, as Bazel writes it
    (`<function _test_x from //tools:defs.bzl>`)."""
    names = []
    for test in tests:
        function = str(test).split(" ")[1]
        names.append(":" + function.lstrip("_"))
        native.filegroup(name = function.lstrip("_"), srcs = [])
    native.filegroup(name = name, srcs = names)

TESTS = [_test_answers_questions, _test_cites_sources]

def py_protos(name):
    """Macros of other ecosystems, imitated, may make one name twice or give none: opaque
    targets, the first kept."""
    runtime.py_proto_library(name = name, srcs = ["first.proto"])
    runtime.py_proto_library(name = name, srcs = ["second.proto"])
    runtime.py_proto_library(name = "", srcs = ["unnamed.proto"])
