"""Tables with every in-store codec, declared once per backend; emptied after each test.

Stores are resolved when values are written and read, so one set of tables serves the local
store and S3 (the ``store`` fixture configures ``stores.default`` per test).
"""

from __future__ import annotations

import types

import pytest

import datajoint as dj
from support.backends import new_schema_name, open_connection


def declare_store_tables(schema: dj.Schema) -> types.SimpleNamespace:
    @schema
    class Blobs(dj.Manual):
        definition = """
        id : int32
        ---
        b = null : <blob@>
        named = null : <blob@main>
        """

    @schema
    class Attachments(dj.Manual):
        definition = """
        id : int32
        ---
        a : <attach@>
        """

    @schema
    class Hashes(dj.Manual):
        definition = """
        id : int32
        ---
        h : <hash@>
        """

    @schema
    class Objects(dj.Manual):
        definition = """
        id : int32
        label : varchar(32)
        ---
        o : <object@>
        """

    @schema
    class Arrays(dj.Manual):
        definition = """
        id : int32
        ---
        n : <npy@>
        note = '' : varchar(20)
        """

    @schema
    class Files(dj.Manual):
        definition = """
        id : int32
        ---
        f : <filepath@>
        """

    return types.SimpleNamespace(
        schema=schema, Blobs=Blobs, Attachments=Attachments, Hashes=Hashes, Objects=Objects,
        Arrays=Arrays, Files=Files,
    )  # fmt: skip


@pytest.fixture(scope="session")
def _store_tables(backend_name: str, tmp_path_factory):
    connection = open_connection(backend_name, tmp_path_factory)
    ns = declare_store_tables(dj.Schema(new_schema_name("djstore"), connection=connection))
    ns.connection = connection
    yield ns
    ns.schema.drop(prompt=False)
    connection.close()


@pytest.fixture
def tables(_store_tables, store):
    """The store tables of this backend, empty, with ``store`` configured."""
    yield _store_tables
    for table in (
        _store_tables.Blobs, _store_tables.Attachments, _store_tables.Hashes,
        _store_tables.Objects, _store_tables.Arrays, _store_tables.Files,
    ):  # fmt: skip
        table.delete_quick()
