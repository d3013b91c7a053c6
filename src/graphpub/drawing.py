"""Drawing a dependency picture as Graphviz dot, Mermaid, or one self-contained HTML page.

The HTML page needs no install and no network: an inline SVG graphpub lays out itself, in
layers (what nothing here depends on at the top, dependents below), nodes within a layer
ordered by the mean position of what they depend on so that few edges cross. No script, no
external reference; a Content-Security-Policy forbids loading anything.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

import networkx as nx

EDGE_STYLES = ("explicit", "inferred", "requires")
"""explicit: a dependency the build file names; inferred: one from a Python import;
requires: a distribution requiring another (pinned in its metadata)."""


@dataclass(frozen=True)
class Node:
    id: str
    title: str
    lines: tuple[str, ...] = ()
    """Details under the title: kind, what it carries, where it goes."""
    css_class: str = "target"


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    """`source` depends on `target`."""
    style: str = "explicit"


@dataclass(frozen=True)
class Picture:
    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    notes: tuple[str, ...] = ()
    """Lines under the drawing (the upload order, say)."""
    table: tuple[tuple[str, ...], ...] = field(default=())
    """A table under the drawing: its first row is the header."""


# ---------------------------------------------------------------- dot and mermaid


def to_dot(picture: Picture, name: str = "targets") -> str:
    lines = [f"digraph {name} {{"]
    for node in picture.nodes:
        label = "\n".join((node.title, *node.lines))
        lines.append(f"  {json.dumps(node.id)} [label={json.dumps(label)}];")
    for edge in picture.edges:
        style = {"inferred": " [style=dashed]", "requires": " [style=bold]"}.get(edge.style, "")
        lines.append(f"  {json.dumps(edge.source)} -> {json.dumps(edge.target)}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    """Text inside a Mermaid `["..."]` label: quotes and markup as entities."""
    return (
        text.replace("#", "#35;")
        .replace("&", "#amp;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
    )


_MERMAID_CLASSES = (
    "  classDef target fill:#f6f8fa,stroke:#57606a",
    "  classDef distribution fill:#ddf4ff,stroke:#0969da",
    "  classDef skipped fill:#f6f8fa,stroke:#8c959f,stroke-dasharray:2 3",
    "  classDef requirement fill:#fff8c5,stroke:#9a6700",
)


def to_mermaid(picture: Picture) -> str:
    """A Mermaid flowchart, dependencies above their dependents; inferred edges dotted."""
    ids = {node.id: f"n{index}" for index, node in enumerate(picture.nodes)}
    lines = ["flowchart BT", *_MERMAID_CLASSES]
    for node in picture.nodes:
        label = "<br/>".join(_mermaid_text(t) for t in (node.title, *node.lines))
        lines.append(f'  {ids[node.id]}["{label}"]')
        # One class per node in Mermaid: the most specific.
        lines.append(f"  class {ids[node.id]} {node.css_class.split()[-1]}")
    arrows = {"explicit": "-->", "inferred": "-.->", "requires": "==>"}
    for edge in picture.edges:
        lines.append(f"  {ids[edge.source]} {arrows[edge.style]} {ids[edge.target]}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- layout


_CHAR_WIDTH = 7.3  # 12px monospace
_LINE_HEIGHT = 16
_PADDING = 10
_GAP_X = 36
_GAP_Y = 64
_MARGIN = 20


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    width: float
    height: float


def layout(picture: Picture) -> dict[str, _Box]:
    """Each node's box: layer by the longest chain of dependencies below it (cycles share a
    layer), then ordered within the layer by where its dependencies are."""
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(node.id for node in picture.nodes)
    graph.add_edges_from((e.source, e.target) for e in picture.edges if e.source != e.target)
    condensed = nx.condensation(graph)
    rank: dict[int, int] = {}
    for component in reversed(list(nx.topological_sort(condensed))):
        below = [rank[c] + 1 for c in condensed.successors(component)]
        rank[component] = max(below, default=0)
    layer_of = {n: rank[condensed.graph["mapping"][n]] for n in graph.nodes}
    layers: list[list[str]] = [[] for _ in range(max(layer_of.values(), default=-1) + 1)]
    for node in sorted(layer_of):
        layers[layer_of[node]].append(node)
    sizes = {
        node.id: (
            max(len(t) for t in (node.title, *node.lines)) * _CHAR_WIDTH + 2 * _PADDING,
            (1 + len(node.lines)) * _LINE_HEIGHT + 2 * _PADDING,
        )
        for node in picture.nodes
    }
    position: dict[str, float] = {}
    for layer in layers:
        if position:  # order by the mean position of the dependencies laid out already

            def centre(node: str) -> float:
                placed = [position[d] for d in graph.successors(node) if d in position]
                return sum(placed) / len(placed) if placed else float("inf")

            layer.sort(key=lambda n: (centre(n), n))
        for index, node in enumerate(layer):
            position[node] = index
    widths = [sum(sizes[n][0] for n in layer) + _GAP_X * (len(layer) - 1) for layer in layers]
    widest = max(widths, default=0)
    boxes: dict[str, _Box] = {}
    y = float(_MARGIN)
    for layer, width in zip(layers, widths, strict=True):
        x = _MARGIN + (widest - width) / 2
        height = max(sizes[n][1] for n in layer)
        for node in layer:
            boxes[node] = _Box(x, y, sizes[node][0], sizes[node][1])
            x += sizes[node][0] + _GAP_X
        y += height + _GAP_Y
    return boxes


# ---------------------------------------------------------------- HTML


_STYLE = """
body { font: 14px system-ui, sans-serif; margin: 24px; color: #1f2328; }
h1 { font-size: 20px; }
svg text { font: 12px ui-monospace, monospace; fill: #1f2328; }
svg .title { font-weight: bold; }
.node rect { fill: #f6f8fa; stroke: #57606a; rx: 6; }
.node.distribution rect { fill: #ddf4ff; stroke: #0969da; }
.node.skipped rect { fill: #f6f8fa; stroke: #8c959f; stroke-dasharray: 2 3; }
.node.requirement rect { fill: #fff8c5; stroke: #9a6700; }
.edge { fill: none; stroke: #57606a; stroke-width: 1.4; }
.edge.inferred { stroke: #8250df; stroke-dasharray: 6 4; }
.edge.requires { stroke: #0969da; stroke-width: 2.2; }
.arrow { fill: #57606a; } .arrow.inferred { fill: #8250df; } .arrow.requires { fill: #0969da; }
.legend span { margin-right: 18px; }
table { border-collapse: collapse; margin-top: 16px; }
td, th { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
"""


def to_html(picture: Picture) -> str:
    """One page: the drawing as inline SVG, a legend, the notes and the table."""
    boxes = layout(picture)
    width = max((b.x + b.width for b in boxes.values()), default=0) + _MARGIN
    height = max((b.y + b.height for b in boxes.values()), default=0) + _MARGIN
    escape = html.escape
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="graph" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(picture.title)}">',
        "<defs>",
        *(
            f'<marker id="arrow-{style}" viewBox="0 0 10 10" refX="10" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" class="arrow {style}"/></marker>'
            for style in EDGE_STYLES
        ),
        "</defs>",
    ]
    for edge in picture.edges:
        svg.append(_edge_path(edge, boxes[edge.source], boxes[edge.target]))
    for node in picture.nodes:
        box = boxes[node.id]
        svg.append(
            f'<g class="node {escape(node.css_class)}" data-id="{escape(node.id)}">'
            f"<title>{escape(chr(10).join((node.title, *node.lines)))}</title>"
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" '
            f'height="{box.height:.1f}"/>'
        )
        for index, text in enumerate((node.title, *node.lines)):
            y = box.y + _PADDING + (index + 0.8) * _LINE_HEIGHT
            css = ' class="title"' if index == 0 else ""
            svg.append(f'<text x="{box.x + _PADDING:.1f}" y="{y:.1f}"{css}>{escape(text)}</text>')
        svg.append("</g>")
    svg.append("</svg>")
    styles_used = sorted({e.style for e in picture.edges}, key=EDGE_STYLES.index)
    legend = {
        "explicit": "── explicit dependency (named in a build file)",
        "inferred": "┄┄ inferred dependency (from a Python import)",
        "requires": "━━ requires (a first-party requirement, uploaded first)",
    }
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>{escape(picture.title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(picture.title)}</h1>",
        '<p class="legend">'
        + "".join(f'<span class="{s}">{escape(legend[s])}</span>' for s in styles_used)
        + "</p>",
        *svg,
        *(f'<p class="note">{escape(note)}</p>' for note in picture.notes),
    ]
    if picture.table:
        header, *rows = picture.table
        parts.append("<table>")
        parts.append("<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>")
        parts.extend(
            "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
        )
        parts.append("</table>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _edge_path(edge: Edge, source: _Box, target: _Box) -> str:
    """A curve from the dependent up to its dependency, or around the side within a layer."""
    escape = html.escape
    x1 = source.x + source.width / 2
    x2 = target.x + target.width / 2
    if target.y + target.height <= source.y:  # the usual case: the dependency is above
        y1, y2 = source.y, target.y + target.height
        middle = (y1 + y2) / 2
        d = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{middle:.1f} {x2:.1f},{middle:.1f} {x2:.1f},{y2:.1f}"
    else:  # same layer (a cycle) or a self-loop: loop below the boxes
        y1 = source.y + source.height
        y2 = target.y + target.height
        low = max(y1, y2) + _GAP_Y / 2
        shift = 0 if edge.source != edge.target else source.width / 4
        d = (
            f"M{x1 - shift:.1f},{y1:.1f} C{x1 - shift:.1f},{low:.1f} "
            f"{x2 + shift:.1f},{low:.1f} {x2 + shift:.1f},{y2:.1f}"
        )
    return (
        f'<path class="edge {edge.style}" data-from="{escape(edge.source)}" '
        f'data-to="{escape(edge.target)}" d="{d}" marker-end="url(#arrow-{edge.style})">'
        f"<title>{escape(edge.source)} → {escape(edge.target)} ({edge.style})</title></path>"
    )
