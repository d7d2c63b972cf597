"""Fixtures of the populate tests."""

from __future__ import annotations

import types

import pytest

import datajoint as dj
from support.populate_pipeline import declare_pipeline


@pytest.fixture
def pipeline(schema: dj.Schema) -> types.SimpleNamespace:
    return declare_pipeline(schema)
