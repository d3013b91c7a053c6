"""The distribution view every python_distribution / py_wheel / python_wheel offers: through
`graphpub peek` on the bundled fixtures, `checked_version()` through the Python API, and the
`[[publish]]` configuration."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from graphpub.buildgraph import resolve_specs
from graphpub.errors import GraphpubError, SourceLocation
from graphpub.rules.distribution import Distribution, distributions
from tests.conftest import TESTDATA, Runner, failure, load_graph, make_repo, peek, view_of

DEMO = TESTDATA / "demo"
BAZEL = TESTDATA / "bazel_wheel"
BUCK2 = TESTDATA / "buck2_python"


def views(run: Runner, root: Path, *args: str) -> dict[str, dict[str, Any]]:
    """The `distribution` of each record `graphpub peek ARGS` prints, by address."""
    return {
        r["address"]: view_of(r["distribution"])
        for r in peek(run, root, *args)
        if "distribution" in r
    }


# ---------------------------------------------------------------- demo (Pants)

DEMO_REPOSITORIES = ["@pypi", "@private-repo", "https://pypi.private2.example.com"]


def test_demo_distributions(run: Runner) -> None:
    found = views(run, DEMO, "::")
    assert sorted(found) == [
        "src/python/greeting:dist",
        "src/python/testutil:dist",
        "src/python:demo",
    ]


def test_demo_distribution(run: Runner) -> None:
    view = views(run, DEMO, "src/python:demo")["src/python:demo"]
    assert view["name"] == "demo"
    assert view["version"] == "1.0.0"
    assert view["unresolved_stamps"] == []
    # Its dependencies: the one written, and (as Pants infers it) its entry point's module.
    assert view["carries"] == ["src/python/demo", "src/python/demo/main.py"]
    assert "packaging>=23.0" in view["requirements"]
    assert view["entry_points"] == {"console_scripts": {"demo": "demo.main:main"}}
    assert view["metadata"] == {
        "description": "A demo distribution that greets you from the command line."
    }
    assert view["repositories"] == DEMO_REPOSITORIES
    assert view["skip_reason"] is None


def test_demo_requirements_follow_ownership(run: Runner) -> None:
    # testdata/demo/EXPECTED.md, "Distributions".
    view = views(run, DEMO, "src/python:demo")["src/python:demo"]
    assert view["requirements"] == ["demo-greeting==1.0.0", "packaging>=23.0"]


def test_demo_greeting_distribution(run: Runner) -> None:
    assert views(run, DEMO, "src/python/greeting:dist") == {
        "src/python/greeting:dist": {
            "name": "demo-greeting",
            "version": "1.0.0",
            "unresolved_stamps": [],
            "carries": ["src/python/greeting"],
            "requirements": ["attrs>=23.1.0"],
            "entry_points": {},
            "metadata": {
                "description": "Greetings in a handful of languages.",
                "long_description_content_type": "text/markdown",
                "author": "Demo Publishers",
                "license": "Apache-2.0",
                "url": "https://example.com/demo-greeting",
                "classifiers": [
                    "License :: OSI Approved :: Apache Software License",
                    "Programming Language :: Python :: 3",
                ],
                "long_description_path": "src/python/greeting/README.md",
            },
            "repositories": DEMO_REPOSITORIES,
            "skip_reason": None,
        }
    }


def test_demo_testutil_distribution_is_skipped(run: Runner) -> None:
    assert views(run, DEMO, "src/python/testutil:dist") == {
        "src/python/testutil:dist": {
            "name": "demo-testutil",
            "version": "0.1.0",
            "unresolved_stamps": [],
            "carries": ["src/python/testutil"],
            "requirements": [],
            "entry_points": {},
            "metadata": {"description": "Test helpers for the demo monorepo (internal)."},
            "repositories": ["@private-repo"],
            "skip_reason": "by `skip_twine` on src/python/testutil:dist",
        }
    }


def test_other_targets_have_no_distribution_view(run: Runner) -> None:
    records = peek(run, DEMO, "src/python/greeting", "3rdparty/python#attrs", "//:dists")
    assert [("distribution" in r) for r in records] == [False, False, False]


# ---------------------------------------------------------------- bazel_wheel (Bazel)

GREETLIB_WHEEL = {
    "name": "greetlib",
    "version": "1.2.0",
    "unresolved_stamps": [],
    "carries": ["//:greetlib_pkg"],
    "requirements": ["attrs>=23.1.0"],
    "entry_points": {},
    "metadata": {
        "summary": "Greetings, with a message of the day.",
        "author": "The Greeter Authors",
        "author_email": "greeters@example.com",
        "license": "MIT",
        "classifiers": [
            "License :: OSI Approved :: MIT License",
            "Intended Audience :: Developers",
            "Programming Language :: Python :: 3",
        ],
        "project_urls": {
            "Bug Tracker": "https://example.com/greetlib/issues",
            "Documentation": "https://example.com/greetlib/docs",
        },
        "homepage": "https://example.com/greetlib",
        "description_file": "README.md",
        "python_requires": ">=3.8",
        "python_tag": "py3",
        "abi": "none",
        "platform": "any",
        "strip_path_prefixes": ["src"],
    },
    # graphpub.toml's [[publish]]: py_wheel cannot name repositories.
    "repositories": ["@pypi"],
    "skip_reason": None,
}

GREET_CLI_WHEEL = {
    "name": "greet-cli",
    "version": "$(VERSION)",
    "unresolved_stamps": ["$(VERSION)"],
    "carries": ["//src/greetcli:wheel_pkg"],
    "requirements": ["greetlib>=1.2.0"],
    "entry_points": {"console_scripts": {"greet": "greetcli.main:main"}},
    "metadata": {
        "summary": "Greet people from the command line.",
        "author": "The Greeter Authors",
        "author_email": "greeters@example.com",
        "license": "MIT",
        "classifiers": [
            "License :: OSI Approved :: MIT License",
            "Programming Language :: Python :: 3",
        ],
        "description_file": "README.md",
        "python_tag": "py3",
        "abi": "none",
        "platform": "any",
        "strip_path_prefixes": ["src"],
    },
    "repositories": ["@pypi"],
    "skip_reason": None,
}


def test_bazel_wheels(run: Runner) -> None:
    assert views(run, BAZEL, "//...") == {
        "//:greetlib_wheel": GREETLIB_WHEEL,
        "//src/greetcli:wheel": GREET_CLI_WHEEL,
    }


def test_bazel_wheel_version_from_define(run: Runner) -> None:
    found = views(run, BAZEL, "--define", "VERSION=2.0.0", "//src/greetcli:wheel")
    view = found["//src/greetcli:wheel"]
    assert (view["version"], view["unresolved_stamps"]) == ("2.0.0", [])


def test_bazel_wheel_requirements_follow_select(run: Runner) -> None:
    found = views(run, BAZEL, "--condition", "//:python_3_8", "//:greetlib_wheel")
    assert found["//:greetlib_wheel"]["requirements"] == [
        "attrs>=23.1.0",
        "importlib-resources>=5.0",
    ]


# ---------------------------------------------------------------- buck2_python (Buck2)


def test_buck2_wheels(run: Runner) -> None:
    assert views(run, BUCK2, "::") == {
        "//python/wheel:greeter": {
            "name": "buck2-greeter",
            "version": "0.3.0",
            "unresolved_stamps": [],
            "carries": ["//python/greeter:greeter"],
            "requirements": ["attrs>=23.1.0"],
            "entry_points": {},
            "metadata": {
                "Summary": "Greetings, picked from a list shipped with the package.",
                "License": "MIT",
            },
            "repositories": ["@pypi"],
            "skip_reason": None,
        },
        "//python/wheel:greeter_cli": {
            "name": "buck2-greeter-cli",
            "version": "0.3.0",
            "unresolved_stamps": [],
            "carries": ["//python/greeter_cli:greeter_cli"],
            "requirements": ["buck2-greeter==0.3.0"],
            "entry_points": {"console_scripts": {"buck2-greet": "greeter_cli.main:main"}},
            "metadata": {"Summary": "Greet people from the command line.", "License": "MIT"},
            "repositories": ["@pypi"],
            "skip_reason": None,
        },
    }


# ---------------------------------------------------------------- checked_version()

STAMPED_BUILD = """\
py_library(name = "lib")

