"""THE acceptance test of the foundation: a new connection opens a 30-table schema as a
virtual module and reads every heading in a constant, small number of statements.

``Connection.statement_count`` counts every statement sent through ``Connection.query``
(retries after a reconnect count again); the statements a driver runs while connecting
(session set-up, ``CONNECTION_ID()``/``pg_backend_pid()``) are not counted, and neither are
liveness pings.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import datajoint as dj
from support.backends import SERVERS, new_schema_name, second_connection

SERVER_LIMIT = 5  # statements to open a schema and read all its headings on MySQL/PostgreSQL
SQLITE_LIMIT = 5  # pragma joins, the ~columns/~tables metadata and ~lineage: as on the servers


def definitions() -> list[tuple[str, type, str]]:
    """30 tables of every tier, linked by primary, secondary, projected and nullable keys."""
    out: list[tuple[str, type, str]] = [
        ("Species", dj.Lookup, "species : varchar(30)\n---\ncommon = '' : varchar(60)"),
        ("Lab", dj.Manual, "lab : varchar(16)\n---\n-> Person.proj(head='person_id')"),
    ]
    for i in range(8):
        parent = "-> Lab" if i == 0 else f"-> Subject{i - 1}.proj(sibling{i}='subject{i - 1}')"
        out.append(
            (
                f"Subject{i}",
                dj.Manual,
                f"subject{i} : int32\n---\n-> Species\n{parent}\n"
                f"born{i} = null : date\nindex (born{i})",
            )
        )
    for i in range(8):
        out.append(
            (
                f"Session{i}",
                dj.Manual,
                f"-> Subject{i}\nsession{i} : int16\n---\n-> [nullable] Lab\n"
                f"start{i} = CURRENT_TIMESTAMP : datetime",
            )
        )
    for i in range(6):
        out.append(
            (
                f"Scan{i}",
                dj.Imported,
                f"-> Session{i}\n---\nframes{i} : uint32\nmeta{i} = null : json",
            )
        )
    for i in range(6):
        out.append(
            (
                f"Stat{i}",
                dj.Computed,
                f"-> Scan{i}\n---\nmean{i} : float64\n-> [unique, nullable] Session{i + 1}"
                f".proj(next_subject{i}='subject{i + 1}', next_session{i}='session{i + 1}')",
            )
        )
    assert len(out) == 30
    return out


PART = "-> master\nunit : int16\n---\nvalue : float32"


def declare(schema: dj.Schema, people: dj.Schema) -> dict[str, type]:
    @people
    class Person(dj.Manual):
        definition = "person_id : int32\n---\nname : varchar(30)"

    context: dict[str, type] = {"Person": Person}
    for name, tier, definition in definitions():
        body: dict = {"definition": definition}
        if name == "Stat0":
            body["Unit"] = type("Unit", (dj.Part,), {"definition": PART})
        if tier is dj.Lookup:
            body["contents"] = [("mouse", "house mouse")]
        cls = type(name, (tier,), body)
        context[name] = schema(cls, context=context)
    return context


@pytest.fixture
def pipeline(connection):
    people = dj.Schema(new_schema_name("djpeople"), connection=connection)
    schema = dj.Schema(new_schema_name("djheads"), connection=connection)
    classes = declare(schema, people)
    yield schema, classes
    schema.drop(prompt=False)
    people.drop(prompt=False)


def test_counter_counts_statements(connection, count_queries):
    with count_queries(connection) as counter:
        connection.query("SELECT 1", None).fetchall()
        connection.query("SELECT 2", None).fetchall()
    assert counter.count == 2


def test_thirty_headings_in_a_few_statements(
    pipeline, connection, backend_name, tmp_path_factory, count_queries
):
    schema, classes = pipeline
    assert len(schema.list_tables()) == 31  # 30 tables and one part
    new = second_connection(connection, tmp_path_factory)
    try:
        with count_queries(new) as counter:
            module = dj.virtual_schema(schema.database, connection=new)
            headings = {}
            for name in classes:
                if name == "Person":
                    continue
                headings[name] = getattr(module, name).heading
            headings["Stat0.Unit"] = module.Stat0.Unit.heading
        statements = counter.count
        limit = SQLITE_LIMIT if backend_name == "sqlite" else SERVER_LIMIT
        assert statements <= limit, f"{statements} statements to read 31 headings"

        # the headings are complete and equal to what the declaring connection holds
        assert len(headings) == 31
        for name, heading in headings.items():
            original = classes["Stat0"].Unit if name == "Stat0.Unit" else classes[name]
            assert heading == original.heading, name
        assert headings["Stat3"].primary_key == ["subject3", "session3"]
        assert len(headings["Stat3"].foreign_keys) == 2
        assert headings["Subject1"].foreign_keys[-1].attr_map == {"sibling1": "subject0"}
        assert [fk.parent[0] for fk in headings["Lab"].foreign_keys] == [classes["Person"].database]

        # reading them again sends nothing; the classes work
        with count_queries(new) as again:
            for name in headings:
                if "." not in name:
                    _ = getattr(module, name).heading
            assert module.schema.list_tables() == schema.list_tables()
        assert again.count == 0
        assert module.Species.to_dicts() == [{"species": "mouse", "common": "house mouse"}]
    finally:
        new.close()


def test_statement_count_does_not_grow_with_tables(
    pipeline, connection, backend_name, tmp_path_factory, count_queries
):
    """One table or thirty: the same number of statements."""
    schema, _ = pipeline
    small = dj.Schema(new_schema_name("djsmall"), connection=connection)
    try:

        @small
        class Only(dj.Manual):
            definition = "id : int32"

        counts = []
        for database in (small.database, schema.database):
            new = second_connection(connection, tmp_path_factory)
            try:
                with count_queries(new) as counter:
                    module = dj.virtual_schema(database, connection=new)
                    for value in vars(module).values():
                        if isinstance(value, type) and issubclass(value, dj.Table):
                            _ = value.heading
                counts.append(counter.count)
            finally:
                new.close()
        assert counts[0] == counts[1]
    finally:
        small.drop(prompt=False)


FRESH_PROCESS = """
import json, sys
import datajoint as dj
backend, database, target = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if backend == "sqlite":
    connection = dj.Connection(backend="sqlite", path=target["path"])
else:
    connection = dj.Connection(
        target["host"], target["user"], target["password"], port=target["port"],
        backend=backend, use_tls=False,
    )
start = connection.statement_count
module = dj.virtual_schema(database, connection=connection)
names = module.schema.list_tables()
headings = [module.schema[name].heading for name in names]
print(json.dumps({"statements": connection.statement_count - start, "tables": len(headings)}))
"""


def test_fresh_process_reads_all_headings(pipeline, connection, backend_name):
    """The acceptance test, literally: a new Python process, a new connection."""
    schema, _ = pipeline
    if backend_name == "sqlite":
        target = {"path": connection.conn_info["path"]}
    else:
        target = SERVERS[backend_name]
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore",
            "-c",
            FRESH_PROCESS,
            backend_name,
            schema.database,
            json.dumps(target),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["tables"] == 31
    limit = SQLITE_LIMIT if backend_name == "sqlite" else SERVER_LIMIT
    assert report["statements"] <= limit
