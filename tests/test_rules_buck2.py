"""The Buck2 dialect: the prelude's Python rules with their real attributes, python_wheel and
its distribution view, cell addresses, and the BUCK-file builtins (`read_config`,
`host_info`, `oncall`)."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Runner, assert_error, failure, lines, make_repo, peek, view_of

BUCKCONFIG = """\
[cells]
  root = .
  prelude = prelude
  third_party = third-party

[project]
  version = 2.5.0
"""

THIRD_PARTY = """\
remote_file(
    name = "attrs-download",
    url = "https://files.pythonhosted.org/packages/attrs-24.2.0-py3-none-any.whl",
    sha256 = "81921eb96de3191c8258c199618104dd27ac608d9366f5e35d011eae1867ede2",
    out = "attrs-24.2.0-py3-none-any.whl",
)

prebuilt_python_library(
    name = "attrs",
    binary_src = ":attrs-download",
    visibility = ["PUBLIC"],
)

prebuilt_python_library(
    name = "six",
    binary_src = "six-1.16.0-py2.py3-none-any.whl",
    deps = [":attrs"],
)
"""

LIB = """\
load("@prelude//python:python_wheel.bzl", "python_wheel")

oncall("python_infra")

python_library(
    name = "lib",
    srcs = ["a.py"],
    base_module = "mylib",
    resources = {"data/data.json": "data.json"},
    deps = ["third_party//python:attrs"],
    visibility = ["PUBLIC"],
)

python_library(
    name = "placed",
    srcs = {"renamed.py": "b.py"},
    base_module = "",
    resources = ["data.json"],
    labels = ["placed"],
)

python_binary(
    name = "bin",
    main_module = "mylib.a",
    deps = [":lib"],
)

python_test(
    name = "test",
    srcs = ["test_a.py"],
    env = {"MODE": "test"},
    deps = [":lib"],
)

