"""DataJoint 0.14 ran only on MySQL/MariaDB: its migration steps give a clear error on
SQLite and PostgreSQL and change nothing (spec 08 §9)."""

from __future__ import annotations

import pytest

import datajoint as dj

pytestmark = pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])

STEPS = [
    "analyze_columns",
    "migrate_columns",
    "analyze_blob_columns",
    "generate_migration_sql",
    "migrate_blob_columns",
    "check_migration_status",
    "migrate_external",
    "migrate_filepath",
    "check_store_configuration",
    "verify_external_integrity",
]


def test_0_14_steps_refuse_other_backends(schema):
    @schema
    class Item(dj.Manual):
        definition = """
        item_id : int32
        ---
        data = null : <blob>
        """

    Item.insert1({"item_id": 1, "data": [1, 2]})
    before = Item.describe()
    for name in STEPS:
        with pytest.raises(dj.DataJointError, match=r"only on MySQL/MariaDB.*Nothing was changed"):
            getattr(dj.migrate, name)(schema)
    with pytest.raises(dj.DataJointError, match="only on MySQL/MariaDB"):
        dj.migrate.migrate_schema(schema, dry_run=False)
    copy = schema.database + "_copy"
    for call in (
        lambda: dj.migrate.create_parallel_schema(schema, copy, copy_data=True),
        lambda: dj.migrate.backup_schema(schema, copy),
        lambda: dj.migrate.restore_schema(schema, copy),
        lambda: dj.migrate.copy_table_data(schema, copy, "item"),
    ):
        with pytest.raises(dj.DataJointError, match="only on MySQL/MariaDB"):
            call()
    assert copy not in dj.list_schemas(schema.connection)
    assert Item.describe() == before and Item.fetch1("data") == [1, 2]
    # the steps that concern 2.x databases too work here
    assert dj.migrate.compare_query_results(schema, schema.database, "item")["match"]
    status = dj.migrate.verify_schema_v20(schema)
    assert status["compatible"] and status["lineage_exists"]
    assert dj.migrate.rebuild_lineage(schema, dry_run=False)["status"] == "rebuilt"
