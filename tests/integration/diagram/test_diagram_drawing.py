"""What a diagram draws (spec 08 §5.3–5.5): SVG and Mermaid checked against the foreign keys."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

import datajoint as dj

SVG_NS = {"svg": "http://www.w3.org/2000/svg"}
MERMAID_NODE = re.compile(
    r"^\s*(\w+)(?:\[\[|\(\[|\(\(|\[)\"?(.*?)\"?(?:\]\]|\]\)|\)\)|\]):::(\w+)$"
)
MERMAID_EDGE = re.compile(r"^\s*(\w+) --> (\w+)$")


def labels(p) -> dict[tuple[str, str], str]:
    """(schema, table) → the class path a diagram labels it with."""
    found = {}
    for name, cls in p.context.items():
        found[(cls.database, cls.table_name)] = name
        for part in ("C", "F", "G", "H", "M"):
            sub = cls.__dict__.get(part)
            if isinstance(sub, type) and issubclass(sub, dj.Part):
                found[(cls.database, sub.table_name)] = f"{name}.{part}"
    return found


def expected_edges(p, diagram) -> Counter:
    """One (parent label, child label) per foreign key between shown tables."""
    names = labels(p)
    shown = {(t.database, t.table_name) for t in diagram}
    edges = Counter()
    for child in shown:
        table = dj.FreeTable(p.connection, ".".join(child))
        for parent, _ in table.parents(foreign_key_info=True, as_objects=True):
            key = (parent.database, parent.table_name)
            if key in shown:
                edges[(names[key], names[child])] += 1
    return edges


def svg_graph(text: str) -> tuple[list[str], Counter]:
    root = ET.fromstring(text)
    nodes = [g.find("svg:title", SVG_NS).text for g in root.iter(f"{{{SVG_NS['svg']}}}g")
             if g.get("class") == "node"]  # fmt: skip
    edges = Counter(
        tuple(g.find("svg:title", SVG_NS).text.split("->"))
        for g in root.iter(f"{{{SVG_NS['svg']}}}g")
        if g.get("class") == "edge"
    )
    return nodes, edges


def mermaid_graph(text: str) -> tuple[dict[str, tuple[str, str]], Counter]:
    nodes, edges = {}, Counter()
    for line in text.splitlines():
        if m := MERMAID_NODE.match(line):
            nodes[m.group(1)] = (m.group(2), m.group(3))
        elif m := MERMAID_EDGE.match(line):
            edges[(m.group(1), m.group(2))] += 1
    return nodes, edges


def test_svg_has_a_node_per_table_and_an_edge_per_foreign_key(pipe):
    p = pipe
    diagram = dj.Diagram(p.simple, context=p.context) + dj.Diagram(p.other, context=p.context)
    text = diagram._repr_svg_()
    assert text.startswith("<svg") and text.endswith("svg>")
    nodes, edges = svg_graph(text)
    names = labels(p)
    assert sorted(nodes) == sorted(names[(t.database, t.table_name)] for t in diagram)
    assert edges == expected_edges(p, diagram)
    assert edges[("A", "Probe")] == 2  # the plain and the renamed foreign key
    source = diagram.make_dot().source
    assert "#C77D3A" in source and "spare_a ← a" in source  # renamed: amber, with tooltip
    assert "style=dashed" in source  # secondary foreign keys
    assert re.search(r"\bE \[label=E [^]]*shape=ellipse", source)  # Computed
    assert re.search(r"\bG \[label=<<u>G</u>>", source) is None  # G adds no key attribute
    assert re.search(r"\bA \[label=<<u>A</u>>", source)  # A introduces a key dimension
    assert "cluster_entity_E" in source and "cluster_" + re.sub(r"\W", "_", p.simple.database)


def test_mermaid_round_trip_gives_the_same_edges(pipe):
    p = pipe
    diagram = dj.Diagram(p.simple, context=p.context) + dj.Diagram(p.other, context=p.context)
    nodes, edges = mermaid_graph(diagram.make_mermaid())
    expected = expected_edges(p, diagram)
    as_id = {label: label.replace(".", "_") for label in labels(p).values()}
    assert edges == Counter({(as_id[a], as_id[b]): n for (a, b), n in expected.items()})
    assert set(nodes) == {as_id[labels(p)[(t.database, t.table_name)]] for t in diagram}
    assert nodes["E"] == ("E", "computed") and nodes["E_F"] == ("F", "part")
    assert nodes["L"] == ("L", "lookup") and nodes["G"] == ("G", "imported")
    text = diagram.make_mermaid()
    assert text.startswith("flowchart LR\n")
    assert text.count("linkStyle") == sum(expected.values())
    assert "subgraph entity_E" in text
    with dj.config.override(display__diagram_direction="TB"):
        assert dj.Diagram(p.A, context=p.context).make_mermaid().startswith("flowchart TB")


def test_collapse_draws_one_node_per_schema(pipe):
    p = pipe
    diagram = (
        dj.Diagram(p.simple, context=p.context) + dj.Diagram(p.other, context=p.context).collapse()
    )
    nodes, edges = svg_graph(diagram._repr_svg_())
    simple = [labels(p)[(t.database, t.table_name)] for t in dj.Diagram(p.simple)]
    collapsed = [n for n in nodes if n not in simple]
    assert sorted(nodes) == sorted(simple) + collapsed and len(collapsed) == 1
    # Probe's two keys into A and Shank's key into D merge into one edge each
    assert edges == Counter(
        {**expected_edges(p, dj.Diagram(p.simple)), ("A", collapsed[0]): 1, ("D", collapsed[0]): 1}
    )
    mermaid_nodes, _ = mermaid_graph(diagram.make_mermaid())
    boxes = [text for text, kind in mermaid_nodes.values() if kind == "collapsed"]
    assert boxes == ["(2 tables)"]
    # a table shown expanded in either operand stays expanded
    mixed = dj.Diagram(p.simple, context=p.context).collapse() + dj.Diagram(p.A, context=p.context)
    mermaid_nodes, _ = mermaid_graph(mixed.make_mermaid())
    assert sorted(mermaid_nodes.values()) == [("(10 tables)", "collapsed"), ("A", "manual")]
    nodes, _ = svg_graph(mixed._repr_svg_())
    assert len(nodes) == 2 and "A" in nodes


def test_save_by_extension_and_errors(pipe, tmp_path):
    diagram = dj.Diagram(pipe.simple, context=pipe.context)
    diagram.save(tmp_path / "d.svg")
    assert svg_graph((tmp_path / "d.svg").read_text())[0]
    diagram.save(tmp_path / "d.PNG")
    assert (tmp_path / "d.PNG").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    diagram.save(tmp_path / "d.mmd")
    diagram.save(tmp_path / "d.mermaid")
    assert (tmp_path / "d.mmd").read_text() == diagram.make_mermaid()
    diagram.save(tmp_path / "drawing", format="svg")
    assert (tmp_path / "drawing").read_text().startswith("<svg")
    with pytest.raises(dj.DataJointError, match="Could not infer format"):
        diagram.save(tmp_path / "d.pdf")
    with pytest.raises(dj.DataJointError, match="Unsupported file format"):
        diagram.save(tmp_path / "d.svg", format="pdf")
    assert diagram.make_png().getvalue()[:4] == b"\x89PNG"
    image = diagram.make_image()
    assert image.ndim == 3 and image.shape[2] in (3, 4)
    assert diagram.make_svg().data.startswith("<svg")
    bundle = diagram._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<svg")


def test_themes(pipe):
    diagram = dj.Diagram(pipe.simple, context=pipe.context)
    light = diagram.make_dot(theme="light").source
    dark = diagram.make_dot(theme="dark").source
    assert "#E8F0E9" in light and "#16281F" not in light
    assert "#16281F" in dark and "#161A21" in dark and "#E8F0E9" not in dark
    with dj.config.override(display__diagram_theme="auto"):
        auto = diagram._repr_svg_()
    assert "@media (prefers-color-scheme: dark)" in auto
    assert auto.index("<style>") < auto.index("<g ")
    with dj.config.override(display__diagram_theme="light"):
        assert "prefers-color-scheme" not in diagram._repr_svg_()
    assert "classDef manual fill:#16281F" in diagram.make_mermaid(theme="dark")


def test_without_graphviz_the_error_names_both_installs_and_jupyter_shows_mermaid(tmp_path):
    """No `dot` program on PATH: SVG raises a clear error, Jupyter display falls back."""
    db = tmp_path / "nodot.db"
    code = (
        "import datajoint as dj\n"
        f"c = dj.Connection(backend='sqlite', path={str(db)!r})\n"
        "s = dj.Schema('nodot', connection=c)\n"
        "@s\n"
        "class Thing(dj.Manual):\n"
        "    definition = 'thing_id : int32'\n"
        "d = dj.Diagram(s)\n"
        "assert d._repr_svg_() is None\n"
        "bundle = d._repr_mimebundle_()\n"
        "assert bundle['text/markdown'].startswith('```mermaid\\nflowchart')\n"
        "try:\n"
        "    d.make_svg()\n"
        "except dj.DataJointError as e:\n"
        "    print('ERROR:', e)\n"
    )
    for env_change in ({"PATH": ""}, None):
        prelude = "" if env_change else "import sys; sys.modules['graphviz'] = None\n"
        out = subprocess.run(
            [sys.executable, "-c", prelude + code],
            capture_output=True,
            text=True,
            timeout=60,
            env={**__import__("os").environ, **(env_change or {})},
        )
        assert out.returncode == 0, out.stderr
        assert "pip install graphviz" in out.stdout
        assert "apt-get install graphviz" in out.stdout
