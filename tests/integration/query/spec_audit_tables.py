"""Extra tables for the spec-03/04 audit tests (declared once per backend, read-only)."""

from __future__ import annotations

import datetime
import decimal
import types
import uuid

import pytest

import datajoint as dj
from support.backends import new_schema_name, open_connection

UUIDS = [uuid.UUID(int=i) for i in (1, 2, 3)]


def declare_audit(connection: dj.Connection) -> types.SimpleNamespace:
    schema = dj.Schema(new_schema_name("djqa"), connection=connection)

    @schema
    class Item(dj.Lookup):
        definition = """
        item_id : int32
        ---
        val : int32
        """
        contents = [(i, i % 4) for i in range(1, 16)]

    @schema
    class Keyword(dj.Lookup):
        definition = """
        kid : int32
        ---
        select : int32
        """
        contents = [(1, 5), (2, 5), (3, 4)]

    @schema
    class Typed(dj.Manual):
        definition = """
        tid : int32
        ---
        u : uuid
        amount : decimal(6,2)
        stamp : datetime
        flag : bool
        day : date
        n = null : int32
        raw = null : bytes
        """

    @schema
    class Language(dj.Lookup):
        definition = """
        name     : varchar(40)
        language : varchar(40)
        """
        contents = [
            ("Fabian", "English"),
            ("Edgar", "English"),
            ("Dimitri", "English"),
            ("Dimitri", "Ukrainian"),
            ("Fabian", "German"),
            ("Edgar", "Japanese"),
        ]

    @schema
    class Doc(dj.Manual):
        definition = """
        doc_id : int32
        ---
        body = null : json
        """

    with dj.config.override(
        jobs__add_job_metadata=True, jobs__allow_new_pk_fields_in_computed_tables=True
    ):

        @schema
        class Hidden(dj.Computed):
            definition = """
            hid : int32
            ---
            v : int32
            """

            def make(self, key):  # pragma: no cover - never populated
                pass

        @schema
        class Hidden2(dj.Computed):
            definition = """
            hid2 : int32
            ---
            w : int32
            """

            def make(self, key):  # pragma: no cover - never populated
                pass

    Typed.insert(
        [
            {
                "tid": 1,
                "u": UUIDS[0],
                "amount": decimal.Decimal("1.50"),
                "stamp": datetime.datetime(2024, 1, 1, 12, 0, 0),
                "flag": True,
                "day": datetime.date(2024, 1, 1),
                "n": 7,
                "raw": b"\x00\x01",
            },
            {
                "tid": 2,
                "u": UUIDS[1],
                "amount": decimal.Decimal("2.25"),
                "stamp": datetime.datetime(2024, 2, 1, 8, 30, 0),
                "flag": False,
                "day": datetime.date(2024, 2, 1),
                "n": None,
                "raw": None,
            },
            {
                "tid": 3,
                "u": UUIDS[2],
                "amount": decimal.Decimal("1.50"),
                "stamp": datetime.datetime(2024, 3, 1, 0, 0, 0),
                "flag": True,
                "day": datetime.date(2024, 3, 1),
                "n": 9,
                "raw": b"",
            },
        ]
    )
    Doc.insert(
        [
            {"doc_id": 1, "body": {"ok": True, "tags": ["a", "b"], "meta": {"k": 1, "j": 2}}},
            {"doc_id": 2, "body": {"ok": False, "tags": ["b"], "meta": {"k": 2}, "n": 2.5}},
            {"doc_id": 3, "body": {"ok": "yes", "tags": [], "meta": {}, "n": 10}},
            {"doc_id": 4, "body": None},
        ]
    )
    Hidden.insert([{"hid": 1, "v": 10}, {"hid": 2, "v": 20}], allow_direct_insert=True)
    Hidden2.insert([{"hid2": 1, "w": 5}], allow_direct_insert=True)
    return types.SimpleNamespace(
        schema=schema,
        connection=connection,
        Item=Item,
        Keyword=Keyword,
        Typed=Typed,
        Language=Language,
        Doc=Doc,
        Hidden=Hidden,
        Hidden2=Hidden2,
    )


@pytest.fixture(scope="session", name="audit")
def audit_fixture(backend_name: str, tmp_path_factory) -> types.SimpleNamespace:
    """The audit tables on the current backend, with a connection of their own."""
    connection = open_connection(backend_name, tmp_path_factory)
    ns = declare_audit(connection)
    yield ns
    ns.schema.drop(prompt=False)
    connection.close()


def keys(q, *names):
    """Rows of ``q`` as tuples of ``names`` (default: the primary key), in fetch order."""
    names = names or tuple(q.primary_key)
    return [tuple(r[n] for n in names) for r in q.to_dicts()]
