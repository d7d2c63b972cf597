"""Fixtures of the migration tests: a DataJoint 0.14 database on MariaDB with its store."""

from __future__ import annotations

import pytest

import datajoint as dj
from support.legacy014 import STORE, build_legacy_database


@pytest.fixture
def legacy(schema, tmp_path):
    """The 0.14 database in the test's schema; ``stores.local`` points at its store folder."""
    location = tmp_path / "store"
    location.mkdir()
    built = build_legacy_database(schema.connection, schema.database, location)
    spec = {"protocol": "file", "location": str(location)}
    with dj.config.override(stores={STORE: spec}, download_path=str(tmp_path / "downloads")):
        yield built
