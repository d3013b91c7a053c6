"""`graphpub help`: rule documentation generated from the schemas, without a repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphpub.rules import default_rules
from tests.conftest import Runner


@pytest.fixture(autouse=True)
def outside_any_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs `help` from an empty directory: help needs no build root."""
    monkeypatch.chdir(tmp_path)


def help_text(run: Runner, *args: str) -> list[str]:
    code, out, err = run(["help", *args])
    assert (code, err) == (0, ""), err
    return out.splitlines()


def field_lines(text: list[str]) -> list[str]:
    """The `  name: facts` lines (a field and its type), without the indented help."""
    return [line for line in text if line.startswith("  ") and not line.startswith("   ")]


def test_python_distribution_lists_every_field(run: Runner) -> None:
    text = help_text(run, "python_distribution")
    assert text[0] == "python_distribution  (Pants)"
    assert "A distribution: `graphpub publish` builds and uploads it." in text
    assert field_lines(text) == [
        "  name: string (default: the directory's name)",
        "  dependencies: list of addresses, dependencies",
        "  provides: python_artifact(...), required",
        "  repositories: list of strings",
        "  skip_twine: bool, default: False",
        "  wheel: bool, default: True",
        "  sdist: bool, default: True",
        "  entry_points: dict of group to dict of name to string",
        "  long_description_path: string",
        "  wheel_config_settings: dict",
        "  sdist_config_settings: dict",
        "  env_vars: list of strings",
        "  uses_mypyc: bool, default: False",
        "  generate_setup: bool",
        "  output_path: string",
        "  interpreter_constraints: list of strings",
        "  description: string",
        "  tags: list of strings",
    ]
    # Each field's help follows it, indented.
    index = text.index("  skip_twine: bool, default: False")
    assert text[index + 1] == "      If true, `graphpub publish` skips it."


def test_help_covers_the_whole_schema(run: Runner) -> None:
    [schema] = default_rules().schemas_named("python_distribution")
    names = [line.split(":")[0].strip() for line in field_lines(help_text(run, schema.kind))]
    assert names == ["name", *(f.name for f in schema.fields)]


def test_py_wheel(run: Runner) -> None:
    text = help_text(run, "py_wheel")
    assert text[0] == "py_wheel  (Bazel, rules_python)"
    assert text[2] == "A Python wheel of the files of its deps (rules_python's py_wheel macro)."
    fields = field_lines(text)
    assert fields[:9] == [
        "  name: string (required)",
        "  deps: list of addresses, dependencies",
        "  distribution: string, required",
        "  version: string, required",
        "  python_tag: string, default: 'py3'",
        "  abi: string, default: 'none'",
        "  platform: string, default: 'any'",
        "  stamp: int or bool, default: -1",
        "  compress: bool, default: True",
    ]
    for line in (
        "  requires: list of strings",
        "  extra_requires: dict of string to list of strings",
        "  entry_points: dict of string to list of strings",
        "  strip_path_prefixes: list of strings",
        # Attributes every Bazel rule takes.
        "  visibility: any value",
        "  tags: any value",
    ):
        assert line in fields


def test_python_test_shows_the_pants_and_the_buck2_rule(run: Runner) -> None:
    text = help_text(run, "python_test")
    titles = [line for line in text if line.startswith("python_test  (")]
    assert titles == ["python_test  (Buck2)", "python_test  (Pants)"]
    buck2 = text[: text.index("python_test  (Pants)")]
    pants = text[text.index("python_test  (Pants)") :]
    assert "  name: string (required)" in buck2
    assert "  srcs: list of files or globs or dict of string to string" in buck2
    assert "  base_module: string" in buck2
    assert "  name: string (default: the directory's name)" in pants
    assert "  dependencies: list of addresses, dependencies" in pants
    assert "  timeout: int" in pants
    assert "  base_module: string" not in pants


def test_rules_by_dialect(run: Runner) -> None:
    text = help_text(run, "--rules")
    sections = [line for line in text if line and not line.startswith(" ")]
    assert sections == [
        "Bazel, rules_python:",
        "Buck2:",
        "Pants:",
        "More on one rule: graphpub help RULE",
    ]

    def rules_of(title: str) -> list[str]:
        start = text.index(title) + 1
        end = text.index("", start)
        return [line.split()[0] for line in text[start:end]]

    bazel = rules_of("Bazel, rules_python:")
    assert {"py_library", "py_binary", "py_test", "py_wheel", "py_package", "filegroup"} <= set(
        bazel
    )
    assert bazel == sorted(bazel)
    assert {"python_library", "python_binary", "python_test", "python_wheel"} <= set(
        rules_of("Buck2:")
    )
    assert {"python_sources", "python_distribution", "python_requirements"} <= set(
        rules_of("Pants:")
    )
    assert (
        "  py_wheel                   "
        "A Python wheel of the files of its deps (rules_python's py_wheel macro)"
    ) in text
    # Without a rule, help lists them all too.
    assert help_text(run) == text


@pytest.mark.parametrize(
    ("rule", "hint"),
    [
        ("py_whel", "hint: did you mean py_wheel, python_wheel?"),
        (
            "python_distributoin",
            "hint: did you mean python_distribution, python_test_utils, python_binary?",
        ),
        ("zzzzqq", "hint: list them: graphpub help --rules"),
    ],
)
def test_unknown_rule(run: Runner, rule: str, hint: str) -> None:
    code, out, err = run(["help", rule])
    assert (code, out) == (1, "")
    assert err.splitlines() == [f"error: no rule named {rule!r}", hint]


def test_python_artifact_documents_its_keywords(run: Runner) -> None:
    code, out, err = run(["help", "python_artifact"])
    assert (code, err) == (0, "")
    from graphpub.rules.pants import ARTIFACT_KEYWORDS, REFUSED_ARTIFACT_KEYS

    keywords = [
        line.split(":")[0].strip()
        for line in out.splitlines()
        if line.startswith("  ") and not line.startswith("      ")
    ]
    assert keywords == [k for k, _, _ in ARTIFACT_KEYWORDS]
    assert "  name: string" in out and "  classifiers: list of strings" in out
    assert all(refused in out for refused in REFUSED_ARTIFACT_KEYS)
    code, out, _ = run(["help", "setup_py"])
    assert code == 0 and "setup_py is its old name" in out


@pytest.mark.parametrize(
    ("repository", "first"),
    [
        ("bazel_wheel", "Bazel, rules_python (this repository):"),
        ("buck2_python", "Buck2 (this repository):"),
        ("pants_python", "Pants (this repository):"),
    ],
)
def test_rules_start_with_the_repository_dialect(run: Runner, repository: str, first: str) -> None:
    from tests.conftest import TESTDATA

    code, out, err = run(["-C", str(TESTDATA / repository), "help", "--rules"])
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == first
    assert out.count("(this repository)") == 1
