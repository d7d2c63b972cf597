"""Audit of operator compositions and values (spec 03 §3.4, §5, §6.4, §13; 04 §1.11-§1.12)."""

from __future__ import annotations

import datetime
import decimal
import uuid

import numpy as np
from spec_audit_tables import UUIDS, audit_fixture, keys  # noqa: F401

import datajoint as dj


def test_semijoin_operand_keeps_its_own_operators(lab):
    S, T, Sub, R = lab.Session, lab.Trial, lab.Subject, lab.Rig
    assert keys(Sub & (S * T & "rt > 0.6")) == [(1,)]
    assert keys(R & S.proj("rig")) == [("A",), ("B",)]
    assert keys(R - S.proj("rig")) == [("C",)]
    assert keys(Sub & S.proj(d="session_date") & "subject_id > 1") == [(2,)]
    assert keys(Sub & (dj.U("subject_id") & (S & "rig IS NULL"))) == [(2,)]
    assert keys(S & (T & dj.Top(1, "rt DESC"))) == [(1, 1)]
    assert keys(S - (T & dj.Top(1, "rt DESC"))) == [(1, 2), (2, 1)]


def test_projection_after_top_stays_in_one_select(lab):
    top = lab.Session & dj.Top(2, "session_date DESC")
    projected = top.proj("rig", when="session_date")
    assert projected.make_sql().count("SELECT") == 1
    assert keys(projected, "session_idx", "rig") == [(1, None), (2, "B")]
    assert keys(projected.proj(year="YEAR(`when`)"), "year") == [(2024,), (2024,)]


def test_projection_wraps_restricted_renames(lab):
    Sub = lab.Subject
    renamed = Sub.proj(animal="subject_id") & "animal > 1"
    again = renamed.proj(a2="animal")
    assert again.primary_key == ["a2"]
    assert keys(again) == [(2,), (3,)]
    computed = lab.Trial.proj(ms="rt * 1000") & "ms > 450"
    assert keys(computed.proj(s="ms / 1000"), "trial_idx", "s") == [(1, 0.5), (2, 0.7)]


def test_distinct_results_as_operands(lab):
    S, Sub = lab.Session, lab.Subject
    species = dj.U("species") & Sub
    assert keys(species & "species = 'rat'") == [("rat",)]
    assert keys(species & dj.Top(1, "species DESC")) == [("rat",)]
    subjects = dj.U("subject_id") & S
    assert keys(subjects * Sub, "subject_id", "species") == [(1, "mouse"), (2, "mouse")]
    assert keys(Sub.aggr(subjects, n="count(*)", exclude_nonmatching=True), "subject_id") == [
        (1,),
        (2,),
    ]
    assert len(subjects + (dj.U("subject_id") & (Sub & "subject_id = 3"))) == 3


def test_restricting_left_joins(lab):
    S, R = lab.Session, lab.Rig
    assert keys(S.extend(R) & "room IS NULL") == [(2, 1)]
    assert keys(S.extend(R & "room > 101") & "room IS NULL") == [(1, 1), (2, 1)]
    assert keys(S.extend(R) & {"room": None}) == [(2, 1)]
    assert keys((S & "subject_id = 1").extend(R) - {"rig": "A"}) == [(1, 2)]


def test_string_aggregates(lab):
    Sub = lab.Subject
    sexes = dj.U("species").aggr(Sub, s="STRING_AGG(sex, ';')", c="GROUP_CONCAT(sex)")
    rows = sexes.to_dicts()
    assert [r["species"] for r in rows] == ["mouse", "rat"]
    assert sorted(rows[0]["s"].split(";")) == ["F", "M"] and rows[1]["s"] == "F"
    assert sorted(rows[0]["c"].split(",")) == ["F", "M"] and rows[1]["c"] == "F"


def test_fetched_value_types(audit):
    row = (audit.Typed & {"tid": 1}).fetch1()
    assert row == {
        "tid": 1,
        "u": UUIDS[0],
        "amount": decimal.Decimal("1.50"),
        "stamp": datetime.datetime(2024, 1, 1, 12, 0, 0),
        "flag": True,
        "day": datetime.date(2024, 1, 1),
        "n": 7,
        "raw": b"\x00\x01",
    }
    assert isinstance(row["u"], uuid.UUID) and type(row["flag"]) is bool
    assert type(row["n"]) is int and type(row["tid"]) is int
    other = (audit.Typed & {"tid": 2}).fetch1()
    assert other["n"] is None and other["raw"] is None and other["flag"] is False


def test_preview_placeholders_for_bytes(audit):
    lines = repr(audit.Typed()).splitlines()
    header = lines[0].split()
    assert header[:2] == ["*tid", "u"] and header[-1] == "raw"
    assert lines[2].split()[-1] == "bytes"
    assert "bytes" in audit.Typed()._repr_html_()


def test_expressions_without_visible_attributes_have_rows(lab, count_queries):
    S = lab.Session
    exists = dj.U() & S
    assert exists.heading.names == []
    assert exists.to_dicts() == [{}] and exists.keys() == [{}] and list(exists) == [{}]
    assert len(exists.to_arrays()) == 1 and exists.fetch1() == {}
    assert (dj.U() & (S & "subject_id > 5")).to_dicts() == []
    total = dj.U().aggr(S, n="count(*)")
    assert total.keys() == [{}] and total.to_dicts() == [{"n": 3}]
    assert (total & "n > 5").keys() == []
    with count_queries(lab.connection) as counter:
        assert exists.to_dicts() == [{}]
    assert counter.count == 1


