"""What a diagram draws, independent of the output format (spec 08 §5.3–5.4).

:func:`drawing` turns a :class:`~datajoint.diagram.graph.Diagram` into nodes (labelled with
class names, tier, underline, tooltip), edges (one per foreign key, merged at collapsed
schemas) and schema clusters. ``dot.py`` renders it with Graphviz, ``mermaid.py`` as Mermaid.
"""

from __future__ import annotations

import types
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..declare.describe import describe_heading
from ..dependencies import master_of, node_name, split_node, topo_sort
from ..errors import DataJointError
from ..table.table import Table
from ..table.tiers import tier_of


@dataclass(frozen=True)
class Palette:
    fill: str
    stroke: str
    text: str


# tier → (shape, font size, light palette, dark palette)
STYLES: dict[str, tuple[str, int, Palette, Palette]] = {
    "Manual": ("box", 12, Palette("#E8F0E9", "#3E7A52", "#28513A"),
               Palette("#16281F", "#6BBF94", "#BCE6CF")),
    "Lookup": ("box", 12, Palette("#F0F0F1", "#808285", "#5A5C5F"),
               Palette("#242832", "#9DA0A4", "#C9CFD9")),
    "Imported": ("ellipse", 12, Palette("#E0F4FC", "#00A0DF", "#00537A"),
                 Palette("#0F2433", "#33B8E8", "#BEE7F9")),
    "Computed": ("ellipse", 12, Palette("#FFEDE5", "#FF5113", "#B23200"),
                 Palette("#331B12", "#FF7A47", "#FFC7AE")),
    "Part": ("box", 10, Palette("#FFFFFF", "#B9BBBE", "#55585C"),
             Palette("#1E232C", "#8F959D", "#C8CED8")),
    "unknown": ("circle", 10, Palette("#FFFDE7", "#C9BC5B", "#6B6420"),
                Palette("#3A3620", "#C9BC5B", "#EBE3A0")),
    "collapsed": ("box3d", 12, Palette("#EDEEF0", "#808890", "#404040"),
                  Palette("#242730", "#8890A0", "#C7CDD6")),
}  # fmt: skip
EDGE = {"light": "#171C39", "dark": "#AEB6C2"}
EDGE_ALPHA = {"light": "9E", "dark": "C0"}
RENAMED = {"light": "#C77D3A", "dark": "#D68C4A"}
RENAMED_ALPHA = "CC"
BACKGROUND = {"light": "#FFFFFF", "dark": "#161A21"}
ENTITY_FILL = {"light": "#F3F5F8", "dark": "#1B1F27"}
CLUSTER_STROKE = {"light": "#9DA3AE", "dark": "#6B7280"}


@dataclass
class Node:
    id: str  # unique: class path (``Session.Trial``), full table name, or collapsed schema label
    label: str  # what is written in the node (parts: the part name only)
    tier: str
    schema: str
    underline: bool = False
    tooltip: str = ""
    master: str | None = None  # id of the shown master of a part
    after_sibling: bool = False  # a part that depends on another part of its master
    count: int = 0  # tables inside a collapsed node


@dataclass
class Edge:
    parent: str
    child: str
    primary: bool = True
    multi: bool = True
    renamed: dict[str, str] = field(default_factory=dict)  # child attribute → parent attribute
    collapsed: bool = False


@dataclass
class Drawing:
    nodes: list[Node]
    edges: list[Edge]
    clusters: dict[str, str]  # schema → label (schemas with expanded nodes)
    direction: str
    labels: dict[str, str] = field(default_factory=dict)  # schema → label (every schema)


ClassNames = dict[tuple[str, str], tuple[str, str]]


def _table_classes(namespace: dict[str, Any], prefix: str) -> ClassNames:
    """``(schema, table)`` → ``(class path, module name)`` for the bound table classes."""
    found: ClassNames = {}
    for name, obj in list(namespace.items()):
        if not (isinstance(obj, type) and issubclass(obj, Table)):
            continue
        table: Any = obj
        database = obj.__dict__.get("database")
        if not isinstance(database, str):
            continue
        try:
            found[(database, table.table_name)] = (prefix + name, obj.__module__)
        except DataJointError:
            continue
        for part_name, part in vars(obj).items():
            if isinstance(part, type) and getattr(part, "_master", None) is obj:
                part_table: Any = part
                found[(database, part_table.table_name)] = (
                    f"{prefix}{name}.{part_name}",
                    obj.__module__,
                )
    return found


def class_names(context: dict[str, Any], modules: list[Any]) -> ClassNames:
    """Class paths of tables from ``context`` (directly or through modules in it)."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for module in modules:
        found.update(_table_classes(vars(module), ""))
    for name, obj in context.items():
        if isinstance(obj, types.ModuleType) and not name.startswith("_"):
            for key, (path, _) in _table_classes(vars(obj), name + ".").items():
                found[key] = (path, obj.__name__)
    found.update(_table_classes(context, ""))
    return found


def _tooltip(definition: str) -> str:
    lines = []
    for line in definition.splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("---") or text.startswith("___"):
            lines.append("─" * 12)
        elif text.startswith("->"):
            lines.append("→ " + text[2:].strip())
        else:
            lines.append(text.split(":", 1)[0].strip())
    return "\n".join(lines)


def _cluster_labels(schemas: list[str], modules: dict[str, set[str]]) -> dict[str, str]:
    """Each schema's label: the one module its classes come from, else the schema name."""
    labels = {}
    for schema in schemas:
        names = modules.get(schema, set())
        single = len(names) == 1 and "__main__" not in names
        labels[schema] = next(iter(names)) if single else schema
    uses = Counter(labels.values())
    return {s: f"{label} ({s})" if uses[label] > 1 and label != s else label
            for s, label in labels.items()}  # fmt: skip


