# JSON keys are strings, and rule calls cross to graphpub as JSON. Every module whose rule
# wrappers pass dicts to graphpub defines these.

# Pants' `overrides = {("a.py", "b.py"): {...}}`: a tuple key crosses as "a.py\nb.py".
def _override_keys(overrides):
    if type(overrides) != "dict":
        return overrides
    return {("\n".join(k) if type(k) == "tuple" else k): v for k, v in overrides.items()}

# Bazel's `Label` (bazel_api.bzl: a struct with methods, which JSON cannot hold) in a rule
# call's keyword arguments, two levels deep (a value, in a list or dict, in a list or dict of
# those): its text. Most calls hold none: the rule wrappers call this only when the text of
# their arguments names the struct's field. (Starlark has no recursion: one function per
# level.)
def _label_free_kwargs(kwargs):
    return {key: _label_free(value, _label_free_leaf) for key, value in kwargs.items()}

def _label_free(value, inner = None):
    kind = type(value)
    if kind == "list" or kind == "tuple":
        return [inner(item) if inner else _label_text(item) for item in value]
    if kind == "dict":
        return {
            _label_text(k): inner(v) if inner else _label_text(v)
            for k, v in value.items()
        }
    return _label_text(value)

def _label_free_leaf(value):
    return _label_free(value)

def _label_text(value):
    return value._graphpub_label if _is_label(value) else value

# Whether `value` is a `Label` (bazel_api.bzl's bazel_label).
def _is_label(value):
    return type(value) == "struct" and hasattr(value, "_graphpub_label")
