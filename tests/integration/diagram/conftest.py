"""The two-schema pipeline of diagram_pipeline.py, declared and filled once per backend."""

from __future__ import annotations

import pytest
from diagram_pipeline import declare, fill

import datajoint as dj
from support.backends import new_schema_name, open_connection


@pytest.fixture(scope="module")
def pipe(backend_name, tmp_path_factory):
    connection = open_connection(backend_name, tmp_path_factory)
    simple = dj.Schema(new_schema_name("djdiag"), connection=connection)
    other = dj.Schema(new_schema_name("djdiagx"), connection=connection)
    p = declare(simple, other)
    fill(p)
    p.connection = connection
    p.backend = backend_name
    p.context = {k: v for k, v in vars(p).items() if isinstance(v, type)}
    yield p
    if connection.in_transaction:
        connection.cancel_transaction()
    other.drop(prompt=False)
    simple.drop(prompt=False)
    connection.close()
