"""User SQL fragments in MySQL syntax return the same rows on every backend (spec 03 §3.2)."""

from __future__ import annotations

import numpy as np
import pytest

import datajoint as dj


def keys(q):
    return [tuple(r[k] for k in q.primary_key) for r in q.to_dicts()]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("session_date > '2024-01-01'", [(1, 2), (2, 1)]),
        ("DATE_FORMAT(session_date, '%Y-%m-%d') = '2024-01-05'", [(2, 1)]),
        ("date_format(session_date, '%d') < '03'", [(1, 1), (1, 2)]),
        (
            "YEAR(session_date) = 2024 AND MONTH(session_date) = 1 AND DAY(session_date) = 2",
            [(1, 2)],
        ),
        ("IF(rig IS NULL, 0, 1) = 0", [(2, 1)]),
        ("CONCAT(rig, '-', session_idx) = 'B-2'", [(1, 2)]),
        ("rig LIKE 'A%'", [(1, 1)]),
        ("rig NOT LIKE '%A'", [(1, 2)]),
        ('rig between "A" and "B"', [(1, 1), (1, 2)]),
        ("`rig` = 'A'", [(1, 1)]),
        ("\"rig\" = 'A'", [(1, 1)]),
        ("rig is null", [(2, 1)]),
        ("subject_id IN (2, 3)", [(2, 1)]),
        ("CASE WHEN subject_id = 1 THEN 1 ELSE 0 END = 1", [(1, 1), (1, 2)]),
        ("session_date < curdate()", [(1, 1), (1, 2), (2, 1)]),
        ("session_date < now()", [(1, 1), (1, 2), (2, 1)]),
        ("true", [(1, 1), (1, 2), (2, 1)]),
        ("UNIX_TIMESTAMP(session_date) = 1704412800", [(2, 1)]),
        ("UNIX_TIMESTAMP() > UNIX_TIMESTAMP(session_date)", [(1, 1), (1, 2), (2, 1)]),
        ("DATE(FROM_UNIXTIME(1704153600)) = session_date", [(1, 2)]),
        ("STR_TO_DATE('05/01/2024', '%d/%m/%Y') = session_date", [(2, 1)]),
        ("STR_TO_DATE('January 4 2024 10:30', '%M %e %Y %H:%i') > session_date", [(1, 1), (1, 2)]),
        ("SUBSTRING_INDEX(CONCAT(rig, '-x-y'), '-', 2) = 'A-x'", [(1, 1)]),
        ("FIELD(rig, 'B', 'A') = 2", [(1, 1)]),
        ("ELT(session_idx, 'one', 'two') = 'two'", [(1, 2)]),
        ("DAYNAME(session_date) = 'Friday'", [(2, 1)]),
        ("DAYOFYEAR(session_date) = 5", [(2, 1)]),
        ("TIMESTAMP(session_date) = '2024-01-02 00:00:00'", [(1, 2)]),
        ("ADDDATE(session_date, 3) = '2024-01-08'", [(2, 1)]),
        ("SUBDATE(session_date, INTERVAL 1 DAY) = '2024-01-01'", [(1, 2)]),
        ("TIME_TO_SEC('01:00:30') = 3630", [(1, 1), (1, 2), (2, 1)]),
        ("session_idx DIV 2 = 1", [(1, 2)]),
        ("ROUND(session_idx / 3, 1) = 0.7", [(1, 2)]),
        ("TRUNCATE(session_idx / 3, 1) = 0.6", [(1, 2)]),
        ("REVERSE(CONCAT(rig, 'z')) = 'zA'", [(1, 1)]),
        ("REPEAT(rig, 2) = 'BB'", [(1, 2)]),
        ("MD5(rig) = '7fc56270e7a70fa81a5935b72eacbe29'", [(1, 1)]),
        ("RAND() < 1 AND UUID() IS NOT NULL", [(1, 1), (1, 2), (2, 1)]),
        ("WEEK(session_date) = 0", [(1, 1), (1, 2), (2, 1)]),
        ("WEEK(ADDDATE(session_date, 6)) = 1", [(1, 1), (1, 2), (2, 1)]),
        ("WEEK(SUBDATE(session_date, 1)) = 0", [(1, 2), (2, 1)]),
        ("MICROSECOND(session_date) = 0", [(1, 1), (1, 2), (2, 1)]),
        ("TIME('2024-01-01 10:20:30') = '10:20:30'", [(1, 1), (1, 2), (2, 1)]),
        ("TIME(session_date) = '00:00:00'", [(1, 1), (1, 2), (2, 1)]),
        ("MICROSECOND('2024-01-01 10:00:00.250000') = 250000", [(1, 1), (1, 2), (2, 1)]),
    ],
)
def test_restriction_strings(lab, condition, expected):
    assert keys(lab.Session & condition) == expected


