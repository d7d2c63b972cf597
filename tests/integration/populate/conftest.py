"""Fixtures of the populate tests."""

from __future__ import annotations

import types

import pytest
from populate_pipeline import declare_pipeline

import datajoint as dj


@pytest.fixture
def pipeline(schema: dj.Schema) -> types.SimpleNamespace:
    return declare_pipeline(schema)
