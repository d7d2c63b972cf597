"""Mermaid flowchart text of a diagram: no dependency, renders in Markdown viewers."""

from __future__ import annotations

import re

from .render import EDGE, RENAMED, STYLES, Drawing, Node

CLASSES = {
    "Manual": "manual",
    "Lookup": "lookup",
    "Computed": "computed",
    "Imported": "imported",
    "Part": "part",
    "unknown": "other",
    "collapsed": "collapsed",
}
_SANITIZE = re.compile(r"\W")
SHAPES = {"Imported": "([{}])", "Computed": "([{}])", "unknown": "(({}))", "collapsed": "[[{}]]"}


def _text(label: str) -> str:
    if re.fullmatch(r"[\w .]+", label):
        return label
    return '"' + label.replace('"', "#quot;") + '"'


def _ids(nodes: list[Node]) -> dict[str, str]:
    ids: dict[str, str] = {}
    for node in nodes:
        base = re.sub(r"\W", "_", node.id.replace(" ", "_")).strip("_") or "table"
        candidate, n = base, 1
        while candidate in ids.values():
            n += 1
            candidate = f"{base}_{n}"
        ids[node.id] = candidate
    return ids


def _node_line(node: Node, ident: str) -> str:
    if node.tier == "collapsed":
        text = f'"({node.count} table{"s" * (node.count != 1)})"'
    else:
        text = _text(node.label)
    shape = SHAPES.get(node.tier, "[{}]").format(text)
    return f"{ident}{shape}:::{CLASSES[node.tier]}"


def make_mermaid(drawing: Drawing, theme: str) -> str:
    """Mermaid ``flowchart`` text: tiers as classes, schemas as subgraphs, one link per FK."""
    palette = "dark" if theme == "dark" else "light"
    ids = _ids(drawing.nodes)
    lines = [f"flowchart {drawing.direction}", ""]
    for tier, name in CLASSES.items():
        _shape, _size, light, dark = STYLES[tier]
        colors = dark if palette == "dark" else light
        lines.append(
            f"    classDef {name} fill:{colors.fill},stroke:{colors.stroke},color:{colors.text}"
        )
    lines.append("")
    schemas = list(dict.fromkeys(n.schema for n in drawing.nodes))
    parts: dict[str, list[Node]] = {}
    for node in drawing.nodes:
        if node.master is not None:
            parts.setdefault(node.master, []).append(node)
    for schema in schemas:
        label = drawing.labels.get(schema, schema)
        lines.append(f"    subgraph {_SANITIZE.sub('_', schema)}[{_text(label)}]")
        for node in drawing.nodes:
            if node.schema != schema or node.master is not None:
                continue
            if node.id in parts:
                lines.append(f'        subgraph entity_{ids[node.id]}[" "]')
                for member in [node, *parts[node.id]]:
                    lines.append("            " + _node_line(member, ids[member.id]))
                lines.append("        end")
            else:
                lines.append("        " + _node_line(node, ids[node.id]))
        lines.append("    end")
    lines.append("")
    styles = []
    for index, edge in enumerate(drawing.edges):
        lines.append(f"    {ids[edge.parent]} --> {ids[edge.child]}")
        color = (RENAMED if edge.renamed else EDGE)[palette]
        width = "1px" if edge.multi and not edge.collapsed else "2px"
        dash = "" if edge.primary or edge.collapsed else ",stroke-dasharray:4 3"
        styles.append(f"    linkStyle {index} stroke:{color},stroke-width:{width}{dash}")
    return "\n".join([*lines, *styles]) + "\n"
