"""A Pants SetupKwargs plugin, ported to a Starlark hook (`setup_kwargs_plugin`).

testdata/pants_setup_kwargs is written the way StackStorm's st2 is (a macro passes
`version_file`, the release plugin reads `__version__` from it and adds the project's metadata,
URLs, classifiers and README); testdata/oracles/backend.ai-common the way lablup/backend.ai is
(a root VERSION file, python_requires from the interpreter constraints, classifiers by release
stage and license), and is compared with the wheel Pants released from it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tests.conftest import TESTDATA, Runner, failure

FIXTURE = TESTDATA / "pants_setup_kwargs"
ORACLE = TESTDATA / "oracles" / "backend.ai-common"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    return root


def views(run: Runner, root: Path, *specs: str) -> dict[str, dict[str, Any]]:
    code, out, err = run(["peek", *specs], root=root)
    assert code == 0, err
    return {r["address"]: r["distribution"] for r in json.loads(out)}


def metadata_of(wheel: Path) -> Any:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode("utf-8"))


def test_the_plugin_supplies_version_metadata_and_readme(run: Runner, repo: Path) -> None:
    found = views(run, repo, "components/alpha:alpha", "components/beta:classified")
    alpha = found["components/alpha"]
    assert (alpha["name"], alpha["version"]) == ("alpha", "3.10dev")
    metadata = alpha["metadata"]
    assert "version_file" not in metadata  # the plugin takes it out, as st2's does
    assert metadata["author"] == "Example Authors"
    assert metadata["project_urls"] == {
        "Repository": "https://example.org/src",
        "Bug Reports": "https://example.org/issues",
    }
    readme = (repo / "components/alpha/README.rst").read_text("utf-8")
    assert metadata["long_description"] == readme
    assert metadata["long_description_content_type"] == "text/x-rst"
    # The plugin's classifiers first, then those the BUILD file gave.
    assert found["components/beta:classified"]["metadata"]["classifiers"] == [
        "Development Status :: 5 - Production/Stable",
        "License :: OSI Approved :: Apache Software License",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.9",
        "Topic :: Utilities",
    ]


def test_a_distribution_that_describes_itself_is_not_given_to_the_plugin(
    run: Runner, repo: Path
) -> None:
    (repo / "tools/graphpub/setup_kwargs.star").write_text(
        "def setup_kwargs(kwargs, target):\n"
        '    if target.spec_path == "components/own":\n'
        '        fail("asked for " + target.address)\n'
        '    return {"name": kwargs["name"], "version": "1.0"}\n'
    )
    own = views(run, repo, "components/own:own")["components/own"]
    assert (own["name"], own["version"], own["metadata"]) == ("own", "0.1.0", {})
    alpha = views(run, repo, "components/alpha:alpha")["components/alpha"]
    assert (alpha["version"], alpha["metadata"]) == ("1.0", {})


def test_the_built_wheel_has_what_the_plugin_computed(run: Runner, repo: Path) -> None:
    code, out, err = run(["package", "--output", "json", "components/alpha:alpha"], root=repo)
    assert code == 0, err
    [wheel] = [repo / r["path"] for r in json.loads(out) if r["path"].endswith(".whl")]
    # setuptools, which Pants' generated setup.py runs, normalizes the version.
    assert wheel.name == "alpha-3.10.dev0-py3-none-any.whl"
    metadata = metadata_of(wheel)
    assert metadata["Version"] == "3.10.dev0"
    assert metadata["Author"] == "Example Authors"
    assert metadata["Author-email"] == "dev@example.org"
    assert metadata["Description-Content-Type"] == "text/x-rst"
    assert metadata.get_payload() == (repo / "components/alpha/README.rst").read_text("utf-8")
    assert "Bug Reports, https://example.org/issues" in metadata.get_all("Project-URL")


def test_editing_the_file_the_plugin_reads_changes_the_version(run: Runner, repo: Path) -> None:
    assert views(run, repo, "components/beta:beta")["components/beta"]["version"] == "1.2.0"
    (repo / "components/beta/beta/__init__.py").write_text('__version__ = "1.3.0"\n')
    found = views(run, repo, "components/beta:beta")["components/beta"]
    assert found["version"] == "1.3.0"
    # The first-party pin follows: beta requires beta-extras at the version read now.
    assert found["requirements"] == ["beta-extras==1.3.0"]


def git(root: Path, *args: str, date: str = "2001-01-01T00:00:00Z") -> None:
    environment = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", *identity, *args], cwd=root, check=True, env=environment)


def wheel_digests(run: Runner, root: Path) -> dict[str, str]:
    code, out, err = run(
        ["package", "--output", "json", "components/alpha:", "components/beta:"], root=root
    )
    assert code == 0, err
    return {r["path"]: r["sha256"] for r in json.loads(out) if r["path"].endswith(".whl")}


def test_the_files_the_plugin_read_date_the_distribution(run: Runner, repo: Path) -> None:
    """A commit touching only a file the plugin read for alpha (its README) changes alpha's
    bytes and no other distribution's; the plugin's own file dates all of them."""
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    before = wheel_digests(run, repo)
    readme = repo / "components/alpha/README.rst"
    readme.write_text(readme.read_text("utf-8"), "utf-8")  # same text, later commit: no change
    git(repo, "commit", "-q", "--allow-empty", "-m", "unrelated", date="2002-01-01T00:00:00Z")
    assert wheel_digests(run, repo) == before
    (repo / "components/alpha/notes.txt").write_text("not an input\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "elsewhere", date="2003-01-01T00:00:00Z")
    assert wheel_digests(run, repo) == before
    readme.write_text(readme.read_text("utf-8").replace("The alpha", "The first"), "utf-8")
    git(repo, "commit", "-q", "-am", "readme", date="2004-01-01T00:00:00Z")
    after = wheel_digests(run, repo)
    alpha = "dist/alpha-3.10.dev0-py3-none-any.whl"
    assert after[alpha] != before[alpha]
    assert {k: v for k, v in after.items() if k != alpha} == {
        k: v for k, v in before.items() if k != alpha
    }
    plugin = repo / "tools/graphpub/setup_kwargs.star"
    plugin.write_text(plugin.read_text("utf-8") + "# a comment\n", "utf-8")
    git(repo, "commit", "-q", "-am", "plugin", date="2005-01-01T00:00:00Z")
    redated = wheel_digests(run, repo)
    assert all(redated[k] != after[k] for k in after)


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        (
            'def setup_kwargs(kwargs, target):\n    fail("no version for " + target.address)\n',
            "tools/graphpub/setup_kwargs.star:2:5: fail: no version for components/alpha "
            "(called for components/alpha)",
        ),
        (
            'def setup_kwargs(kwargs, target):\n    return read_file("../outside.txt")\n',
            "tools/graphpub/setup_kwargs.star:2:12: file '../outside.txt' is outside the build "
            "root (called for components/alpha)",
        ),
        (
            "def setup_kwargs(kwargs, target):\n    return [kwargs]\n",
            "tools/graphpub/setup_kwargs.star: setup_kwargs() returned list, not a dict, for "
            "components/alpha",
        ),
        (
            'def setup_kwargs(kwargs, target):\n    return {"name": "alpha", "version": 3}\n',
            "tools/graphpub/setup_kwargs.star: setup_kwargs() for components/alpha: "
            "python_artifact(): 'version' must be a non-empty string",
        ),
        (
            "def other(kwargs, target):\n    return kwargs\n",
            "tools/graphpub/setup_kwargs.star: no function setup_kwargs() in this file",
        ),
        (
            "def setup_kwargs(kwargs, target)\n    return kwargs\n",
            "tools/graphpub/setup_kwargs.star:1:33: syntax error",
        ),
    ],
    ids=["fail", "outside", "not-a-dict", "bad-version", "no-function", "syntax"],
)
def test_plugin_errors_name_the_plugin_line(
    plugin: str, message: str, run: Runner, repo: Path
) -> None:
    (repo / "tools/graphpub/setup_kwargs.star").write_text(plugin)
    err = failure(run, repo, "peek", "components/alpha:alpha")
    assert err.splitlines()[0].startswith(message), err


def test_a_plugin_that_never_ends_is_stopped(run: Runner, repo: Path) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.graphpub]\nsetup_kwargs_plugin = "tools/graphpub/setup_kwargs.star"\n'
        "evaluation_timeout = 0.5\n"
    )
    (repo / "tools/graphpub/setup_kwargs.star").write_text(
        "def setup_kwargs(kwargs, target):\n"
        "    for i in range(2000000000):\n"
        "        kwargs[str(i % 7)] = i\n"
        "    return kwargs\n"
    )
    err = failure(run, repo, "peek", "components/alpha:alpha")
    assert "took longer than evaluation_timeout (0.5 s)" in err.splitlines()[0], err


def test_a_plugin_reads_no_file_outside_the_root(run: Runner, repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("S3CRET-VALUE-FROM-OUTSIDE")
    (repo / "components/alpha/link.txt").symlink_to(secret)
    (repo / "tools/graphpub/setup_kwargs.star").write_text(
        "def setup_kwargs(kwargs, target):\n"
        '    kwargs["version"] = "1.0"\n'
        '    kwargs["long_description"] = read_file("components/alpha/link.txt")\n'
        "    return kwargs\n"
    )
    err = failure(run, repo, "package", "components/alpha:alpha")
    assert "S3CRET" not in err
    assert "leaves the build root" in err or "outside" in err, err
    assert not (repo / "dist").exists() or not any(
        "S3CRET" in p.read_bytes().decode("latin-1") for p in (repo / "dist").iterdir()
    )


def test_released_wheel_of_a_setupgen_plugin_repository(run: Runner, tmp_path: Path) -> None:
    """backend.ai-common 26.8.0rc1 (PyPI): every field its setupgen plugin computes."""
    facts = json.loads((ORACLE / "facts.json").read_text("utf-8"))
    want = facts["metadata"]
    root = tmp_path / "backend.ai"
    shutil.copytree(ORACLE / "repo", root)
    code, out, err = run(["package", "--output", "json", "::"], root=root)
    assert code == 0, err
    [wheel] = [root / r["path"] for r in json.loads(out) if r["path"].endswith(".whl")]
    assert wheel.name.endswith(f"-{facts['wheel_tag']}.whl")
    got = metadata_of(wheel)
    assert canonicalize_name(got["Name"]) == canonicalize_name(want["Name"])
    for field in ("Version", "Summary", "Author", "License", "Description-Content-Type"):
        assert got[field] == want[field], field
    assert SpecifierSet(got["Requires-Python"]) == SpecifierSet(want["Requires-Python"])
    # hatchling writes classifiers sorted, setuptools as given.
    assert sorted(got.get_all("Classifier")) == sorted(want["Classifier"])
    # setuptools' Home-page is hatchling's Project-URL "Homepage" (Home-page is deprecated).
    urls = got.get_all("Project-URL")
    assert sorted(urls) == sorted([*want["Project-URL"], f"Homepage, {want['Home-page']}"])
    readme = root / "src/ai/backend/common/README.md"
    assert got.get_payload() == readme.read_text("utf-8")


def test_without_the_port_the_hint_names_it(run: Runner, repo: Path) -> None:
    """pants.toml loads a plugin of the repository's: a missing version may be its work."""
    (repo / "pyproject.toml").unlink()
    err = failure(run, repo, "package", "components/alpha:alpha")
    assert "components/alpha has no version" in err, err
    assert "port it to Starlark and name it in setup_kwargs_plugin" in err