python_wheel(
    name = "wheel",
    dist = "my-lib",
    version = read_config("project", "version", "0.0.0"),
    python = "py3",
    libraries = [":lib", ":placed"],
    requires = ["attrs>=23"],
    entry_points = {"console_scripts": {"my-lib": "mylib.a:main"}},
    extra_metadata = {"Summary": "A library.", "License": "MIT"},
)
"""


def buck2_repo(tmp_path: Path, files: Mapping[str, str] | None = None) -> Path:
    """A Buck2 repository (marked by `.buckconfig`) with a library package and a third-party
    cell, plus `files`."""
    return make_repo(
        tmp_path,
        {
            ".buckconfig": BUCKCONFIG,
            "third-party/python/BUCK": THIRD_PARTY,
            "third-party/python/six-1.16.0-py2.py3-none-any.whl": "",
            "lib/BUCK": LIB,
            "lib/a.py": "",
            "lib/b.py": "",
            "lib/data.json": "{}",
            "lib/test_a.py": "",
            **(files or {}),
        },
    )


def records_by_address(run: Runner, root: Path, *args: str) -> dict[str, dict[str, Any]]:
    return {r["address"]: r for r in peek(run, root, *args)}


# ---------------------------------------------------------------- the rules


def test_every_target_with_its_kind(tmp_path: Path, run: Runner) -> None:
    root = buck2_repo(tmp_path)
    code, out, err = run(["list", "::"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == [
        "//lib:bin",
        "//lib:lib",
        "//lib:placed",
        "//lib:test",
        "//lib:wheel",
        "third_party//python:attrs",
        "third_party//python:attrs-download",
        "third_party//python:six",
    ]
    kinds = {a: r["kind"] for a, r in records_by_address(run, root, "::").items()}
    assert kinds == {
        "//lib:bin": "python_binary",
        "//lib:lib": "python_library",
        "//lib:placed": "python_library",
        "//lib:test": "python_test",
        "//lib:wheel": "python_wheel",
        "third_party//python:attrs": "prebuilt_python_library",
        "third_party//python:attrs-download": "remote_file",
        "third_party//python:six": "prebuilt_python_library",
    }


def test_python_library_with_a_list_and_a_dict(tmp_path: Path, run: Runner) -> None:
    root = buck2_repo(tmp_path)
    records = records_by_address(run, root, "//lib:lib", "//lib:placed")
    lib, placed = records["//lib:lib"], records["//lib:placed"]
    assert lib["fields"] == {
        "base_module": "mylib",
        "deps": ["third_party//python:attrs"],
        "resources": {"data/data.json": "data.json"},
        "srcs": ["a.py"],
        "visibility": ["PUBLIC"],
    }
    # `{destination: source}`: the sources are the dict's values.
    assert lib["sources"] == ["lib/a.py", "lib/data.json"]
    assert placed["fields"] == {
        "base_module": "",
        "labels": ["placed"],
        "resources": ["data.json"],
        "srcs": {"renamed.py": "b.py"},
    }
    assert placed["sources"] == ["lib/b.py", "lib/data.json"]


def test_python_binary_and_python_test(tmp_path: Path, run: Runner) -> None:
    root = buck2_repo(tmp_path)
    records = records_by_address(run, root, "//lib:bin", "//lib:test")
    assert records["//lib:bin"]["fields"] == {"deps": [":lib"], "main_module": "mylib.a"}
    assert records["//lib:bin"]["dependencies"] == ["//lib:lib"]
    assert records["//lib:test"]["fields"] == {
        "deps": [":lib"],
        "env": {"MODE": "test"},
        "srcs": ["test_a.py"],
    }
    assert records["//lib:test"]["sources"] == ["lib/test_a.py"]
    assert records["//lib:test"]["location"].startswith("lib/BUCK:28")


def test_prebuilt_python_library(tmp_path: Path, run: Runner) -> None:
    root = buck2_repo(tmp_path)
    records = records_by_address(run, root, "third-party/python:")
    attrs, six = records["third_party//python:attrs"], records["third_party//python:six"]
    # A label in binary_src names another target's output, not a file of the package.
    assert attrs["fields"]["binary_src"] == ":attrs-download"
    assert attrs["sources"] == []
    assert six["sources"] == ["third-party/python/six-1.16.0-py2.py3-none-any.whl"]
    assert six["dependencies"] == ["third_party//python:attrs"]


def test_cell_addresses_in_dependencies_and_output(tmp_path: Path, run: Runner) -> None:
    root = buck2_repo(tmp_path)
    [lib] = peek(run, root, "//lib:lib")
    assert lib["fields"]["deps"] == ["third_party//python:attrs"]
    assert lib["dependencies"] == ["third_party//python:attrs"]
    code, out, err = run(["dependencies", "--transitive", "//lib:bin"], root=root)
    assert (code, out, err) == (0, "//lib:lib\nthird_party//python:attrs\n", "")
    # The cell's directory is `third-party/`; its targets print as `third_party//...`.
    code, out, err = run(["dependents", "third-party/python:attrs"], root=root)
    assert (code, out, err) == (0, "//lib:lib\nthird_party//python:six\n", "")
    [record] = peek(run, root, "//third-party/python:attrs")
    assert record["address"] == "third_party//python:attrs"
    assert record["location"].startswith("third-party/python/BUCK:8")


def test_cell_specs_select_targets(tmp_path: Path, run: Runner) -> None:
    # `cell//dir:name` is a spec as well as an address (README, "Specs").
    root = buck2_repo(tmp_path)
    code, out, err = run(["list", "third_party//python:attrs"], root=root)
    assert (code, out, err) == (0, "third_party//python:attrs\n", "")
    code, out, err = run(["list", "third_party//python:"], root=root)
    assert (code, err) == (0, "")
    assert lines(out) == [
        "third_party//python:attrs",
        "third_party//python:attrs-download",
        "third_party//python:six",
    ]
    code, out, err = run(["list", "root//lib:bin"], root=root)
    assert (code, out, err) == (0, "//lib:bin\n", "")


# ---------------------------------------------------------------- python_wheel


def test_python_wheel_libraries_are_edges(tmp_path: Path, run: Runner) -> None:
    root = buck2_repo(tmp_path)
    code, out, err = run(["dependencies", "//lib:wheel"], root=root)
    assert (code, out, err) == (0, "//lib:lib\n//lib:placed\n", "")


def test_python_wheel_distribution_view(tmp_path: Path, run: Runner) -> None:
    root = buck2_repo(tmp_path)
    [record] = peek(run, root, "//lib:wheel")
    assert record["fields"]["version"] == "2.5.0"  # read_config(), from .buckconfig
    assert view_of(record["distribution"]) == {
        "name": "my-lib",
        "version": "2.5.0",
        "unresolved_stamps": [],
        "carries": ["//lib:lib", "//lib:placed"],
        "requirements": ["attrs>=23"],
        "entry_points": {"console_scripts": {"my-lib": "mylib.a:main"}},
        "metadata": {"Summary": "A library.", "License": "MIT"},
        "repositories": [],
        "skip_reason": "no `repositories` specified for //lib:wheel",
    }


def test_python_wheel_defaults(tmp_path: Path, run: Runner) -> None:
    """The prelude's defaults: version 1.0.0; the tags come from the toolchain."""
    root = buck2_repo(tmp_path, {"w/BUCK": 'python_wheel(name = "bare")\n'})
    [record] = peek(run, root, "//w:bare")
    assert record["fields"] == {"version": "1.0.0"}
    # Without `dist`, the distribution is named after the target.
    assert record["distribution"]["name"] == "bare"
    assert record["distribution"]["version"] == "1.0.0"


