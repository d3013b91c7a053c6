"""Third-party requirements named by rules_python labels.

`requirement("Foo.Bar")` is `@pypi//foo_bar:pkg`; bzlmod also writes `@pypi//foo_bar`, and old
WORKSPACE setups `@pypi_foo_bar//:pkg`. Each becomes one python_requirement target, the same
kind Pants' python_requirement makes, so the later stages see one model.
"""

from __future__ import annotations

from collections.abc import Collection

from graphpub.buildgraph.address import Address
from graphpub.buildgraph.target import EXTERNAL_KIND, FrozenDict, Target
from graphpub.errors import SourceLocation

REQUIREMENT_KIND = "python_requirement"


def normalize_project(name: str) -> str:
    """A project's name as PEP 503 compares it, as pip and twine do: `Foo.Bar` is `foo-bar`."""
    # (Imported here: packaging.utils brings packaging.tags, a twentieth of every command's
    # start, for what only publishing and inference call.)
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


# The targets rules_python's pip hubs define for each package.
_HUB_TARGETS = frozenset({"pkg", "whl", "data", "dist_info"})


def project_of(address: Address, hubs: Collection[str]) -> tuple[str, str] | None:
    """The hub and (normalised) project a pip-hub label names, or None for another label."""
    one_directory = bool(address.directory) and "/" not in address.directory
    hub_target = address.name in _HUB_TARGETS
    if one_directory and (
        hub_target or (address.name == address.directory and address.repository in hubs)
    ):
        return address.repository, address.directory
    if not address.directory and address.name in _HUB_TARGETS:
        for hub in hubs:  # WORKSPACE style: @pypi_requests//:pkg
            if address.repository.startswith(f"{hub}_"):
                return hub, address.repository[len(hub) + 1 :]
    return None


def external_target(
    address: Address, referenced_at: SourceLocation, hubs: Collection[str]
) -> Target:
    found = project_of(address, hubs)
    if found is None:
        return Target(address, EXTERNAL_KIND, FrozenDict(), referenced_at)
    hub, project = found
    fields = FrozenDict({"requirements": (normalize_project(project),), "hub": hub})
    return Target(address, REQUIREMENT_KIND, fields, referenced_at)
