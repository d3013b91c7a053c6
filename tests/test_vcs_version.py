"""Pants' `vcs_version`: the version of real git repositories' tags, as setuptools-scm
computes it, generated into the distributions that hold it, never into the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.conftest import Runner, make_repo, peek

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV}
    )


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


PANTS_TOML = '[GLOBAL]\npants_version = "2.26.0"\n[source]\nroot_patterns = ["/src"]\n'
VCS_BUILD = """
python_sources()
vcs_version(
    name="version",
    generate_to="src/app/_version.py",
    template='__version__ = "{{version}}"\\n',
    {extra}
)
python_distribution(
    name="dist",
    dependencies=[":app"],
    provides=python_artifact(name="app"),
    entry_points={{"console_scripts": {{"app": "app:main"}}}},
)
"""


def vcs_repo(tmp_path: Path, extra: str = "") -> Path:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": PANTS_TOML,
            ".gitignore": "dist/\n.graphpub/\n",
            "src/app/BUILD": VCS_BUILD.format(extra=extra),
            # Inference finds the vcs_version target from the import of its module.
            "src/app/__init__.py": "from app._version import __version__\n\n\ndef main():\n"
            "    print(__version__)\n",
        },
    )
    git(root, "init", "-q", "-b", "main")
    commit(root, "first")
    return root


def built_version(run: Runner, root: Path) -> tuple[str, str]:
    """(the version in the wheel's name, the generated module in it)."""
    code, out, err = run(["package", "--output", "json", "src/app:dist"], root=root)
    assert code == 0, err
    [wheel] = [root / r["path"] for r in json.loads(out) if r["path"].endswith(".whl")]
    with zipfile.ZipFile(wheel) as archive:
        generated = archive.read("app/_version.py").decode()
    return wheel.name.split("-")[1], generated


def test_a_tagged_commit_is_its_version(tmp_path: Path, run: Runner) -> None:
    root = vcs_repo(tmp_path)
    git(root, "tag", "v1.2.0")
    assert built_version(run, root) == ("1.2.0", '__version__ = "1.2.0"\n')
    assert not (root / "src" / "app" / "_version.py").exists()  # not in the source tree
    [record] = peek(run, root, "src/app:dist")
    assert record["distribution"]["version"] == "1.2.0"


def test_commits_after_a_tag_are_a_dev_version(tmp_path: Path, run: Runner) -> None:
    root = vcs_repo(tmp_path)
    git(root, "tag", "v1.2.0")
    (root / "src" / "app" / "more.py").write_text("", encoding="utf-8")
    commit(root, "second")
    (root / "src" / "app" / "again.py").write_text("", encoding="utf-8")
    commit(root, "third")
    version, generated = built_version(run, root)
    assert version.startswith("1.2.1.dev2+g"), version
    assert generated == f'__version__ = "{version}"\n'


def test_the_schemes_of_setuptools_scm(tmp_path: Path, run: Runner) -> None:
    root = vcs_repo(
        tmp_path,
        'version_scheme="post-release", local_scheme="no-local-version", '
        'tag_regex=r"^app-(?P<version>\\d+(?:\\.\\d+)*)$",',
    )
    git(root, "tag", "app-3.0")
    git(root, "tag", "v9.9.9")  # not the regex's: ignored... unless nearest
    (root / "src" / "app" / "more.py").write_text("", encoding="utf-8")
    commit(root, "second")
    version, _ = built_version(run, root)
    assert version == "3.0.post1"


def test_without_a_tag_it_is_an_error(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "src/app/BUILD": VCS_BUILD.format(extra=""),
            "src/app/__init__.py": "from app._version import __version__\n",
        },
    )
    code, out, err = run(["package", "src/app:dist"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith("src/app/BUILD:3:1: src/app:version: setuptools-scm found no version"), (
        err
    )
    assert "fallback_version" in err


def test_a_fallback_version_where_git_tells_none(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "src/app/BUILD": VCS_BUILD.format(extra='fallback_version="0.0.0",'),
            "src/app/__init__.py": "from app._version import __version__\n",
        },
    )
    assert built_version(run, root)[0] == "0.0.0"


def test_a_project_that_describes_itself_reads_the_generated_module(
    tmp_path: Path, run: Runner
) -> None:
    """generate_setup=False: the generated file is in the chroot where `generate_to` says,
    and the project's own backend reads its version there (setuptools' `attr:`)."""
    root = make_repo(
        tmp_path,
        {
            "pants.toml": PANTS_TOML,
            ".gitignore": "dist/\n.graphpub/\n",
            "BUILD": (
                'python_distribution(name="dist", generate_setup=False,\n'
                '    dependencies=[":project", "src/app"], provides=python_artifact())\n'
                'files(name="project", sources=["pyproject.toml"])\n'
            ),
            "pyproject.toml": (
                '[build-system]\nrequires = ["setuptools>=64"]\n'
                'build-backend = "setuptools.build_meta"\n'
                '[project]\nname = "self-described"\ndynamic = ["version"]\n'
                '[tool.setuptools.dynamic]\nversion = {attr = "app._version.__version__"}\n'
                '[tool.setuptools.packages.find]\nwhere = ["src"]\n'
            ),
            "src/app/BUILD": (
                "python_sources()\n"
                'vcs_version(name="version", generate_to="src/app/_version.py",\n'
                "    template='__version__ = \"{version}\"\\n')\n"
            ),
            "src/app/__init__.py": "from app._version import __version__\n",
        },
    )
    git(root, "init", "-q", "-b", "main")
    commit(root, "first")
    git(root, "tag", "2.5.0")
    code, out, err = run(["package", "--no-build-isolation", "--output", "json", "::"], root=root)
    assert code == 0, err
    names = sorted(Path(r["path"]).name for r in json.loads(out))
    assert names == ["self_described-2.5.0-py3-none-any.whl", "self_described-2.5.0.tar.gz"]


@pytest.mark.parametrize("template", ["version = {version!r} {other}", "{0}"])
def test_a_template_takes_only_the_version(tmp_path: Path, run: Runner, template: str) -> None:
    root = vcs_repo(tmp_path)
    build = root / "src" / "app" / "BUILD"
    build.write_text(
        build.read_text().replace("'__version__ = \"{version}\"\\n'", repr(template)),
        encoding="utf-8",
    )
    git(root, "tag", "v1.0")
    code, _, err = run(["package", "src/app:dist"], root=root)
    assert code == 1
    assert "src/app:version: its template" in err and "takes only {version}" in err
