# bazel_skylib's libraries, which BUILD and .bzl files use while they load: served by graphpub
# (its rules, build_test, write_file, copy_file, ..., stand in: a call with a name makes an
# opaque target). Written for graphpub from skylib's documentation.

def _with_or_dict(input_dict):
    output = {}
    for key, value in input_dict.items():
        for one in (key if type(key) == "tuple" else [key]):
            output[one] = value
    return output

def _with_or(input_dict, no_match_error = ""):
    return select(_with_or_dict(input_dict), no_match_error = no_match_error)

def _config_setting_group(name, match_any = [], match_all = [], visibility = None):
    graphpub_standin("config_setting_group")(name = name, match_any = match_any, match_all = match_all)

selects = struct(
    with_or = _with_or,
    with_or_dict = _with_or_dict,
    config_setting_group = _config_setting_group,
)

def _basename(p):
    return p.rpartition("/")[-1]

def _dirname(p):
    prefix, sep, _ = p.rpartition("/")
    return prefix.rstrip("/") if prefix else ("/" if sep else "")

def _is_absolute(path):
    return path.startswith("/") or (len(path) > 2 and path[1] == ":")

def _join(path, *others):
    result = path
    for p in others:
        if _is_absolute(p):
            result = p
        elif not result or result.endswith("/"):
            result += p
        else:
            result += "/" + p
    return result

def _normalize(path):
    if not path:
        return "."
    absolute = path.startswith("/")
    parts = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == ".." and parts and parts[-1] != "..":
            parts.pop()
        elif part != ".." or not absolute:
            parts.append(part)
    normalized = "/".join(parts)
    return ("/" + normalized) if absolute else (normalized or ".")

def _relativize(path, start):
    if not start:
        return path
    if path == start:
        return ""
    return path[len(start) + 1:] if path.startswith(start + "/") else path

def _split_extension(p):
    base = _basename(p)
    dot = base.rfind(".")
    if dot <= 0:
        return (p, "")
    cut = len(p) - (len(base) - dot)
    return (p[:cut], p[cut:])

def _replace_extension(p, new_extension):
    return _split_extension(p)[0] + new_extension

def _starts_with(path_a, path_b):
    return path_a == path_b or path_a.startswith(path_b.rstrip("/") + "/")

def _is_normalized(str, look_for_same_level_references = True):
    return _normalize(str) == str

paths = struct(
    basename = _basename,
    dirname = _dirname,
    is_absolute = _is_absolute,
    is_normalized = _is_normalized,
    join = _join,
    normalize = _normalize,
    relativize = _relativize,
    replace_extension = _replace_extension,
    split_extension = _split_extension,
    starts_with = _starts_with,
)

def _add(*dictionaries, **kwargs):
    result = {}
    for d in dictionaries:
        result.update(d)
    result.update(kwargs)
    return result

def _omit(dictionary, keys):
    return {k: v for k, v in dictionary.items() if k not in keys}

def _pick(dictionary, keys):
    return {k: dictionary[k] for k in keys if k in dictionary}

dicts = struct(add = _add, omit = _omit, pick = _pick)

def _after_each(separator, iterable):
    result = []
    for x in iterable:
        result += [x, separator]
    return result

def _before_each(separator, iterable):
    result = []
    for x in iterable:
        result += [separator, x]
    return result

def _uniq(iterable):
    return list({x: None for x in iterable}.keys())

collections = struct(after_each = _after_each, before_each = _before_each, uniq = _uniq)

types = struct(
    is_list = lambda v: type(v) == "list",
    is_string = lambda v: type(v) == "string",
    is_bool = lambda v: type(v) == "bool",
    is_none = lambda v: v == None,
    is_int = lambda v: type(v) == "int",
    is_tuple = lambda v: type(v) == "tuple",
    is_dict = lambda v: type(v) == "dict",
    is_function = lambda v: type(v) == "function",
    is_depset = lambda v: False,
    is_set = lambda v: False,
)

def _shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

shell = struct(
    quote = _shell_quote,
    array_literal = lambda iterable: "(" + " ".join([_shell_quote(str(i)) for i in iterable]) + ")",
)

structs = struct(to_dict = lambda s: {k: getattr(s, k) for k in dir(s) if k != "to_json" and k != "to_proto"})

versions = struct(
    get = lambda: "8.0.0",
    parse = lambda v: tuple([int(p) for p in v.split("-")[0].split(".")[:3] if p.isdigit()]),
    check = lambda minimum_bazel_version = None, maximum_bazel_version = None, bazel_version = None: None,
    is_at_least = lambda threshold, version: True,
)
