# Stand-ins for what graphpub does not model: buildgraph/standins.py shapes one per use.
# A stand-in called with a `name` makes an opaque target of its kind (its arguments as data);
# any other call does nothing and gives `result`, shaped by how the file uses it. Starlark has no recursion: values are made
# plain (JSON-able) three levels deep, deeper ones as text.

_PLAIN = ["string", "int", "bool", "NoneType", "float"]

# Text of a value JSON cannot hold: a Bazel `Label` (bazel_api.bzl) is its label.
def _text(value):
    return str(_label_text(value))

def _plain_leaf(value):
    kind = type(value)
    if kind == "list" or kind == "tuple":
        return [item if type(item) in _PLAIN else _text(item) for item in value]
    if kind == "dict":
        return {_text(k): (v if type(v) in _PLAIN else _text(v)) for k, v in value.items()}
    return value if kind in _PLAIN else _text(value)

def _plain(value):
    kind = type(value)
    if kind == "list" or kind == "tuple":
        return [_plain_leaf(item) for item in value]
    if kind == "dict":
        return {_text(k): _plain_leaf(v) for k, v in value.items()}
    return _plain_leaf(value)

def graphpub_standin(kind, result = None, makes_targets = True):
    def standin(*args, **kwargs):
        if makes_targets:
            _imitated()
        if makes_targets and type(kwargs.get("name")) == "string" and kwargs["name"]:
            attributes = {key: _plain(value) for key, value in kwargs.items()}
            _opaque(json.encode([kind, call_stack(strip_frames = 1), [], attributes]))
            return None
        return _fresh(result)

    return standin

# A result the caller may change (`kwargs = copy_kwargs(kwargs); kwargs["x"] = ...`): the
# prelude's values are frozen, so each call gives a copy.
def _fresh(value):
    kind = type(value)
    if kind == "list":
        return list(value)
    if kind == "dict":
        return dict(value)
    return value
