"""Fixtures of the manipulation tests: the three-schema pipeline of manipulation_pipeline.py,
declared once per backend and refilled before each test."""

from __future__ import annotations

import pytest
from manipulation_pipeline import declare, fill

from support.backends import open_connection


@pytest.fixture(scope="module")
def declared(backend_name, tmp_path_factory):
    connection = open_connection(backend_name, tmp_path_factory)
    ns = declare(connection)
    yield ns
    if connection.in_transaction:
        connection.cancel_transaction()
    for s in reversed(ns.schemas):
        s.drop(prompt=False)
    connection.close()


@pytest.fixture
def pipe(declared):
    if declared.connection.in_transaction:
        declared.connection.cancel_transaction()
    fill(declared)
    return declared
