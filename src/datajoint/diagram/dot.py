"""Graphviz output: the DOT graph, SVG and PNG (the ``viz`` extra plus the ``dot`` program)."""

from __future__ import annotations

import html
import re
from types import ModuleType
from typing import Any

from .._optional import require
from ..errors import DataJointError
from .render import (
    BACKGROUND,
    CLUSTER_STROKE,
    EDGE,
    EDGE_ALPHA,
    ENTITY_FILL,
    RENAMED,
    RENAMED_ALPHA,
    STYLES,
    Drawing,
    Edge,
    Node,
)

INSTALL_HINT = (
    "Drawing diagrams as SVG or PNG needs the Graphviz program `dot`: install it with your "
    "system's package manager (apt-get install graphviz, brew install graphviz, or conda "
    "install graphviz). The graphviz Python package comes with datajoint (pip install graphviz "
    "if it is missing). Mermaid output (make_mermaid(), save('diagram.mmd')) needs neither."
)
CLUSTER_TEXT = {"light": "#6B7280", "dark": "#9CA3AF"}


class GraphvizMissingError(DataJointError):
    """The graphviz Python package or the Graphviz ``dot`` program is not installed."""


def graphviz_module() -> ModuleType:
    """The graphviz package, or a DataJointError naming both installs."""
    try:
        return require("graphviz", "viz")  # a core dependency; guarded all the same
    except ImportError:
        raise GraphvizMissingError(INSTALL_HINT) from None


def _id(text: str) -> str:
    return re.sub(r"\W", "_", text)


def _node_attrs(node: Node, palette: str) -> dict[str, str]:
    shape, size, light, dark = STYLES[node.tier]
    colors = dark if palette == "dark" else light
    if node.tier == "collapsed":
        tables = f"{node.count} table{'s' * (node.count != 1)}"
        label = f"{node.label}\\n({tables})"
    elif node.underline:
        label = f"<<u>{html.escape(node.label)}</u>>"
    else:
        label = node.label.replace("\\", "\\\\")
    return {
        "label": label,
        "shape": shape,
        "style": "rounded,filled" if shape == "box" else "filled",
        "fillcolor": colors.fill,
        "color": colors.stroke,
        "fontcolor": colors.text,
        "fontsize": str(size),
        "tooltip": node.tooltip or node.id,
    }


def _edge_attrs(edge: Edge, palette: str) -> dict[str, str]:
    slate = EDGE[palette] + EDGE_ALPHA[palette]
    if edge.collapsed:
        return {"style": "solid", "penwidth": "2", "weight": "3", "color": slate}
    attrs = {
        "style": "solid" if edge.primary else "dashed",
        "penwidth": "0.75" if edge.multi else "2",
        "weight": "1" if edge.multi else "3",
        "color": slate,
    }
    if edge.renamed:
        attrs["color"] = RENAMED[palette] + RENAMED_ALPHA
        attrs["tooltip"] = "; ".join(f"{c} ← {p}" for c, p in edge.renamed.items())
    return attrs


def make_dot(drawing: Drawing, theme: str) -> Any:
    """A ``graphviz.Digraph`` of the drawing (``theme`` "auto" draws the light palette)."""
    graphviz = graphviz_module()
    palette = "dark" if theme == "dark" else "light"
    graph = graphviz.Digraph(name="datajoint")
    graph.attr(
        rankdir=drawing.direction,
        bgcolor="transparent" if theme == "auto" else BACKGROUND[palette],
        fontname="Helvetica",
        nodesep="0.3",
        ranksep="0.5",
    )
    graph.attr("node", fontname="Helvetica", margin="0.1,0.05", height="0.3")
    graph.attr("edge", arrowhead="none")
    parts: dict[str, list[Node]] = {}
    for node in drawing.nodes:
        if node.master is not None:
            parts.setdefault(node.master, []).append(node)
    for schema, label in drawing.clusters.items():
        with graph.subgraph(name=f"cluster_{_id(schema)}") as cluster:
            cluster.attr(label=label, labeljust="r", labelloc="t", style="rounded,dashed",
                         color=CLUSTER_STROKE[palette], fontcolor=CLUSTER_TEXT[palette],
                         fontsize="10")  # fmt: skip
            for node in drawing.nodes:
                if node.schema != schema or node.tier == "collapsed" or node.master is not None:
                    continue
                if node.id not in parts:
                    cluster.node(node.id, **_node_attrs(node, palette))
                    continue
                with cluster.subgraph(name=f"cluster_entity_{_id(node.id)}") as entity:
                    entity.attr(label="", style="rounded,filled", color=ENTITY_FILL[palette],
                                fillcolor=ENTITY_FILL[palette])  # fmt: skip
                    with entity.subgraph() as rank:
                        rank.attr(rank="same")
                        rank.node(node.id, **_node_attrs(node, palette))
                        for part in parts[node.id]:
                            if not part.after_sibling:
                                rank.node(part.id, **_node_attrs(part, palette))
                    for part in parts[node.id]:
                        if part.after_sibling:
                            entity.node(part.id, **_node_attrs(part, palette))
    for node in drawing.nodes:
        if node.tier == "collapsed":
            graph.node(node.id, **_node_attrs(node, palette))
    for edge in drawing.edges:
        graph.edge(edge.parent, edge.child, **_edge_attrs(edge, palette))
    return graph


def _render(dot: Any, fmt: str) -> bytes:
    graphviz = graphviz_module()
    try:
        data: bytes = dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissingError(INSTALL_HINT) from None
    return data


def _dark_style() -> str:
    """CSS that maps each light colour to its dark counterpart when the viewer is dark."""
    rules = []
    for _shape, _size, light, dark in STYLES.values():
        rules.append(f'.dj-diagram [fill="{light.fill.lower()}"]{{fill:{dark.fill}}}')
        rules.append(f'.dj-diagram [stroke="{light.stroke.lower()}"]{{stroke:{dark.stroke}}}')
        rules.append(f'.dj-diagram text[fill="{light.text.lower()}"]{{fill:{dark.text}}}')
    pairs = [
        (EDGE, "stroke"),
        (RENAMED, "stroke"),
        (ENTITY_FILL, "fill"),
        (ENTITY_FILL, "stroke"),
        (CLUSTER_STROKE, "stroke"),
        (CLUSTER_TEXT, "fill"),
    ]
    for colors, prop in pairs:
        light_color, dark_color = colors["light"].lower(), colors["dark"]
        rules.append(f'.dj-diagram [{prop}="{light_color}"]{{{prop}:{dark_color}}}')
    rules.append(f".dj-diagram #graph0 > polygon:first-of-type{{fill:{BACKGROUND['dark']}}}")
    return "<style>@media (prefers-color-scheme: dark) {" + "".join(rules) + "}</style>"


def svg(drawing: Drawing, theme: str) -> str:
    """The SVG text, starting at ``<svg``; theme "auto" adapts to a dark viewer via CSS."""
    text = _render(make_dot(drawing, theme), "svg").decode()
    text = text[text.index("<svg") :].rstrip()
    text = text.replace("<svg ", '<svg class="dj-diagram" ', 1)
    if theme == "auto":
        end = text.index(">") + 1
        text = text[:end] + "\n" + _dark_style() + text[end:]
    return text


def png(drawing: Drawing, theme: str) -> bytes:
    """PNG bytes (theme "auto" draws the light palette)."""
    return _render(make_dot(drawing, "light" if theme == "auto" else theme), "png")
