"""rules_python's py_wheel, every documented attribute, built as rules_python 2.3.2 builds it
(python/private/py_wheel.bzl, tools/wheelmaker.py)."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from tests.conftest import Runner, failure, make_repo

EVERYTHING = """\
load("@rules_python//python:defs.bzl", "py_library")
load("@rules_python//python:packaging.bzl", "py_package", "py_wheel")

py_library(
    name = "lib",
    srcs = ["src/tool/__init__.py", "src/tool/cli.py"],
    pyi_srcs = ["src/tool/cli.pyi"],
    data = ["src/tool/not_packed.txt"],
)

filegroup(name = "typed", srcs = ["src/tool/py.typed"])

py_wheel(
    name = "wheel",
    distribution = "My.Tool",
    version = "1.0-beta",
    python_tag = "py3",
    abi = "none",
    platform = "manylinux2014_x86_64",
    author = "Ada",
    author_email = "ada@example.com",
    homepage = "https://example.com",
    license = "MIT",
    summary = "Everything py_wheel says.",
    description_file = "README.rst",
    project_urls = {"Tracker": "https://example.com/issues", "Docs": "https://example.com/docs"},
    classifiers = ["Programming Language :: Python :: 3", "License :: OSI Approved"],
    python_requires = ">=3.9",
    requires = [
        "attrs>=23",
        "pywin32; sys_platform == 'win32'",
        "tomli<3,>=1; python_version<'3.11'",
    ],
    extra_requires = {
        "test": ["pytest>=7", "coverage[toml]"],
        "cli": ["click>=8; python_version >= '3.10'"],
    },
    entry_points = {
        "console_scripts": ["tool = tool.cli:main"],
        "tool.plugins": ["b = tool.b", "a = tool.a"],
    },
    console_scripts = {"tool2": "tool.cli:other"},
    data_files = {
        "bin/run.sh": "scripts/run-tool",
        ":docs": "data/share/tool/",
    },
    extra_distinfo_files = {"NOTICE": "NOTICE"},
    strip_path_prefixes = ["src/"],
    add_path_prefix = "vendored/",
    deps = [":lib", ":typed"],
)

filegroup(name = "docs", srcs = ["docs/a.txt", "docs/b.txt"])
"""

FILES = {
    "MODULE.bazel": "",
    "BUILD.bazel": EVERYTHING,
    "src/tool/__init__.py": "",
    "src/tool/cli.py": "def main():\n    print('tool')\n",
    "src/tool/cli.pyi": "def main() -> None: ...\n",
    "src/tool/not_packed.txt": "data of the library: not in the wheel\n",
    "src/tool/py.typed": "",
    "README.rst": "Tool\r\n====\r\n\r\nWindows line ends, read as text.\r\n",
    "bin/run.sh": "#!/bin/sh\n",
    "docs/a.txt": "a\n",
    "docs/b.txt": "b\n",
    "NOTICE": "Notice.\n",
}

METADATA = """\
Metadata-Version: 2.1
Name: My.Tool
Author: Ada
Author-email: ada@example.com
Home-page: https://example.com
License: MIT
Description-Content-Type: text/x-rst
Summary: Everything py_wheel says.
Project-URL: Docs, https://example.com/docs
Project-URL: Tracker, https://example.com/issues
Classifier: Programming Language :: Python :: 3
Classifier: License :: OSI Approved
Requires-Python: >=3.9
Requires-Dist: attrs>=23
Requires-Dist: pywin32; sys_platform == 'win32'
Requires-Dist: tomli<3,>=1; python_version<'3.11'
Provides-Extra: cli
Requires-Dist: click>=8; (python_version >= "3.10") and extra == 'cli'
Provides-Extra: test
Requires-Dist: pytest>=7; extra == 'test'
Requires-Dist: coverage[toml]; extra == 'test'
Version: 1.0b0

Tool
====

Windows line ends, read as text.

"""

ENTRY_POINTS = """\
[console_scripts]
tool = tool.cli:main
tool2 = tool.cli:other

