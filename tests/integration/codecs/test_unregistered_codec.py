"""A stored type marker naming a codec that is not registered (spec 02 §5.3, §12): the table
loads, lists, describes and restricts by its other attributes; using the column raises
``Codec <name> is not registered`` and never hands out raw bytes."""

from __future__ import annotations

import pytest

import datajoint as dj
from datajoint.codecs import is_codec_registered, unregister_codec
from datajoint.codecs.base import UnregisteredCodec

NOT_REGISTERED = r"Codec <test_vanishing> is not registered"


def define_codec():
    class Vanishing(dj.Codec):
        name = "test_vanishing"

        def get_dtype(self, is_store):
            return "<blob>"

        def encode(self, value, *, key=None):
            return {"wrapped": value}

        def decode(self, stored, *, key=None):
            return stored["wrapped"]

    return Vanishing


@pytest.fixture
def orphaned(schema):
    """A table whose codec was unregistered after rows were stored, reloaded from the catalog."""
    define_codec()

    @schema
    class Holder(dj.Manual):
        definition = """
        holder_id : int32
        ---
        name : varchar(20)
        payload = null : <test_vanishing>
        """

    Holder.insert([{"holder_id": i, "name": f"h{i}", "payload": [i] * 3} for i in range(3)])
    unregister_codec("test_vanishing")
    schema.connection.invalidate(schema.database)
    module = dj.virtual_schema(schema.database, connection=schema.connection)
    yield module.Holder
    if is_codec_registered("test_vanishing"):
        unregister_codec("test_vanishing")


def test_the_table_loads_and_works_without_the_column(orphaned):
    attr = orphaned.heading["payload"]
    assert isinstance(attr.codec, UnregisteredCodec) and attr.codec.name == "test_vanishing"
    assert attr.type == "<test_vanishing>"
    assert "payload = null : <test_vanishing>" in " ".join(orphaned.describe().split())
    assert len(orphaned & {"name": "h1"}) == 1
    assert orphaned.keys() == [{"holder_id": 0}, {"holder_id": 1}, {"holder_id": 2}]
    assert (orphaned & "holder_id > 0").to_arrays("name").tolist() == ["h1", "h2"]
    assert orphaned.proj("name").to_dicts()[0] == {"holder_id": 0, "name": "h0"}
    assert "<test_vanish" in repr(orphaned())  # the placeholder, cut to the column width
    (orphaned & {"holder_id": 2}).delete(prompt=False)
    assert len(orphaned()) == 2


def test_using_the_column_raises(orphaned):
    with pytest.raises(dj.DataJointError, match=NOT_REGISTERED):
        orphaned.to_dicts()
    with pytest.raises(dj.DataJointError, match=NOT_REGISTERED):
        (orphaned & {"holder_id": 0}).fetch1("payload")
    with pytest.raises(dj.DataJointError, match=NOT_REGISTERED):
        orphaned.to_arrays()
    with pytest.raises(dj.DataJointError, match=NOT_REGISTERED):
        orphaned.insert1({"holder_id": 9, "name": "new", "payload": [1]})
    assert len(orphaned & {"holder_id": 9}) == 0
    orphaned.insert1({"holder_id": 9, "name": "no payload"})  # NULL needs no codec
    assert (orphaned & {"holder_id": 9}).fetch1("name") == "no payload"


def test_registering_the_codec_again_makes_the_column_readable(orphaned):
    define_codec()
    assert (orphaned & {"holder_id": 1}).fetch1("payload") == [1, 1, 1]


def test_a_definition_naming_an_unknown_codec_is_refused(schema):
    with pytest.raises(dj.DataJointError, match="Codec <test_unknown_kind> is not registered"):

        @schema
        class Bad(dj.Manual):
            definition = """
            bad_id : int32
            ---
            x : <test_unknown_kind>
            """

    assert "bad" not in [t.lower() for t in schema.list_tables()]
