"""Names and versions as the wheel rules write them into file names.

rules_python's wheelmaker (`tools/wheelmaker.py`) names a wheel
`<escaped name>-<normalised version>-<python tag>-<abi>-<platform>.whl`; the escaping is
`packaging`'s: the PEP 503 name with `-` as `_`, and the PEP 440 normal form of the version.
A version it cannot read as PEP 440 (an unfilled stamp such as `{BUILD_EMBED_LABEL}`) becomes
`0` plus the text as a local version (`0+build.embed.label`), as Bazel builds without
`--stamp`.
"""

from __future__ import annotations

import re

from packaging.version import InvalidVersion, Version

from graphpub.rules.requirements import normalize_project


def escaped_name(name: str) -> str:
    """The name part of a wheel's file name and dist-info directory (`My.Pkg` is `my_pkg`)."""
    return normalize_project(name).replace("-", "_")


def wheelmaker_version(version: str) -> str:
    """wheelmaker's `normalize_pep440`: the PEP 440 normal form, or for a version holding
    unfilled `{STAMP}` placeholders (or anything else not PEP 440) `0`-based local version
    naming what was written."""
    try:
        return str(Version(version))
    except InvalidVersion:
        pass
    sanitized = re.sub(r"[^a-z0-9]+", ".", version.lower()).strip(".")
    substituted = re.sub(r"\{\w+\}", "0", version)
    delimiter = "." if "+" in substituted else "+"
    try:
        return str(Version(f"{substituted}{delimiter}{sanitized}"))
    except InvalidVersion:
        return str(Version(f"0+{sanitized}"))