[tool.plugins]
a = tool.a
b = tool.b"""


def package(run: Runner, root: Path, *args: str) -> list[Path]:
    code, out, err = run(["package", "--output", "json", *args], root=root)
    assert code == 0, err
    return [root / r["path"] for r in json.loads(out)]


def test_every_attribute(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, FILES)
    [wheel] = package(run, root, "//:wheel")
    # The name PEP 503-normalised with `_`, the version PEP 440-normalised; tags as given.
    assert wheel.name == "my_tool-1.0b0-py3-none-manylinux2014_x86_64.whl"
    prefix = "my_tool-1.0b0"
    with zipfile.ZipFile(wheel) as archive:
        assert archive.namelist() == [
            # Sorted by path in the repository; `src/` stripped, then `vendored/` added.
            "vendored/tool/__init__.py",
            "vendored/tool/cli.py",
            "vendored/tool/cli.pyi",  # the py_library's pyi_srcs (PyInfo.direct_pyi_files)
            "vendored/tool/py.typed",
            f"{prefix}.dist-info/WHEEL",
            f"{prefix}.dist-info/METADATA",
            f"{prefix}.dist-info/entry_points.txt",
            f"{prefix}.data/data/share/tool/a.txt",
            f"{prefix}.data/data/share/tool/b.txt",
            f"{prefix}.data/scripts/run-tool",
            f"{prefix}.dist-info/NOTICE",
            f"{prefix}.dist-info/RECORD",
        ]
        assert archive.read(f"{prefix}.dist-info/METADATA").decode() == METADATA
        assert archive.read(f"{prefix}.dist-info/WHEEL").decode() == (
            "Wheel-Version: 1.0\nGenerator: bazel-wheelmaker 1.0\n"
            "Root-Is-Purelib: false\nTag: py3-none-manylinux2014_x86_64\n"
        )
        assert archive.read(f"{prefix}.dist-info/entry_points.txt").decode() == ENTRY_POINTS
        assert archive.read(f"{prefix}.data/scripts/run-tool") == b"#!/bin/sh\n"
        record = archive.read(f"{prefix}.dist-info/RECORD").decode().splitlines()
        assert [row.split(",")[0] for row in record] == archive.namelist()
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr == 0o100777 << 16
            assert info.compress_type == zipfile.ZIP_DEFLATED


def test_requirement_files_are_read_as_wheelmaker_reads_them(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'py_wheel(name = "w", distribution = "w", version = "1",\n'
                '    requires_file = "requirements.txt",\n'
                '    extra_requires_files = {"dev.txt": "dev", "empty.txt": "none"})\n'
            ),
            "requirements.txt": (
                "# pinned\n-r other.txt\n\nrequests >= 2  # why\n"
                "idna; python_version < '3.8'\nfoo[b,a]==1\n"
            ),
            "dev.txt": "pytest\nmypy; os_name == 'posix'\n",
            "empty.txt": "# nothing\n",
        },
    )
    [wheel] = package(run, root, "//:w")
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("w-1.dist-info/METADATA").decode()
    assert metadata.splitlines()[2:10] == [
        "Requires-Dist: requests>=2",
        'Requires-Dist: idna; python_version < "3.8"',
        "Requires-Dist: foo[a,b]==1",
        "Provides-Extra: dev",
        "Requires-Dist: pytest; extra == 'dev'",
        "Requires-Dist: mypy; (os_name == \"posix\") and extra == 'dev'",
        "Provides-Extra: none",  # an empty file: the extra, without requirements
        "Version: 1",
    ]
    assert metadata.endswith("\n\nUNKNOWN\n")  # no description_file


def test_a_wheel_only_unless_the_configuration_asks_for_an_sdist(
    tmp_path: Path, run: Runner
) -> None:
    files = {
        "MODULE.bazel": "",
        "BUILD.bazel": (
            'py_library(name = "lib", srcs = ["src/pkg/__init__.py"])\n'
            'py_wheel(name = "w", distribution = "pkg", version = "2.0",'
            ' strip_path_prefixes = ["src/"], summary = "Pkg.", deps = [":lib"])\n'
        ),
        "src/pkg/__init__.py": "X = 1\n",
    }
    root = make_repo(tmp_path / "a", files)
    assert [p.name for p in package(run, root, "//:w")] == ["pkg-2.0-py3-none-any.whl"]
    root = make_repo(tmp_path / "b", {**files, "graphpub.toml": "bazel_sdist = true\n"})
    paths = package(run, root, "//:w")
    assert sorted(p.name for p in paths) == ["pkg-2.0-py3-none-any.whl", "pkg-2.0.tar.gz"]
    import tarfile

    with tarfile.open(root / "dist" / "pkg-2.0.tar.gz") as sdist:
        assert "pkg-2.0/pkg/__init__.py" in sdist.getnames()  # where the wheel has it


def test_stamps_fill_name_and_version(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'py_wheel(name = "w", distribution = "pkg_{FLAVOR}",'
                ' version = "{BUILD_EMBED_LABEL}")\n'
            ),
        },
    )
    args = ("--stamp", "FLAVOR=Gpu", "--stamp", "BUILD_EMBED_LABEL=3.1.0", "//:w")
    [wheel] = package(run, root, *args)
    assert wheel.name == "pkg_gpu-3.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        assert "Name: pkg_Gpu\n" in archive.read("pkg_gpu-3.1.0.dist-info/METADATA").decode()
    # Unstamped, the name keeps `{FLAVOR}`, which no installer takes: said, with the way out.
    err = failure(run, root, "package", "--stamp", "BUILD_EMBED_LABEL=3.1.0", "//:w")
    assert err.startswith(
        "BUILD.bazel:1:22: //:w: distribution 'pkg_{FLAVOR}' holds {FLAVOR}, which has no "
        "value (Bazel fills it when stamping)\n"
    ), err
    assert "hint: give it one: --stamp FLAVOR=..." in err


def test_legacy_names_before_rules_python_0_29(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'py_wheel(name = "w", distribution = "My_Pkg", version = "1.0.0-rc1",\n'
                "    incompatible_normalize_name = False, incompatible_normalize_version = False)\n"
                'py_wheel(name = "bad", distribution = "my-pkg", version = "1",\n'
                "    incompatible_normalize_name = False)\n"
            ),
        },
    )
    code, _, err = run(["package", "//:w"], root=root)
    assert code == 1
    assert "py_wheel names its wheel 'My_Pkg-1.0.0-rc1-py3-none-any.whl', which installers" in err
    root_ok = make_repo(
        tmp_path / "ok",
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'py_wheel(name = "w", distribution = "My_Pkg", version = "1.0.0rc1",\n'
                "    incompatible_normalize_name = False, incompatible_normalize_version = False)\n"
            ),
        },
    )
    [wheel] = package(run, root_ok, "//:w")
    assert wheel.name == "My_Pkg-1.0.0rc1-py3-none-any.whl"  # the name as written
    with zipfile.ZipFile(wheel) as archive:
        assert archive.namelist()[0] == "My_Pkg-1.0.0rc1.dist-info/WHEEL"


def test_py_package_keeps_packages_by_path_prefix(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'py_library(name = "a", srcs = ["a/__init__.py"], data = ["a/data.json"],'
                ' deps = [":b"])\n'
                'py_library(name = "b", srcs = ["b/__init__.py"])\n'
                'py_library(name = "ab", srcs = ["ab/__init__.py"])\n'
                'py_package(name = "pkg", packages = ["a"], deps = [":a", ":ab"])\n'
                'py_wheel(name = "w", distribution = "w", version = "1", deps = [":pkg"])\n'
            ),
            "a/__init__.py": "",
            "a/data.json": "{}",
            "b/__init__.py": "",
            "ab/__init__.py": "",
        },
    )
    [wheel] = package(run, root, "//:w")
    with zipfile.ZipFile(wheel) as archive:
        payload = [n for n in archive.namelist() if ".dist-info/" not in n]
    # The closure's runfiles (data too), kept by a plain prefix, as rules_python: `a` keeps
    # `ab/` as well.
    assert payload == ["a/__init__.py", "a/data.json", "ab/__init__.py"]


def test_files_a_build_makes_are_left_out_with_a_warning(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'genrule(name = "gen", outs = ["gen.py"], cmd = "touch $@")\n'
                'py_library(name = "lib", srcs = ["lib.py", ":gen"])\n'
                'py_wheel(name = "w", distribution = "w", version = "1", deps = [":lib"])\n'
            ),
            "lib.py": "",
        },
    )
    code, _, err = run(["package", "//:w"], root=root)
    assert code == 0, err
    assert "//:gen (genrule) makes its files in a build: //:w leaves them out" in err
    # Published, the wheel would lack a module its users' `bazel build` puts in: refused.
    index = tmp_path / "index"
    (root / "graphpub.toml").write_text('[[publish]]\ntargets = ["//:w"]\nrepositories = ["@x"]\n')
    (root / ".pypirc").write_text(
        f"[distutils]\nindex-servers = x\n[x]\nrepository = {index.as_uri()}\n"
    )
    err = failure(run, root, "publish", "//:w")
    assert (
        "\nBUILD.bazel:1:1: //:w lacks the files made by //:gen (genrule) in a build, which "
        "the wheel Bazel builds holds: it is not published without them\n"
    ) in err
    assert not index.exists() or not any(index.rglob("*.whl"))


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        (
            'requires = ["a"], requires_file = "r.txt"',
            "//:w: `requires` and `requires_file` are mutually exclusive",
        ),
        (
            'extra_requires = {"x": ["a"]}, extra_requires_files = {"r.txt": "x"}',
            "//:w: `extra_requires` and `extra_requires_files` are mutually exclusive",
        ),
        (
            'project_urls = {"A label longer than thirty-two chars": "https://x"}',
            "//:w: the project_urls label 'A label longer than thirty-two chars' is 36 characters",
        ),
        (
            'data_files = {"r.txt": "lib/r.txt"}',
            "//:w: data_files puts 'r.txt' at 'lib/r.txt', which is in none of the .data",
        ),
        ('requires = ["not a requirement!"]', "//:w: requires: 'not a requirement!' is not a"),
        ('distribution = "-bad"', "//:w: distribution '-bad' must start and end with a letter"),
        ('summary = "two\\nlines"', "//:w: summary holds a line break"),
        (
            'python_requires = "==" + "" + ".*"',
            "//:w: python_requires '==.*' is not a version specifier (PEP 440)",
        ),
        (
            'description_file = "../outside.md"',
            "description_file '../outside.md' is outside the build root",
        ),
    ],
)
def test_what_py_wheel_refuses(tmp_path: Path, run: Runner, attributes: str, message: str) -> None:
    name = "" if "distribution" in attributes else 'distribution = "w", '
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": f'py_wheel(name = "w", {name}version = "1", {attributes})\n',
            "r.txt": "attrs\n",
        },
    )
    err = failure(run, root, "package", "//:w")
    assert message in err.splitlines()[0], err


def test_a_description_file_symlinked_out_of_the_root_is_refused(
    tmp_path: Path, run: Runner
) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("secret\n", encoding="utf-8")
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": 'py_wheel(name = "w", distribution = "w", version = "1",'
            ' description_file = "README.md")\n',
        },
    )
    os.symlink(secret, root / "README.md")
    err = failure(run, root, "package", "//:w")
    assert "cannot read README.md: it leaves the build root" in err


def test_a_name_with_a_slash_is_a_file_of_the_package(tmp_path: Path, run: Runner) -> None:
    """In a label attribute, `docs/README.md` is `:docs/README.md`, as Bazel reads it."""
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "pkg/BUILD.bazel": 'py_wheel(name = "w", distribution = "w", version = "1",'
            ' description_file = "docs/README.md")\n',
            "pkg/docs/README.md": "# W\n",
        },
    )
    [wheel] = package(run, root, "//pkg:w")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("w-1.dist-info/METADATA").decode().endswith("\n\n# W\n\n")


def test_a_pybind11_extension_is_made_by_a_build(tmp_path: Path, run: Runner) -> None:
    """pybind11_bazel's pybind_extension makes `name.so` and `name`: a wheel naming either
    packs what it can and says what a build makes."""
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'load("@pybind11_bazel//:build_defs.bzl", "pybind_extension")\n'
                'pybind_extension(name = "_native", srcs = ["native.cc"])\n'
                'py_library(name = "lib", srcs = ["lib.py"], data = [":_native.so"])\n'
                'py_wheel(name = "w", distribution = "w", version = "1",'
                ' deps = [":lib", ":_native.so"])\n'
            ),
            "lib.py": "",
            "native.cc": "",
        },
    )
    code, out, err = run(["list", "//:all"], root=root)
    assert (code, out) == (0, "//:_native\n//:_native.so\n//:lib\n//:w\n//:w.dist\n//:w.publish\n")
    code, _, err = run(["package", "//:w"], root=root)
    assert code == 0, err
    assert "//:_native.so (pybind_extension) makes its files in a build" in err


def test_files_write_file_makes_are_packed_as_its_content_says(tmp_path: Path, run: Runner) -> None:
    """bazel_skylib's write_file writes its `content` lines joined by its newline (no final
    one): a module and a requires_file made so are known without a build, as rules_python's
    examples/wheel (requires_files) and tests/whl_filegroup use them."""
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'load("@bazel_skylib//rules:write_file.bzl", "write_file")\n'
                'write_file(name = "gen_py", out = "pkg/gen.py",'
                ' content = ["X = 1", "Y = 2"])\n'
                'write_file(name = "crlf", out = "pkg/crlf.txt", content = ["a", "b"],'
                ' newline = "windows")\n'
                'write_file(name = "reqs", out = "requires.txt",'
                ' content = "# pins\\n--index-url https://x\\n\\nattrs>=23\\n".splitlines())\n'
                'py_library(name = "lib", srcs = ["pkg/gen.py"], data = [":crlf"])\n'
                'py_wheel(name = "w", distribution = "w", version = "1",'
                ' requires_file = ":requires.txt", deps = [":lib", ":crlf"])\n'
            ),
        },
    )
    code, out, err = run(["package", "--output", "json", "//:w"], root=root)
    assert code == 0, err
    assert "in a build" not in err  # nothing is left out
    [wheel] = [root / r["path"] for r in json.loads(out)]
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("pkg/gen.py") == b"X = 1\nY = 2"
        assert archive.read("pkg/crlf.txt") == b"a\r\nb"
        assert "\nRequires-Dist: attrs>=23\n" in archive.read("w-1.dist-info/METADATA").decode()


def test_a_native_extension_in_a_py_package_is_left_out_and_said(
    tmp_path: Path, run: Runner
) -> None:
    """A py_package's closure holding a pybind_extension (a Python rule's dep, or its own)
    packs what Bazel would but the extension a build makes; cc_library deps bring nothing
    (no warning), and what `packages` filters out is not missed."""
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'load("@pybind11_bazel//:build_defs.bzl", "pybind_extension")\n'
                'cc_library(name = "core", srcs = ["core.cc"])\n'
                'pybind_extension(name = "pkg/_native", srcs = ["native.cc"], deps = [":core"])\n'
                'pybind_extension(name = "other/_native", srcs = ["native.cc"])\n'
                'py_library(name = "lib", srcs = ["pkg/lib.py"], deps = [":pkg/_native"])\n'
                'py_package(name = "p", packages = ["pkg"], deps = [":lib", ":other/_native"])\n'
                'py_wheel(name = "w", distribution = "w", version = "1", deps = [":p"])\n'
            ),
            "pkg/lib.py": "",
            "core.cc": "",
            "native.cc": "",
        },
    )
    code, out, err = run(["package", "--output", "json", "//:w"], root=root)
    assert code == 0, err
    assert "//:pkg/_native (pybind_extension) makes its files in a build: //:w leaves" in err
    assert "//:core" not in err
    assert "other/_native" not in err  # `packages` keeps pkg/ only
    [wheel] = [root / r["path"] for r in json.loads(out)]
    with zipfile.ZipFile(wheel) as archive:
        assert [n for n in archive.namelist() if ".dist-info/" not in n] == ["pkg/lib.py"]


def test_a_requires_file_a_custom_rule_makes_is_named(tmp_path: Path, run: Runner) -> None:
    """A custom rule declaring its output in an `out_*` attribute (periareon/rules_venv's
    py_wheel_library passes `out_requires`) makes the requires_file: said, not missed."""
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "defs.bzl": (
                "def _impl(ctx):\n    pass\n\n"
                'requirements = rule(implementation = _impl, attrs = {"out_requires": '
                "attr.output()})\n"
            ),
            "BUILD.bazel": (
                'load(":defs.bzl", "requirements")\n'
                'requirements(name = "reqs", out_requires = "w.requires.txt")\n'
                'py_wheel(name = "w", distribution = "w", version = "1",'
                ' requires_file = "w.requires.txt")\n'
            ),
        },
    )
    err = failure(run, root, "package", "//:w")
    assert "BUILD.bazel:3:73: //:w: requires_file 'w.requires.txt' is made by //:reqs (" in err
    assert "see also BUILD.bazel:2:1\n" in err


# rules_python's examples/wheel, written the way it is (its `customized` wheel and the
# libraries it packs; the two data files, genrules there, are write_file here so that they
# exist). The expected METADATA, WHEEL, entry points and member order are those its own
# examples/wheel/wheel_test.py asserts of `bazel build`'s wheel.
EXAMPLES_WHEEL = {
    "MODULE.bazel": "",
    "examples/wheel/BUILD.bazel": """\
