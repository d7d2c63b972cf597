"""Portable, integrity-closed subsets: ``dj.export`` / ``dj.clone`` from any backend to any
backend, with in-store objects copied between stores."""

from __future__ import annotations

import pathlib
import types
from typing import Any

import numpy as np
import pytest
from portable_pipeline import add_subjects, declare_pipeline

import datajoint as dj
from datajoint.settings import Config
from datajoint.storage.refs import NpyRef, ObjectRef
from support.backends import new_schema_name, open_connection

TABLES = ("Species", "Subject", "Session", "Session.Trial", "Trace", "Stats")


def plain(value: Any) -> Any:
    """A value comparable with ``==``: arrays as lists, stored objects by their content."""
    if isinstance(value, NpyRef):
        return ("npy", value.load().tolist())
    if isinstance(value, ObjectRef):
        return ("object", value.read())
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def rows(query: Any) -> list[dict[str, Any]]:
    return [plain(r) for r in query.to_dicts()]


def declared(table: Any) -> tuple[Any, ...]:
    """What a table's definition declares: attributes, keys, foreign keys, indexes."""
    heading = table.heading
    attrs = [
        (a.name, str(a.type), a.in_key, a.nullable, a.default, a.comment)
        for a in heading.attributes.values()
    ]
    return attrs, heading.foreign_keys, heading.indexes, heading.comment


def table_of(module: Any, path: str) -> Any:
    obj = module
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def store_config(tmp_path: pathlib.Path, name: str) -> Config:
    """A configuration of its own whose default store ``main`` is a fresh local folder."""
    location = tmp_path / name
    location.mkdir()
    config = Config()
    config.stores = {"default": "main", "main": {"protocol": "file", "location": str(location)}}
    return config


def declare_recordings(schema: dj.Schema, lab: types.SimpleNamespace) -> Any:
    """A table in a second schema with in-store attributes, depending on lab.Session."""

    @schema
    class Recording(dj.Manual):
        definition = """
        -> lab.Session
        ---
        wave : <npy@>
        settings = null : <blob@>
        raw : <object@>
        """

    return Recording


def record(Recording: Any, keys: list[dict[str, Any]]) -> None:
    Recording.insert(
        {
            **k,
            "wave": np.arange(5, dtype=np.float32) * k["session"],
            "settings": {"gain": k["subject_id"]} if k["session"] == 1 else None,
            "raw": ("bin", bytes([k["subject_id"]]) * 10),
        }
        for k in keys
    )