def test_python_wheel_repositories_from_publish_config(tmp_path: Path, run: Runner) -> None:
    root = buck2_repo(
        tmp_path,
        {"graphpub.toml": '[[publish]]\ntargets = ["//lib:"]\nrepositories = ["@pypi"]\n'},
    )
    [record] = peek(run, root, "//lib:wheel")
    assert record["distribution"]["repositories"] == ["@pypi"]
    assert record["distribution"]["skip_reason"] is None


# ---------------------------------------------------------------- builtins of BUCK files


def test_read_config_value_and_default(tmp_path: Path, run: Runner) -> None:
    root = buck2_repo(
        tmp_path,
        {
            "c/BUCK": (
                "python_library(\n"
                '    name = "c",\n'
                '    labels = [read_config("project", "version"), '
                'read_config("nope", "nope", "fallback"), str(read_config("nope", "nope"))],\n'
                ")\n"
            ),
        },
    )
    [record] = peek(run, root, "//c:c")
    assert record["fields"]["labels"] == ["2.5.0", "fallback", "None"]


def test_host_info_describes_this_machine(tmp_path: Path, run: Runner) -> None:
    root = buck2_repo(
        tmp_path,
        {
            "h/BUCK": (
                "python_library(\n"
                '    name = "h",\n'
                "    labels = [\n"
                '        "linux" if host_info().os.is_linux else "not-linux",\n'
                '        "macos" if host_info().os.is_macos else "not-macos",\n'
                '        "windows" if host_info().os.is_windows else "not-windows",\n'
                '        "x86_64" if host_info().arch.is_x86_64 else "not-x86_64",\n'
                '        "aarch64" if host_info().arch.is_aarch64 else "not-aarch64",\n'
                "    ],\n"
                ")\n"
            ),
        },
    )
    system, machine = platform.system(), platform.machine().lower()
    expected = [
        "linux" if system == "Linux" else "not-linux",
        "macos" if system == "Darwin" else "not-macos",
        "windows" if system == "Windows" else "not-windows",
        "x86_64" if machine in ("x86_64", "amd64") else "not-x86_64",
        "aarch64" if machine in ("aarch64", "arm64") else "not-aarch64",
    ]
    [record] = peek(run, root, "//h:h")
    assert record["fields"]["labels"] == expected


def test_oncall_makes_no_target(tmp_path: Path, run: Runner) -> None:
    root = buck2_repo(tmp_path, {"o/BUCK": 'oncall("team")\n\nexport_file(name = "f.txt")\n'})
    code, out, err = run(["list", "//o:"], root=root)
    assert (code, out, err) == (0, "//o:f.txt\n", "")


# ---------------------------------------------------------------- validation errors


