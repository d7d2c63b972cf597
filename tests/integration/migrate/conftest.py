"""Fixtures of the migration tests: a DataJoint 0.14 database on MariaDB with its store."""

from __future__ import annotations

from typing import Any

import pytest

import datajoint as dj
from support.legacy014 import STORE, Builder, Legacy014, build_legacy_database


@pytest.fixture
def legacy(schema, tmp_path):
    """The 0.14 database in the test's schema; ``stores.local`` points at its store folder."""
    location = tmp_path / "store"
    location.mkdir()
    built = build_legacy_database(schema.connection, schema.database, location)
    spec = {"protocol": "file", "location": str(location)}
    with dj.config.override(stores={STORE: spec}, download_path=str(tmp_path / "downloads")):
        yield built


def snapshot(connection: Any, legacy: Legacy014) -> dict[str, Any]:
    """Everything a migration may change: each table's definition and rows, and the store."""
    tables = [
        r[0] for r in connection.query(f"SHOW TABLES FROM `{legacy.database}`", None).fetchall()
    ]
    out: dict[str, Any] = {"files": legacy.store_files()}
    for table in sorted(tables):
        ref = f"`{legacy.database}`.`{table}`"
        out[table] = (
            connection.query(f"SHOW CREATE TABLE {ref}", None).fetchone()[1],
            sorted(
                (tuple(row) for row in connection.query(f"SELECT * FROM {ref}", None).fetchall()),
                key=repr,
            ),
        )
    return out


def add_legacy_recording(connection: Any, legacy: Legacy014, key: tuple[int, int]) -> None:
    """What a DataJoint 0.14 client still running would insert: a session and a recording."""
    builder = Builder(connection, legacy)
    s, i = key
    connection.query(
        f"INSERT INTO `{legacy.database}`.`session` (subject_id, session_idx) VALUES (%s, %s)",
        (s, i),
    )
    builder.recording(key, with_files=True)
