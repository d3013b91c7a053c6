"""No credential leaves inside a distribution.

A build file can put any text it can reach into a distribution's metadata (a description, a
version, an entry point) or its file names. Before anything is uploaded, every built file is
read as an index would show it — its name, the names of its members, its core metadata
(`METADATA` / `PKG-INFO`: every field, the long description too), its entry points and, for an
sdist, its build configuration — and a distribution holding any value of the secret registry
is refused, naming the field, where the BUILD file sets it, and which credential (never its
value).
"""

from __future__ import annotations

import email.parser
import email.policy
import posixpath
import tarfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from graphpub.buildgraph.address import Address
from graphpub.buildgraph.graph import BuildGraph
from graphpub.errors import GraphpubError, SourceLocation
from graphpub.rules.distribution import Distribution
from graphpub.secrets import Secrets

# Metadata members read whole: the core metadata, and what else an index or installer shows.
_WHEEL_METADATA = ("METADATA", "entry_points.txt")
_SDIST_METADATA = ("PKG-INFO", "pyproject.toml", "setup.cfg", "setup.py")
# The BUILD keywords a core metadata field comes from, in the three dialects.
_KEYWORDS = {
    "Name": ("name", "distribution", "dist"),
    "Version": ("version",),
    "Summary": ("description", "summary"),
    "Description": ("long_description_path", "description_file", "long_description"),
    "Author": ("author",),
    "Author-email": ("author_email",),
    "Maintainer": ("maintainer",),
    "Maintainer-email": ("maintainer_email",),
    "Home-page": ("url", "homepage"),
    "Project-URL": ("project_urls", "url"),
    "Keywords": ("keywords",),
    "License": ("license",),
    "Classifier": ("classifiers",),
    "Requires-Dist": ("requires", "dependencies"),
    "Requires-Python": ("python_requires", "interpreter_constraints"),
    "entry points": ("entry_points", "console_scripts"),
}


class SecretInDistributionError(GraphpubError):
    """A distribution about to be published holds the value of a credential."""


def check_distributions(
    graph: BuildGraph,
    views: Mapping[Address, Distribution],
    artifacts: Mapping[Address, Sequence[Path]],
    secrets: Secrets,
) -> None:
    """Raise SecretInDistributionError for the first distribution (by address) whose files
    hold a registered secret; the others found are listed as related locations."""
    found: list[SecretInDistributionError] = []
    for address in sorted(artifacts):
        view = views[address]
        for path in artifacts[address]:
            problem = _first_secret(path, secrets)
            if problem is None:
                continue
            field, source = problem
            found.append(
                SecretInDistributionError(
                    f"refusing to publish {view.name} ({view.label}): {field} of {path.name} "
                    f"holds the value of a credential ({source})",
                    location=_where_set(graph, view, field),
                    hint="a credential must never be published: find where the BUILD file "
                    "takes this field's value from (env(), a file, a stamp) and take it away",
                )
            )
            break
    if found:
        first = found[0]
        first.related = tuple(e.location for e in found[1:] if e.location is not None)
        raise first


def _first_secret(path: Path, secrets: Secrets) -> tuple[str, str] | None:
    """(the field, the credential's source) of the first secret `path` holds, if any."""
    for field, text in _published_texts(path):
        source = secrets.found_in(text)
        if source is not None:
            return field, source
    return None


def _published_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(what it is, its text) for everything of a built file an index or installer shows."""
    yield "the file name", path.name
    if path.name.endswith(".whl"):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                yield "a member's name", name
                directory, base = posixpath.split(name)
                if directory.endswith(".dist-info") and base in _WHEEL_METADATA:
                    yield from _metadata_texts(base, archive.read(name))
    elif path.name.endswith(".tar.gz"):
        with tarfile.open(path, "r:gz") as archive:
            for member in archive.getmembers():
                yield "a member's name", member.name
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] in _SDIST_METADATA and member.isfile():
                    extracted = archive.extractfile(member)
                    if extracted is not None:
                        yield from _metadata_texts(parts[1], extracted.read())


def _metadata_texts(member: str, data: bytes) -> Iterator[tuple[str, str]]:
    text = data.decode("utf-8", errors="replace")
    if member in ("METADATA", "PKG-INFO"):
        message = email.parser.Parser(policy=email.policy.compat32).parsestr(text)
        for key, value in message.items():
            yield f"the {key} field", str(value)
        yield "the Description field", str(message.get_payload())
    elif member == "entry_points.txt":
        yield "the entry points", text
    else:
        yield f"its {member}", text


def _where_set(graph: BuildGraph, view: Distribution, field: str) -> SourceLocation:
    """Where the BUILD file sets the value of `field` ("the Summary field"), as near as can
    be told; else the distribution's own location."""
    name = field.removeprefix("the ").removesuffix(" field")
    keywords = _KEYWORDS.get(name, ())
    return graph.locate_keyword(graph.target(view.address), keywords) or view.location
