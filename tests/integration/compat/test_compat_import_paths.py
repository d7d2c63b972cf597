"""Import paths and names that DataJoint 0.14 / 2.x code uses are this project's own objects
(issue 14 point 7), and they work on every backend."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import datajoint as dj

ALIASES = {
    "datajoint.table": {"Table": dj.Table, "FreeTable": dj.FreeTable},
    "datajoint.user_tables": {
        "Manual": dj.Manual,
        "Lookup": dj.Lookup,
        "Imported": dj.Imported,
        "Computed": dj.Computed,
        "Part": dj.Part,
    },
    "datajoint.expression": {"QueryExpression": dj.QueryExpression, "U": dj.U},
    "datajoint.condition": {"AndList": dj.AndList, "Not": dj.Not, "Top": dj.Top},
    "datajoint.schemas": {
        "Schema": dj.Schema,
        "VirtualModule": dj.VirtualModule,
        "virtual_schema": dj.virtual_schema,
        "list_schemas": dj.list_schemas,
    },
    "datajoint.autopopulate": {"AutoPopulate": dj.AutoPopulate},
    "datajoint.heading": {"Heading": dj.Heading},
}


@pytest.mark.parametrize("module_name", sorted(ALIASES))
def test_alias_modules_hold_the_same_objects(module_name):
    module = importlib.import_module(module_name)
    for name, obj in ALIASES[module_name].items():
        assert getattr(module, name) is obj, f"{module_name}.{name}"


def test_names_without_a_dj_counterpart():
    from datajoint.heading import Attribute
    from datajoint.settings import CONFIG_FILENAME
    from datajoint.utils import from_camel_case, to_camel_case, user_choice

    assert CONFIG_FILENAME == "datajoint.json"
    assert to_camel_case("session_trial") == "SessionTrial"
    assert from_camel_case("SessionTrial") == "session_trial"
    assert callable(user_choice)
    assert dj.Heading(all_attributes=()).as_dtype == np.dtype([])
    assert Attribute.__module__ == "datajoint.heading"
    assert issubclass(dj.Computed, dj.AutoPopulate) and issubclass(dj.Imported, dj.AutoPopulate)
    assert not issubclass(dj.Manual, dj.AutoPopulate)


def test_top_merge():
    assert dj.Top(10).merge(dj.Top(5, None, offset=8)) == dj.Top(2, "KEY", 8)
    assert dj.Top(3, "x DESC", 1).merge(dj.Top(None, None, 1)) == dj.Top(2, "x DESC", 2)
    assert dj.Top(None, "KEY").merge(dj.Top(4)) == dj.Top(4, "KEY")


@pytest.fixture
def tables(schema):
    @schema
    class Subject(dj.Manual):
        definition = """
        subject_id : int32
        ---
        weight : float64
        """

    @schema
    class Session(dj.Manual):
        definition = """
        -> Subject
        session : int16
        """

    Subject.insert([{"subject_id": i, "weight": 10.0 + i} for i in range(1, 6)])
    Session.insert([{"subject_id": 1, "session": 1}, {"subject_id": 1, "session": 2}])
    return Subject, Session


def test_aliases_at_work(tables, schema):
    from datajoint.autopopulate import AutoPopulate
    from datajoint.condition import AndList, Not
    from datajoint.expression import QueryExpression
    from datajoint.schemas import VirtualModule
    from datajoint.table import FreeTable

    Subject, _ = tables
    free = FreeTable(schema.connection, Subject.full_table_name)
    assert len(free & AndList(["subject_id > 1", Not("subject_id = 5")])) == 3
    assert isinstance(Subject & "subject_id > 2", QueryExpression)
    module = VirtualModule("compat_aliases", schema.database, connection=schema.connection)
    assert len(module.Session()) == 2
    assert not isinstance(Subject(), AutoPopulate)


def test_heading_as_dtype(tables):
    Subject, _ = tables
    assert Subject.heading.as_dtype == np.dtype([("subject_id", "int64"), ("weight", "float64")])
    assert Subject.to_arrays().dtype == Subject.heading.as_dtype


def test_top_merge_matches_consecutive_restrictions(tables):
    Subject, _ = tables
    first, second = dj.Top(4, "weight DESC"), dj.Top(2, None, 1)
    merged = (Subject & first.merge(second)).to_dicts()
    assert merged == (Subject & first & second).to_dicts()
    assert [r["subject_id"] for r in merged] == [4, 3]


def test_join_allow_nullable_pk(tables):
    Subject, Session = tables
    with pytest.raises(dj.DataJointError, match="left operand to determine"):
        Subject.join(Session, left=True)
    joined = Subject.join(Session, left=True, allow_nullable_pk=True)
    assert joined.primary_key == ["subject_id", "session"]
    rows = joined.to_dicts(order_by=["subject_id", "session"])
    assert len(rows) == 6
    assert [r["session"] for r in rows if r["subject_id"] == 3] == [None]
