"""What `graphpub graph` draws: the targets and their dependencies, or the distributions the
specs reach, with what each carries, the first-party requirements between them, the order
`publish` uploads them in, and where each goes (or why it is skipped)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx

from graphpub.buildgraph import Address, BuildGraph, Config
from graphpub.drawing import Edge, Node, Picture
from graphpub.publish.ownership import Contents


def target_picture(graph: BuildGraph, config: Config, roots: Sequence[Address]) -> Picture:
    """The targets, their transitive dependencies, and the edges between them, inferred ones
    told apart from those the build files name."""
    nodes = set(roots) | graph.dependencies(roots, transitive=True)
    edges = sorted(
        (config.render(a), config.render(b), "inferred" if graph.is_inferred(a, b) else "explicit")
        for a, b in graph.graph.subgraph(nodes).edges()
    )
    names = sorted((config.render(a), graph.target(a).kind) for a in nodes)
    return Picture(
        title="Targets and their dependencies",
        nodes=tuple(Node(name, name, (kind,), _css_class(kind)) for name, kind in names),
        edges=tuple(Edge(a, b, style) for a, b, style in edges),
    )


def _css_class(kind: str) -> str:
    if kind in ("python_distribution", "py_wheel", "python_wheel"):
        return "distribution"
    if "requirement" in kind:
        return "requirement"
    return "target"


def upload_order(held: Mapping[Address, Contents]) -> list[Address]:
    """Dependencies first, ties by address: the order `publish` uploads in."""
    order: nx.DiGraph = nx.DiGraph()
    order.add_nodes_from(held)
    order.add_edges_from((d, a) for a, c in held.items() for d in c.depends_on if d in held)
    return list(nx.lexicographical_topological_sort(order))


def distribution_document(
    config: Config, held: Mapping[Address, Contents], skip: set[Address]
) -> dict[str, Any]:
    """The distributions as data: the JSON `graph --level distributions` prints, and what
    the drawings show."""
    order = upload_order(held)
    records: list[dict[str, Any]] = []
    for position, address in enumerate(order, 1):
        contents = held[address]
        view = contents.distribution
        reason = view.skip_reason or (
            f"by the `skip` config key on {view.label}" if address in skip else None
        )
        records.append(
            {
                "address": config.render(address),
                "name": view.name,
                "version": view.version,
                "upload_order": position,
                "owns": [config.render(a) for a in contents.owned],
                "owned_targets": len(contents.owned),
                "files": len(contents.files),
                "requires": [config.render(d) for d in contents.depends_on if d in held],
                "repositories": list(view.repositories),
                "skip": reason,
            }
        )
    return {
        "distributions": records,
        "edges": [
            {"from": r["address"], "to": dependency}
            for r in records
            for dependency in r["requires"]
        ],
        "upload_order": [r["address"] for r in records],
    }


def distribution_picture(document: Mapping[str, Any]) -> Picture:
    nodes = []
    for record in document["distributions"]:
        where = ", ".join(record["repositories"]) or "no repository"
        lines = [
            f"{record['name']} {record['version']}",
            f"#{record['upload_order']} to upload; carries "
            f"{_count(record['owned_targets'], 'target')}, {_count(record['files'], 'file')}",
            f"→ {where}",
        ]
        if record["skip"]:
            lines.append(f"skipped: {record['skip']}")
        nodes.append(
            Node(
                record["address"],
                record["address"],
                tuple(lines),
                "distribution skipped" if record["skip"] else "distribution",
            )
        )
    table = [("#", "distribution", "version", "carries", "repositories", "skip")]
    table.extend(
        (
            str(r["upload_order"]),
            r["name"],
            r["version"],
            ", ".join(r["owns"]),
            ", ".join(r["repositories"]),
            r["skip"] or "",
        )
        for r in document["distributions"]
    )
    return Picture(
        title="Distributions to publish",
        nodes=tuple(nodes),
        edges=tuple(Edge(e["from"], e["to"], "requires") for e in document["edges"]),
        notes=("Upload order: " + " → ".join(document["upload_order"]),),
        table=tuple(table),
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
