"""User-defined codecs on every backend: a chained ``networkx.Graph`` codec, codecs over core
types, and the key context insert and fetch pass to codecs (spec 02 §6)."""

from __future__ import annotations

import re

import networkx as nx
import numpy as np
import pytest

import datajoint as dj


class GraphCodec(dj.Codec):
    """Stores a networkx graph through <blob> (chained)."""

    name = "test_graph"

    def get_dtype(self, is_store):
        return "<blob>"

    def encode(self, value, *, key=None, store_name=None):
        return {
            "nodes": [(n, dict(d)) for n, d in value.nodes(data=True)],
            "edges": [(u, v, dict(d)) for u, v, d in value.edges(data=True)],
        }

    def decode(self, stored, *, key=None):
        graph = nx.Graph()
        graph.add_nodes_from(stored["nodes"])
        graph.add_edges_from(stored["edges"])
        return graph

    def validate(self, value):
        if not isinstance(value, nx.Graph):
            raise TypeError(f"<test_graph> expects a networkx.Graph, got {type(value).__name__}")


class ComplexCodec(dj.Codec):
    """A complex number in a json column."""

    name = "test_complex"

    def get_dtype(self, is_store):
        return "json"

    def encode(self, value, *, key=None):
        return {"re": value.real, "im": value.imag}

    def decode(self, stored, *, key=None):
        return complex(stored["re"], stored["im"])


class KelvinCodec(dj.Codec):
    """Celsius in the program, kelvin in a float64 column."""

    name = "test_kelvin"

    def get_dtype(self, is_store):
        return "float64"

    def encode(self, value, *, key=None):
        return value + 273.15

    def decode(self, stored, *, key=None):
        return round(stored - 273.15, 9)


class ContextCodec(dj.Codec):
    """Records the key context of every call."""

    name = "test_context"
    seen: list = []

    def get_dtype(self, is_store):
        return "varchar(100)"

    def encode(self, value, *, key=None):
        self.seen.append(("encode", dict(key)))
        return f"{key['_table']}:{value}"

    def decode(self, stored, *, key=None):
        self.seen.append(("decode", dict(key)))
        return stored.split(":", 1)[1]


def graph(n):
    g = nx.Graph()
    g.add_edge(0, 1, weight=n)
    g.add_edge(1, 2)
    g.add_node(7, label=f"node{n}")
    return g


def same_graph(a, b):
    return (
        sorted(a.nodes(data=True)) == sorted(b.nodes(data=True))
        and sorted(map(sorted, a.edges())) == sorted(map(sorted, b.edges()))
        and nx.get_edge_attributes(a, "weight") == nx.get_edge_attributes(b, "weight")
    )


def test_graph_codec_declares_inserts_fetches(schema):
    @schema
    class Network(dj.Manual):
        definition = """
        net_id : int32
        ---
        g : <test_graph>
        other = null : <test_graph>
        """

    attr = Network.heading["g"]
    assert isinstance(attr.codec, GraphCodec)
    assert attr.type == "<test_graph>" and not attr.is_blob  # its first dtype is a codec
    assert attr.storage.type == "bytes"
    assert re.search(r"^g +: <test_graph>$", Network.describe(), re.MULTILINE)  # aligned
    Network.insert1({"net_id": 1, "g": graph(1)})
    Network.insert1({"net_id": 2, "g": graph(2), "other": graph(3)})
    rows = Network.to_dicts()
    assert same_graph(rows[0]["g"], graph(1)) and rows[0]["other"] is None
    assert same_graph(rows[1]["g"], graph(2)) and same_graph(rows[1]["other"], graph(3))
    assert isinstance((Network & {"net_id": 2}).fetch1("g"), nx.Graph)
    column = Network.to_arrays("g")
    assert column.dtype == object and all(isinstance(g, nx.Graph) for g in column)


def test_validate_rejects_before_anything_is_stored(schema, monkeypatch):
    @schema
    class Network(dj.Manual):
        definition = """
        net_id : int32
        ---
        g : <test_graph>
        """

    encoded = []
    monkeypatch.setattr(GraphCodec, "encode", lambda self, v, **k: encoded.append(v) or {})
    with pytest.raises(TypeError, match=r"expects a networkx\.Graph"):
        Network.insert([{"net_id": 1, "g": graph(1)}, {"net_id": 2, "g": [(0, 1)]}])
    assert encoded == [] and len(Network()) == 0
    with pytest.raises(TypeError, match=r"expects a networkx\.Graph"):
        Network.insert1({"net_id": 3, "g": "not a graph"})
    result = Network.validate([{"net_id": 4, "g": 5}])
    assert not result.is_valid and "expects a networkx.Graph" in result.summary()


def test_codecs_over_core_types(schema):
    @schema
    class Reading(dj.Manual):
        definition = """
        reading_id : int32
        ---
        z = null : <test_complex>
        temperature : <test_kelvin>
        """

    assert Reading.heading["z"].storage.type == "json"
    Reading.insert(
        [
            {"reading_id": 1, "z": 1 + 2j, "temperature": 21.5},
            {"reading_id": 2, "z": None, "temperature": -40.0},
        ]
    )
    assert Reading.to_dicts() == [
        {"reading_id": 1, "z": 1 + 2j, "temperature": 21.5},
        {"reading_id": 2, "z": None, "temperature": -40.0},
    ]
    kelvin = Reading.proj(k="temperature").to_arrays("k")  # a renamed codec column decodes
    assert kelvin.tolist() == [21.5, -40.0]


