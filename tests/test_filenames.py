"""File names read as pip reads them: exact project (PEP 503) and version (PEP 440)."""

from __future__ import annotations

import pytest
from packaging.version import Version

from graphpub.publish.filenames import FileName, parse_filename, pin, satisfies


@pytest.mark.parametrize(
    ("filename", "project", "expected"),
    [
        ("p_b-1.0.1-py3-none-any.whl", "p-b", FileName("p-b", Version("1.0.1"), wheel=True)),
        ("P.B-1.0.tar.gz", "p-b", FileName("p-b", Version("1.0"), wheel=False)),
        # Legacy sdists: the project's own hyphens, split where its name ends.
        ("my-pkg-1.0.tar.gz", "my-pkg", FileName("my-pkg", Version("1.0"), wheel=False)),
        ("my-pkg-1.0.tar.gz", None, FileName("my-pkg", Version("1.0"), wheel=False)),
        ("foo-1.0-1.tar.gz", "foo", FileName("foo", Version("1.0.post1"), wheel=False)),
        ("my-pkg-1.0.zip", "my-pkg", FileName("my-pkg", Version("1.0"), wheel=False)),
        # Another project's files, or no distribution at all.
        ("my-pkg-1.0.tar.gz", "my", None),
        ("p_bc-1.0-py3-none-any.whl", "p-b", None),
        ("p_b-1.0.exe", "p-b", None),
        ("p_b-notaversion.tar.gz", "p-b", None),
    ],
)
def test_parse_filename(filename: str, project: str | None, expected: FileName | None) -> None:
    assert parse_filename(filename, project) == expected


@pytest.mark.parametrize(
    ("filenames", "scheme", "there"),
    [
        (["p_b-1.0.1-py3-none-any.whl", "p_b-1.0.1.tar.gz"], "exact", False),  # a near miss
        (["p_b-1.0.0-py3-none-any.whl"], "exact", True),  # 1.0.0 is 1.0
        (["p-b-1.0.tar.gz"], "exact", True),  # a legacy sdist name
        (["p_b-10.0.tar.gz", "p_b-0.1.0.tar.gz"], "exact", False),
        (["p_b-1.4.tar.gz"], "compatible", True),  # ~=1.0
        (["p_b-2.0.tar.gz"], "compatible", False),
        (["p_b-7.tar.gz"], "any", True),
        (["other-1.0.tar.gz"], "any", False),
    ],
)
def test_satisfies(filenames: list[str], scheme: str, there: bool) -> None:
    assert satisfies(filenames, "p-b", pin(scheme, "1.0")) is there