def test_a_regular_expression_that_never_ends_is_stopped(repo: Path) -> None:
    """Python's `re` cannot be interrupted: the supervising process stops the evaluation at
    its deadline, as it does a build file starlark cannot stop."""
    (repo / "pyproject.toml").write_text(
        '[tool.graphpub]\nsetup_kwargs_plugin = "tools/graphpub/setup_kwargs.star"\n'
        "evaluation_timeout = 1\n"
    )
    (repo / "tools/graphpub/setup_kwargs.star").write_text(
        "def setup_kwargs(kwargs, target):\n"
        '    re_search("^(a+)+$", "a" * 60 + "b")\n'
        "    return kwargs\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "graphpub", "-C", str(repo), "peek", "components/alpha:alpha"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "took longer than evaluation_timeout" in result.stderr
    assert "the process evaluating it was killed" in result.stderr


def test_changed_since_selects_what_the_plugin_read(run: Runner, repo: Path) -> None:
    """A commit touching only a file the plugin reads (alpha's README) changes alpha: it is
    among the distributions --changed-since selects, and the others are not."""
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    readme = repo / "components/alpha/README.rst"
    readme.write_text(readme.read_text("utf-8") + "\nMore.\n", "utf-8")
    git(repo, "commit", "-q", "-am", "readme")
    code, out, err = run(["package", "--changed-since", "HEAD~1", "--output", "json"], root=repo)
    assert code == 0, err
    assert [Path(r["path"]).name for r in json.loads(out)] == [
        "alpha-3.10.dev0-py3-none-any.whl",
        "alpha-3.10.dev0.tar.gz",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("../outside.star", "setup_kwargs_plugin: '../outside.star' is outside the build root"),
        ("/etc/passwd", "setup_kwargs_plugin: '/etc/passwd' is outside the build root"),
        (
            "tools/graphpub/nope.star",
            "setup_kwargs_plugin: tools/graphpub/nope.star does not exist",
        ),
    ],
)
def test_the_plugin_setting_names_a_file_of_the_repository(
    value: str, message: str, run: Runner, repo: Path
) -> None:
    (repo / "pyproject.toml").write_text(f'[tool.graphpub]\nsetup_kwargs_plugin = "{value}"\n')
    err = failure(run, repo, "peek", "components/alpha:alpha")
    assert err.splitlines()[0] == f"pyproject.toml:2:1: {message}", err
