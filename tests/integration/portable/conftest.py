"""Fixtures of the portable tests: the pipeline of ``portable_pipeline`` in a fresh schema."""

from __future__ import annotations

import types

import pytest
from portable_pipeline import add_subjects, declare_pipeline

import datajoint as dj


@pytest.fixture
def pipeline(schema: dj.Schema) -> types.SimpleNamespace:
    p = declare_pipeline(schema)
    add_subjects(p, range(1, 5))
    p.Stats.populate()
    return p