def test_clone_postgresql_to_sqlite_to_mariadb(tmp_path, tmp_path_factory) -> None:
    configs = {b: store_config(tmp_path, b) for b in ("postgresql", "sqlite", "mysql")}
    source = open_connection("postgresql", tmp_path_factory, configs["postgresql"])
    names = [new_schema_name("djexport"), new_schema_name("djexrec")]
    lab_schema = dj.Schema(names[0], connection=source)
    rec_schema = dj.Schema(names[1], connection=source)
    targets: list[dj.Connection] = []
    try:
        lab = declare_pipeline(lab_schema)
        add_subjects(lab, range(1, 6))
        lab.Stats.populate()
        Recording = declare_recordings(rec_schema, lab)
        record(Recording, lab.Session.keys())
        where = "subject_id in (1, 3)"

        sandbox = dj.Connection(
            backend="sqlite", path=str(tmp_path / "sandbox.db"), config_override=configs["sqlite"]
        )
        targets.append(sandbox)
        planned = dj.clone(lab.Subject & where, to=sandbox, dry_run=True)
        assert planned.dry_run and sandbox.catalog.tables(names[0]) == {}
        report = dj.clone(lab.Subject & where, to=sandbox)
        assert report.counts == planned.counts
        counts = {node.split(".", 1)[1]: n for node, n in report.counts.items()}
        assert counts == {
            "#species": 1, "subject": 2, "session": 4, "session__trial": 12, "trace": 4,
            "__stats": 4, "recording": 4,
        }  # fmt: skip
        assert all(t.inserted == t.rows and t.declared for t in report.values())
        assert report[f"{names[1]}.recording"].objects == 4 + 2 + 4  # npy, blobs, objects

        mariadb = open_connection("mysql", tmp_path_factory, configs["mysql"])
        targets.append(mariadb)
        middle = dj.VirtualModule("middle", names[0], connection=sandbox)
        again = dj.clone(middle.Subject & where, to=mariadb)
        assert again.counts == report.counts

        final = dj.VirtualModule("final", names[0], connection=mariadb)
        final_rec = dj.VirtualModule("final_rec", names[1], connection=mariadb)
        for path in TABLES:
            if path == "Species":
                expected = rows(lab.Species & (lab.Subject & where))
            else:
                expected = rows(table_of(lab, path) & where)
            assert rows(table_of(final, path)) == expected, path
            source_table = table_of(lab, path)
            node = f"{source_table.database}.{source_table.table_name}"
            assert declared(dj.FreeTable(mariadb, node)) == declared(source_table), path
            lineage = {a.name: a.lineage for a in source_table.heading.attributes.values()}
            copied = table_of(final, path).heading.attributes.values()
            assert {a.name: a.lineage for a in copied} == lineage, path
        assert rows(final_rec.Recording) == rows(Recording & where)
        assert str(final_rec.Recording.heading["wave"].type) == "<npy@>"

        # the objects live in each target's own store, under the same layout
        for backend in ("sqlite", "mysql"):
            folder = pathlib.Path(configs[backend].stores["main"]["location"])
            files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
            assert len([f for f in files if f.startswith("_hash/")]) == 2, files
            assert len([f for f in files if f.startswith(f"_schema/{names[1]}/")]) == 8, files
        wave = (final_rec.Recording & {"subject_id": 3, "session": 2}).fetch1("wave")
        assert wave.path.startswith(f"_schema/{names[1]}/recording/")
        assert (pathlib.Path(configs["mysql"].stores["main"]["location"]) / wave.path).is_file()

        # a second clone changes nothing
        before = {p: rows(table_of(final, p)) for p in TABLES}
        repeat = dj.clone(middle.Subject & where, to=mariadb)
        assert all(t.inserted == 0 and t.objects == 0 and not t.declared for t in repeat.values())
        assert {p: rows(table_of(final, p)) for p in TABLES} == before
    finally:
        for target in targets:
            for name in reversed(names):
                if name in dj.list_schemas(target):
                    dj.Schema(name, connection=target, create_schema=False).drop(prompt=False)
            target.close()
        rec_schema.drop(prompt=False)
        lab_schema.drop(prompt=False)
        source.close()


def test_export_to_a_sqlite_file(pipeline, tmp_path) -> None:
    """From each backend: the restricted rows, their parts and every row upstream."""
    lab = pipeline
    seed = lab.Session & {"subject_id": 2, "session": 1}
    path = tmp_path / "subset.db"
    planned = dj.export(seed, to=path, dry_run=True)
    assert not path.exists()  # a dry run does not touch the target
    database = lab.schema.database
    assert planned.counts == {
        f"{database}.#species": 1,
        f"{database}.subject": 1,
        f"{database}.session": 1,
        f"{database}.session__trial": 3,
    }
    report = dj.export(seed, to=path)
    assert report.counts == planned.counts
    assert [t.inserted for t in report.values()] == [1, 1, 1, 3]
    copy = dj.VirtualModule("copy", database, connection=report.target)
    assert rows(copy.Session) == rows(seed)
    assert rows(copy.Session.Trial) == rows(lab.Session.Trial & seed)
    assert rows(copy.Subject) == rows(lab.Subject & seed)
    assert rows(copy.Species) == rows(lab.Species & (lab.Subject & seed))
    assert "trace" not in report.target.catalog.tables(database)  # downstream: not exported
    assert copy.Subject.heading["uid"].type == "uuid"
    assert copy.Subject.heading["info"].json

    # exporting more rows later adds only those; a table may be given as a class
    more = dj.export(lab.Trace & {"subject_id": 2}, lab.Stats & {"subject_id": 2}, to=path)
    by_table = {node.split(".", 1)[1]: t for node, t in more.items()}
    assert by_table["session"].rows == 2 and by_table["session"].inserted == 1
    assert by_table["trace"].inserted == 2 and by_table["__stats"].inserted == 2
    copy = dj.VirtualModule("copy", database, connection=report.target)
    assert rows(copy.Trace) == rows(lab.Trace & {"subject_id": 2})
    text = str(more)
    assert "inserted" in text and f"{database}.trace" in text
    report.target.close()