load("//python:packaging.bzl", "py_package", "py_wheel")
load("//python:py_library.bzl", "py_library")

py_library(
    name = "main",
    srcs = ["main.py"],
    deps = [
        "//examples/wheel/lib:simple_module",
        "//examples/wheel/lib:module_with_data",
        "//examples/wheel/lib:module_with_type_annotations",
        # Example dependency which is not packaged in the wheel
        # due to "packages" filter on py_package rule.
        "//tests/load_from_macro:foo",
    ],
)

py_package(
    name = "example_pkg",
    packages = ["examples.wheel"],
    deps = [":main"],
)

py_wheel(
    name = "customized",
    author = "Example Author with non-ascii characters: żółw",
    author_email = "example@example.com",
    classifiers = [
        "License :: OSI Approved :: Apache Software License",
        "Intended Audience :: Developers",
    ],
    console_scripts = {
        "customized_wheel": "examples.wheel.main:main",
    },
    description_file = "README.md",
    distribution = "example_customized",
    entry_points = {
        "console_scripts": ["another = foo.bar:baz"],
        "group2": [
            "second = second.main:s",
            "first = first.main:f",
        ],
    },
    extra_distinfo_files = {
        "//examples/wheel:NOTICE": "NOTICE",
        "//examples/wheel:README.md": "README",
    },
    homepage = "www.example.com",
    license = "Apache 2.0",
    project_urls = {
        "Bug Tracker": "www.example.com/issues",
        "Documentation": "www.example.com/docs",
    },
    python_tag = "py3",
    requires = ["pytest"],
    summary = "A one-line summary of this test package",
    version = "0.0.1",
    deps = [":example_pkg"],
)
""",
    "examples/wheel/lib/BUILD.bazel": """\