def drawing(diagram: Any) -> Drawing:
    """The nodes, edges and clusters that ``diagram`` draws."""
    graph = diagram.graph
    connection = diagram.connection
    config = connection._config
    shown = topo_sort(graph, list(diagram.nodes_to_show))
    collapsed = set(diagram.collapsed)
    names = class_names(diagram.context, diagram.source_modules)
    schemas = list(dict.fromkeys(split_node(n)[0] for n in shown))
    modules: dict[str, set[str]] = {}
    for node in shown:
        key = split_node(node)
        if key in names:
            modules.setdefault(key[0], set()).add(names[key][1])
    labels = _cluster_labels(schemas, modules)
    paths = {key: path for key, (path, _) in names.items()}

    ids: dict[str, str] = {}
    nodes: list[Node] = []
    for node in shown:
        if node in collapsed:
            continue
        schema, table = split_node(node)
        path = paths.get((schema, table))
        ids[node] = path if path is not None else connection.adapter.table_ref(schema, table)
    if len(set(ids.values())) < len(ids):
        raise DataJointError("Some classes have identical names. The Diagram cannot be plotted.")
    counts: dict[str, int] = {}
    for node in shown:
        if node in collapsed:
            counts[split_node(node)[0]] = counts.get(split_node(node)[0], 0) + 1
    collapsed_ids = {}
    for schema in counts:
        label = labels.get(schema) or schema
        collapsed_ids[schema] = label if label not in ids.values() else f"{label} ({schema})"
    for node in shown:
        schema, table = split_node(node)
        if node in collapsed:
            if collapsed_ids.get(schema) in {n.id for n in nodes}:
                continue
            count = counts[schema]
            nodes.append(Node(collapsed_ids[schema], labels[schema], "collapsed", schema,
                              tooltip=f"Collapsed schema: {count} table{'s' * (count != 1)}",
                              count=count))  # fmt: skip
            continue
        nodes.append(_table_node(diagram, node, ids, paths))
    edges = _edges(graph, shown, ids, {n: collapsed_ids[split_node(n)[0]] for n in collapsed})
    expanded_schemas = [s for s in schemas if any(split_node(n)[0] == s for n in ids)]
    return Drawing(
        nodes=nodes,
        edges=edges,
        clusters={s: labels[s] for s in expanded_schemas},
        direction=str(config["display.diagram_direction"]),
        labels=labels,
    )


def _table_node(diagram: Any, node: str, ids: dict[str, str], paths: dict[Any, str]) -> Node:
    graph = diagram.graph
    schema, table = split_node(node)
    tier = tier_of(table) or "unknown"
    label = ids[node]
    master = None
    after_sibling = False
    if tier == "Part":
        master_table = master_of(table)
        master_node = node_name(schema, master_table) if master_table else None
        if master_node in ids:
            master = ids[master_node]
            after_sibling = any(
                p != master_node and split_node(p)[0] == schema and master_of(split_node(p)[1])
                == master_table for p in graph.predecessors(node)
            )  # fmt: skip
        if paths.get((schema, table)) is not None:
            label = label.rsplit(".", 1)[-1]
    key = graph.nodes[node].get("primary_key")
    inherited: set[str] = set()
    for _, _, data in graph.in_edges(node, data=True):
        inherited |= set(data["attr_map"])
    underline = bool(key) and (inherited & set(key)) < set(key)
    heading = diagram.connection.catalog.heading(schema, table)
    tooltip = _tooltip(describe_heading(heading, paths)) if heading is not None else ""
    return Node(ids[node], label, tier, schema, underline, tooltip, master, after_sibling)


def _edges(
    graph: Any, shown: list[str], ids: dict[str, str], collapsed: dict[str, str]
) -> list[Edge]:
    edges: list[Edge] = []
    merged: set[tuple[str, str]] = set()
    visible = set(shown)
    for child in shown:
        for parent, _, data in graph.in_edges(child, data=True):
            if parent not in visible:
                continue
            if parent in collapsed or child in collapsed:
                pair = (collapsed.get(parent) or ids[parent], collapsed.get(child) or ids[child])
                if pair[0] != pair[1] and pair not in merged:
                    merged.add(pair)
                    edges.append(Edge(*pair, multi=False, collapsed=True))
                continue
            renamed = {c: p for c, p in data["attr_map"].items() if c != p}
            edges.append(Edge(ids[parent], ids[child], data["primary"], data["multi"], renamed))
    return edges


def resolve_theme(config: Any, theme: str | None) -> str:
    """``"light"``, ``"dark"`` or ``"auto"`` (from ``display.diagram_theme`` when None)."""
    value = theme if theme is not None else str(config["display.diagram_theme"])
    if value not in ("light", "dark", "auto"):
        raise DataJointError(f"Diagram theme must be 'light', 'dark' or 'auto', not {value!r}.")
    return value
