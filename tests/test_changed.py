"""`--changed-since REF` / `--changed-dependents` on list, package and publish: what git says
changed (branch commits since REF, uncommitted and untracked files), the targets owning it, and
their dependents, as Pants selects them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Runner, lines

TESTDATA = Path(__file__).parent.parent / "testdata"


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "-c", "user.email=ci@example.com", "-c", "user.name=CI", *args],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """testdata/demo as a git clone with one commit, tagged `base`."""
    root = tmp_path / "demo"
    shutil.copytree(TESTDATA / "demo", root, ignore=shutil.ignore_patterns("dist", ".graphpub"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "tag", "base")
    return root


def listed(run: Runner, root: Path, *args: str) -> list[str]:
    code, out, err = run(["list", *args], root=root)
    assert code == 0, err
    return lines(out)


def test_nothing_changed_selects_nothing(demo: Path, run: Runner) -> None:
    assert listed(run, demo, "--changed-since", "base") == []
    code, out, _ = run(["publish", "--changed-since", "base", "--dry-run"], root=demo)
    assert (code, out) == (0, "Nothing published.\n")
    code, out, _ = run(["publish", "--changed-since", "base", "--format=json"], root=demo)
    assert (code, json.loads(out)) == (0, {"exit_code": 0, "uploads": []})


def test_committed_uncommitted_and_untracked_changes_count(demo: Path, run: Runner) -> None:
    greeting = demo / "src/python/greeting/greeting.py"
    greeting.write_text(greeting.read_text() + "# committed on the branch\n")
    git(demo, "commit", "-qam", "change greeting")
    main = demo / "src/python/demo/main.py"
    main.write_text(main.read_text() + "# not committed\n")
    (demo / "src/python/testutil/helpers.py").write_text("X = 1\n")  # untracked, not ignored
    (demo / "src/python/testutil/.gitignore").write_text("ignored.py\n")
    (demo / "src/python/testutil/ignored.py").write_text("Y = 1\n")
    assert listed(run, demo, "--changed-since", "base") == [
        "src/python/demo/main.py",
        "src/python/greeting/greeting.py",
        "src/python/testutil/helpers.py",
    ]
    # HEAD: only what is not committed yet.
    assert listed(run, demo, "--changed-since", "HEAD") == [
        "src/python/demo/main.py",
        "src/python/testutil/helpers.py",
    ]


def test_only_changes_on_the_branch_since_it_left_ref(demo: Path, run: Runner) -> None:
    """REF...HEAD, as Pants diffs: a commit on REF after the branch left it is not a change."""
    git(demo, "checkout", "-qb", "feature")
    greeting = demo / "src/python/greeting/greeting.py"
    greeting.write_text(greeting.read_text() + "# feature\n")
    git(demo, "commit", "-qam", "feature")
    git(demo, "checkout", "-q", "main")
    main = demo / "src/python/demo/main.py"
    main.write_text(main.read_text() + "# main moved on\n")
    git(demo, "commit", "-qam", "main")
    git(demo, "checkout", "-q", "feature")
    assert listed(run, demo, "--changed-since", "main") == ["src/python/greeting/greeting.py"]


def test_a_changed_build_file_changes_its_targets(demo: Path, run: Runner) -> None:
    build = demo / "src/python/greeting/BUILD"
    build.write_text(build.read_text() + "\n# reviewed\n")
    # Every target it declares, and those its generators make (which it also decides).
    assert listed(run, demo, "--changed-since", "base") == [
        "src/python/greeting",
        "src/python/greeting/__init__.py",
        "src/python/greeting/greeting.py",
        "src/python/greeting/greeting_test.py:tests",
        "src/python/greeting/translations.json:translations",
        "src/python/greeting:dist",
        "src/python/greeting:tests",
        "src/python/greeting:translations",
    ]


def test_a_deleted_file_changes_the_target_that_owned_it(demo: Path, run: Runner) -> None:
    git(demo, "rm", "-q", "src/python/greeting/greeting_test.py")
    assert listed(run, demo, "--changed-since", "base") == ["src/python/greeting:tests"]


def test_dependents_direct_and_transitive(demo: Path, run: Runner) -> None:
    greeting = demo / "src/python/greeting/greeting.py"
    greeting.write_text(greeting.read_text() + "# changed\n")
    direct = listed(run, demo, "--changed-since", "base", "--changed-dependents", "direct")
    transitive = listed(run, demo, "--changed-since", "base", "--changed-dependents=transitive")
    # The generator owning the file and the package's __init__.py importing it, not yet the
    # app (which imports the package).
    assert {"src/python/greeting", "src/python/greeting/__init__.py"} <= set(direct)
    assert "src/python/demo/main.py" not in direct
    assert set(direct) < set(transitive)
    # Through the app's inferred import up to both distributions.
    assert {"src/python/demo/main.py", "src/python:demo", "src/python/greeting:dist"} <= set(
        transitive
    )
    assert "src/python/testutil:dist" not in transitive
    # --no-infer: only explicit edges; the tests' imports of the code are inferred.
    explicit = listed(
        run, demo, "--no-infer", "--changed-since", "base", "--changed-dependents=transitive"
    )
    assert "src/python/greeting/greeting_test.py:tests" in transitive
    assert "src/python/greeting/greeting_test.py:tests" not in explicit
    assert set(explicit) < set(transitive)


def test_publish_takes_the_distributions_owning_or_depending_on_changes(
    demo: Path, run: Runner
) -> None:
    greeting = demo / "src/python/greeting/greeting.py"
    greeting.write_text(greeting.read_text() + "# changed\n")
    git(demo, "commit", "-qam", "greeting")
    pypirc = ["--pypirc", str(demo / "local.pypirc"), "--to", "@pypi"]
    code, out, err = run(["publish", "--changed-since", "base", *pypirc], root=demo)
    assert code == 0, err
    index = demo / "dist/index"
    # Only the distribution owning the change.
    assert sorted(p.name for p in index.iterdir() if p.is_dir()) == ["demo-greeting"]
    assert "✓ demo_greeting-1.0.0.tar.gz published to @pypi" in out
    # Its dependents too: demo needs demo-greeting, which is already there.
    code, out, err = run(
        ["publish", "--changed-since=base", "--changed-dependents=transitive", *pypirc],
        root=demo,
    )
    assert code == 0, err
    assert sorted(p.name for p in index.iterdir() if p.is_dir()) == ["demo", "demo-greeting"]
    assert "demo_greeting-1.0.0.tar.gz skipped (already on @pypi)" in out
    # package selects the same way.
    code, out, err = run(["package", "--changed-since", "base"], root=demo)
    assert code == 0, err
    assert [line.split()[0] for line in lines(out)] == [
        "dist/demo_greeting-1.0.0-py3-none-any.whl",
        "dist/demo_greeting-1.0.0.tar.gz",
    ]


def test_changed_since_errors(demo: Path, tmp_path: Path, run: Runner) -> None:
    code, _, err = run(["list", "--changed-since", "no-such-ref"], root=demo)
    assert code == 1, err
    assert "git knows no commit 'no-such-ref'" in err
    assert "hint: " in err and "fetch-depth: 0" in err
    plain = tmp_path / "plain"
    shutil.copytree(TESTDATA / "demo", plain, ignore=shutil.ignore_patterns("dist"))
    code, _, err = run(["list", "--changed-since", "HEAD"], root=plain)
    assert code == 1
    assert "is not in a git repository" in err
    code, _, err = run(["list", "::", "--changed-since", "HEAD"], root=demo)
    assert code == 2
    assert "--changed-since at the same time as specs" in err
    code, _, err = run(["list", "--changed-dependents", "direct", "::"], root=demo)
    assert code == 2
    assert "--changed-dependents needs --changed-since" in err
    code, _, err = run(["list"], root=demo)
    assert code == 2
    assert "SPEC (or --changed-since REF)" in err


def test_distributions_owning_or_naming_a_changed_target() -> None:
    from graphpub.buildgraph import Address
    from graphpub.publish.changed import changed_distributions

    app, lib = Address("app", "dist"), Address("lib", "dist")
    main_py, util_py = Address("app", "app", file="main.py"), Address("lib", "lib", file="u.py")
    generators = {main_py: Address("app", "app"), util_py: Address("lib", "lib")}
    owned = {app: [main_py], lib: [Address("lib", "lib")]}
    # lib owns the generator of the changed file; app owns nothing changed.
    assert changed_distributions([util_py], owned, generators) == [lib]
    # A distribution naming the changed distribution among its dependencies.
    assert changed_distributions([lib], owned, generators, {app: [lib], lib: []}) == [app, lib]
    assert changed_distributions([Address("other", "x")], owned, generators) == []
