"""Parsing every address form (`parse_address`) and printing addresses (`Address.render`)."""

from __future__ import annotations

import dataclasses

import pytest

from graphpub.buildgraph.address import (
    Address,
    AddressInput,
    AddressStyle,
    Exclusion,
    parse_address,
)
from graphpub.errors import AddressError, SourceLocation

PANTS = AddressStyle.PANTS
BAZEL = AddressStyle.BAZEL


def test_colon_name_is_in_the_current_package() -> None:
    parsed = parse_address(":util", relative_to="src/app")
    assert (parsed.path, parsed.target) == ("src/app", "util")
    assert parsed.directory_address == Address("src/app", "util")


def test_colon_name_at_the_root() -> None:
    parsed = parse_address(":util", relative_to="")
    assert parsed.directory_address == Address("", "util")


def test_bare_name_is_a_target_in_bazel() -> None:
    parsed = parse_address("util", relative_to="src/app", bare_name_is_target=True)
    assert (parsed.path, parsed.target) == ("src/app", "util")


def test_bare_name_is_a_directory_in_pants() -> None:
    parsed = parse_address("util", relative_to="src/app", bare_name_is_target=False)
    assert (parsed.path, parsed.target) == ("util", None)
    assert parsed.directory_address == Address("util", "util")


def test_a_relative_label_with_a_slash_is_a_target_in_bazel() -> None:
    """Bazel: `testdata/input.txt` is `:testdata/input.txt`; rules_venv's test suites name a
    test per file (`tests/a_test`) and list them so."""
    parsed = parse_address("tests/a_test", relative_to="src/app", bare_name_is_target=True)
    assert (parsed.path, parsed.target) == ("src/app", "tests/a_test")
    parsed = parse_address("tests/a_test", relative_to="src/app", bare_name_is_target=False)
    assert (parsed.path, parsed.target) == ("tests/a_test", None)


def test_a_generated_target_alone_is_in_the_files_directory() -> None:
    """Pants: `dependencies = ["#setuptools"]` in 3rdparty/BUILD is `3rdparty#setuptools`."""
    parsed = parse_address("#setuptools", relative_to="3rdparty", bare_name_is_target=False)
    assert (parsed.path, parsed.target, parsed.generated) == ("3rdparty", None, "setuptools")
    parsed = parse_address(":reqs#setuptools", relative_to="3rdparty", bare_name_is_target=False)
    assert (parsed.path, parsed.target, parsed.generated) == ("3rdparty", "reqs", "setuptools")


def test_anchored_label() -> None:
    parsed = parse_address("//a/b:c", relative_to="x/y")
    assert (parsed.path, parsed.target, parsed.repository) == ("a/b", "c", "")


def test_root_relative_pants_address() -> None:
    parsed = parse_address("a/b:c", relative_to="x/y", bare_name_is_target=False)
    assert (parsed.path, parsed.target) == ("a/b", "c")


def test_label_without_name_takes_the_last_directory() -> None:
    parsed = parse_address("//a/b", relative_to="x")
    assert (parsed.path, parsed.target) == ("a/b", None)
    assert parsed.directory_address == Address("a/b", "b")


def test_root_package_label() -> None:
    parsed = parse_address("//:c", relative_to="x/y")
    assert parsed.directory_address == Address("", "c")


def test_external_repository_label() -> None:
    parsed = parse_address("@repo//a:b", relative_to="x")
    assert (parsed.repository, parsed.path, parsed.target) == ("repo", "a", "b")
    assert parsed.directory_address == Address("a", "b", repository="repo")
    assert parsed.directory_address.is_external


def test_external_repository_without_name() -> None:
    parsed = parse_address("@pypi//requests", relative_to="x")
    assert parsed.directory_address == Address("requests", "requests", repository="pypi")


def test_external_repository_shorthand() -> None:
    parsed = parse_address("@pypi", relative_to="x")
    assert parsed.directory_address == Address("", "pypi", repository="pypi")


def test_pants_file_address() -> None:
    parsed = parse_address("a/b/f.py", relative_to="x", bare_name_is_target=False)
    assert (parsed.path, parsed.target) == ("a/b/f.py", None)


def test_pants_file_address_with_target() -> None:
    parsed = parse_address("a/b/f.py:gen", relative_to="x", bare_name_is_target=False)
    assert (parsed.path, parsed.target) == ("a/b/f.py", "gen")


@pytest.mark.parametrize(
    ("text", "exclusion", "path", "target"),
    [
        ("!a/b:c", Exclusion.DIRECT, "a/b", "c"),
        ("!!a/b:c", Exclusion.TRANSITIVE, "a/b", "c"),
        ("!//a/b", Exclusion.DIRECT, "a/b", None),
        ("!!:c", Exclusion.TRANSITIVE, "x", "c"),
        ("a/b:c", Exclusion.NONE, "a/b", "c"),
    ],
)
def test_exclusions(text: str, exclusion: Exclusion, path: str, target: str | None) -> None:
    parsed = parse_address(text, relative_to="x", bare_name_is_target=False)
    assert (parsed.exclusion, parsed.path, parsed.target) == (exclusion, path, target)
    assert parsed.written == text


def test_generated_target_of_default_name() -> None:
    parsed = parse_address("3rdparty/python#attrs", relative_to="x", bare_name_is_target=False)
    assert (parsed.path, parsed.target, parsed.generated) == ("3rdparty/python", None, "attrs")
    assert parsed.directory_address == Address("3rdparty/python", "python", generated="attrs")