py_wheel(
    name = "w",
    distribution = "w",
    version = "$(VERSION)",
    deps = [":lib"],
)
py_wheel(name = "labelled", distribution = "l", version = "1.{BUILD_EMBED_LABEL}")
"""


def distribution(root: Path, spec: str) -> Distribution:
    """The distribution view of the one target `spec` names, through the Python API."""
    graph = load_graph(root)
    [address] = resolve_specs([spec], graph)
    [view] = distributions(graph, [address]).values()
    return view


def stamped_repo(tmp_path: Path, files: Mapping[str, str] | None = None) -> Path:
    return make_repo(
        tmp_path, {"MODULE.bazel": "", "pkg/BUILD.bazel": STAMPED_BUILD, **(files or {})}
    )


def test_py_wheel_version_without_its_define_is_wheelmakers(tmp_path: Path) -> None:
    """rules_python replaces the make variables it knows and leaves the rest; wheelmaker then
    makes a version of what is left (`0+version`), as Bazel does."""
    view = distribution(stamped_repo(tmp_path), "//pkg:w")
    assert (view.version, view.unresolved_stamps) == ("$(VERSION)", ("$(VERSION)",))
    assert view.checked_version() == "0+version"


def test_py_wheel_version_without_its_stamp_is_wheelmakers(tmp_path: Path) -> None:
    view = distribution(stamped_repo(tmp_path), "//pkg:labelled")
    assert view.unresolved_stamps == ("{BUILD_EMBED_LABEL}",)
    assert view.checked_version() == "1.0+1.build.embed.label"


def test_py_wheel_stamp_0_stamps_nothing(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "graphpub.toml": '[stamp]\nBUILD_EMBED_LABEL = "4"\nNAME = "n"\n',
            "pkg/BUILD.bazel": (
                'py_wheel(name = "w", distribution = "d{NAME}", version = "{BUILD_EMBED_LABEL}",'
                " stamp = 0)\n"
                'py_wheel(name = "v", distribution = "d{NAME}", version = "{BUILD_EMBED_LABEL}")\n'
            ),
        },
    )
    unstamped = distribution(root, "//pkg:w")
    assert (unstamped.name, unstamped.checked_version()) == ("d{NAME}", "0+build.embed.label")
    stamped = distribution(root, "//pkg:v")
    assert (stamped.name, stamped.checked_version()) == ("dn", "4")


def test_checked_version_names_the_missing_define(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "src/BUILD": (
                "python_sources()\n"
                "python_distribution(\n"
                '    name = "dist",\n'
                '    provides = python_artifact(name = "d", version = "1.{BUILD_EMBED_LABEL}"),\n'
                ")\n"
            ),
        },
    )
    view = distribution(root, "src:dist")
    with pytest.raises(GraphpubError) as caught:
        view.checked_version()
    assert caught.value.message.endswith("still holds {BUILD_EMBED_LABEL}: '1.{BUILD_EMBED_LABEL}'")
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("give it a value: --stamp BUILD_EMBED_LABEL=1.2.3")
    assert caught.value.location == SourceLocation("src/BUILD", 2)


def test_checked_version_in_a_pants_repository(tmp_path: Path) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "src/BUILD": (
                "python_distribution(\n"
                '    name = "dist",\n'
                '    provides = python_artifact(name = "d", version = "$(VERSION)"),\n'
                ")\n"
            ),
        },
    )
    view = distribution(root, "src:dist")
    with pytest.raises(GraphpubError) as caught:
        view.checked_version()
    assert caught.value.message == "the version of src:dist still holds $(VERSION): '$(VERSION)'"
    assert caught.value.location == SourceLocation("src/BUILD", 1)


def test_checked_version_once_stamped(tmp_path: Path) -> None:
    root = stamped_repo(
        tmp_path,
        {"graphpub.toml": '[defines]\nVERSION = "3.1"\n[stamp]\nBUILD_EMBED_LABEL = "4"\n'},
    )
    assert distribution(root, "//pkg:w").checked_version() == "3.1"
    assert distribution(root, "//pkg:labelled").checked_version() == "1.4"


# ---------------------------------------------------------------- [[publish]] configuration

PUBLISHED_BUILD = 'py_wheel(name = "w", distribution = "w", version = "1")\n'
EXAMPLE_HINT = 'hint: [[publish]]\ntargets = ["//python:wheel"]\nrepositories = ["@pypi"]\n'


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('publish = "@pypi"\n', "publish must be an array of tables ([[publish]])"),
        ('publish = ["@pypi"]\n', "[[publish]] #1 must be a table"),
        (
            '[[publish]]\nrepositories = ["@pypi"]\n',
            "[[publish]] #1: targets must be a non-empty list of strings",
        ),
        (
            '[[publish]]\ntargets = []\nrepositories = ["@pypi"]\n',
            "[[publish]] #1: targets must be a non-empty list of strings",
        ),
        (
            '[[publish]]\ntargets = ["//:w"]\n',
            "[[publish]] #1: repositories must be a non-empty list of strings",
        ),
        (
            '[[publish]]\ntargets = ["//:w"]\nrepositories = ["@pypi"]\n'
            '[[publish]]\ntargets = ["//:w"]\nrepositories = ["@pypi"]\nrepository = "@x"\n',
            "[[publish]] #2: unknown key 'repository'",
        ),
    ],
)
def test_publish_config_errors(tmp_path: Path, run: Runner, toml: str, message: str) -> None:
    root = make_repo(
        tmp_path, {"MODULE.bazel": "", "BUILD.bazel": PUBLISHED_BUILD, "graphpub.toml": toml}
    )
    err = failure(run, root, "list", "//...")
    # At the line of the key (or of the table) at fault, shown with a caret under it.
    first, *rest = err.splitlines()
    line = int(first.split(":")[1])
    assert first == f"graphpub.toml:{line}:1: {message}"
    assert rest[0] == f"{line:>4} | {toml.splitlines()[line - 1]}"
    assert "\n".join(rest[2:]) + "\n" == EXAMPLE_HINT


def test_publish_rules_add_up(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "MODULE.bazel": "",
            "BUILD.bazel": PUBLISHED_BUILD
            + 'py_wheel(name = "other", distribution = "o", version = "1")\n',
            "graphpub.toml": (
                '[[publish]]\ntargets = ["//:w"]\nrepositories = ["@pypi"]\n'
                '[[publish]]\ntargets = ["//..."]\n'
                'repositories = ["@pypi", "https://pypi.example.com"]\n'
            ),
        },
    )
    found = views(run, root, "//...")
    assert found["//:w"]["repositories"] == ["@pypi", "https://pypi.example.com"]
    assert found["//:other"]["repositories"] == ["@pypi", "https://pypi.example.com"]
    assert found["//:w"]["skip_reason"] is None


def test_publish_config_adds_to_pants_repositories(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "graphpub.toml": '[[publish]]\ntargets = ["src:dist"]\nrepositories = ["@extra"]\n',
            "src/BUILD": (
                "python_distribution(\n"
                '    name = "dist",\n'
                '    provides = python_artifact(name = "d", version = "1"),\n'
                '    repositories = ["@pypi"],\n'
                ")\n"
            ),
        },
    )
    assert views(run, root, "src:dist")["src:dist"]["repositories"] == ["@pypi", "@extra"]


# ---------------------------------------------------------------- contents (ownership)


def contents_of(run: Runner, root: Path, spec: str) -> dict[str, Any]:
    [record] = peek(run, root, spec, allow_warnings=True)
    return {k: record["distribution"][k] for k in ("owns", "files", "requires_python")} | {
        "requirements": record["distribution"]["requirements"]
    }


def test_pants_ownership_splits_the_demo_between_its_distributions(run: Runner) -> None:
    # testdata/demo/EXPECTED.md: greeting's code belongs to demo-greeting, so demo requires
    # it instead of carrying it (or its attrs requirement).
    assert contents_of(run, DEMO, "src/python:demo") == {
        "owns": ["src/python/demo/__init__.py", "src/python/demo/main.py"],
        "files": ["src/python/demo/__init__.py", "src/python/demo/main.py"],
        "requires_python": "<3.14,>=3.9",  # pants.toml [python], as packaging writes it
        "requirements": ["demo-greeting==1.0.0", "packaging>=23.0"],
    }
    assert contents_of(run, DEMO, "src/python/greeting:dist") == {
        "owns": [
            "src/python/greeting/__init__.py",
            "src/python/greeting/greeting.py",
            "src/python/greeting/translations.json:translations",
        ],
        "files": [
            "src/python/greeting/__init__.py",
            "src/python/greeting/greeting.py",
            "src/python/greeting/translations.json",
        ],
        "requires_python": "<3.14,>=3.9",  # pants.toml [python], as packaging writes it
        "requirements": ["attrs>=23.1.0"],
    }


def test_bazel_wheels_carry_their_deps(run: Runner) -> None:
    # py_package's closure (data files too), filtered by its `packages`.
    assert contents_of(run, BAZEL, "//:greetlib_wheel") == {
        "owns": ["//src/greetlib:greetlib"],
        "files": ["src/greetlib/__init__.py", "src/greetlib/core.py", "src/greetlib/data/motd.txt"],
        "requires_python": ">=3.8",
        "requirements": ["attrs>=23.1.0"],
    }


def test_buck2_wheels_stop_at_libraries_of_other_wheels(run: Runner) -> None:
    assert contents_of(run, BUCK2, "//python/wheel:greeter_cli") == {
        "owns": ["//python/greeter_cli:greeter_cli"],
        "files": ["python/greeter_cli/__init__.py", "python/greeter_cli/main.py"],
        "requires_python": None,
        "requirements": ["buck2-greeter==0.3.0"],
    }
    greeter = contents_of(run, BUCK2, "//python/wheel:greeter")
    assert greeter["owns"] == ["//python/greeter:greeter"]  # not the prebuilt attrs
