"""Hypothesis strategies for tests/test_fuzz.py: build files, specs, `.pypirc` and config text.

Each input comes in three flavours: near-valid text built from the pieces real files are made
of (rules, fields, labels, sections, keys), the same text mutated (characters deleted, inserted,
duplicated, the file cut short), and arbitrary text or bytes, non-UTF-8 included.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

# ---------------------------------------------------------------- profiles

# `graphpub-ci` is the default: a bounded, deterministic run for every `pytest` (each test sets
# its number of examples). `graphpub-fuzz` is the long, random one, chosen with GRAPHPUB_FUZZ=1
# (GRAPHPUB_FUZZ_EXAMPLES=N examples per test); it keeps failures in .hypothesis/ to replay.
settings.register_profile(
    "graphpub-ci",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
)
settings.register_profile(
    "graphpub-fuzz",
    deadline=None,
    derandomize=False,
    max_examples=int(os.environ.get("GRAPHPUB_FUZZ_EXAMPLES", "5000")),
    print_blob=True,
)
LONG_RUN = os.environ.get("GRAPHPUB_FUZZ", "") not in ("", "0")
PROFILE = settings.get_profile("graphpub-fuzz" if LONG_RUN else "graphpub-ci")


def fuzz_settings(ci_examples: int) -> settings:
    """The active profile, with `ci_examples` examples unless this is the long run."""
    if LONG_RUN:
        return settings(PROFILE)
    return settings(PROFILE, max_examples=ci_examples)


# ---------------------------------------------------------------- generic text and mutations

# Characters that matter to the parsers under test, and a few that tend to break naive code.
SPECIAL = "()[]{}\"'\\:,;=.#@!$%*?/-+_~`|&^<>\n\t\r \x00\x0b\x0cé→\u200b\u2028\ufeff\U0001f600"
special_chars = st.sampled_from(SPECIAL)
interesting_text = st.text(
    alphabet=st.one_of(special_chars, st.characters(codec="utf-8")), max_size=40
)


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[str], max_edits: int = 4) -> str:
    """Text from `base` with a few edits: deletions, insertions, duplications, truncation."""
    text = draw(base)
    for _ in range(draw(st.integers(1, max_edits))):
        size = len(text)
        position = draw(st.integers(0, size))
        edit = draw(st.sampled_from(("delete", "insert", "duplicate", "truncate", "swap")))
        if edit == "delete" and size:
            length = draw(st.integers(1, min(8, size - position) or 1))
            text = text[:position] + text[position + length :]
        elif edit == "insert":
            text = (
                text[:position]
                + draw(st.text(special_chars, min_size=1, max_size=3))
                + text[position:]
            )
        elif edit == "duplicate" and size:
            end = draw(st.integers(position, min(size, position + 30)))
            text = text[:end] + text[position:end] + text[end:]
        elif edit == "truncate":
            text = text[:position]
        elif edit == "swap" and size >= 2:
            other = draw(st.integers(0, size - 1))
            a, b = sorted((min(position, size - 1), other))
            if a != b:
                text = text[:a] + text[b] + text[a + 1 : b] + text[a] + text[b + 1 :]
    return text


def as_bytes(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """Text encoded as UTF-8, sometimes with invalid bytes spliced in or in another encoding."""

    @st.composite
    def encode(draw: st.DrawFn) -> bytes:
        data = draw(text).encode("utf-8", errors="surrogatepass")
        how = draw(st.sampled_from(("utf-8", "splice", "latin-1", "utf-16", "bom")))
        if how == "splice":
            position = draw(st.integers(0, len(data)))
            junk = draw(st.sampled_from((b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\x80")))
            return data[:position] + junk + data[position:]
        if how == "latin-1":
            return data.decode("utf-8", errors="replace").encode("latin-1", errors="replace")
        if how == "utf-16":
            return data.decode("utf-8", errors="replace").encode("utf-16")
        if how == "bom":
            return b"\xef\xbb\xbf" + data
        return data

    return encode()


def file_content(structured: st.SearchStrategy[str]) -> st.SearchStrategy[str | bytes]:
    """What a fuzzed file holds: mostly structured or mutated text, sometimes anything at all."""
    return st.one_of(
        structured,
        structured,
        mutated(structured),
        mutated(structured),
        st.text(max_size=200),
        st.binary(max_size=200),
        as_bytes(structured),
    )


# ---------------------------------------------------------------- labels and specs

SEGMENTS = (
    "a",
    "b",
    "lib",
    "pkg",
    "src",
    "python",
    "x",
    "sub",
    "..",
    ".",
    "",
    "*",
    "**",
    "...",
    "a b",
    "é",
    "BUILD",
    "a.py",
    "x.bzl",
    "f.txt",
    "-",
    "~",
    "%s",
    "$(X)",
    "{x}",
)
segment = st.one_of(st.sampled_from(SEGMENTS), st.text(alphabet=special_chars, max_size=3))
path = st.lists(segment, max_size=4).map("/".join)
name = st.one_of(
    st.sampled_from(("lib", "pkg", "x", "dist", "all", "*", "all-targets", "", "a.py", "../gen")),
    st.text(alphabet=st.one_of(special_chars, st.sampled_from("abcxyz019")), max_size=6),
)
cell = st.sampled_from(("root", "other", "cell", "unknown", "pypi", "", "@"))


def _join(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


def _const(text: str) -> st.SearchStrategy[str]:
    return st.just(text)


structured_label = st.one_of(
    path,
    _join(path, _const(":"), name),
    _join(_const("//"), path, _const(":"), name),
    _join(_const("//"), path),
    _join(_const(":"), name),
    _join(_const("./"), path),
    _join(_const("../"), path),
    _join(path, _const(".py")),
    _join(path, _const(".py:"), name),
    _join(_const("@"), cell, _const("//"), path, _const(":"), name),
    _join(_const("@"), cell),
    _join(cell, _const("//"), path, _const(":"), name),
    _join(path, _const(":"), name, _const("#"), name),
    _join(path, _const(":"), name, _const("@"), name, _const("="), name),
    _join(st.sampled_from(("!", "!!")), path, _const(":"), name),
)
structured_spec = st.one_of(
    structured_label,
    _join(path, _const("::")),
    _join(path, _const(":")),
    _join(_const("//"), path, _const("/...")),
    _join(_const("//"), path, _const(":all")),
    _join(_const("-"), path, _const(":"), name),
    _join(_const("-"), path, _const("::")),
    _join(path, _const("/*.py")),
    _join(path, _const("/**/*")),
    st.sampled_from(("::", "//...", "...", "//:all", ":", "-", "--", "-::", "//", "/", "/x")),
)
_label = st.one_of(structured_label, mutated(structured_label, max_edits=2), interesting_text)
_spec = st.one_of(structured_spec, mutated(structured_spec, max_edits=2), interesting_text)
# Deferred, here and below: Hypothesis computes the repr of strategies (to explain a failure),
# and the repr of one built of many others would be megabytes long.
label = st.deferred(lambda: _label)
spec = st.deferred(lambda: _spec)


# ---------------------------------------------------------------- Starlark build files

PANTS_RULES = (
    "python_sources",
    "python_source",
    "python_tests",
    "python_test_utils",
    "python_requirement",
    "python_requirements",
    "poetry_requirements",
    "python_distribution",
    "pex_binary",
    "resources",
    "resource",
    "files",
    "file",
    "target",
    "shell_sources",
)
BAZEL_RULES = (
    "py_library",
    "py_binary",
    "py_test",
    "py_wheel",
    "py_package",
    "filegroup",
    "alias",
    "genrule",
    "config_setting",
    "package_group",
    "test_suite",
    "cc_library",
    "exports_files",
    "package",
)
BUCK2_RULES = ("python_library", "python_binary", "prebuilt_python_library", "python_wheel")
# Builtins and other calls. No `range`: `list(range(18446744073709551616))` is valid Starlark
# that takes all the memory there is (the evaluator's budgets are tests/test_hostile.py's).
OTHER_CALLS = (
    "glob",
    "select",
    "python_artifact",
    "parametrize",
    "env",
    "build_file_dir",
    "__defaults__",
    "fail",
    "print",
    "len",
    "str",
    "struct",
    "native.glob",
    "native.py_library",
    "not_a_rule",
    "rule",
    "repr",
    "sorted",
    "dict",
    "list",
    "read_config",
    "package_name",
    "repository_name",
)
FIELDS = (
    "name",
    "name",
    "sources",
    "srcs",
    "deps",
    "dependencies",
    "provides",
    "repositories",
    "version",
    "distribution",
    "python_tag",
    "visibility",
    "tags",
    "skip_twine",
    "requirements",
    "source",
    "interpreter_constraints",
    "entry_points",
    "strip_path_prefixes",
    "data",
    "imports",
    "main",
    "description",
    "overrides",
    "resolve",
    "module_mapping",
    "wheel",
    "sdist",
    "generate_setup",
    "long_description_path",
    "env",
    "outs",
    "cmd",
    "actual",
    "values",
    "define_values",
    "exclude",
    "platform",
    "requires",
    "unknown_field",
    "dist_folder",
    "distribution_prefix",
    "python_requires",
)
STRINGS = (
    "",
    "x",
    "lib",
    "1.0",
    "1.0.0",
    "0.1.dev0+local",
    "not a version",
    "{BUILD_EMBED_LABEL}",
    "$(VERSION)",
    "$(",
    "*.py",
    "**/*.py",
    "!skip.py",
    "a.py",
    "../x.py",
    "/abs",
    "requests>=2",
    "requests[",
    "==1.0",
    ">=3.8",
    "@pypi",
    "@fuzz",
    "https://example.invalid/legacy/",
    "file:dist/index",
    "//conditions:default",
    "//visibility:public",
    "py3",
    "requirements.txt",
    "pyproject.toml",
    "%s",
    "\\",
    "\n",
    "é",
    "\x00",
)


def _quote(text: str) -> str:
    return json.dumps(text)


def _starlark_string() -> st.SearchStrategy[str]:
    raw = st.one_of(st.sampled_from(STRINGS), label, st.text(max_size=10))
    return st.one_of(
        raw.map(_quote),
        raw.filter(lambda s: "'" not in s and "\\" not in s and "\n" not in s).map(
            lambda s: f"'{s}'"
        ),
        raw.filter(lambda s: '"""' not in s and not s.endswith(("\\", '"'))).map(
            lambda s: f'"""{s}"""'
        ),
        st.sampled_from(('r"\\d"', 'b"x"', '"\\q"', '"\\u00e9"', '"\\777"', '"unterminated')),
    )