def test_singleton_on_the_left_and_secondary_grouping(lab):
    total = dj.U().aggr(lab.Trial, n="count(*)")
    joined = total * lab.Subject  # B → A (the empty key): PK(B), B's attributes first
    assert joined.primary_key == ["subject_id"]
    assert joined.heading.names == ["subject_id", "species", "sex", "n"]
    assert keys(joined, "subject_id", "n") == [(1, 3), (2, 3), (3, 3)]
    per_rig = lab.Rig.aggr(lab.Session, n="count(session_idx)")  # rig is secondary in Session
    assert keys(per_rig, "rig", "n") == [("A", 1), ("B", 1), ("C", 0)]
    busy = lab.Session.aggr(lab.Trial, n="count(trial_idx)") & "n > 0"
    assert keys(busy & dj.Top(1, "n DESC")) == [(1, 1)]
    assert keys(lab.Session.join(busy.proj("n"), left=True), "session_idx", "n") == [
        (1, 2),
        (2, 1),
        (1, None),
    ]


def test_enum_attributes_sort_in_declaration_order(lab):
    Sub = lab.Subject  # sex : enum('M', 'F', 'U')
    groups = dj.U("species", "sex").aggr(Sub, n="count(*)")
    assert keys(groups) == [("mouse", "M"), ("mouse", "F"), ("rat", "F")]
    assert [r["sex"] for r in Sub.to_dicts(order_by=["sex", "KEY"])] == ["M", "F", "F"]
    assert keys(Sub & dj.Top(1, ["sex DESC", "subject_id DESC"])) == [(3,)]


def test_min_max_keep_the_attribute_type(lab):
    S = lab.Session
    spans = dj.U("rig").aggr(S, first="min(session_date)", last="MAX(session_date)")
    rows = spans.to_dicts()
    assert [r["first"] for r in rows] == [
        datetime.date(2024, 1, 5),
        datetime.date(2024, 1, 1),
        datetime.date(2024, 1, 2),
    ]
    assert spans.heading["last"].lineage is None and not spans.heading["last"].in_key
    latest = lab.Subject.aggr(S, last="max(session_date)")
    assert [r["last"] for r in latest.to_dicts()] == [
        datetime.date(2024, 1, 2),
        datetime.date(2024, 1, 5),
        None,
    ]
    assert keys(latest & {"last": datetime.date(2024, 1, 5)}) == [(2,)]
    assert keys(latest & "last > '2024-01-03'") == [(2,)]


def test_boolean_sums_and_ordered_group_concat(lab, backend_name):
    T = lab.Trial
    counts = lab.Session.aggr(T, ok="SUM(correct)", rate="AVG(correct)")
    assert [(r["ok"], r["rate"]) for r in counts.to_dicts()] == [(1, 0.5), (1, 1), (None, None)]
    ordered = lab.Session.aggr(T, s="GROUP_CONCAT(trial_idx ORDER BY trial_idx DESC SEPARATOR '|')")
    assert [r["s"] for r in ordered.to_dicts()] == ["2|1", "1", None]
    distinct = dj.U().aggr(T, s="GROUP_CONCAT(DISTINCT session_idx ORDER BY session_idx)")
    assert distinct.fetch1("s") == "1,2"
    by_rt = dj.U().aggr(T, s="GROUP_CONCAT(trial_idx ORDER BY correct DESC, rt SEPARATOR '')")
    expected = "".join(
        str(r["trial_idx"]) for r in sorted(T.to_dicts(), key=lambda r: (-r["correct"], r["rt"]))
    )
    assert by_rt.fetch1("s") == expected


def test_outer_union_with_typed_secondaries(lab):
    S = lab.Session
    first = S & dj.Top(1, "session_date")
    last = (S & dj.Top(1, "session_date DESC")).proj()
    u = first + last  # A's date and varchar secondaries are NULL for B's row
    assert keys(u, "subject_id", "session_idx", "session_date", "rig") == [
        (1, 1, datetime.date(2024, 1, 1), "A"),
        (2, 1, None, None),
    ]
    both = S.proj("session_date") + (lab.Session & "subject_id = 2").proj(r="rig")
    assert keys(both, "session_idx", "session_date", "r")[1:] == [
        (2, datetime.date(2024, 1, 2), None),
        (1, datetime.date(2024, 1, 5), None),
    ]


def test_join_of_operands_sharing_hidden_column_names(lab):
    ann = (lab.Student & "name = 'Ann'").proj()  # `name` is a column of Student and of Pet
    joined = ann * (lab.Pet & "name = 'Rex'").proj()
    assert joined.primary_key == ["id", "pet_id"]
    assert keys(joined) == [(1, 1)]
    assert keys(lab.Student.proj() * lab.Pet.proj(pet_name="name") & "pet_name = 'Rex'") == [
        (1, 1),
        (2, 1),
    ]


def test_numpy_record_fields_that_are_not_attributes_are_ignored(lab):
    records = np.array(
        [(2, 1, 99)], dtype=[("subject_id", "i8"), ("session_idx", "i8"), ("x", "i8")]
    )
    assert keys(lab.Session & records[0]) == [(2, 1)]
    assert keys(lab.Session - records) == [(1, 1), (1, 2)]
