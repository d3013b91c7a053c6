"""`graphpub help`: documentation generated from the rule schemas."""

from __future__ import annotations

import difflib
import textwrap

from graphpub.errors import GraphpubError
from graphpub.rules.registry import SchemaRuleSet
from graphpub.rules.schema import Role, RuleSchema

_DIALECT_TITLES = {"pants": "Pants", "bazel": "Bazel, rules_python", "buck2": "Buck2"}


def rule_help(rule_set: SchemaRuleSet, kind: str) -> str:
    """Every dialect's schema of `kind`, fields with type, default and help."""
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


def rules_overview(rule_set: SchemaRuleSet) -> str:
    """Every rule with a schema, by dialect, with the first sentence of its help."""
    sections: dict[str, list[str]] = {}
    for schema in rule_set.schemas():
        summary = schema.help.split(". ")[0].rstrip(".")
        sections.setdefault(schema.dialect, []).append(f"  {schema.kind:<26} {summary}")
    blocks = [
        f"{_DIALECT_TITLES.get(dialect, dialect)}:\n" + "\n".join(lines)
        for dialect, lines in sections.items()
    ]
    return "\n\n".join(blocks) + "\n\nMore on one rule: graphpub help RULE"
