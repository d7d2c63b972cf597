"""The benchmark workloads: each runs this project's code and the raw driver doing the same."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from harness import SERVERS, Chunk, Raw, Result, connect, measure, measure_chunks

import datajoint as dj

CHUNK = 100  # calls per timed chunk of the per-call workloads


@dataclass
class Setup:
    """What every workload needs: the backend, its connections, sizes and repeats."""

    backend: str
    path: str  # SQLite file
    connection: dj.Connection
    raw: Raw
    rows: int
    calls: int
    repeat: int


@contextlib.contextmanager
def fresh_schema(connection: dj.Connection) -> Iterator[dj.Schema]:
    schema = dj.Schema(f"djbench_{uuid.uuid4().hex[:8]}", connection=connection)
    try:
        yield schema
    finally:
        schema.drop(prompt=False)


def _names(connection: dj.Connection, *names: str) -> str:
    return ", ".join(connection.adapter.quote(n) for n in names)


# ---------------------------------------------------------------- per-call overhead
def per_call(s: Setup) -> list[Result]:
    """fetch1 by key, len of a restriction, insert1 in a transaction, populate, connect."""
    c, raw, n = s.connection, s.raw, s.calls
    out = []
    with fresh_schema(c) as schema:

        @schema
        class Item(dj.Manual):
            definition = """
            item_id : int32
            ---
            value : float64
            label : varchar(16)
            """

        @schema
        class Parent(dj.Manual):
            definition = """
            parent_id : int32
            ---
            value : float64
            """

        @schema
        class Child(dj.Computed):
            definition = """
            -> Parent
            ---
            result : float64
            """

            def make(self, key: dict[str, Any]) -> None:
                value = (Parent & key).fetch1("value")
                self.insert1({**key, "result": 2 * value})

        rows = [{"item_id": i, "value": i / 3, "label": f"x{i}"} for i in range(2 * n)]
        Item.insert(rows)
        item, q = Item.full_table_name, _names(c, "item_id", "value", "label")
        keys = [{"item_id": i} for i in range(n)]
        key_chunks = [keys[i : i + CHUNK] for i in range(0, n, CHUNK)]
        fetch_sql = f"SELECT {q} FROM {item} WHERE item_id = %s"
        count_sql = f"SELECT count(*) FROM {item} WHERE item_id = %s"

        def fetch1s(part: list[dict[str, int]]) -> Chunk:
            return (
                lambda: [(Item & k).fetch1() for k in part],
                lambda: [raw.fetchall(fetch_sql, (k["item_id"],)) for k in part],
                None,
            )

        def lens(part: list[dict[str, int]]) -> Chunk:
            return (
                lambda: [len(Item & k) for k in part],
                lambda: [raw.fetchall(count_sql, (k["item_id"],)) for k in part],
                None,
            )

        out.append(
            measure_chunks(
                f"{n} x fetch1 by key", c, s.repeat, raw, [fetch1s(p) for p in key_chunks]
            )
        )
        out.append(
            measure_chunks(f"{n} x len(T & key)", c, s.repeat, raw, [lens(p) for p in key_chunks])
        )
        begin = "BEGIN IMMEDIATE" if s.backend == "sqlite" else "BEGIN"
        insert_sql = f"INSERT INTO {item} ({q}) VALUES (%s, %s, %s)"

        def inserts(part: list[dict[str, Any]]) -> Chunk:
            def run() -> None:
                with c.transaction:
                    for r in part:
                        Item.insert1(r)

            def raw_run() -> None:
                raw.execute(begin)
                for r in part:
                    raw.execute(insert_sql, (r["item_id"], r["value"], r["label"]))
                raw.execute("COMMIT")

            first, last = part[0]["item_id"], part[-1]["item_id"]
            span = f"item_id BETWEEN {first} AND {last}"
            return run, raw_run, (Item & span).delete_quick

        out.append(
            measure_chunks(
                f"{2 * n} x insert1 ({CHUNK} per transaction)",
                c,
                s.repeat,
                raw,
                [inserts(rows[i : i + CHUNK]) for i in range(0, 2 * n, CHUNK)],
            )
        )

        Parent.insert({"parent_id": i, "value": i / 7} for i in range(2 * n))
        parent, child = Parent.full_table_name, Child.full_table_name
        pid = _names(c, "parent_id")

        def raw_populate() -> None:
            pending = raw.fetchall(
                f"SELECT {pid} FROM {parent} WHERE {pid} NOT IN (SELECT {pid} FROM {child}) "
                f"ORDER BY {pid}"
            )
            for (key,) in pending:
                raw.execute(begin)
                (value,) = raw.fetchall(f"SELECT value FROM {parent} WHERE {pid} = %s", (key,))[0]
                raw.execute(
                    f"INSERT INTO {child} ({pid}, result) VALUES (%s, %s)", (key, 2 * value)
                )
                raw.execute("COMMIT")

        out.append(
            measure(
                f"populate {2 * n} keys (trivial make)",
                c,
                s.repeat,
                Child.populate,
                raw,
                raw_populate,
                reset=Child.delete_quick,
            )
        )
        out.append(
            measure(
                f"populate {2 * n} keys (trivial make, reserve_jobs=True)",
                c,
                s.repeat,
                lambda: Child.populate(reserve_jobs=True),
                reset=Child.delete_quick,
            )
        )
    if s.backend != "sqlite":
        k = max(3, n // 100)

        def dj_connect() -> None:
            for _ in range(k):
                connect(s.backend, s.path).close()

        def raw_connect() -> None:
            for _ in range(k):
                raw.open().close()

        out.append(measure(f"{k} x fresh connection", c, s.repeat, dj_connect, raw, raw_connect))
    return out


# ---------------------------------------------------------------- bulk
def _iterate(query: Any) -> None:
    for _ in query:  # a for loop, as users iterate (list() would also call len())
        pass


def bulk_fetch(s: Setup) -> list[Result]:
    """Bulk fetches of ``rows`` rows (no inserts timed)."""
    return bulk(s, inserts=False)


def bulk(s: Setup, inserts: bool = True) -> list[Result]:
    """Bulk inserts (dicts, DataFrame, record array) and bulk fetches of ``rows`` rows."""
    c, raw, n, repeat = s.connection, s.raw, s.rows, s.repeat
    out = []
    with fresh_schema(c) as schema:

        @schema
        class Measurement(dj.Manual):
            definition = """
            subject : int32
            trial : int32
            ---
            value : float64
            label : varchar(16)
            """

        rng = np.random.default_rng(0)
        records = np.rec.fromarrays(
            [np.arange(n) // 100, np.arange(n) % 100, rng.random(n), ["x"] * n],
            names=["subject", "trial", "value", "label"],
        )
        names = list(records.dtype.names)
        tuples = [tuple(r) for r in records.tolist()]
        dicts = [dict(zip(names, r, strict=True)) for r in tuples]
        table = Measurement.full_table_name

        def raw_insert() -> None:
            raw.bulk_insert(table, names, tuples)

        frame = None
        with contextlib.suppress(ImportError):
            import pandas as pd

            frame = pd.DataFrame(dicts)
        inputs: list[tuple[str, Any]] = [("dicts", dicts), ("numpy records", records)]
        if frame is not None:
            inputs.insert(1, ("DataFrame", frame))
        for label, data in inputs if inserts else []:
            out.append(
                measure(
                    f"insert {n} rows from {label}",
                    c,
                    repeat,
                    lambda data=data: Measurement.insert(data),
                    raw,
                    raw_insert,
                    reset=Measurement.delete_quick,
                )
            )
        Measurement.delete_quick()
        Measurement.insert(records)
        cols = _names(c, *names)
        key = _names(c, "subject", "trial")

        def raw_all() -> None:
            raw.fetchall(f"SELECT {cols} FROM {table} ORDER BY {key}")

        def raw_keys() -> None:
            raw.fetchall(f"SELECT {key} FROM {table} ORDER BY {key}")

        fetches: list[tuple[str, Any, Any]] = [
            ("to_dicts", Measurement.to_dicts, raw_all),
            ("to_arrays", Measurement.to_arrays, raw_all),
            ("to_pandas", Measurement.to_pandas, raw_all),
            ("to_polars", Measurement.to_polars, raw_all),
            ("to_arrow", Measurement.to_arrow, raw_all),
            ("keys()", Measurement.keys, raw_keys),
            ("iteration", lambda: _iterate(Measurement()), raw_all),
        ]
        for label, run, raw_run in fetches:
            with contextlib.suppress(ImportError, dj.DataJointError):
                out.append(measure(f"fetch {n} rows: {label}", c, repeat, run, raw, raw_run))
        out.append(measure("len (whole table)", c, repeat, lambda: len(Measurement())))
        keys = [{"subject": s} for s in range(0, n // 100, 7)]
        out.append(
            measure(
                f"restrict by {len(keys)} keys + fetch",
                c,
                repeat,
                lambda: (Measurement & keys).to_arrays("value"),
            )
        )
        pairs = [{"subject": i // 100, "trial": i % 100} for i in range(0, n, max(1, n // 5000))]
        out.append(
            measure(
                f"restrict by {len(pairs)} composite keys + fetch",
                c,
                repeat,
                lambda: (Measurement & pairs).to_arrays("value"),
            )
        )
    return out


# ---------------------------------------------------------------- schemas
def declare_wide_schema(schema: dj.Schema, n_tables: int) -> None:
    previous = None
    for i in range(n_tables):
        parent = f"-> {previous.__name__}\n" if previous is not None and i % 3 else ""
        body = f"{parent}t{i}_id : int32\n---\nvalue : float64\nnote = '' : varchar(64)\n"
        cls = type(f"Table{i}", (dj.Manual,), {"definition": body})
        previous = schema(cls, context={p.__name__: p for p in [previous] if p is not None})


_LOAD = """
import json, sys, time
start = time.perf_counter()
import datajoint as dj
imported = time.perf_counter()
backend, path, name, server = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
if backend == "sqlite":
    c = dj.Connection(backend="sqlite", path=path)