def test_generated_target_with_name() -> None:
    parsed = parse_address("3rdparty/python:reqs#attrs", relative_to="x")
    assert (parsed.path, parsed.target, parsed.generated) == ("3rdparty/python", "reqs", "attrs")


def test_parameters_are_sorted_pairs() -> None:
    parsed = parse_address("a/b:c@resolve=x,interpreter=py3", relative_to="")
    assert (parsed.path, parsed.target) == ("a/b", "c")
    assert parsed.parameters == (("interpreter", "py3"), ("resolve", "x"))
    assert parsed.directory_address == Address(
        "a/b", "c", parameters=(("interpreter", "py3"), ("resolve", "x"))
    )


def test_parameters_after_a_generated_name() -> None:
    """Pants writes them last, as `list` prints them (py-libs: `!!//3rdparty#orjson@resolve=x`)."""
    parsed = parse_address("//3rdparty#orjson@resolve=python-default", relative_to="x")
    assert parsed.directory_address == Address(
        "3rdparty", "3rdparty", generated="orjson", parameters=(("resolve", "python-default"),)
    )


def test_malformed_parameters() -> None:
    with pytest.raises(AddressError, match="key=value"):
        parse_address("a/b:c@resolve", relative_to="")


def test_buck2_cell() -> None:
    cells = {"root": "", "third_party": "third-party"}
    parsed = parse_address("third_party//python:attrs", relative_to="x", cells=cells)
    assert (parsed.path, parsed.target) == ("third-party/python", "attrs")
    root = parse_address("root//python/greeter:greeter", relative_to="x", cells=cells)
    assert (root.path, root.target) == ("python/greeter", "greeter")


def test_unknown_buck2_cell() -> None:
    with pytest.raises(AddressError, match="unknown cell 'nope'") as caught:
        parse_address("nope//python:attrs", relative_to="x", cells={"root": ""})
    assert caught.value.hint is not None
    assert ".buckconfig" in caught.value.hint


def test_path_is_normalized() -> None:
    parsed = parse_address("//a/./b/../c:t", relative_to="")
    assert (parsed.path, parsed.target) == ("a/c", "t")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("!", "empty"),
        ("//../a:b", "outside the build root"),
        ("a/../../b:c", "outside the build root"),
        ("../..:c", "outside the build root"),
        ("//a/b:", "empty"),
        ("a:", "empty"),
        (":", "empty"),
        ("/abs/path:c", "absolute"),
        ("a/b#", "'#'"),
    ],
)
def test_invalid_addresses(text: str, why: str) -> None:
    where = SourceLocation("a/BUILD", 3, 7)
    with pytest.raises(AddressError) as caught:
        parse_address(text, relative_to="a", location=where)
    assert why in caught.value.message
    assert caught.value.location == where


def test_address_is_immutable() -> None:
    address = Address("a/b", "c")
    with pytest.raises(dataclasses.FrozenInstanceError):
        address.name = "d"  # type: ignore[misc]
    assert address.name == "c"


def test_address_is_hashable_and_compares_by_value() -> None:
    first = Address("a/b", "c")
    second = Address("a/b", "c")
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second, Address("a/b", "d")}) == 2
    assert {first: 1}[second] == 1
    assert Address("a/b", "c") != Address("a/b", "c", repository="r")
    assert Address("a/b", "c") != Address("a/b", "c", generated="g")


def test_addresses_sort() -> None:
    unsorted = [Address("b", "a"), Address("a", "z"), Address("a", "b")]
    assert sorted(unsorted) == [Address("a", "b"), Address("a", "z"), Address("b", "a")]


def test_address_input_is_immutable() -> None:
    parsed = parse_address("//a:b")
    assert isinstance(parsed, AddressInput)
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.path = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("address", "pants", "bazel"),
    [
        (Address("a/b", "c"), "a/b:c", "//a/b:c"),
        (Address("a/b", "b"), "a/b", "//a/b:b"),
        (Address("", "dists"), "//:dists", "//:dists"),
        (Address("a", "a", file="f.py"), "a/f.py", "//a/f.py:a"),
        (Address("a", "tests", file="sub/f_test.py"), "a/sub/f_test.py:tests", None),
        (Address("a/b", "c", generated="g"), "a/b:c#g", "//a/b:c#g"),
        (Address("a/b", "c", parameters=(("k", "v"),)), "a/b:c@k=v", "//a/b:c@k=v"),
        (Address("attrs", "pkg", repository="pypi"), "@pypi//attrs:pkg", "@pypi//attrs:pkg"),
    ],
)
def test_render(address: Address, pants: str, bazel: str | None) -> None:
    assert address.render(PANTS) == pants
    if bazel is not None:
        assert address.render(BAZEL) == bazel


def test_render_generated_target_of_default_named_target_in_pants_style() -> None:
    # Pants prints `3rdparty/python#attrs`, as users write it, not `3rdparty/python:python#attrs`.
    address = Address("3rdparty/python", "python", generated="attrs")
    assert address.render(PANTS) == "3rdparty/python#attrs"


@pytest.mark.parametrize(
    "text",
    ["a/b:c", "a/b", "//:dists", "a/b:c#gen", "a/b:c@k=v", "a/f.py:gen", "3rd#six@resolve=a"],
)
def test_pants_render_round_trips(text: str) -> None:
    parsed = parse_address(text, relative_to="", bare_name_is_target=False)
    assert parsed.directory_address.render(PANTS) == text


@pytest.mark.parametrize("text", ["//a/b:c", "//:x", "@pypi//attrs:pkg"])
def test_bazel_render_round_trips(text: str) -> None:
    assert parse_address(text, relative_to="q").directory_address.render(BAZEL) == text