load("@bazel_skylib//rules:write_file.bzl", "write_file")
load("//python:py_library.bzl", "py_library")

py_library(name = "simple_module", srcs = ["simple_module.py"])

py_library(
    name = "module_with_type_annotations",
    srcs = ["module_with_type_annotations.py"],
    pyi_srcs = ["module_with_type_annotations.pyi"],
)

py_library(
    name = "module_with_data",
    srcs = ["module_with_data.py"],
    data = [
        "data,with,commas.txt",
        ":data.txt",
    ],
)

write_file(name = "make_data", out = "data.txt", content = ["foo bar baz", ""])

write_file(
    name = "make_data_with_commas_in_name",
    out = "data,with,commas.txt",
    content = ["foo bar baz", ""],
)
""",
    "tests/load_from_macro/BUILD.bazel": (
        'load("//python:py_library.bzl", "py_library")\n'
        'py_library(name = "foo", srcs = ["foo.py"])\n'
    ),
    "tests/load_from_macro/foo.py": "",
    "examples/wheel/main.py": "def main():\n    pass\n",
    "examples/wheel/NOTICE": "Notice.\n",
    "examples/wheel/README.md": "This is a sample description of a wheel.",
    "examples/wheel/lib/simple_module.py": "def function():\n    return 'simple_module'\n",
    "examples/wheel/lib/module_with_data.py": "def function():\n    return 'data'\n",
    "examples/wheel/lib/module_with_type_annotations.py": "def function():\n    return 1\n",
    "examples/wheel/lib/module_with_type_annotations.pyi": "def function() -> int: ...\n",
}


def test_rules_python_examples_customized_wheel(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, EXAMPLES_WHEEL)
    # rules_python's own repository loads its rules as //python:..., not @rules_python.
    (root / "MODULE.bazel").write_text('module(name = "rules_python", version = "0.0.0")\n')
    [wheel] = package(run, root, "//examples/wheel:customized")
    assert wheel.name == "example_customized-0.0.1-py3-none-any.whl"
    prefix = "example_customized-0.0.1.dist-info"
    with zipfile.ZipFile(wheel) as archive:
        assert archive.namelist() == [
            "examples/wheel/lib/data,with,commas.txt",
            "examples/wheel/lib/data.txt",
            "examples/wheel/lib/module_with_data.py",
            "examples/wheel/lib/module_with_type_annotations.py",
            "examples/wheel/lib/module_with_type_annotations.pyi",
            "examples/wheel/lib/simple_module.py",
            "examples/wheel/main.py",
            f"{prefix}/WHEEL",
            f"{prefix}/METADATA",
            f"{prefix}/entry_points.txt",
            f"{prefix}/NOTICE",
            f"{prefix}/README",
            f"{prefix}/RECORD",
        ]
        record = archive.read(f"{prefix}/RECORD").decode()
        assert record.startswith('"examples/wheel/lib/data,with,commas.txt",sha256=')
        assert record.endswith(f"\n{prefix}/RECORD,,\n")
        assert archive.read(f"{prefix}/WHEEL") == (
            b"Wheel-Version: 1.0\nGenerator: bazel-wheelmaker 1.0\n"
            b"Root-Is-Purelib: true\nTag: py3-none-any\n"
        )
        assert archive.read(f"{prefix}/METADATA") == (
            b"Metadata-Version: 2.1\n"
            b"Name: example_customized\n"
            b"Author: Example Author with non-ascii characters: \xc5\xbc\xc3\xb3\xc5\x82w\n"
            b"Author-email: example@example.com\n"
            b"Home-page: www.example.com\n"
            b"License: Apache 2.0\n"
            b"Description-Content-Type: text/markdown\n"
            b"Summary: A one-line summary of this test package\n"
            b"Project-URL: Bug Tracker, www.example.com/issues\n"
            b"Project-URL: Documentation, www.example.com/docs\n"
            b"Classifier: License :: OSI Approved :: Apache Software License\n"
            b"Classifier: Intended Audience :: Developers\n"
            b"Requires-Dist: pytest\n"
            b"Version: 0.0.1\n"
            b"\n"
            b"This is a sample description of a wheel.\n"
        )
        assert archive.read(f"{prefix}/entry_points.txt") == (
            b"[console_scripts]\nanother = foo.bar:baz\n"
            b"customized_wheel = examples.wheel.main:main\n\n"
            b"[group2]\nfirst = first.main:f\nsecond = second.main:s"
        )
        assert archive.read("examples/wheel/lib/data.txt") == b"foo bar baz\n"


def test_files_of_another_repository_are_left_out_and_said(tmp_path: Path, run: Runner) -> None:
    """A dep in another repository (protobuf's test wheel packs @com_google_absl_py's
    parameterized): Bazel's wheel holds its files, graphpub's cannot."""
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": (
                'py_library(name = "lib", srcs = ["lib.py"])\n'
                'py_wheel(name = "w", distribution = "w", version = "1",'
                ' deps = [":lib", "@absl_py//absl/testing:parameterized"])\n'
            ),
            "lib.py": "",
            "graphpub.toml": '[[publish]]\ntargets = ["//:w"]\nrepositories = ["@x"]\n',
            ".pypirc": "[distutils]\nindex-servers = x\n[x]\nrepository = file:index\n",
        },
    )
    code, _, err = run(["package", "//:w"], root=root)
    assert code == 0, err
    assert (
        "BUILD.bazel:2: @absl_py//absl/testing:parameterized is in another repository, which "
        "this checkout does not hold: //:w leaves its files out"
    ) in err
    err = failure(run, root, "publish", "//:w")
    assert (
        "BUILD.bazel:2:1: //:w lacks the files of @absl_py//absl/testing:parameterized (in a "
        "repository this checkout does not hold), which the wheel Bazel builds holds"
    ) in err
    assert not (root / "index").exists()