def test_bool_column_condition(lab):
    assert keys(lab.Trial & "rt > 0.45 AND correct") == [(1, 1, 1)]
    assert keys(lab.Trial - "correct") == [(1, 1, 2)]


def test_computed_attributes_and_aggregates(lab):
    S, T = lab.Session, lab.Trial
    years = S.proj(year="YEAR(session_date)", label="CONCAT(rig, ':', session_idx)")
    rows = years.to_dicts()
    assert [int(r["year"]) for r in rows] == [2024, 2024, 2024]
    assert [r["label"] for r in rows] == ["A:1", "B:2", None]
    agg = S.aggr(T, n_correct="sum(correct = 1)", names="GROUP_CONCAT(trial_idx SEPARATOR ';')")
    rows = agg.to_dicts()
    assert [int(r["n_correct"]) if r["n_correct"] is not None else None for r in rows] == [
        1,
        1,
        None,
    ]
    assert [r["names"] for r in rows] == ["1;2", "1", None]
    females = dj.U("species").aggr(lab.Subject, f="sum(sex = 'F')")
    assert [(r["species"], int(r["f"])) for r in females.to_dicts()] == [("mouse", 1), ("rat", 1)]


def test_unknown_attribute_is_refused_before_sql(lab, count_queries):
    with count_queries(lab.connection) as counter:
        with pytest.raises(dj.errors.UnknownAttributeError, match="`sessiondate`"):
            lab.Session & "sessiondate > '2024-01-01'"
        with pytest.raises(dj.errors.UnknownAttributeError, match="not found"):
            lab.Session.proj(x="YEAR(nope)")
        with pytest.raises(dj.errors.UnknownAttributeError, match="not found"):
            lab.Session.aggr(lab.Trial, x="max(nope)")
        with pytest.raises(dj.errors.UnknownAttributeError):
            lab.Subject.proj(animal="subject_id") & "subject_id = 1"
    assert counter.count == 0


def test_percent_signs_are_not_parameters(lab):
    assert keys(lab.Subject & "species LIKE '%ous%'") == [(1,), (2,)]
    assert keys(lab.Subject & {"species": "50%"}) == []


def test_timestampdiff_and_interval(lab):
    S = lab.Session
    assert keys(S & "TIMESTAMPDIFF(DAY, '2024-01-01', session_date) = 4") == [(2, 1)]
    assert keys(S & "TIMESTAMPDIFF(DAY, session_date, '2024-01-03') > 1") == [(1, 1)]


def test_json_value_in_fragments(lab):
    Car = lab.Car
    assert keys(Car & "json_value(car, '$.name') = 'Civic'") == [(2,)]
    assert keys(Car & "json_value(car, '$.lights[0].side' returning char(8)) = 'L'") == [(1,)]
    assert keys(Car & "json_value(car, '$.length' returning decimal(4,1)) > 14.5") == [(1,)]


def test_statistical_and_bitwise_aggregates(lab):
    """MySQL's STD/STDDEV/VARIANCE/STDDEV_SAMP/VAR_SAMP/BIT_OR/BIT_AND on every backend."""
    S, T = lab.Session, lab.Trial
    stats = S.aggr(
        T,
        sd="std(rt)",
        sd2="stddev(rt)",
        var="variance(rt)",
        sd_samp="stddev_samp(rt)",
        var_samp="var_samp(rt)",
        bits="bit_or(trial_idx)",
        both="bit_and(trial_idx)",
    )
    for row in stats.to_dicts():
        key = {"subject_id": row["subject_id"], "session_idx": row["session_idx"]}
        rts = (T & key).to_arrays("rt")
        idx = (T & key).to_arrays("trial_idx").astype(int)
        if not len(rts):  # aggr keeps sessions without trials
            assert row["sd"] is None and row["var"] is None
            continue
        assert float(row["sd"]) == pytest.approx(np.std(rts))
        assert float(row["sd2"]) == pytest.approx(np.std(rts))
        assert float(row["var"]) == pytest.approx(np.var(rts))
        if len(rts) > 1:
            assert float(row["sd_samp"]) == pytest.approx(np.std(rts, ddof=1))
            assert float(row["var_samp"]) == pytest.approx(np.var(rts, ddof=1))
        else:
            assert row["sd_samp"] is None and row["var_samp"] is None
        assert int(row["bits"]) == int(np.bitwise_or.reduce(idx))
        assert int(row["both"]) == int(np.bitwise_and.reduce(idx))