@pytest.mark.parametrize(
    ("call", "message", "hint"),
    [
        (
            'python_library(name = "x", base_modul = "a")',
            "python_library(): unknown field 'base_modul'",
            "did you mean 'base_module'?",
        ),
        (
            'python_binary(name = "x", main_modul = "a.b")',
            "python_binary(): unknown field 'main_modul'",
            "did you mean 'main_module'?",
        ),
        (
            'python_wheel(name = "x", python = "py3", librarie = [])',
            "python_wheel(): unknown field 'librarie'",
            "did you mean 'libraries'?",
        ),
        (
            'python_library(name = "x", srcs = "a.py")',
            "python_library(): field 'srcs': expected list of files or globs or dict of string "
            "to string, got a string ('a.py')",
            None,
        ),
        (
            'python_wheel(name = "x", python = "py3", '
            'entry_points = {"console_scripts": ["a = b:c"]})',
            "python_wheel(): field 'entry_points': expected {group: {name: 'module:function'}}, "
            "but 'console_scripts' maps to ['a = b:c']",
            'write {"console_scripts": {"name": "module:function"}}',
        ),
        (
            'python_wheel(name = "x", python = 3)',
            "python_wheel(): field 'python': expected a string, got an int (3)",
            None,
        ),
        (
            'prebuilt_python_library(name = "x")',
            "prebuilt_python_library(): missing the required field 'binary_src'",
            None,
        ),
    ],
)
def test_invalid_calls(
    tmp_path: Path, run: Runner, call: str, message: str, hint: str | None
) -> None:
    root = buck2_repo(tmp_path, {"bad/BUCK": call + "\n"})
    assert_error(failure(run, root, "list", "//bad:"), f"bad/BUCK:1:1: {message}", call, hint=hint)


def test_get_cell_name_is_the_cells_name_not_an_alias(tmp_path: Path, run: Runner) -> None:
    """Meta's open-source shims (`ACTIVE_CELL = native.get_cell_name()`) compare it with the
    root cell's name from `[cell_aliases] root`: Buck2 answers with the name `[cells]` gives."""
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": (
                "[cells]\n  my_project = .\n  tools = tools\n  prelude = prelude\n"
                "[cell_aliases]\n  root = my_project\n"
            ),
            "lib/BUCK": (
                'python_library(name = "lib", labels = [get_cell_name(), '
                'native.get_cell_name(), read_config("cell_aliases", "root")])\n'
            ),
            "tools/.buckconfig": "",
            "tools/BUCK": 'python_library(name = "tool", labels = [get_cell_name()])\n',
        },
    )
    records = records_by_address(run, root, "//lib:lib", "tools//:tool")
    assert records["//lib:lib"]["fields"]["labels"] == ["my_project", "my_project", "my_project"]
    assert records["tools//:tool"]["fields"]["labels"] == ["tools"]


def test_select_on_the_prelude_constraints_chooses_the_host(tmp_path: Path, run: Runner) -> None:
    """Buck2's default target platform is the host's (prelude//platforms:default): a select()
    on prelude//os:* and prelude//cpu:* takes this machine's branch, as with Bazel's
    @platforms (zsol/buck-py-demo picks its Python toolchain so)."""
    import platform

    system = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}[platform.system()]
    machine = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[
        platform.machine().lower()
    ]
    root = buck2_repo(
        tmp_path,
        {
            "host/BUCK": (
                "python_library(\n"
                '    name = "os",\n'
                '    srcs = select({"prelude//os:windows": ["windows.py"], '
                f'"prelude//os:{system}": ["mine.py"], "DEFAULT": ["default.py"]}}),\n'
                ")\n"
                "python_library(\n"
                '    name = "cpu",\n'
                '    srcs = select({"prelude//cpu:riscv64": ["riscv.py"], '
                f'"prelude//cpu:{machine}": ["mine.py"]}}),\n'
                ")\n"
            ),
        },
    )
    records = records_by_address(run, root, "//host:os", "//host:cpu")
    assert records["//host:os"]["fields"]["srcs"] == ["mine.py"]
    assert records["//host:cpu"]["fields"]["srcs"] == ["mine.py"]


