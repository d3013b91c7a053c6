"""No file leaves the root: every file a build file makes graphpub read, probed as an attacker
would. Each probe names a file outside the root holding a distinctive secret (or a kernel file,
a FIFO, a device) through one of the fields that name files; graphpub must refuse it with the
field's `path:LINE:COL`, before reading it, and the secret must appear in no output and no
built file.
"""

from __future__ import annotations

import os
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Runner, make_repo

SECRET = "Zq7-outside-S3CRET-1187"

PANTS_DIST = """\
python_sources(name="lib")
python_distribution(
    name="dist",
    dependencies=[":lib"],
    provides=python_artifact(name="probe", version="1.0"),
    long_description_path={path!r},
)
"""

BAZEL_WHEEL = """\
load("@rules_python//python:defs.bzl", "py_library")
load("@rules_python//python:packaging.bzl", "py_wheel")
py_library(name = "lib", srcs = ["probe/__init__.py"])
py_wheel(
    name = "wheel",
    distribution = "probe",
    version = "1.0",
    deps = [":lib"],
    {field} = {path!r},
)
"""


def everything_written(root: Path, out: str, err: str) -> str:
    """The command's output and the text of every file it built."""
    texts = [out, err]
    for path in (root / "dist").rglob("*") if (root / "dist").exists() else ():
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as archive:
                texts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
        elif path.name.endswith(".tar.gz"):
            with tarfile.open(path) as archive:
                for member in archive.getmembers():
                    extracted = archive.extractfile(member)
                    if extracted is not None:
                        texts.append(extracted.read().decode("utf-8", "replace"))
    return "\n".join(texts)


def outside_file(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text(f"password = {SECRET}\n")
    return secret


def refused(run: Runner, root: Path, location: str, message: str) -> None:
    code, out, err = run(["package", "::"], root=root)
    assert code == 1, (out, err)
    first = err.splitlines()[0]
    assert first.startswith(f"{location}: "), err
    assert message in first, err
    assert "Traceback" not in err
    assert SECRET not in everything_written(root, out, err)


def pants_repo(tmp_path: Path, path: str) -> Path:
    return make_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/"]\n',
            "probe/__init__.py": "",
            "probe/BUILD": PANTS_DIST.format(path=path),
        },
    )


# Column 28: where the string starts in `    long_description_path=...` (line 6).
@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        (lambda _t, _r: "/proc/self/environ", "is an absolute path"),
        (lambda t, _r: str(outside_file(t)), "is an absolute path"),
        (lambda _t, _r: "../outside/secret.txt", "is outside the build root"),
        (lambda _t, _r: "probe/../../outside/secret.txt", "is outside the build root"),
    ],
    ids=["proc", "absolute", "dotdot", "dotdot-inside"],
)
def test_long_description_path_outside_the_root(
    tmp_path: Path, run: Runner, make_path: Callable[[Path, Path], str], message: str
) -> None:
    outside_file(tmp_path)
    path = make_path(tmp_path, tmp_path / "repo")
    refused(run, pants_repo(tmp_path, path), "probe/BUILD:6:27", message)


def test_long_description_through_a_symlink_leaving_the_root(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, "probe/README.md")
    os.symlink(outside_file(tmp_path), root / "probe" / "README.md")
    refused(run, root, "probe/BUILD:6:27", "leaves the build root")


def test_long_description_through_a_symlinked_directory(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, "docs/secret.txt")
    outside_file(tmp_path)
    os.symlink(tmp_path / "outside", root / "docs")
    refused(run, root, "probe/BUILD:6:27", "leaves the build root")


def test_long_description_symlinked_to_proc(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, "probe/README.md")
    os.symlink("/proc/self/environ", root / "probe" / "README.md")
    refused(run, root, "probe/BUILD:6:27", "leaves the build root")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_not_waited_on(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, "probe/README.md")
    os.mkfifo(root / "probe" / "README.md")
    refused(run, root, "probe/BUILD:6:27", "is a FIFO, not a regular file")


def test_a_device_symlinked_inside_is_refused(tmp_path: Path, run: Runner) -> None:
    root = pants_repo(tmp_path, "probe/README.md")
    os.symlink("/dev/zero", root / "probe" / "README.md")
    refused(run, root, "probe/BUILD:6:27", "leaves the build root")


def bazel_repo(tmp_path: Path, field: str, path: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "probe/__init__.py": "",
            "BUILD.bazel": BAZEL_WHEEL.format(field=field, path=path),
        },
    )


@pytest.mark.parametrize("field", ["description_file", "requires_file"])
def test_bazel_files_outside_the_root(tmp_path: Path, run: Runner, field: str) -> None:
    column = 8 + len(field)
    outside_file(tmp_path)
    refused(
        run,
        bazel_repo(tmp_path / "up", field, "//../outside/secret.txt"),
        f"BUILD.bazel:9:{column}",
        "outside the build root",
    )
    root = bazel_repo(tmp_path / "link", field, "notes.txt")
    os.symlink(outside_file(tmp_path), root / "notes.txt")
    refused(run, root, f"BUILD.bazel:9:{column}", "leaves the build root")


def test_python_requirements_source_through_a_symlink(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {"pants.toml": "", "3rdparty/BUILD": 'python_requirements(source="reqs.txt")\n'},
    )
    os.symlink(outside_file(tmp_path), root / "3rdparty" / "reqs.txt")
    code, out, err = run(["list", "::"], root=root)
    assert code == 1
    assert err.startswith("3rdparty/BUILD:1:28: cannot read 3rdparty/reqs.txt: it leaves"), err
    assert SECRET not in out + err


def test_an_own_project_cannot_lead_out_of_the_root(tmp_path: Path, run: Runner) -> None:
    """generate_setup=False: the backend reads the files the distribution depends on, as they
    are, so none of them may be a way out."""
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/"]\n',
            "probe/pyproject.toml": (
                '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
                '[project]\nname = "probe"\nversion = "1.0"\nreadme = "README.md"\n'
            ),
            "probe/probe/__init__.py": "",
            "probe/BUILD": (
                'python_distribution(name="dist", generate_setup=False,\n'
                '    dependencies=[":project"], provides=python_artifact())\n'
                'files(name="project", sources=["pyproject.toml", "README.md"])\n'
            ),
        },
    )
    os.symlink(outside_file(tmp_path), root / "probe" / "README.md")
    refused(run, root, "probe/BUILD:1:1", "leaves the build root")


def test_load_of_a_bzl_file_through_proc(tmp_path: Path, run: Runner) -> None:
    root = make_repo(tmp_path, {"MODULE.bazel": "", "BUILD.bazel": 'load("//:x.bzl", "x")\n'})
    os.symlink("/proc/self/environ", root / "x.bzl")
    code, _, err = run(["list", "::"], root=root)
    assert code == 1
    assert err.startswith("BUILD.bazel:1:6: load() of x.bzl leaves the build root"), err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_files_inside_the_root_are_still_read(tmp_path: Path, run: Runner) -> None:
    """The check refuses ways out, not files: a symlink to a file inside the root is read."""
    root = pants_repo(tmp_path, "probe/README.md")
    (root / "docs").mkdir()
    (root / "docs" / "README.md").write_text("# Probe\n\nIt probes.\n")
    os.symlink(root / "docs" / "README.md", root / "probe" / "README.md")
    code, out, err = run(["package", "::"], root=root)
    assert code == 0, err
    assert "It probes." in everything_written(root, out, err)
