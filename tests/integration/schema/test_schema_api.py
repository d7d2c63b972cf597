"""Schema objects, virtual modules, transactions and reconnection on every backend
(spec 08 §2, §4; spec 04 §6)."""

from __future__ import annotations

import types

import pytest

import datajoint as dj
from support.backends import new_schema_name, second_connection
from support.faults import kill


def declare_lab(schema: dj.Schema) -> types.SimpleNamespace:
    @schema
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        ---
        name : varchar(20)
        """

    @schema
    class Rig(dj.Lookup):
        definition = """
        rig : varchar(8)
        """
        contents = [("r1",), ("r2",)]

    @schema
    class Session(dj.Manual):
        definition = """
        -> Subject
        session : int16
        ---
        -> Rig
        """

        class Trial(dj.Part):
            definition = """
            -> master
            trial : int16
            """

    @schema
    class Raw(dj.Imported):
        definition = """
        -> Session
        """

    @schema
    class Analysis(dj.Computed):
        definition = """
        -> Session
        ---
        result : float64
        """

        class Unit(dj.Part):
            definition = """
            -> master
            unit : int16
            ---
            -> Raw
            """

    return types.SimpleNamespace(
        Subject=Subject, Rig=Rig, Session=Session, Analysis=Analysis, Raw=Raw
    )


# parts right after their masters; a part's other parents (`_raw`) before its master
ORDER = ["#rig", "subject", "session", "session__trial", "_raw", "__analysis", "__analysis__unit"]


def test_schema_lifecycle(connection):
    name = new_schema_name()
    with pytest.raises(dj.DataJointError, match="has not yet been declared"):
        dj.Schema(name, connection=connection, create_schema=False)
    schema = dj.Schema(name, connection=connection)
    try:
        assert schema.exists
        assert schema.database == name
        assert repr(schema) == f"Schema `{name}`\n"
        assert name in dj.list_schemas(connection)
        assert schema.list_tables() == []
        again = dj.Schema(name, connection=connection, create_schema=False)
        assert again.exists
    finally:
        schema.drop(prompt=False)
    assert not schema.exists
    assert name not in dj.list_schemas(connection)
    schema.drop(prompt=False)  # dropping a missing schema does nothing


def test_deferred_activation(connection):
    schema = dj.Schema()

    @schema
    class Early(dj.Manual):
        definition = "id : int32"

    with pytest.raises(dj.DataJointError, match="activated"):
        _ = schema.exists
    with pytest.raises(dj.DataJointError, match="activated"):
        _ = "Early" in schema
    with pytest.raises(dj.DataJointError, match="activated"):
        schema.get_table("Early")
    with pytest.raises(dj.DataJointError, match="activated"):
        _ = schema.lineage_table_exists
    schema.activate(new_schema_name(), connection=connection)
    try:
        assert schema.list_tables() == ["early"]
        Early.insert1({"id": 1})
        assert len(Early()) == 1
    finally:
        schema.drop(prompt=False)


def test_a_class_bound_to_another_schema_reads_that_schema(schema, connection):
    """A table class decorated again by a second schema reads the second schema's table: its
    heading, rows and name, on the class and on instances (headings are remembered on the
    class, and the new binding must not read the old one)."""

    class Item(dj.Manual):
        definition = """
        item_id : int32
        ---
        x : float64
        """

    schema(Item)
    Item.insert1({"item_id": 1, "x": 1.5})
    assert Item.heading.names == ["item_id", "x"]
    other = dj.Schema(new_schema_name(), connection=connection)
    try:
        Item.definition = """
        item_id : int32
        ---
        y : varchar(8)
        """
        other(Item)
        assert Item.heading.names == ["item_id", "y"]
        assert Item().heading.names == ["item_id", "y"]
        assert len(Item()) == 0
        assert other.database in Item.full_table_name
    finally:
        other.drop(prompt=False)


def test_introspection(schema):
    lab = declare_lab(schema)
    assert schema.list_tables() == ORDER
    assert [t.table_name for t in schema] == ORDER
    assert all(isinstance(t, dj.FreeTable) for t in schema)
    assert schema.get_table("Session").table_name == "session"
    assert schema["session__trial"].table_name == "session__trial"
    assert schema["Rig"].table_name == "#rig"
    assert schema["#rig"].table_name == "#rig"
    assert schema["Analysis"].table_name == "__analysis"
    assert schema["Raw"].table_name == "_raw"
    assert "Subject" in schema
    assert "subject" in schema
    assert "Nope" not in schema
    assert "~lineage" not in schema
    with pytest.raises(dj.DataJointError, match="does not exist"):
        schema.get_table("Nope")
    lab.Subject.insert1({"subject_id": 1, "name": "x"})
    free = schema["Subject"]
    assert free.to_dicts() == [{"subject_id": 1, "name": "x"}]
    assert free.heading == lab.Subject.heading
    assert schema["Rig"].keys() == [{"rig": "r1"}, {"rig": "r2"}]


def test_virtual_schema_gives_working_classes(schema, connection):
    lab = declare_lab(schema)
    lab.Subject.insert1({"subject_id": 1, "name": "ann"})
    module = dj.virtual_schema(schema.database, connection=connection)
    assert isinstance(module, types.ModuleType)
    assert module.schema.database == schema.database
    assert issubclass(module.Subject, dj.Manual)
    assert issubclass(module.Rig, dj.Lookup)
    assert issubclass(module.Session, dj.Manual)
    assert issubclass(module.Session.Trial, dj.Part)
    assert issubclass(module.Analysis, dj.Computed)
    assert issubclass(module.Analysis.Unit, dj.Part)
    assert issubclass(module.Raw, dj.Imported)
    assert module.Session.Trial.table_name == "session__trial"
    for name in ("Subject", "Rig", "Session", "Analysis", "Raw"):
        assert getattr(module, name).heading == getattr(lab, name).heading
    assert module.Subject.to_dicts() == [{"subject_id": 1, "name": "ann"}]
    module.Session.insert1({"subject_id": 1, "session": 1, "rig": "r2"})
    module.Session.Trial.insert([{"subject_id": 1, "session": 1, "trial": t} for t in (1, 2)])
    assert len(lab.Session.Trial()) == 2
    assert (lab.Session & {"session": 1}).fetch1()["rig"] == "r2"

    other = dj.VirtualModule("other_name", schema.database, connection=connection)
    assert other.__name__ == "other_name"
    assert other.Session.Trial.keys() == lab.Session.Trial.keys()
    with pytest.raises(dj.DataJointError, match="has not yet been declared"):
        dj.virtual_schema(new_schema_name("missing"), connection=connection)


def test_transaction_commit_and_rollback(schema, connection):
    lab = declare_lab(schema)
    with connection.transaction as c:
        assert c is connection
        assert connection.in_transaction
        lab.Subject.insert1({"subject_id": 1, "name": "kept"})
    assert not connection.in_transaction
    assert lab.Subject.keys() == [{"subject_id": 1}]

    with pytest.raises(RuntimeError, match="boom"), connection.transaction:
        lab.Subject.insert1({"subject_id": 2, "name": "gone"})
        lab.Session.insert1({"subject_id": 2, "session": 1, "rig": "r1"})
        assert len(lab.Subject()) == 2
        raise RuntimeError("boom")
    assert not connection.in_transaction
    assert lab.Subject.keys() == [{"subject_id": 1}]
    assert len(lab.Session()) == 0

    with pytest.raises(dj.errors.DuplicateError), connection.transaction:
        lab.Subject.insert1({"subject_id": 3, "name": "gone"})
        lab.Subject.insert1({"subject_id": 1, "name": "duplicate"})
    assert lab.Subject.keys() == [{"subject_id": 1}]

    connection.start_transaction()
    with pytest.raises(dj.DataJointError, match="Nested"):
        connection.start_transaction()
    lab.Subject.insert1({"subject_id": 4, "name": "cancelled"})
    connection.cancel_transaction()
    assert lab.Subject.keys() == [{"subject_id": 1}]


@pytest.fixture
def pair(backend_name, tmp_path_factory, schema):
    """A second connection to the same database (and, for SQLite, the same file)."""
    victim = second_connection(schema.connection, tmp_path_factory)
    yield victim
    victim.close()


def test_reconnect_after_the_server_drops_the_connection(schema, pair, backend_name):
    lab = declare_lab(schema)
    lab.Subject.insert1({"subject_id": 1, "name": "x"})
    victim = pair
    table = dj.FreeTable(victim, f"{schema.database}.subject")
    assert len(table) == 1
    old_id = victim.connection_id
    kill(backend_name, victim, schema.connection)
    assert table.to_dicts() == [{"subject_id": 1, "name": "x"}]  # reconnected and re-run
    assert victim.is_connected
    if backend_name != "sqlite":
        assert victim.connection_id != old_id

    victim.start_transaction()
    assert len(table) == 1  # the transaction has begun on the server (PostgreSQL: with this)
    kill(backend_name, victim, schema.connection)
    with pytest.raises(dj.errors.LostConnectionError, match="during a transaction"):
        table.to_dicts()
    # the lost transaction stays open until it is ended: nothing runs outside it meanwhile
    assert victim.in_transaction
    with pytest.raises(dj.errors.LostConnectionError, match="during a transaction"):
        len(table)
    victim.cancel_transaction()
    assert not victim.in_transaction
    assert len(table) == 1  # the next query works


def test_no_reconnect_when_disabled(schema, pair, backend_name):
    victim = pair
    kill(backend_name, victim, schema.connection)
    with pytest.raises(dj.errors.LostConnectionError):
        victim.query("SELECT 1", None, reconnect=False)
    assert victim.query("SELECT 1", None).fetchone()[0] == 1


def test_drop_asks_when_prompting(connection, monkeypatch):
    schema = dj.Schema(new_schema_name(), connection=connection)
    answers = iter(["maybe", "no"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    schema.drop(prompt=True)
    assert schema.exists
    monkeypatch.setattr("builtins.input", lambda prompt: "")  # empty answer means no
    schema.drop(prompt=True)
    assert schema.exists
    with dj.config.override(safemode=True):
        monkeypatch.setattr("builtins.input", lambda prompt: "yes")
        schema.drop()
    assert not schema.exists
