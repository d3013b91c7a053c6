"""Rule definitions of the Pants, Bazel (rules_python) and Buck2 dialects, as data."""

from __future__ import annotations

import functools

from graphpub.rules import bazel, buck2, pants, pants_requirements
from graphpub.rules.catalog import all_rules, pants_default_sources, pants_objects
from graphpub.rules.registry import SchemaRuleSet
from graphpub.rules.schema import Generates


def default_rules(pants_version: str | None = None) -> SchemaRuleSet:
    """Every rule graphpub knows, for build files of any dialect; `pants_version` is the
    release of Pants the repository runs (`[GLOBAL] pants_version`), which pants_requirements
    requires by default."""
    return SchemaRuleSet(
        [*pants.SCHEMAS, pants_requirements.SCHEMA, *bazel.SCHEMAS, *buck2.SCHEMAS],
        opaque=all_rules(),
        functions=pants.FUNCTIONS,
        prelude=pants.PRELUDE + "\n" + pants_objects(),
        common_fields={
            pants.DIALECT: pants.COMMON_FIELDS,
            bazel.DIALECT: bazel.COMMON_FIELDS,
            buck2.DIALECT: buck2.COMMON_FIELDS,
        },
        default_sources=pants_default_sources(),
        expanders={
            Generates.PER_SOURCE_FILE: pants.expand_per_source_file,
            Generates.PER_REQUIREMENT: pants.expand_per_requirement,
            Generates.PANTS_DISTRIBUTIONS: functools.partial(
                pants_requirements.expand_pants_requirements, pants_version=pants_version
            ),
        },
    )
