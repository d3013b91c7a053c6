"""Ownership, as Pants: the closest ancestor python_distribution that depends on the code."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Runner, make_repo, peek

DIST = (
    'python_distribution(name = "{name}", dependencies = [{deps}], '
    'provides = python_artifact(name = "{name}", version = "1.0.0"))\n'
)


def dist(name: str, *deps: str) -> str:
    return DIST.format(name=name, deps=", ".join(f'"{d}"' for d in deps))


def test_code_reached_through_another_distribution_becomes_a_pinned_requirement(
    tmp_path: Path, run: Runner
) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/"]\n',
            "lib/BUILD": "python_sources()\n" + dist("lib-dist", ":lib"),
            "lib/__init__.py": "",
            "app/BUILD": "python_sources()\n" + dist("app-dist", ":app"),
            "app/__init__.py": "import lib\n",
        },
    )
    [record] = peek(run, root, "app:app-dist")
    assert record["distribution"]["requirements"] == ["lib-dist==1.0.0"]
    assert record["distribution"]["owns"] == ["app/__init__.py"]


def test_version_scheme_from_pants_toml(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": (
                '[source]\nroot_patterns = ["/"]\n'
                '[setup-py-generation]\nfirst_party_dependency_version_scheme = "compatible"\n'
            ),
            "lib/BUILD": "python_sources()\n" + dist("lib-dist", ":lib"),
            "lib/__init__.py": "",
            "app/BUILD": "python_sources()\n" + dist("app-dist", ":app"),
            "app/__init__.py": "import lib\n",
        },
    )
    [record] = peek(run, root, "app:app-dist")
    assert record["distribution"]["requirements"] == ["lib-dist~=1.0.0"]


def test_code_no_distribution_owns_is_an_error(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/"]\n',
            "shared/BUILD": "python_sources()\n",
            "shared/__init__.py": "",
            "app/BUILD": "python_sources()\n" + dist("app-dist", ":app"),
            "app/__init__.py": "import shared\n",
        },
    )
    code, out, err = run(["peek", "app:app-dist"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(
        "shared/BUILD:1:1: no python_distribution owns shared/__init__.py, which app:app-dist needs"
    )
    assert "the owner must be in or above the owned target's directory" in err


def test_two_equally_close_owners_are_an_error(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "lib/BUILD": "python_sources()\n" + dist("one", ":lib") + dist("two", ":lib"),
            "lib/m.py": "",
        },
    )
    code, out, err = run(["peek", "lib:one"], root=root)
    assert (code, out) == (1, "")
    assert err.startswith(
        "lib/BUILD:1:1: lib/m.py is owned by several python_distributions as close to it: "
        "lib:one, lib:two"
    )
    assert "only one may depend on it" in err


def test_closer_owner_wins(tmp_path: Path, run: Runner) -> None:
    root = make_repo(
        tmp_path,
        {
            "pants.toml": "",
            "BUILD": dist("top", "lib/sub:sub"),
            "lib/sub/BUILD": "python_sources()\n" + dist("inner", ":sub"),
            "lib/sub/m.py": "",
        },
    )
    [top] = peek(run, root, "//:top")
    assert top["distribution"]["owns"] == []
    assert top["distribution"]["requirements"] == ["inner==1.0.0"]


def test_transitive_exclusion_leaves_code_and_requirements_out(tmp_path: Path, run: Runner) -> None:
    """Pants' `!!` on a distribution takes the target out of its whole closure (Pants'
    TransitiveTargets): backend.ai's distributions exclude the trafaret stubs no distribution
    owns, py-libs' exclude the optional requirements their code imports."""
    root = make_repo(
        tmp_path,
        {
            "pants.toml": '[source]\nroot_patterns = ["/", "/stubs"]\n',
            "BUILD": 'python_requirements(name = "reqs")\n',
            "requirements.txt": "orjson>=3.6\nrequests>=2\ntrafaret>=2\n",
            "stubs/trafaret/BUILD": 'python_sources(name = "stubs")\n',
            "stubs/trafaret/__init__.pyi": "",
            "lib/BUILD": "python_sources()\n"
            + dist("lib-dist", ":lib", "!!stubs/trafaret:stubs", "!!//:reqs#orjson"),
            "lib/__init__.py": "import orjson\nimport requests\nimport trafaret\n",
        },
    )
    [record] = peek(run, root, "lib:lib-dist")
    assert record["distribution"]["owns"] == ["lib/__init__.py"]
    assert record["distribution"]["requirements"] == ["requests>=2", "trafaret>=2"]
    (root / "lib/BUILD").write_text(
        "python_sources()\n" + dist("lib-dist", ":lib"), encoding="utf-8"
    )
    code, _, err = run(["peek", "lib:lib-dist"], root=root)
    assert code == 1
    assert "no python_distribution owns stubs/trafaret/__init__.pyi:stubs" in err
