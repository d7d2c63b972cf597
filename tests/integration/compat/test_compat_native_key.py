"""Computed and Imported tables with primary-key attributes of their own (issue 14 point 1;
spec 01 §1.3, spec 05 §1): declared as DataJoint 2.x pipelines do (the setting
``jobs.allow_new_pk_fields_in_computed_tables`` is on by default; off, they are refused);
populate, jobs and progress() work on the key source of the foreign keys, and make() inserts
several rows per key."""

from __future__ import annotations

import logging

import pytest

import datajoint as dj

REFUSE = {"allow_new_pk_fields_in_computed_tables": False}


@pytest.fixture
def Recording(schema):
    @schema
    class Recording(dj.Manual):
        definition = """
        recording : int32
        ---
        n_units : int16
        """

    Recording.insert([{"recording": r, "n_units": n} for r, n in ((1, 2), (2, 3), (3, 1))])
    return Recording


def make_units(self, key):
    n = (self.Recording & key).fetch1("n_units")
    self.insert([{**key, "unit": u, "rate": 1.5 * u} for u in range(n)])


def test_refused_when_the_setting_is_off(schema, Recording):
    class Unit(dj.Computed):
        definition = """
        -> Recording
        unit : int16
        ---
        rate : float64
        """

    refused = pytest.raises(dj.errors.DeclarationError, match="non-FK primary key")
    with dj.config.override(jobs=REFUSE), refused as info:
        schema(Unit)
    message = str(info.value)
    assert "unit" in message and "allow_new_pk_fields_in_computed_tables" in message
    assert "__unit" not in schema.list_tables()


@pytest.mark.parametrize("key_first", [False, True], ids=["fk-first", "key-first"])
def test_declare_and_populate_by_default(schema, Recording, key_first, caplog):
    lines = ["-> Recording", "unit : int16"]
    body = "\n".join(reversed(lines) if key_first else lines)

    @schema
    class Unit(dj.Computed):
        definition = f"{body}\n---\nrate : float64\n"
        make = make_units

    Unit.Recording = Recording
    order = ["unit", "recording"] if key_first else ["recording", "unit"]
    assert Unit.primary_key == order
    assert Unit.key_source.primary_key == ["recording"]
    assert Unit.progress() == (3, 3)
    assert Unit.populate({"recording": 1})["success_count"] == 1
    assert len(Unit()) == 2  # one make() call inserted two rows
    assert Unit.progress() == (2, 3)
    with caplog.at_level(logging.WARNING, logger="datajoint"):
        assert Unit.populate(reserve_jobs=True)["success_count"] == 2
    coarse = [r for r in caplog.records if "omit the primary-key attributes unit" in r.message]
    assert len(coarse) == 1  # logged once, when the jobs table is made
    assert Unit.jobs.primary_key == ["recording"]
    assert Unit.progress() == (0, 3)
    assert len(Unit()) == 6
    assert (Unit & {"recording": 2}).to_dicts(order_by="unit") == [
        {"recording": 2, "unit": u, "rate": 1.5 * u} for u in range(3)
    ]
    assert Unit.populate(reserve_jobs=True) == {"success_count": 0, "error_list": []}
    Recording.insert1({"recording": 4, "n_units": 2})
    assert Unit.jobs.refresh()["added"] == 1
    assert Unit.jobs.progress()["pending"] == 1
    assert Unit.populate(reserve_jobs=True)["success_count"] == 1
    assert Unit.progress() == (0, 4)
    (Recording & {"recording": 2}).delete(prompt=False)
    assert len(Unit()) == 5 and Unit.progress() == (0, 3)


def test_imported_and_parts(schema, Recording):
    """Imported tables too; their parts may add key attributes whatever the setting."""

    @schema
    class Spikes(dj.Imported):
        definition = """
        -> Recording
        unit : int16
        ---
        count : int32
        """

        class Time(dj.Part):
            definition = """
            -> master
            spike : int32
            ---
            t : float64
            """

        def make(self, key):
            for u in range(2):
                self.insert1({**key, "unit": u, "count": 3})
                self.Time.insert({**key, "unit": u, "spike": s, "t": 0.1 * s} for s in range(3))

    assert Spikes.populate()["success_count"] == 3
    assert len(Spikes()) == 6 and len(Spikes.Time()) == 18
    assert Spikes.progress() == (0, 3)
