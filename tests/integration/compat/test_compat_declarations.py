"""Declarations and classes as existing DataJoint code uses them (issue 14 point 5): a class
without a definition, iteration over a heading, ``name in conn.dependencies``, tables made by
plain SQL in a virtual module, hidden tables kept out of the user tables."""

from __future__ import annotations

import pytest

import datajoint as dj


def test_class_without_definition_is_refused(schema):
    class NoDefinition(dj.Manual):
        pass

    class Blank(dj.Manual):
        definition = "   \n  "

    for cls in (NoDefinition, Blank):
        with pytest.raises(dj.errors.DeclarationError, match=f"`{cls.__name__}` has no definition"):
            schema(cls)
    assert schema.list_tables() == []


def test_part_without_definition_is_refused(schema):
    class Master(dj.Manual):
        definition = "master_id : int32"

        class Detail(dj.Part):
            pass

    with pytest.raises(dj.errors.DeclarationError, match="`Detail` has no definition"):
        schema(Master)
    assert "master__detail" not in schema.list_tables()


def test_class_without_definition_binds_an_existing_table(schema):
    @schema
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        ---
        name : varchar(16)
        """

    Subject.insert1({"subject_id": 1, "name": "ann"})

    class Subject(dj.Manual):  # a second module binding the same table
        pass

    schema(Subject)
    assert Subject.to_dicts() == [{"subject_id": 1, "name": "ann"}]


def test_heading_iterates_over_names(schema):
    @schema
    class Trial(dj.Manual):
        definition = """
        trial : int32
        ---
        score : float64
        note = "" : varchar(16)
        """

    assert list(Trial.heading) == ["trial", "score", "note"]
    assert [name for name in Trial.heading] == Trial.heading.names  # noqa: C416
    assert list(Trial.proj("score").heading) == ["trial", "score"]
    assert "score" in Trial.heading and "other" not in Trial.heading
    assert len(Trial.heading) == 3
    assert {name: Trial.heading[name].type.declared for name in Trial.heading} == {
        "trial": "int32",
        "score": "float64",
        "note": "varchar(16)",
    }


def test_name_in_dependencies(schema, connection):
    @schema
    class Subject(dj.Manual):
        definition = "subject_id : int32"

    deps = connection.dependencies
    assert Subject.full_table_name in deps
    assert f"{schema.database}.{Subject.table_name}" in deps
    assert f"{schema.database}.nothing" not in deps
    assert 42 not in deps


def create_plain_sql_tables(connection, database):
    """Tables made without DataJoint: two user tables and the hidden tables of DataJoint 0.14."""
    ref = connection.adapter.table_ref
    statements = [
        f"CREATE TABLE {ref(database, '~external_store')} (hash INT NOT NULL PRIMARY KEY)",
        f"CREATE TABLE {ref(database, '~log')} (id INT NOT NULL PRIMARY KEY, event VARCHAR(20))",
        f"CREATE TABLE {ref(database, '~jobs')} (table_name VARCHAR(64) NOT NULL PRIMARY KEY)",
        f"CREATE TABLE {ref(database, 'plain_sql')} (a INT NOT NULL PRIMARY KEY, b VARCHAR(10), "
        f"stored INT, FOREIGN KEY (stored) REFERENCES {ref(database, '~external_store')} (hash))",
        f"CREATE TABLE {ref(database, 'RawData')} (id INT NOT NULL PRIMARY KEY, value INT)",
        f"INSERT INTO {ref(database, '~external_store')} VALUES (7)",
        f"INSERT INTO {ref(database, 'plain_sql')} VALUES (1, 'one', 7), (2, 'two', NULL)",
        f"INSERT INTO {ref(database, 'RawData')} VALUES (5, 50)",
    ]
    for sql in statements:
        connection.query(sql, None)


def test_virtual_module_exposes_tables_made_by_plain_sql(schema, connection):
    @schema
    class Subject(dj.Manual):
        definition = "subject_id : int32"

    create_plain_sql_tables(connection, schema.database)
    module = dj.VirtualModule("plain", schema.database, connection=connection)
    classes = sorted(name for name in vars(module) if name[:1].isupper())
    assert classes == ["PlainSql", "RawData", "Subject"]
    assert module.PlainSql.to_dicts() == [
        {"a": 1, "b": "one", "stored": 7},
        {"a": 2, "b": "two", "stored": None},
    ]
    assert module.RawData.to_dicts() == [{"id": 5, "value": 50}]
    assert len(module.PlainSql & "a > 1") == 1
    other = dj.virtual_schema(schema.database, connection=connection)
    assert other.RawData.primary_key == ["id"]
    (module.PlainSql & {"a": 2}).delete(prompt=False)
    assert len(module.PlainSql()) == 1


def test_spawn_missing_classes_sees_tables_made_meanwhile(schema, connection):
    schema.list_tables()  # the catalog of this schema is now cached
    create_plain_sql_tables(connection, schema.database)
    found: dict = {}
    schema.make_classes(into=found)
    assert sorted(found) == ["PlainSql", "RawData"]


def test_hidden_tables_are_not_user_tables(schema, connection):
    @schema
    class Subject(dj.Manual):
        definition = "subject_id : int32"

    create_plain_sql_tables(connection, schema.database)
    fresh = dj.Schema(schema.database, connection=connection)
    assert fresh.list_tables() == sorted(["subject", "plain_sql", "RawData"])
    assert [t.table_name for t in fresh] == fresh.list_tables()
    for hidden in ("~external_store", "~log", "~jobs"):
        assert hidden not in fresh
        assert f"{schema.database}.{hidden}" not in connection.dependencies
    code = fresh.code
    assert "~" not in code
    assert "class PlainSql(dj.Manual)" in code and "stored = null : " in code
    assert "# table `RawData` does not follow the DataJoint naming rules" in code
    assert fresh.jobs == []
