"""Pants' `vcs_version`: a version from the git tags, as setuptools-scm computes it.

Like Pants, graphpub ignores any setuptools-scm configuration of the repository: the target's
fields (`tag_regex`, `version_scheme`, `local_scheme`) are all of it, and the repository is the
git work tree holding the build root. The generated file (`generate_to`, from `template`) is
never written to the source tree: it exists in the staged projects of the distributions that
hold it (publish.build).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from dataclasses import dataclass

from graphpub.buildgraph.confined import inside_root_path
from graphpub.buildgraph.graph import BuildGraph
from graphpub.buildgraph.target import Target
from graphpub.errors import GraphpubError


class VcsVersionError(GraphpubError):
    """A vcs_version whose version git cannot tell."""


@dataclass(frozen=True)
class GeneratedFile:
    """The file a vcs_version target generates: where, relative to the build root, and what."""

    path: str
    text: str


def vcs_version(graph: BuildGraph, target: Target) -> str:
    """The version of the git work tree holding the build root, by the target's settings."""
    from setuptools_scm import get_version

    from graphpub.rules.pants import VCS_TAG_REGEX

    fields = target.fields
    rendered = graph.config.render(target.address)
    # setuptools-scm reports through logging and warnings; what matters reaches the error.
    log = logging.getLogger("setuptools_scm")
    quiet = logging.getLogger("vcs_versioning")
    levels = log.level, quiet.level
    try:
        log.setLevel(logging.CRITICAL)
        quiet.setLevel(logging.CRITICAL)
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            version = get_version(
                root=str(graph.config.root),
                search_parent_directories=True,
                tag_regex=str(fields.get("tag_regex") or VCS_TAG_REGEX),
                version_scheme=str(fields.get("version_scheme") or "guess-next-dev"),
                local_scheme=str(fields.get("local_scheme") or "node-and-date"),
                fallback_version=str(fields["fallback_version"])
                if fields.get("fallback_version")
                else None,
            )
    except Exception as e:  # setuptools-scm's LookupError, a bad regex or scheme name
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise VcsVersionError(
            f"{rendered}: setuptools-scm found no version: {message}",
            location=target.location,
            hint="tag a commit with its version (git tag v1.2.0), fetch the tags of a shallow "
            'clone (git fetch --tags --unshallow), or give the target a fallback_version="0.0.0"',
        ) from None
    finally:
        log.setLevel(levels[0])
        quiet.setLevel(levels[1])
    return str(version)


def generated_file(graph: BuildGraph, target: Target) -> GeneratedFile:
    """The file `target` generates: `template` with {version} filled in, at `generate_to`."""
    fields = target.fields
    where = graph.locate_keyword(target, ("generate_to",)) or target.location
    path = inside_root_path(
        str(fields.get("generate_to") or ""), what="generate_to", location=where
    )
    template = str(fields.get("template") or "")
    try:
        text = template.format(version=vcs_version(graph, target))
    except (KeyError, IndexError, ValueError) as e:
        raise VcsVersionError(
            f"{graph.config.render(target.address)}: its template {template!r} takes only "
            f"{{version}}: {type(e).__name__}: {e}",
            location=graph.locate_keyword(target, ("template",)) or target.location,
            hint="double the braces meant literally: {{ and }}",
        ) from None
    return GeneratedFile(path, text)
