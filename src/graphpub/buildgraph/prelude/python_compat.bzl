# What Python code lowered into Starlark (buildgraph/python_compat.py) calls: Python's
# semantics for several `**` in one call, and for pathlib.PurePath, which Pants'
# build_file_dir() returns and graphpub represents as a string.

def python_kwargs__(*mappings):
    """`f(**a, k = 1, **b)`: one dict of every keyword argument, each given once."""
    merged = {}
    for mapping in mappings:
        if type(mapping) != "dict":
            fail("argument after ** must be a mapping, not %s" % type(mapping))
        for key, value in mapping.items():
            if key in merged:
                fail("got multiple values for keyword argument '%s'" % key)
            merged[key] = value
    return merged

def _path_parts(path):
    """PurePath's parts: empty and `.` segments dropped, a leading `/` kept as a part."""
    parts = ["/"] if path.startswith("/") else []
    return parts + [p for p in path.split("/") if p not in ("", ".")]

def _path_of(parts):
    if not parts:
        return "."
    if parts[0] == "/":
        return "/" + "/".join(parts[1:])
    return "/".join(parts)

def _joined(left, right):
    right = str(right)
    if right.startswith("/"):
        return _path_of(_path_parts(right))
    return _path_of(_path_parts(str(left)) + _path_parts(right))

def python_div__(left, right):
    """`a / b`: a path joined with another when either is a string (a PurePath), else
    division."""
    if type(left) == "string" or type(right) == "string":
        return _joined(left, right)
    return left / right

def _suffixes(name):
    if name.endswith(".") or "." not in name.lstrip("."):
        return []
    return ["." + s for s in name.lstrip(".").split(".")[1:]]

def python_path__(value, attribute):
    """`value.attribute`: PurePath's when `value` is a string (a path), computed alone (a macro
    may ask for `build_file_dir().name` in every package)."""
    if type(value) != "string":
        return getattr(value, attribute)
    parts = _path_parts(value)
    path = _path_of(parts)
    name = "" if not parts or parts[-1] == "/" else parts[-1]
    if attribute == "name":
        return name
    if attribute == "parts":
        return tuple(parts)
    if attribute in ("parent", "parents"):
        parents = [_path_of(parts[:i]) for i in range(len(parts) - 1, -1, -1)]
        if parts and parts[0] == "/":
            parents = parents[:-1]
        if attribute == "parents":
            return tuple(parents)
        return parents[0] if parents else path
    suffixes = _suffixes(name)
    suffix = suffixes[-1] if suffixes else ""
    stem = name[:len(name) - len(suffix)]
    if attribute in ("suffix", "suffixes", "stem"):
        return {"suffix": suffix, "suffixes": suffixes, "stem": stem}[attribute]
    if attribute == "anchor":
        return "/" if parts and parts[0] == "/" else ""

    def joinpath(*others):
        result = path
        for other in others:
            result = _joined(result, other)
        return result

    def is_relative_to(other):
        base = _path_parts(str(other))
        return parts[:len(base)] == base

    def relative_to(other):
        if not is_relative_to(other):
            fail("%r is not in the subpath of %r" % (path, str(other)))
        return _path_of(parts[len(_path_parts(str(other))):])

    def with_name(new):
        if not name:
            fail("%r has an empty name" % path)
        return _path_of(parts[:-1] + [new])

    methods = {
        "as_posix": lambda: path,
        "is_absolute": lambda: path.startswith("/"),
        "is_relative_to": is_relative_to,
        "joinpath": joinpath,
        "relative_to": relative_to,
        "with_name": with_name,
        "with_stem": lambda new: with_name(new + suffix),
        "with_suffix": lambda new: with_name(stem + new),
    }
    if attribute not in methods:
        fail("'PurePath' object has no attribute '%s'" % attribute)
    return methods[attribute]

def python_open__(file, mode = "r", buffering = -1, encoding = None, errors = None, newline = None):
    """Python's `open()`, for reading a text file below the build root (as Pants runs BUILD
    files there): a file object with read(), readline(), readlines() and close(), and the
    context manager `with` needs (lowered to a one-pass `for`)."""
    if type(mode) != "string" or [c for c in mode.elems() if c in "wax+b"]:
        fail("open(%r, %r): BUILD files and macros may only read text files (mode 'r')" % (file, mode))
    text = python_read_file__(str(file))
    position = [0]

    def read(size = -1):
        start = position[0]
        end = len(text) if size == None or size < 0 else min(len(text), start + size)
        position[0] = end
        return text[start:end]

    def readline(size = -1):
        start = position[0]
        newline_at = text.find("\n", start)
        end = len(text) if newline_at < 0 else newline_at + 1
        if size != None and size >= 0:
            end = min(end, start + size)
        position[0] = end
        return text[start:end]

    def readlines(hint = -1):
        lines = []
        for _ in range(len(text)):
            if position[0] >= len(text):
                break
            lines.append(readline())
        return lines

    return struct(
        name = file,
        mode = mode,
        read = read,
        readline = readline,
        readlines = readlines,
        close = lambda: None,
    )

def python_set__(items = ()):
    """Python's `set(items)`: a dict of the items (True each), in insertion order; `in`,
    iteration, len(), `|` and sorted() behave as on a set."""
    return {item: True for item in items}

def python_add__(collection, item):
    """`s.add(item)`: on a set (a dict) a new key; on anything else its own add()."""
    if type(collection) == "dict":
        collection[item] = True
        return None
    return collection.add(item)

def python_discard__(collection, item):
    """`s.discard(item)`: on a set (a dict) the key goes, if there."""
    if type(collection) == "dict":
        collection.pop(item, None)
        return None
    return collection.discard(item)

def python_iter__(value):
    """What `for x in value` goes over in Python: a string's characters too."""
    return value.elems() if type(value) == "string" else value
