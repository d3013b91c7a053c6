"""Pants' `pants_requirements` target generator (pants.backend.plugin_development): a
python_requirement for Pants itself, `pantsbuild.pants` (module `pants`), and unless
`testutil=False` one for `pantsbuild.pants.testutil` (module `pants.testutil`), so that a
plugin's imports of `pants` infer them and its wheel requires Pants, as
src/python/pants/backend/plugin_development/pants_requirements.py generates them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphpub.buildgraph.target import PackageContext, RuleCall
from graphpub.errors import BuildFileError
from graphpub.rules.schema import BOOL, STRING, Field, Generates, Generator, RuleSchema

DIALECT = "pants"

# Each distribution of Pants the generator requires, and the module it provides.
PANTS_DISTRIBUTION = ("pantsbuild.pants", "pants")
TESTUTIL_DISTRIBUTION = ("pantsbuild.pants.testutil", "pants.testutil")

SCHEMA = RuleSchema(
    "pants_requirements",
    DIALECT,
    "Requirements on Pants itself, for a Pants plugin: python_requirement targets for "
    "pantsbuild.pants and pantsbuild.pants.testutil, at the version of Pants the repository "
    "runs (pants_version in pants.toml).",
    (
        Field(
            "version_spec",
            STRING,
            "The PEP 440 version specifier of Pants to require, e.g. `== 2.15.*` or "
            "`>= 2.16.0, < 2.17.0`; by default that of the repository's pants_version.",
        ),
        Field(
            "testutil",
            BOOL,
            "If true, also require pantsbuild.pants.testutil, to write tests for the plugin.",
            default=True,
        ),
        Field("resolve", STRING, "The lockfile resolve the requirements belong to."),
    ),
    name_required=False,
    generator=Generator("python_requirement", Generates.PANTS_DISTRIBUTIONS),
)


def default_version_spec(pants_version: str | None) -> str | None:
    """The requirement pants_requirements writes when it names no `version_spec`, as the
    repository's Pants release does (None when the release is unknown).

    The current rule (Pants 2.18 and later: the `version_spec` field, defaulting to
    `== {PANTS_SEMVER.public}`, the running release) is followed for those releases and for
    any later one. A repository pinned to an older release gets what that release wrote, as its
    own `pants package` made its published wheels (pants-dep-graph's, on 2.16: `>=2.16.0a0,
    <2.17`): 2.12 to 2.17 the release series from its first alpha, 2.9 to 2.11 from its first
    release candidate, and a dev release exactly (`determine_version()` of those releases)."""
    from packaging.version import InvalidVersion, Version

    try:
        version = Version(pants_version or "")
    except InvalidVersion:
        return None
    series = (version.major, version.minor)
    if series >= (2, 18):
        return f"== {version.public}"
    if version.is_devrelease:
        return f"=={version}"
    first = "0a0" if series >= (2, 12) else "0rc0"
    return f">={version.major}.{version.minor}.{first},<{version.major}.{version.minor + 1}"


def expand_pants_requirements(
    package: PackageContext,
    fields: Mapping[str, Any],
    call: RuleCall,
    *,
    pants_version: str | None,
) -> list[tuple[str, dict[str, Any]]]:
    """One python_requirement per Pants distribution, named after it
    (`3rdparty:pants#pantsbuild.pants`), with the generator's resolve, tags and description."""
    written = fields.get("version_spec")
    spec = written if written is not None else default_version_spec(pants_version)
    if written is not None:
        _check_specifier(written, call)
    elif spec is None:
        unknown = (
            f"pants.toml's [GLOBAL] pants_version {pants_version!r} is no version"
            if pants_version
            else "pants.toml names no [GLOBAL] pants_version"
        )
        package.warn(
            f"{call.location}: pants_requirements(): {unknown}, the release its requirements "
            'pin by default: Pants is required at any version (set version_spec="== 2.x.y")',
            key=f"pants-requirements-version:{call.location}",
        )
    distributions = [PANTS_DISTRIBUTION]
    if fields.get("testutil", True):
        distributions.append(TESTUTIL_DISTRIBUTION)
    shared = {key: fields[key] for key in ("resolve", "tags", "description") if key in fields}
    return [
        (
            distribution,
            {
                **shared,
                "requirements": (f"{distribution} {spec}" if spec else distribution,),
                "modules": (module,),
            },
        )
        for distribution, module in distributions
    ]


def _check_specifier(spec: str, call: RuleCall) -> None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(spec)
    except InvalidSpecifier:
        raise BuildFileError(
            f"pants_requirements(): version_spec {spec!r} is not a PEP 440 version specifier",
            location=call.location,
            hint='for example version_spec="== 2.21.0" or version_spec=">=2.20,<2.22"',
        ) from None
