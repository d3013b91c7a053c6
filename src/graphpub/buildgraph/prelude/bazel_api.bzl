# Bazel's rule-definition API, for the .bzl files real repositories keep: enough to load them.
# A rule made with rule() records an opaque target of its kind (named after its implementation
# function, `_py_wheel_impl` -> `py_wheel`); rule bodies never run.

def _kind_of(implementation):
    name = str(implementation).rpartition(".")[2].lstrip("_")
    return name[:-len("_impl")] if name.endswith("_impl") else (name or "rule")

def rule(implementation = None, **kwargs):
    kind = _kind_of(implementation)

    def instantiate(*args, **attributes):
        return _rule(json.encode([kind, call_stack(strip_frames = 1), args, attributes]))

    return instantiate

def _attribute(**kwargs):
    return struct(**kwargs)

attr = struct(
    bool = _attribute, int = _attribute, int_list = _attribute, label = _attribute,
    label_keyed_string_dict = _attribute, label_list = _attribute, output = _attribute,
    output_list = _attribute, string = _attribute, string_dict = _attribute,
    string_keyed_label_dict = _attribute, string_list = _attribute,
    string_list_dict = _attribute,
)

def provider(doc = "", fields = None, init = None):
    return struct

def depset(direct = None, transitive = None, **kwargs):
    items = list(direct or [])
    for nested in transitive or []:
        items.extend(nested)
    return items

def Label(text):
    return text

def aspect(implementation = None, **kwargs):
    return struct(implementation = implementation)

def module_extension(implementation = None, **kwargs):
    return struct()

def repository_rule(implementation = None, **kwargs):
    return rule(implementation = implementation)

DefaultInfo = struct
OutputGroupInfo = struct
PyInfo = struct
RunEnvironmentInfo = struct
platform_common = struct(TemplateVariableInfo = struct, ToolchainInfo = struct)