def test_select_map_select_test_and_native_library(tmp_path: Path, run: Runner) -> None:
    """pytorch/executorch's macros: `select_map` over dependencies, `native.partial(...)`:
    Buck2's native holds starlark's library, and select_map / select_test apply their function
    to the value select() chose."""
    root = buck2_repo(
        tmp_path,
        {
            "m/defs.bzl": (
                "def _named(name, srcs):\n"
                "    native.python_library(name = name, srcs = srcs, labels = [\n"
                '        str(native.select_test(srcs, lambda v: "a.py" in v)),\n'
                "        native.json.encode(native.struct(n = 1)),\n"
                "    ])\n"
                "\n"
                "def libs():\n"
                '    make = native.partial(_named, srcs = select_map(select({"DEFAULT": ["a.py"]}),'
                ' lambda srcs: srcs + ["b.py"]))\n'
                '    make(name = "lib")\n'
                "    native.python_library(\n"
                '        name = "mapped", srcs = native.map(lambda s: s, ["c.py"])\n'
                "    )\n"
            ),
            "m/BUCK": 'load(":defs.bzl", "libs")\nlibs()\n',
        },
    )
    records = records_by_address(run, root, "//m:lib", "//m:mapped")
    assert records["//m:lib"]["fields"]["srcs"] == ["a.py", "b.py"]
    assert records["//m:lib"]["fields"]["labels"] == ["True", '{"n":1}']
    assert records["//m:mapped"]["fields"]["srcs"] == ["c.py"]


def test_a_bzl_file_is_evaluated_for_each_cell_that_loads_it(tmp_path: Path, run: Runner) -> None:
    """Buck2 evaluates a .bzl file once per cell of the build files loading it: Meta's shims
    read `ACTIVE_CELL = native.get_cell_name()` and read_config() at top level, and each cell
    sees its own."""
    shared = (
        'ACTIVE_CELL = native.get_cell_name()\nNAME = read_config("project", "name", "none")\n'
        "def described(name):\n"
        "    native.python_library(name = name, labels = [ACTIVE_CELL, NAME])\n"
    )
    root = make_repo(
        tmp_path,
        {
            ".buckconfig": (
                "[cells]\n  main = .\n  other = other\n  shims = shims\n  prelude = prelude\n"
                "[cell_aliases]\n  root = main\n[project]\n  name = main-project\n"
            ),
            "other/.buckconfig": "[project]\n  name = other-project\n",
            "shims/.buckconfig": "",
            "shims/BUCK": "",
            "shims/defs.bzl": shared,
            "a/BUCK": 'load("shims//:defs.bzl", "described")\ndescribed(name = "a")\n',
            "other/b/BUCK": 'load("shims//:defs.bzl", "described")\ndescribed(name = "b")\n',
        },
    )
    for jobs in ("1", "2"):
        records = records_by_address(run, root, "-j", jobs, "//a:a", "other//b:b")
        assert records["//a:a"]["fields"]["labels"] == ["main", "main-project"]
        assert records["other//b:b"]["fields"]["labels"] == ["other", "other-project"]


def test_a_relative_load_in_a_bzl_file_is_from_its_own_directory(
    tmp_path: Path, run: Runner
) -> None:
    """Buck2 reads `load(":x.bzl")` in a .bzl file against that file's directory, which need
    not be a package (pytorch/executorch's shim_et/xplat/executorch/build/)."""
    root = buck2_repo(
        tmp_path,
        {
            "build/BUCK": "",
            "build/defs/wrapper.bzl": (
                'load(":helpers.bzl", "srcs_of")\n'
                "def wrapped(name):\n"
                "    native.python_library(name = name, srcs = srcs_of(name))\n"
            ),
            "build/defs/helpers.bzl": 'def srcs_of(name):\n    return [name + ".py"]\n',
            "src/BUCK": 'load("//build/defs:wrapper.bzl", "wrapped")\nwrapped(name = "lib")\n',
        },
    )
    [record] = peek(run, root, "//src:lib")
    assert record["fields"]["srcs"] == ["lib.py"]