_numbers = st.one_of(
    st.integers(-3, 1000).map(str),
    st.sampled_from(
        (
            "1000000000000000000000000000000",
            "18446744073709551616",
            "2147483647",
            "-9223372036854775808",
            "2**8",  # not Starlark
            "-0",
            "1.5",
            "1e400",
            "0x10",
            "0o7",
            "1_000",
            "float('nan')",
        )
    ),
)
_leaves = st.one_of(
    _starlark_string(),
    _starlark_string(),
    _numbers,
    st.sampled_from(
        ("True", "False", "None", "undefined_name", "name", "glob", "native", "struct")
    ),
)


def _call(callee: st.SearchStrategy[str], value: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    positional = st.lists(value, max_size=2)
    keywords = st.lists(st.tuples(st.sampled_from(FIELDS), value), max_size=5)
    return st.builds(
        lambda f, args, kwargs: f"{f}({', '.join([*args, *(f'{k}={v}' for k, v in kwargs)])})",
        callee,
        positional,
        keywords,
    )


def _compound(value: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    small = st.integers(-1, 3).map(str)
    return st.one_of(
        st.lists(value, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(value, max_size=3).map(lambda items: "(" + ", ".join(items) + ",)"),
        st.lists(st.tuples(value, value), max_size=3).map(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        ),
        st.lists(value, max_size=3).map(lambda items: "glob([" + ", ".join(items) + "])"),
        st.tuples(value, value).map(lambda p: f"glob([{p[0]}], exclude=[{p[1]}])"),
        st.lists(st.tuples(_starlark_string(), value), max_size=3).map(
            lambda pairs: "select({" + ", ".join(f"{k}: {v}" for k, v in pairs) + "})"
        ),
        st.tuples(value, value).map(
            lambda p: f'select({{"//conditions:default": {p[0]}}}) + {p[1]}'
        ),
        st.tuples(value, value).map(lambda p: f"python_artifact(name={p[0]}, version={p[1]})"),
        st.tuples(value, value).map(lambda p: f"parametrize({p[0]}, b={p[1]})"),
        st.tuples(value, value).map(lambda p: f"{p[0]} + {p[1]}"),
        st.tuples(value, small).map(lambda p: f"{p[0]} * {p[1]}"),
        st.tuples(value, value).map(lambda p: f"{p[0]} % {p[1]}"),
        st.tuples(value, value).map(lambda p: f"{p[0]}[{p[1]}]"),
        value.map(lambda v: f"[x for x in {v}]"),
        value.map(lambda v: f"{v}.attribute"),
        value.map(lambda v: f"env({v})"),
        _call(st.sampled_from(OTHER_CALLS), value),
    )


_starlark_value: st.SearchStrategy[str] = st.recursive(_leaves, _compound, max_leaves=12)
starlark_value = st.deferred(lambda: _starlark_value)


def _rule_call(kinds: Sequence[str]) -> st.SearchStrategy[str]:
    return _call(st.sampled_from(kinds), starlark_value)


def _indented(body: str) -> str:
    return "\n".join("    " + line for line in body.splitlines() or ["pass"])


def _statements(kinds: Sequence[str]) -> st.SearchStrategy[str]:
    rule = _rule_call(kinds)
    return st.one_of(
        rule,
        rule,
        rule,
        st.tuples(
            st.sampled_from(("X", "NAME", "deps", "name", "glob", "True")), starlark_value
        ).map(lambda p: f"{p[0]} = {p[1]}"),
        st.tuples(_starlark_string(), st.lists(_starlark_string(), max_size=3)).map(
            lambda p: "load(" + ", ".join([p[0], *p[1]]) + ")"
        ),
        st.sampled_from(
            (
                'load(":defs.bzl", "macro")',
                'load("//pkg:defs.bzl", "macro", alias = "VALUE")',
                'load("@rules_python//python:defs.bzl", "py_library")',
                'load("@pypi//:requirements.bzl", "requirement")',
                'load("defs.bzl", "missing_symbol")',
                'load("//pkg/defs.bzl", "macro")',
                'load(":BUILD", "x")',
                "macro(name = 'm')",
                "macro()",
            )
        ),
        st.tuples(st.sampled_from(("m", "f")), rule).map(
            lambda p: f"def {p[0]}(name = 'n', **kwargs):\n{_indented(p[1])}\n\n{p[0]}()"
        ),
        st.tuples(st.integers(0, 3), rule).map(
            lambda p: f"for i in range({p[0]}):\n{_indented(p[1])}"
        ),
        st.tuples(starlark_value, rule).map(lambda p: f"if {p[0]}:\n{_indented(p[1])}"),
        starlark_value,
    )


PANTS_TEMPLATE = """\
python_sources(
    name = "pkg",
    sources = ["*.py", "!skip.py"],
    dependencies = ["//lib", ":res", "./a.py", "!//lib:other"],
    overrides = {"a.py": {"dependencies": ["//lib:lib"]}},
)

resources(name = "res", sources = ["data/*.json"])

python_requirements(name = "reqs", source = "requirements.txt")

python_distribution(
    name = "dist",
    dependencies = [":pkg", "//lib"],
    provides = python_artifact(
        name = "fuzzdemo",
        version = "1.0.0",
        description = "A distribution",
    ),
    repositories = ["@fuzz", "https://example.invalid/legacy/"],
    entry_points = {"console_scripts": {"demo": "pkg.a:main"}},
    wheel = True,
    sdist = False,
)

pex_binary(name = "bin", entry_point = "a.py:main", dependencies = [":pkg"])
"""
BAZEL_TEMPLATE = """\
load("@rules_python//python:defs.bzl", "py_library")
load("@rules_python//python:packaging.bzl", "py_wheel", "py_package")
load(":defs.bzl", "macro")

package(default_visibility = ["//visibility:public"])

py_library(
    name = "pkg",
    srcs = glob(["*.py"], exclude = ["skip.py"]),
    deps = ["//lib", "@pypi//requests"] + select({
        ":fast": ["//lib:other"],
        "//conditions:default": [],
    }),
    imports = ["."],
)

config_setting(name = "fast", define_values = {"mode": "fast"})

py_wheel(
    name = "wheel",
    distribution = "fuzzdemo",
    version = "$(VERSION)",
    python_tag = "py3",
    requires = ["requests>=2"],
    deps = [":pkg"],
    strip_path_prefixes = ["pkg"],
)

macro(name = "generated")
"""
BUCK2_TEMPLATE = """\
python_library(
    name = "pkg",
    srcs = glob(["*.py"]),
    deps = ["root//lib:lib", ":wheel"],
    base_module = "pkg",
)

prebuilt_python_library(name = "wheel", binary_src = "x.whl")

python_binary(name = "bin", main_module = "pkg.a", deps = [":pkg"])
"""
BZL_TEMPLATE = """\
VALUE = "value"

def macro(name, **kwargs):
    native.py_library(name = name, srcs = native.glob(["*.py"]), **kwargs)
"""


def _build_file(template: str, kinds: Sequence[str]) -> st.SearchStrategy[str]:
    generated = st.lists(_statements(kinds), min_size=1, max_size=6).map(
        lambda statements: "\n".join(statements) + "\n"
    )
    return st.one_of(
        st.just(template),
        generated,
        generated,
        st.tuples(st.just(template), generated).map("\n".join),
    )


_BUILD_FILES = {
    "pants": file_content(_build_file(PANTS_TEMPLATE, PANTS_RULES + BAZEL_RULES[:2])),
    "bazel": file_content(_build_file(BAZEL_TEMPLATE, BAZEL_RULES + PANTS_RULES[:2])),
    "buck2": file_content(_build_file(BUCK2_TEMPLATE, BUCK2_RULES + BAZEL_RULES[:3])),
}
BUILD_FILES = {
    "pants": st.deferred(lambda: _BUILD_FILES["pants"]),
    "bazel": st.deferred(lambda: _BUILD_FILES["bazel"]),
    "buck2": st.deferred(lambda: _BUILD_FILES["buck2"]),
}
"""The contents of one build file in a repository of each dialect."""


_bzl_file = file_content(
    st.one_of(
        st.just(BZL_TEMPLATE),
        mutated(st.just(BZL_TEMPLATE)),
        st.lists(_statements(BAZEL_RULES), max_size=3).map(
            lambda s: BZL_TEMPLATE + "\n".join(s) + "\n"
        ),
    )
)

_requirement_line = st.one_of(
    st.sampled_from(
        (
            "requests>=2",
            "requests[socks]==2.31",
            "-r other.txt",
            "--index-url https://x",
            "# comment",
            "pkg @ https://example.invalid/pkg.whl",
            "name ; python_version < '3.8'",
            "-e .",
            "requests[",
            "==1",
            "",
        )
    ),
    interesting_text,
)
_requirements_file = file_content(
    st.lists(_requirement_line, max_size=5).map(lambda lines: "\n".join(lines) + "\n")
)
bzl_file = st.deferred(lambda: _bzl_file)
requirements_file = st.deferred(lambda: _requirements_file)


# ---------------------------------------------------------------- .pypirc

PYPIRC_SECTIONS = ("fuzz", "other-repo", "pypi", "testpypi", "distutils", "DEFAULT", "server-login")
PYPIRC_KEYS = ("repository", "username", "password", "index-servers", "REPOSITORY", "url")
PYPIRC_VALUES = (
    "https://example.invalid/legacy/",
    "http://localhost:8080/",
    "http://host:notaport/",
    "http://[::1/",
    "http://[::1]:99999/",
    "http://user:p%40ss@example.invalid/",
    "file:index",
    "file:../outside",
    "file://",
    "file:///tmp/graphpub-fuzz-index",
    "file:",
    "ftp://example.invalid/",
    "example.invalid",
    "",
    "%(other)s",
    "%",
    "100%",
    "fuzz\n    other-repo",
    "\\",
)


def _pypirc_line() -> st.SearchStrategy[str]:
    key = st.one_of(st.sampled_from(PYPIRC_KEYS), st.text(special_chars, max_size=4))
    value = st.one_of(st.sampled_from(PYPIRC_VALUES), interesting_text)
    separator = st.sampled_from((": ", " = ", "=", ":", " "))
    return st.one_of(
        st.tuples(key, separator, value).map("".join),
        st.sampled_from(PYPIRC_SECTIONS).map(lambda s: f"[{s}]"),
        st.text(special_chars, max_size=5).map(lambda s: f"[{s}]"),
        st.sampled_from(("[", "]", "[fuzz", "  continued", "\tcontinued", "# comment", "; c", "")),
    )


_sections = st.lists(
    st.tuples(
        st.sampled_from(PYPIRC_SECTIONS),
        st.lists(
            st.tuples(st.sampled_from(PYPIRC_KEYS), st.sampled_from(PYPIRC_VALUES)),
            max_size=4,
        ),
    ),
    max_size=4,
).map(
    lambda sections: "".join(
        f"[{section}]\n" + "".join(f"{k}: {v}\n" for k, v in keys) for section, keys in sections
    )
)
# Twine reads only the sections `[distutils] index-servers` lists.
_index_servers = st.lists(st.sampled_from(PYPIRC_SECTIONS), max_size=3, unique=True).map(
    lambda names: "[distutils]\nindex-servers =\n" + "".join(f"    {n}\n" for n in names)
)
_structured_pypirc = st.one_of(
    st.lists(_pypirc_line(), max_size=10).map(lambda lines: "\n".join(lines) + "\n"),
    _sections,
    st.tuples(_index_servers, _sections).map("".join),
    st.tuples(_index_servers, st.lists(_pypirc_line(), max_size=6)).map(
        lambda parts: parts[0] + "\n".join(parts[1]) + "\n"
    ),
)
pypirc_file = file_content(_structured_pypirc)


# ---------------------------------------------------------------- TOML and configuration

CONFIG_KEYS = (
    "dialect",
    "build_patterns",
    "build_ignore",
    "strict_loads",
    "strict_rules",
    "defines",
    "conditions",
    "external_loads",
    "python_hubs",
    "stamp",
    "publish",
    "source_roots",
    "source_root_markers",
    "first_party_version_scheme",
    "pypirc",
    "ca_certs",
    "twine_args",
    "skip",
    "index_urls",
    "upload_timeout",
    "index_timeout",
    "max_index_bytes",
    "upload_retries",
    "retry_backoff",
    "evaluation_timeout",
    "max_build_file_bytes",
    "max_nesting_depth",
    "max_evaluation_memory_mib",
    "unknown_key",
    "",
)
TomlValue = Any  # str, int, float, bool, list, dict, date


def _toml_value(value: TomlValue) -> str:
    """Serialise `value` as TOML (strings, numbers, booleans, arrays, inline tables, dates)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # TOML basic strings take JSON's escapes
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
        )
    return value.isoformat()  # type: ignore[no-any-return]


_toml_scalars: st.SearchStrategy[TomlValue] = st.one_of(
    st.sampled_from(
        (
            "pants",
            "bazel",
            "buck2",
            "graphpub",
            "exact",
            "compatible",
            "any",
            "BUILD",
            "BUILD.*",
            "*",
            "**",
            "[",
            "!",
            "\\",
            "/",
            "",
            "::",
            "//...",
            "@fuzz",
            "src",
            "../outside",
        )
    ),
    st.text(max_size=8),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(),
    st.booleans(),
    st.dates(),
)


def _toml_containers(inner: st.SearchStrategy[TomlValue]) -> st.SearchStrategy[TomlValue]:
    return st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    )


toml_value: st.SearchStrategy[TomlValue] = st.recursive(
    _toml_scalars, _toml_containers, max_leaves=8
)
config_table: st.SearchStrategy[dict[str, TomlValue]] = st.dictionaries(
    st.sampled_from(CONFIG_KEYS), toml_value, max_size=5
)


def toml_document(tables: dict[str, dict[str, TomlValue]]) -> str:
    """TOML text: `[name]` tables of `key = value` lines (`""` for top-level keys)."""
    lines: list[str] = []
    for table, values in sorted(tables.items(), key=lambda item: item[0] != ""):
        if table:
            lines.append(f"[{table}]")
        lines.extend(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in values.items())
    return "\n".join(lines) + "\n"


def _toml_with(
    header: str, table: st.SearchStrategy[dict[str, TomlValue]]
) -> st.SearchStrategy[str]:
    return table.map(lambda values: toml_document({header: values}))


_toml_lines = st.one_of(
    st.tuples(
        st.one_of(st.sampled_from(CONFIG_KEYS), st.text(special_chars, max_size=3)),
        st.sampled_from((" = ", "=", ": ", " ")),
        st.one_of(toml_value.map(_toml_value), interesting_text),
    ).map("".join),
    st.sampled_from(
        (
            "[tool.graphpub]",
            "[tool]",
            "[[publish]]",
            "[tool.graphpub.defines]",
            "[[tool.graphpub.publish]]",
            "tool = 1",
            "tool.graphpub = 1",
            "tool.graphpub = []",
            'targets = ["::"]',
            'repositories = ["@fuzz"]',
            "[GLOBAL]",
            "[source]",
            "source = 1",
            "GLOBAL = []",
            "build_patterns.add = [1]",
            "build_ignore.remove = 1",
            'build_patterns.add = "BUILD.x"',
            "[setup-py-generation]",
            "setup-py-generation = 1",
            'first_party_dependency_version_scheme = "wrong"',
            "[python]",
            "python = 1",
            "interpreter_constraints = 1",
            'root_patterns = ["/src"]',
        )
    ),
)
free_toml = st.lists(_toml_lines, max_size=8).map(lambda lines: "\n".join(lines) + "\n")


# Valid TOML of the wrong shape: a table where a value should be, or a value for a table.
PANTS_KEYS = (
    "build_patterns",
    "build_ignore",
    "root_patterns",
    "marker_filenames",
    "interpreter_constraints",
    "first_party_dependency_version_scheme",
)
_shapes = st.dictionaries(
    st.sampled_from(("tool", "GLOBAL", "source", "python", "setup-py-generation", *CONFIG_KEYS)),
    st.one_of(
        toml_value,
        st.dictionaries(
            st.sampled_from(("graphpub", "add", "remove", *CONFIG_KEYS, *PANTS_KEYS)),
            st.one_of(toml_value, config_table),
            max_size=3,
        ),
    ),
    max_size=4,
).map(lambda values: toml_document({"": values}))


def graphpub_toml() -> st.SearchStrategy[str | bytes]:
    return file_content(
        st.one_of(
            _toml_with("", config_table),
            _toml_with("tool.graphpub", config_table),
            _shapes,
            free_toml,
        )
    )


def pyproject_toml() -> st.SearchStrategy[str | bytes]:
    project = '[project]\nname = "x"\n'
    return file_content(
        st.one_of(
            _toml_with("tool.graphpub", config_table).map(lambda text: project + text),
            _shapes,
            free_toml.map(lambda text: project + text),
        )
    )


_pants_tables: st.SearchStrategy[dict[str, dict[str, TomlValue]]] = st.fixed_dictionaries(
    {},
    optional={
        "GLOBAL": st.dictionaries(
            st.sampled_from(("build_patterns", "build_ignore", "pants_version")),
            st.one_of(
                toml_value,
                st.dictionaries(st.sampled_from(("add", "remove", "other")), toml_value),
            ),
            max_size=2,
        ),
        "source": st.dictionaries(
            st.sampled_from(("root_patterns", "marker_filenames")), toml_value, max_size=2
        ),
        "python": st.dictionaries(st.just("interpreter_constraints"), toml_value, max_size=1),
        "setup-py-generation": st.dictionaries(
            st.just("first_party_dependency_version_scheme"), toml_value, max_size=1
        ),
    },
)


def pants_toml() -> st.SearchStrategy[str | bytes]:
    return file_content(st.one_of(_pants_tables.map(toml_document), _shapes, free_toml))


_buckconfig_structured = st.lists(
    st.one_of(
        st.sampled_from(("[cells]", "[cell_aliases]", "[parser]", "[", "[cells", "  continued")),
        st.tuples(
            st.sampled_from(("root", "other", "cell", "config", "=", "")),
            st.sampled_from((" = ", "=", ": ", " ")),
            st.one_of(st.sampled_from((".", "other", "..", "/abs", "", "%(x)s", "root")), path),
        ).map("".join),
    ),
    max_size=8,
).map(lambda lines: "\n".join(lines) + "\n")
buckconfig = file_content(_buckconfig_structured)
bazelignore = file_content(st.lists(path, max_size=4).map(lambda lines: "\n".join(lines) + "\n"))


def one_of_files(
    choices: dict[str, Callable[[], st.SearchStrategy[str | bytes]]],
) -> st.SearchStrategy[dict[str, str | bytes]]:
    """Some of the files named in `choices` (path to a strategy of their content)."""
    return st.fixed_dictionaries({}, optional={path: make() for path, make in choices.items()})
