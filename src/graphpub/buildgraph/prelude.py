"""The Starlark every build file sees: graphpub's prelude, and the modules of builtin labels.

Every rule is a Starlark wrapper that records the call stack and passes its arguments to
graphpub as one JSON string (starlark-pyo3 converts each leaf value separately otherwise,
several times slower for the lists and dicts rules take). The Starlark parts live as `.bzl`
files beside this module (`prelude/`); this module assembles them.
"""

from __future__ import annotations

import functools
import platform
import re
from collections.abc import Callable, Iterable, Mapping
from importlib import resources

PRELUDE_LABEL = "@graphpub//:prelude.bzl"
# Bazel's native module members that are builtins rather than rules.
# The `native` module's members that are builtins rather than rules (Bazel's and Buck2's).
NATIVE_BUILTINS = (
    "glob",
    "package_name",
    "repository_name",
    "existing_rule",
    "existing_rules",
    "exports_files",
    "package",
    "licenses",
    "select",
    "read_config",
    "rule_exists",
    "host_info",
    "oncall",
    "module_name",
    "module_version",
    "repo_name",
    "package_relative_label",
    "subpackages",
    "get_base_path",
    "get_cell_name",
    "implicit_package_symbol",
    "read_package_value",
    "read_parent_package_value",
)
# Starlark's library on `native` too, as Buck2's prelude puts every builtin there
# (`native = struct(**__buck2_builtins__, ...)`): `native.partial(...)`, `native.select_map(...)`.
NATIVE_LIBRARY = (
    "partial",
    "filter",
    "map",
    "json",
    "struct",
    "record",
    "enum",
    "field",
    "select_map",
    "select_test",
)
_TOP_LEVEL_NAME = re.compile(r"^(?:def\s+)?([A-Za-z][A-Za-z0-9_]*)\s*[(=]", re.MULTILINE)


@functools.cache
def starlark_source(name: str) -> str:
    """One of the `.bzl` files shipped in `graphpub/buildgraph/prelude/`."""
    directory = resources.files("graphpub.buildgraph").joinpath("prelude")
    return directory.joinpath(name).read_text("utf-8")


@functools.cache
def known_globals() -> frozenset[str]:
    """The .bzl globals of Bazel and Buck2 graphpub does not model (`bzl_globals.txt`): each
    stands in as its file uses it, silently."""
    text = starlark_source("bzl_globals.txt")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def defined_names(source: str) -> set[str]:
    """The top-level functions and values a Starlark source defines (public or not)."""
    return set(_TOP_LEVEL_NAME.findall(source))


def rule_wrapper(name: str) -> str:
    """A Starlark function `name` that makes a target of kind `name` through `_rule`."""
    return (
        f"def {name}(*args, **kwargs):\n"
        f"    if 'overrides' in kwargs:\n"
        f"        kwargs['overrides'] = _override_keys(kwargs['overrides'])\n"
        f"    if '_graphpub_label' in str(kwargs):\n"
        f"        kwargs = _label_free_kwargs(kwargs)\n"
        f"    _rule(json.encode([{name!r}, call_stack(strip_frames = 1), args, kwargs]))\n"
    )


def prelude_source(rule_names: Iterable[str], extra: str) -> str:
    """The prelude module's source: `print`, the `overrides` helper, a wrapper per rule,
    `native`, `host_info()` and the rule set's own Starlark (`extra`)."""
    names = sorted(rule_names)
    members = [*NATIVE_BUILTINS, *NATIVE_LIBRARY, *names]
    native = "native = struct(" + ", ".join(f"{m} = {m}" for m in members) + ")"
    return "\n".join(
        [
            starlark_source("json_keys.bzl"),
            starlark_source("print.bzl"),
            starlark_source("standins.bzl"),
            *(rule_wrapper(name) for name in names),
            host_info_source(),
            extra,
            native,  # last: it names the functions above
            "",
        ]
    )


def host_info_source() -> str:
    """Buck2's host_info(): the machine graphpub runs on, as nested structs of the shape Buck2
    gives (app/buck2_interpreter_for_build/.../host_info.rs)."""
    system = platform.system()
    machine = platform.machine().lower()
    os_flags = {
        "is_linux": system == "Linux",
        "is_macos": system == "Darwin",
        "is_windows": system == "Windows",
        "is_freebsd": system == "FreeBSD",
        "is_unknown": system not in ("Linux", "Darwin", "Windows", "FreeBSD"),
    }
    architectures = {
        "is_x86_64": ("x86_64", "amd64"),
        "is_aarch64": ("aarch64", "arm64"),
        "is_arm": ("arm", "armv7l", "armv6l"),
        "is_riscv64": ("riscv64",),
        "is_armeb": (),
        "is_i386": ("i386", "i686", "x86"),
        "is_mips": ("mips",),
        "is_mips64": ("mips64",),
        "is_mipsel": (),
        "is_mipsel64": (),
        "is_powerpc": ("powerpc", "ppc"),
        "is_ppc64": ("ppc64", "ppc64le"),
    }
    arch_flags = {flag: machine in names for flag, names in architectures.items()}
    arch_flags["is_unknown"] = not any(arch_flags.values())
    xcode = ("version_string", "major_version", "minor_version", "patch_version")

    def struct(flags: Mapping[str, object]) -> str:
        return "struct(" + ", ".join(f"{k} = {v}" for k, v in flags.items()) + ")"

    body = (
        f"struct(os = {struct(os_flags)}, arch = {struct(arch_flags)}, "
        f"xcode = {struct(dict.fromkeys(xcode))})"
    )
    return f"def host_info():\n    return {body}\n"


# ---------------------------------------------------------------- pip hubs


def normalize_requirement(name: str) -> str:
    """rules_python's repository name for a requirement: lower-case, `-` and `.` as `_`."""
    return re.sub(r"[-_.]+", "_", name.strip()).lower()


def _requirement(hub: str, name: str) -> str:
    return f"@{hub}//{normalize_requirement(name)}:pkg"


def _data_requirement(hub: str, name: str) -> str:
    return f"@{hub}//{normalize_requirement(name)}:data"


def _dist_info_requirement(hub: str, name: str) -> str:
    return f"@{hub}//{normalize_requirement(name)}:dist_info"


def _whl_requirement(hub: str, name: str) -> str:
    return f"@{hub}//{normalize_requirement(name)}:whl"


def _entry_point(hub: str, pkg: str, script: str | None = None) -> str:
    return f"@{hub}//{normalize_requirement(pkg)}:rules_python_wheel_entry_point_{script or pkg}"


# What `load("@hub//:requirements.bzl", ...)` offers, each called with the hub's name first.
HUB_FUNCTIONS: dict[str, Callable[..., str]] = {
    "requirement": _requirement,
    "data_requirement": _data_requirement,
    "dist_info_requirement": _dist_info_requirement,
    "whl_requirement": _whl_requirement,
    "entry_point": _entry_point,
}