def test_encode_and_decode_receive_the_key_context(schema):
    @schema
    class Labelled(dj.Manual):
        definition = """
        subject : varchar(16)
        session : int32
        ---
        label : <test_context>
        """

    ContextCodec.seen.clear()
    Labelled.insert1({"subject": "m1", "session": 2, "label": "first"})
    stored = (Labelled & {"session": 2}).proj().fetch1()
    assert stored == {"subject": "m1", "session": 2}
    assert Labelled.to_arrays("label").tolist() == ["first"]  # the key is fetched for the codec
    (kind_in, key_in), (kind_out, key_out) = ContextCodec.seen
    assert (kind_in, kind_out) == ("encode", "decode")
    expected = {"_schema": schema.database, "_table": Labelled.table_name, "_field": "label"}
    for key in (key_in, key_out):
        assert {k: key[k] for k in expected} == expected
        assert key["subject"] == "m1" and key["session"] == 2
        assert key["_config"] is schema.connection._config


@pytest.mark.parametrize("fetch", ["to_dicts", "to_pandas", "to_pandas squeezed", "to_arrow"])
def test_the_key_context_holds_python_values_in_every_format(schema, fetch):
    """The column formats read number columns straight into arrays; the codecs still receive
    the key as Python values (a numpy scalar would not serialize as JSON, for one)."""

    @schema
    class Counted(dj.Manual):
        definition = """
        subject : varchar(16)
        session : int32
        ---
        score : float64
        label : <test_context>
        """

    Counted.insert(
        [{"subject": "m1", "session": s, "score": s / 2, "label": f"l{s}"} for s in range(3)]
    )
    ContextCodec.seen.clear()
    query = Counted()
    if fetch == "to_dicts":
        labels = [r["label"] for r in query.to_dicts()]
    elif fetch == "to_arrow":
        labels = query.to_arrow().column("label").to_pylist()
    else:
        frame = query.to_pandas(squeeze=fetch.endswith("squeezed"))
        assert frame["score"].tolist() == [0.0, 0.5, 1.0]
        labels = frame["label"].tolist()
    assert labels == ["l0", "l1", "l2"]
    keys = [key for kind, key in ContextCodec.seen if kind == "decode"]
    assert [key["session"] for key in keys] == [0, 1, 2]
    assert all(type(key["session"]) is int for key in keys)


def test_update1_and_replace_encode_through_codecs(schema):
    @schema
    class Reading(dj.Manual):
        definition = """
        reading_id : int32
        ---
        temperature : <test_kelvin>
        samples = null : <blob>
        """

    Reading.insert1({"reading_id": 1, "temperature": 10.0})
    Reading.update1({"reading_id": 1, "temperature": 12.5, "samples": np.arange(3)})
    row = Reading.fetch1()
    assert row["temperature"] == 12.5 and row["samples"].tolist() == [0, 1, 2]
    Reading.insert1({"reading_id": 1, "temperature": 0.0}, replace=True)
    assert Reading.fetch1() == {"reading_id": 1, "temperature": 0.0, "samples": None}


class LabelledStoreCodec(dj.Codec):
    """A store-only codec (like <hash@>): records which store each value was meant for."""

    name = "test_in_store"

    def get_dtype(self, is_store):
        if not is_store:
            raise dj.DataJointError("<test_in_store> requires @")
        return "json"

    def encode(self, value, *, key=None, store_name=None):
        return {"value": value, "store": store_name}

    def decode(self, stored, *, key=None):
        return (stored["value"], stored["store"])


class ViaStoreCodec(dj.Codec):
    """Chains to <test_in_store>: the outer store is handed down the chain."""

    name = "test_via_store"

    def get_dtype(self, is_store):
        return "<test_in_store>" if is_store else "varchar(20)"

    def encode(self, value, *, key=None):
        return value.upper()

    def decode(self, stored, *, key=None):
        return stored


def test_store_specs_declare_and_reach_the_codecs(schema):
    @schema
    class Stored(dj.Manual):
        definition = """
        stored_id : int32
        ---
        named = null : <test_in_store@vault>
        default = null : <test_in_store@>
        chained = null : <test_via_store@vault>
        local = null : <test_via_store>
        """

    heading = Stored.heading
    assert [heading[n].store for n in ("named", "default", "chained", "local")] == [
        "vault",
        "",
        "vault",
        None,
    ]
    assert heading["named"].storage.type == "json" and heading["local"].storage.type.startswith(
        "varchar"
    )
    with pytest.raises(dj.DataJointError, match="requires @"):

        @schema
        class Missing(dj.Manual):
            definition = """
            missing_id : int32
            ---
            x : <test_in_store>
            """

    Stored.insert1({"stored_id": 1, "named": 5, "default": [1], "chained": "abc", "local": "xy"})
    schema.connection.invalidate(schema.database)
    reloaded = dj.virtual_schema(schema.database, connection=schema.connection).Stored
    assert reloaded.heading["named"].type == "<test_in_store@vault>"
    assert reloaded.heading["default"].store == ""
    assert reloaded.fetch1() == {
        "stored_id": 1,
        "named": (5, "vault"),
        "default": ([1], ""),
        "chained": ("ABC", "vault"),
        "local": "XY",
    }
