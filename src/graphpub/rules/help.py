"""`graphpub help`: documentation generated from the rule schemas."""

from __future__ import annotations

import difflib
import textwrap

from graphpub.errors import GraphpubError
from graphpub.rules.pants import ARTIFACT_KEYWORDS, REFUSED_ARTIFACT_KEYS
from graphpub.rules.registry import SchemaRuleSet
from graphpub.rules.schema import Role, RuleSchema

_DIALECT_TITLES = {"pants": "Pants", "bazel": "Bazel, rules_python", "buck2": "Buck2"}


def rule_help(rule_set: SchemaRuleSet, kind: str) -> str:
    """Every dialect's schema of `kind`, fields with type, default and help; or the keywords
    of a helper such as python_artifact()."""
    if kind in ("python_artifact", "setup_py"):
        return _artifact_help(kind)
    schemas = rule_set.schemas_named(kind)
    if not schemas:
        known = sorted({s.kind for s in rule_set.schemas()})
        close = difflib.get_close_matches(kind, known, n=3)
        raise GraphpubError(
            f"no rule named {kind!r}",
            hint=f"did you mean {', '.join(close)}?"
            if close
            else "list them: graphpub help --rules",
        )
    return "\n\n".join(_schema_help(schema) for schema in schemas)


def _schema_help(schema: RuleSchema) -> str:
    lines = [f"{schema.kind}  ({_DIALECT_TITLES.get(schema.dialect, schema.dialect)})", ""]
    lines.extend(textwrap.wrap(schema.help, 88))
    if schema.generator is not None:
        lines.append(f"Generates {schema.generator.kind} targets: {schema.generator.how.value}.")
    if schema.distribution:
        lines.append("A distribution: `graphpub publish` builds and uploads it.")
    lines += ["", "Fields:"]
    name_note = "required" if schema.name_required else "default: the directory's name"
    lines.append(f"  name: string ({name_note})")
    lines.append("      The target's name, unique in its directory.")
    for field in schema.fields:
        facts = [field.type.name]
        if field.required:
            facts.append("required")
        elif field.default is not None:
            facts.append(f"default: {field.default!r}")
        if field.role is Role.DEPENDENCIES:
            facts.append("dependencies")
        lines.append(f"  {field.name}: {', '.join(facts)}")
        lines.extend(
            textwrap.wrap(field.help, 84, initial_indent="      ", subsequent_indent="      ")
        )
    return "\n".join(lines)


def _artifact_help(kind: str) -> str:
    lines = [
        f"{kind}(**kwargs)  (Pants)",
        "",
        *textwrap.wrap(
            "The value of a python_distribution's `provides` field: the setup() arguments "
            "of the distribution, as in Pants"
            + (" (setup_py is its old name)." if kind == "setup_py" else ".")
            + " graphpub writes them into the generated pyproject.toml.",
            88,
        ),
        "",
        "Keywords:",
    ]
    for keyword, type_name, help_text in ARTIFACT_KEYWORDS:
        lines.append(f"  {keyword}: {type_name}")
        lines.extend(
            textwrap.wrap(help_text, 84, initial_indent=" " * 6, subsequent_indent=" " * 6)
        )
    lines += [
        "",
        *textwrap.wrap(
            "Other setup() keywords are accepted, as Pants accepts them, and not used. "
            f"Refused, as Pants computes them from the dependency graph: "
            f"{', '.join(REFUSED_ARTIFACT_KEYS)}.",
            88,
        ),
        "",
        'Example: provides=python_artifact(name="my-dist", version="1.0.0", '
        'description="What it does")',
    ]
    return "\n".join(lines)


def rules_overview(rule_set: SchemaRuleSet, first: str | None = None) -> str:
    """Every rule with a schema, by dialect, with the first sentence of its help; the dialect
    `first` (the repository's) before the others."""
    sections: dict[str, list[str]] = {}
    for schema in rule_set.schemas():
        summary = schema.help.split(". ")[0].rstrip(".")
        sections.setdefault(schema.dialect, []).append(f"  {schema.kind:<26} {summary}")
    order = sorted(sections, key=lambda dialect: dialect != first)  # stable: the rest as they are
    blocks = [
        f"{_DIALECT_TITLES.get(dialect, dialect)}"
        + (" (this repository)" if dialect == first else "")
        + ":\n"
        + "\n".join(sections[dialect])
        for dialect in order
    ]
    return "\n\n".join(blocks) + "\n\nMore on one rule: graphpub help RULE"
