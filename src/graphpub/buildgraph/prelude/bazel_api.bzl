# Bazel's rule-definition API, for the .bzl files real repositories keep: what has to behave
# for them to load. A rule made with rule() (or macro(), repository_rule(), ...) records an opaque
# target of its kind, named after its implementation function (`_py_wheel_impl` -> `py_wheel`);
# rule bodies never run. Every other global Bazel documents for .bzl files (cc_common,
# config_common, testing, providers, ...) stands in as its file uses it (bzl_globals.txt).

def _kind_of(implementation):
    name = str(implementation).rpartition(".")[2].lstrip("_")
    return name[:-len("_impl")] if name.endswith("_impl") else (name or "rule")

def rule(implementation = None, impl = None, **kwargs):
    kind = _kind_of(implementation or impl)

    def instantiate(*args, **attributes):
        if "_graphpub_label" in str(attributes):
            attributes = _label_free_kwargs(attributes)
        _rule(json.encode([kind, call_stack(strip_frames = 1), args, attributes]))

    return instantiate

macro = rule
anon_rule = rule

def repository_rule(implementation = None, **kwargs):
    return rule(implementation = implementation)

def _attribute(**kwargs):
    return struct(**kwargs)

attr = struct(
    bool = _attribute, int = _attribute, int_list = _attribute, label = _attribute,
    label_keyed_string_dict = _attribute, label_list = _attribute, output = _attribute,
    output_list = _attribute, string = _attribute, string_dict = _attribute,
    string_keyed_label_dict = _attribute, string_list = _attribute,
    string_list_dict = _attribute,
)

# A provider is called to make an instance and named in type annotations: `struct` is both.
# With `init`, Bazel gives the provider and its raw constructor.
def provider(doc = "", fields = None, init = None):
    return (struct, struct) if init != None else struct

def depset(direct = None, order = "default", transitive = None, **kwargs):
    items = list(direct or [])
    for nested in transitive or []:
        items.extend(nested.to_list() if type(nested) == "struct" else nested)
    return struct(to_list = lambda: list(items))

# A label is its text where a type is named (`label: Label`: Buck2's prelude annotates so) and
# in files that assign the name. A Bazel file calling `Label(...)` sees bazel_label instead
# (BAZEL_FORMS in file_parser.py): Bazel's Label, with its parts as attributes (`.name`,
# `.package`, `.repo_name`, `.workspace_name`, `.workspace_root`) and methods (`.relative()`,
# `.same_package_label()`), that goes into a target as its text (`_label_free_kwargs`). Without
# Bazel's repository mapping, the repository is the one the text names, and a relative label
# is in the package being evaluated.
Label = str

def bazel_label(text):
    if _is_label(text):
        return text
    text = str(text)
    repo, package, name = "", "", text
    if text.startswith("@") or text.startswith("//"):
        repo, separator, rest = text.lstrip("@").partition("//")
        if not separator:  # `@repo`: the repository's main target, `@repo//:repo`
            repo, rest = text.lstrip("@"), ":" + text.lstrip("@")
        package, colon, name = rest.partition(":")
        if not colon:
            name = package.rpartition("/")[2]
    else:
        package = package_name()
        name = text.removeprefix(":")
    here = ("@" + repo if repo else "") + "//" + package + ":"
    return struct(
        _graphpub_label = text,
        name = name,
        package = package,
        repo_name = repo,
        workspace_name = repo,
        workspace_root = "external/" + repo if repo else "",
        relative = lambda other: _relative_label(here, repo, other),
        same_package_label = lambda other: bazel_label(here + other),
    )

# type() as Bazel answers it for a Label (`type(x) == "Label"`): what a Bazel file calling
# type() calls (BAZEL_FORMS in file_parser.py).
def bazel_type(value):
    return "Label" if _is_label(value) else type(value)

def _relative_label(here, repo, other):
    if other.startswith("@"):
        return bazel_label(other)
    if other.startswith("//"):
        return bazel_label(("@" + repo if repo else "") + other)
    return bazel_label(here + other.removeprefix(":"))

# select() keyed by Labels, or choosing between them (`select({Label("//x:cond"): [LABEL]})`):
# what a Bazel file calling select() calls (BAZEL_FORMS in file_parser.py).
def bazel_select(conditions, no_match_error = ""):
    return select(_label_free(conditions, _label_free_leaf), no_match_error)

def aspect(implementation = None, **kwargs):
    return struct(implementation = implementation)

def module_extension(implementation = None, **kwargs):
    return struct()

def tag_class(attrs = None, doc = ""):
    return struct()

# Bazel BUILD-file functions that return something a file goes on with.
def subpackages(include, exclude = [], allow_empty = False):
    return []

# The Label of `input` in the package being evaluated (as Label() reads it in the package's
# BUILD file): `":x"` and `"x"` are `//pkg:x`.
def package_relative_label(input):
    if _is_label(input) or str(input).startswith("@") or str(input).startswith("//"):
        return bazel_label(input)
    return bazel_label("//" + package_name() + ":" + str(input).removeprefix(":"))

def module_name():
    return None

def module_version():
    return None

def repo_name():
    return ""

def package_default_visibility():
    return []

# @platforms//host:constraints.bzl: the constraints of the machine graphpub runs on.
def _host_constraints():
    arch = host_info().arch
    system = host_info().os
    cpu = "x86_64"
    if arch.is_aarch64:
        cpu = "aarch64"
    elif arch.is_arm:
        cpu = "arm"
    elif arch.is_i386:
        cpu = "x86_32"
    elif arch.is_ppc64:
        cpu = "ppc64le"
    elif arch.is_riscv64:
        cpu = "riscv64"
    os = "linux"
    if system.is_macos:
        os = "osx"
    elif system.is_windows:
        os = "windows"
    elif system.is_freebsd:
        os = "freebsd"
    return ["@platforms//cpu:" + cpu, "@platforms//os:" + os]

HOST_CONSTRAINTS = _host_constraints()

# rules_python's own names for its rules (python/packaging.bzl): the rule behind py_wheel.
py_wheel_rule = py_wheel

# str() of a function as Bazel writes it, `<function foo from //pkg:defs.bzl>`: macros parse
# that (rules_testing's test suites name their tests so); starlark writes `pkg/defs.bzl.foo`.
# Files see it as `str` (BAZEL_FORMS in file_parser.py): the prelude itself keeps starlark's.
def bazel_str(value = ""):
    if _is_label(value):
        return value._graphpub_label
    text = str(value)
    if type(value) != "function":
        return text
    module, _, name = text.rpartition(".")
    if not module.endswith(".bzl"):
        return "<built-in function " + name + ">" if not module else "<function " + name + ">"
    package, _, file = module.rpartition("/")
    return "<function " + name + " from //" + package + ":" + file + ">"

# @pybind11_bazel//:build_defs.bzl: a Python extension module, which a build compiles: the
# cc_binary `<name>.so` and `<name>`, an alias of it (as pybind11_bazel 2.12+ makes both).
def pybind_extension(name, **kwargs):
    extension = graphpub_standin("pybind_extension")
    extension(name = name + ".so", **kwargs)
    extension(name = name, **kwargs)
