"""``dj.migrate.add_job_metadata_columns`` gives existing Computed and Imported tables the
hidden job-metadata columns (spec 05 §9, spec 08 §9), on every backend: DataJoint 2.x
databases declared without ``jobs.add_job_metadata`` lack them too."""

from __future__ import annotations

import pytest

import datajoint as dj

METADATA = ["_job_start_time", "_job_duration", "_job_version"]


@pytest.fixture
def pipeline(schema):
    with dj.config.override(jobs={"add_job_metadata": False}):

        @schema
        class Source(dj.Manual):
            definition = "source_id : int32"

        @schema
        class Analysis(dj.Computed):
            definition = """
            -> Source
            ---
            result : float32
            """

            class Detail(dj.Part):
                definition = """
                -> master
                ---
                note : varchar(10)
                """

            def make(self, key):
                self.insert1({**key, "result": 1.5})
                self.Detail.insert1({**key, "note": "x"})

    Source.insert([{"source_id": i} for i in range(3)])
    Analysis.populate(Source & {"source_id": 0})
    return Source, Analysis


def metadata_rows(connection, table):
    q = connection.adapter.quote
    columns = ", ".join(q(c) for c in ["source_id", *METADATA])
    ref = connection.adapter.table_ref(table.database, table.table_name)
    rows = connection.query(f"SELECT {columns} FROM {ref}", None).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_dry_run_lists_the_columns_and_changes_nothing(pipeline, schema):
    _, analysis = pipeline
    before = analysis.describe(), analysis.to_dicts()
    report = dj.migrate.add_job_metadata_columns(schema)
    assert report["dry_run"] and report["tables_analyzed"] == 1
    assert report["tables_modified"] == 0 and report["columns_added"] == 0
    assert [(d["table"], d["columns"]) for d in report["details"]] == [("__analysis", METADATA)]
    assert report["sql_statements"] and all(
        "_job_start_time" in " ".join(d["sql"]) for d in report["details"]
    )
    schema.connection.invalidate(schema.database)
    assert not set(METADATA) & set(
        schema.connection.catalog.heading(schema.database, "__analysis").all_names
    )
    assert (analysis.describe(), analysis.to_dicts()) == before


def test_columns_are_added_and_populate_records_them(pipeline, schema, connection):
    _, analysis = pipeline
    report = dj.migrate.add_job_metadata_columns(analysis, dry_run=False)
    assert report["tables_modified"] == 1 and report["columns_added"] == 3
    heading = connection.catalog.heading(schema.database, "__analysis")
    assert set(METADATA) <= heading.all_names and not set(METADATA) & set(heading.names)
    part = connection.catalog.heading(schema.database, "__analysis__detail")
    assert not set(METADATA) & part.all_names  # Part tables get none
    analysis.populate()
    rows = metadata_rows(connection, analysis)
    assert rows[0][0] is None and rows[0][1] is None  # old rows are never filled
    for key in (1, 2):
        start, duration, version = rows[key]
        assert start is not None and duration is not None and duration >= 0
        assert version is not None
    assert set(analysis.to_dicts()[0]) == {"source_id", "result"}
    again = dj.migrate.add_job_metadata_columns(schema, dry_run=False)
    assert again["details"] == [] and again["tables_modified"] == 0


def test_only_auto_populated_tables_take_job_metadata(pipeline, schema):
    source, analysis = pipeline
    with pytest.raises(dj.DataJointError, match="not a Computed or Imported table"):
        dj.migrate.add_job_metadata_columns(source)
    with pytest.raises(dj.DataJointError, match="not a Computed or Imported table"):
        dj.migrate.add_job_metadata_columns(analysis.Detail, dry_run=False)
    with (
        pytest.raises(dj.DataJointError, match="inside a transaction"),
        schema.connection.transaction,
    ):
        dj.migrate.add_job_metadata_columns(schema, dry_run=False)
    assert dj.migrate.add_job_metadata_columns(schema)["tables_modified"] == 0