def test_export_within_one_database_needs_new_schema_names(pipeline, connection) -> None:
    lab = pipeline
    with pytest.raises(dj.DataJointError, match=r"onto itself.*schema_map"):
        dj.export(lab.Subject & {"subject_id": 1}, to=connection)
    renamed = new_schema_name("djcopy")
    try:
        report = dj.clone(
            lab.Subject & {"subject_id": 4},
            to=connection,
            schema_map={lab.schema.database: renamed},
        )
        assert all(node.startswith(lab.schema.database + ".") for node in report)
        copy = dj.VirtualModule("copy", renamed, connection=connection)
        assert rows(copy.Trace) == rows(lab.Trace & {"subject_id": 4})
        assert copy.Session.heading["subject_id"].lineage == f"{renamed}.subject.subject_id"
        # a target table that differs from the source is refused
        dj.Schema(renamed, connection=connection).drop(prompt=False)
        other = dj.Schema(renamed, connection=connection)

        @other
        class Species(dj.Lookup):
            definition = """
            species : varchar(30)
            """

        with pytest.raises(dj.DataJointError, match="differs from the source"):
            dj.export(lab.Subject, to=connection, schema_map={lab.schema.database: renamed})
    finally:
        if renamed in dj.list_schemas(connection):
            dj.Schema(renamed, connection=connection).drop(prompt=False)


def test_export_arguments_are_checked(pipeline, tmp_path) -> None:
    lab = pipeline
    with pytest.raises(dj.DataJointError, match="tables, restricted tables and schemas"):
        dj.export(lab.Subject * lab.Session, to=tmp_path / "x.db")
    with pytest.raises(dj.DataJointError, match="at least one table"):
        dj.export(to=tmp_path / "x.db")
    with pytest.raises(dj.DataJointError, match="SQLite file"):
        dj.export(lab.Subject, to=42)
    whole = dj.export(lab.schema, to=tmp_path / "all.db")
    assert sum(t.inserted for t in whole.values()) == sum(len(table_of(lab, p)()) for p in TABLES)
    whole.target.close()


def test_a_failed_export_leaves_no_rows(pipeline, connection, tmp_path) -> None:
    """The copy is one transaction on the target: an object that cannot be read from the
    source's store, found after other rows were written, leaves none of them."""
    lab = pipeline
    location = tmp_path / "store"
    location.mkdir()
    renamed = new_schema_name("djfail")
    with dj.config.override(
        stores={"default": "main", "main": {"protocol": "file", "location": str(location)}}
    ):
        rec_schema = dj.Schema(new_schema_name("djrec"), connection=connection)
        try:
            Recording = declare_recordings(rec_schema, lab)
            record(Recording, (lab.Session & {"subject_id": 1}).keys())
            lost = (Recording & {"session": 2}).fetch1("raw")
            (location / lost.path).unlink()  # the object of the last row is gone
            schema_map = {lab.schema.database: renamed, rec_schema.database: renamed + "r"}
            with pytest.raises(dj.DataJointError, match="Not found in store 'main'"):
                dj.export(Recording, to=connection, schema_map=schema_map)
            for name in schema_map.values():  # the tables were declared, no row was kept
                tables = [t for t in connection.catalog.tables(name) if not t.startswith("~")]
                assert tables, name
                counts = {t: len(dj.FreeTable(connection, f"{name}.{t}")) for t in tables}
                assert not any(counts.values()), counts
        finally:
            for name in (renamed + "r", renamed):
                if name in dj.list_schemas(connection):
                    dj.Schema(name, connection=connection).drop(prompt=False)
            rec_schema.drop(prompt=False)