else:
    c = dj.Connection(server["host"], server["user"], server["password"], port=server["port"],
                      backend=backend)
module = dj.virtual_schema(name, connection=c)
for cls in list(vars(module).values()):
    if isinstance(cls, type) and issubclass(cls, dj.Table):
        cls.heading
print(json.dumps([imported - start, time.perf_counter() - imported, c.statement_count,
                  [m for m in ("networkx", "sqlglot", "lark") if m in sys.modules]]))
"""


def schemas(s: Setup, n_tables: int = 36) -> list[Result]:
    """Declare ``n_tables`` tables; load them in a fresh process and in this one."""
    c = s.connection
    best, statements = float("inf"), 0
    for _ in range(s.repeat):
        with fresh_schema(c) as schema:
            run = measure("declare", c, 1, lambda: declare_wide_schema(schema, n_tables))
            best, statements = min(best, run.dj), run.dj_statements
    declared = Result(f"declare {n_tables} tables", best, statements)
    with fresh_schema(c) as schema:
        declare_wide_schema(schema, n_tables)
        name = schema.database
        server = json.dumps(SERVERS.get(s.backend, {}))
        import_s = load_s = float("inf")
        modules: list[str] = []
        for _ in range(s.repeat):
            out = subprocess.run(
                [sys.executable, "-c", textwrap.dedent(_LOAD), s.backend, s.path, name, server],
                capture_output=True,
                text=True,
                check=True,
            )
            seconds, loading, statements, modules = json.loads(out.stdout.splitlines()[-1])
            import_s, load_s = min(import_s, seconds), min(load_s, loading)
        imported = Result("import datajoint, fresh process", import_s, 0)
        label = f"load {n_tables} tables, fresh process (after import)"
        load = Result(
            label + (f" (imports {', '.join(modules)})" if modules else ""), load_s, statements
        )
        sent = [0]

        def open_virtual() -> None:
            fresh = connect(s.backend, s.path)
            module = dj.virtual_schema(name, connection=fresh)
            for cls in list(vars(module).values()):
                if isinstance(cls, type) and issubclass(cls, dj.Table):
                    cls.heading  # noqa: B018
            sent[0] = fresh.statement_count
            fresh.close()

        virtual = measure(f"virtual_schema of {n_tables} tables", c, s.repeat, open_virtual)
        virtual.dj_statements = sent[0]
    return [declared, imported, load, virtual]
