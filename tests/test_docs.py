"""The documents' promises point at real tests: every test `docs/reliability.md` names exists,
in the file it names (or, for a bare name, in some test file)."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT

RELIABILITY = REPO_ROOT / "docs" / "reliability.md"
_QUALIFIED = re.compile(r"`(tests/[\w/]+\.py)::(\w+)")
# A backticked test name, bare or after `::` (`…::name` elides the file of the row before).
_NAME = re.compile(r"`(?:[^`]*::)?(test_\w+)`")


def defined_tests() -> dict[str, set[str]]:
    """Test file to the test functions it defines."""
    return {
        str(path.relative_to(REPO_ROOT)): set(
            re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.MULTILINE)
        )
        for path in (REPO_ROOT / "tests").glob("test_*.py")
    }


def test_every_test_the_reliability_document_names_exists() -> None:
    text = RELIABILITY.read_text(encoding="utf-8")
    tests = defined_tests()
    everywhere = set().union(*tests.values())
    qualified = _QUALIFIED.findall(text)
    assert qualified, "the document names no test"
    for path, name in qualified:
        assert name in tests.get(path, set()), f"{path}::{name}"
    for name in set(_NAME.findall(text)):
        assert name in everywhere, name


def test_every_hostile_test_is_in_the_document() -> None:
    """The attacker's probes are each a row (or part of one)."""
    text = RELIABILITY.read_text(encoding="utf-8")
    for path in ("tests/test_escapes.py", "tests/test_names.py", "tests/test_lifetime.py"):
        for name in defined_tests()[path]:
            assert name in text, f"{path}::{name} is in no row of docs/reliability.md"
