"""What `graphpub publish` tells: the story on stdout, and the `--output` JSON report.

Per repository (in natural order of their names), the distributions in the order they were
uploaded: a line per file published or already there; for a failure, its root cause once —
the reason, twine's own lines, where the credentials came from, a hint — with the
distributions that failed for the same reason and those it blocked grouped under it; then a
count line. The JSON report has a record per distribution and repository with the fields of
Pants' publish report (`names`, `target`, `publisher`, `repository`, `status`, `published`,
`exit_code`) and graphpub's own (`reason`, `files`, `cause`, ...).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphpub.diagnostics import plural
from graphpub.publish.order import natural_key
from graphpub.publish.publisher import (
    BLOCKED,
    CONFLICT,
    FAILED,
    PLANNED,
    PUBLISHED,
    SKIPPED,
    Outcome,
)

INDENT = "    "
STATUSES = (PUBLISHED, SKIPPED, PLANNED, FAILED, CONFLICT, BLOCKED)


def exit_code(outcomes: Sequence[Outcome]) -> int:
    """0 when everything was done; 1 when anything failed, conflicted or was blocked."""
    return int(any(o.failed for o in outcomes))


def by_repository(outcomes: Sequence[Outcome]) -> dict[str, list[Outcome]]:
    """The outcomes per repository, repositories in natural order, each in upload order."""
    grouped: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        if outcome.repository:
            grouped.setdefault(outcome.repository, []).append(outcome)
    return {name: grouped[name] for name in sorted(grouped, key=natural_key)}


def counts(outcomes: Sequence[Outcome]) -> dict[str, int]:
    tally = Counter(o.status for o in outcomes)
    return {status: tally[status] for status in STATUSES}


@dataclass(frozen=True)
class Story:
    """What else the end of the output says: the lines of a dry run (credentials found),
    distributions --no-deps left out, and where a directory index installs from."""

    dry_run: bool
    extra: Sequence[str] = ()
    missing: Sequence[str] = ()
    install_from: Mapping[str, str] | None = None
    """Per directory repository: the command installing what the user selected there."""


def text(outcomes: Sequence[Outcome], story: Story) -> list[str]:
    lines = [
        f"{o.target} skipped ({o.reason})"
        for o in sorted(
            (o for o in outcomes if not o.repository), key=lambda o: natural_key(o.target)
        )
    ]
    for repository, found in by_repository(outcomes).items():
        lines += _repository_lines(repository, found)
        lines.append(_count_line(repository, found, story.dry_run))
    lines += story.extra
    lines += [f"missing: {m}" for m in story.missing]
    published = {o.repository for o in outcomes if o.status == PUBLISHED}
    if not published and not story.dry_run:
        lines.append("Nothing published.")
    if published and exit_code(outcomes) == 0:
        for name, command in sorted((story.install_from or {}).items()):
            if name in published:
                lines.append(f"Install from {name}: {command}")
    return lines


def _repository_lines(repository: str, outcomes: Sequence[Outcome]) -> list[str]:
    lines: list[str] = []
    for outcome in outcomes:
        for file in outcome.files:
            if file.status == PUBLISHED:
                lines.append(f"✓ {file.name} published to {repository}")
            elif file.status == PLANNED:
                lines.append(f"{file.name} would be published to {repository}")
            elif file.status == SKIPPED and outcome.status in (PUBLISHED, SKIPPED, PLANNED):
                how = "same content already" if file.note == "same content" else "already"
                lines.append(f"{file.name} skipped ({how} on {repository})")
        if outcome.status in (FAILED, CONFLICT) and outcome.cause is None:
            lines += _root_cause(outcome, outcomes)
    return lines


def _root_cause(outcome: Outcome, outcomes: Sequence[Outcome]) -> list[str]:
    """The failure once, with what it took down with it."""
    verb = "conflict on" if outcome.status == CONFLICT else "failed for"
    lines = [f"✕ {outcome.target} {verb} {outcome.repository}: {outcome.reason}"]
    lines += [INDENT + line for line in outcome.details]
    if outcome.hint:
        lines.append(f"{INDENT}hint: {outcome.hint}")
    same = [o.target for o in outcomes if o.cause == outcome.target and o.status == FAILED]
    if same:
        lines.append(f"{INDENT}also failed for this reason: {', '.join(same)}")
    blocked = [o.target for o in outcomes if o.cause == outcome.target and o.status == BLOCKED]
    if blocked:
        lines.append(f"{INDENT}blocked by it: {', '.join(blocked)}")
    return lines


def _count_line(repository: str, outcomes: Sequence[Outcome], dry_run: bool) -> str:
    tally = counts(outcomes)
    conflicts = tally[CONFLICT]
    failed = f"{tally[FAILED] + conflicts} failed" + (
        f" ({plural(conflicts, 'conflict')})" if conflicts else ""
    )
    first = f"{tally[PLANNED]} to publish" if dry_run else f"{tally[PUBLISHED]} published"
    return (
        f"{repository}: {first}, {tally[SKIPPED]} skipped, {failed}, {tally[BLOCKED]} blocked "
        f"(of {plural(len(outcomes), 'distribution')})"
    )


def json_report(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The `--output` document."""
    ordered = [o for o in outcomes if not o.repository]
    ordered.sort(key=lambda o: natural_key(o.target))
    grouped = by_repository(outcomes)
    for found in grouped.values():
        ordered += found
    return {
        "exit_code": exit_code(outcomes),
        "uploads": [_record(o) for o in ordered],
        "counts": {name: counts(found) for name, found in grouped.items()},
    }


def _record(outcome: Outcome) -> dict[str, Any]:
    return {
        # Pants' publish report
        "target": outcome.target,
        "names": outcome.names,
        "publisher": outcome.publisher,
        "repository": outcome.repository,
        "status": outcome.status,
        "published": outcome.status == PUBLISHED,
        "exit_code": outcome.exit_code,
        # graphpub's
        "reason": outcome.reason,
        "details": list(outcome.details),
        "hint": outcome.hint,
        "cause": outcome.cause,
        "location": str(outcome.location) if outcome.location else None,
        "files": [
            {
                "name": f.name,
                "status": f.status,
                "sha256": f.sha256,
                "existing_sha256": f.existing_sha256,
                "note": f.note,
            }
            for f in outcome.files
        ],
    }
