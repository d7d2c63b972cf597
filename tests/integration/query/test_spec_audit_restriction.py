"""Audit of spec 03 §3-§4 (restriction operands, strings, anti-restriction), every backend."""

from __future__ import annotations

import datetime
import decimal

import numpy as np
import pandas as pd
import pytest
from spec_audit_tables import UUIDS, audit_fixture, keys  # noqa: F401

import datajoint as dj

ALL = [(1, 1), (1, 2), (2, 1)]


def test_set_and_to_dicts_operands_are_or_lists(lab):
    S = lab.Session
    assert keys(S & {"subject_id = 2", "session_idx = 2"}) == [(1, 2), (2, 1)]
    assert keys(S & set()) == []
    assert keys(S - set()) == ALL
    assert keys(S & (S & {"subject_id": 2}).to_dicts()) == [(2, 1)]
    assert keys(S - (S & {"subject_id": 2}).to_dicts()) == [(1, 1), (1, 2)]
    assert keys(S & (S & {"subject_id": 1}).keys()) == [(1, 1), (1, 2)]


def test_nested_lists_and_andlists(lab):
    S, T = lab.Session, lab.Trial
    nested = [dj.AndList([{"subject_id": 1}, "session_idx = 2"]), {"subject_id": 2}]
    assert keys(S & nested) == [(1, 2), (2, 1)]
    assert keys(S - nested) == [(1, 1)]
    assert keys(S & [T & {"session_idx": 2}, {"subject_id": 2}]) == [(1, 2), (2, 1)]
    assert keys(S & dj.AndList([T, "session_idx = 1"])) == [(1, 1)]
    assert keys(S & dj.AndList([[{"subject_id": 2}, "session_idx = 2"], "rig IS NULL"])) == [(2, 1)]
    assert keys(S & dj.Not([{"subject_id": 2}, "session_idx = 2"])) == [(1, 1)]
    assert keys(S & dj.Not(dj.AndList([]))) == []
    assert keys(S & dj.Not(True)) == [] and keys(S & dj.Not(False)) == ALL
    assert keys(S & np.bool_(False)) == [] and (S() & np.bool_(True)) is not None


def test_successive_and_class_level_restrictions(lab):
    S = lab.Session
    assert keys(S.restrict({"subject_id": 1}).restrict("session_idx = 2")) == [(1, 2)]
    assert keys(lab.Subject * S & {"session_idx": 2}) == [(1, 2)]  # (Subject * Session) & c
    q = S()
    q.restrict_in_place({"subject_id": 1})
    assert keys(q) == [(1, 1), (1, 2)]
    q.restrict_in_place(True)
    assert len(q) == 2


def test_dataframe_operands(lab):
    S = lab.Session
    extra = pd.DataFrame({"subject_id": [2], "session_idx": [1], "not_an_attribute": ["x"]})
    assert keys(S & extra) == [(2, 1)]
    assert keys(S - extra) == [(1, 1), (1, 2)]
    empty = pd.DataFrame({"subject_id": pd.Series([], dtype=int)})
    assert keys(S & empty) == []
    indexed = S.to_pandas()
    assert keys(S & indexed.iloc[1:]) == [(1, 2), (2, 1)]  # the index holds the key


def test_dict_values_are_converted_per_type(audit):
    T = audit.Typed
    assert keys(T & {"u": UUIDS[1]}) == [(2,)]
    assert keys(T & {"u": str(UUIDS[2])}) == [(3,)]
    assert keys(T & {"amount": decimal.Decimal("1.50")}) == [(1,), (3,)]
    assert keys(T & {"amount": 2.25}) == [(2,)]
    assert keys(T & {"stamp": datetime.datetime(2024, 2, 1, 8, 30)}) == [(2,)]
    assert keys(T & {"day": datetime.date(2024, 3, 1)}) == [(3,)]
    assert keys(T & {"flag": True}) == [(1,), (3,)]
    assert keys(T & {"flag": False}) == [(2,)]
    assert keys(T - {"flag": True}) == [(2,)]
    assert keys(T & {"n": None}) == [(2,)]
    assert keys(T - {"n": None}) == [(1,), (3,)]
    assert keys(T & {"n": 9, "flag": True}) == [(3,)]
    assert keys(T & [{"n": 7}, {"u": UUIDS[1]}]) == [(1,), (2,)]


def test_hidden_attributes_in_restrictions(audit):
    H = audit.Hidden()
    assert (H & {"_job_start_time": 5}) is H  # hidden keys of a dict are ignored
    assert keys(H & "_job_start_time IS NULL") == [(1,), (2,)]
    assert keys(H - "_job_start_time IS NULL") == []
    assert keys(H & dj.Top(1, "_job_start_time")) in ([(1,)], [(2,)])
    assert [r["hid"] for r in H.to_dicts(order_by=["_job_start_time", "hid DESC"])] == [2, 1]
    with pytest.raises(dj.DataJointError, match="not found"):
        H.proj("_job_start_time")
    with pytest.raises(dj.DataJointError, match="not found"):
        H.fetch1("_job_start_time")
    with pytest.raises(dj.DataJointError, match="not found"):
        H.to_arrays("_job_start_time")
    assert "_job_start_time" not in H.heading.names
    assert H.to_dicts()[0] == {"hid": 1, "v": 10}
    cross = H * audit.Hidden2  # hidden namesakes never match: a Cartesian product
    assert keys(cross, "hid", "hid2") == [(1, 1), (2, 1)]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("DATE_FORMAT(stamp, '%H:%i') = '08:30'", [(2,)]),
        ("DATE_FORMAT(day, '%Y-%m') = '2024-03'", [(3,)]),
        ("IF(flag, 'yes', 'no') = 'no'", [(2,)]),
        ("IF(n IS NULL, -1, n) < 0", [(2,)]),
        ("CONCAT('T', tid) = 'T3'", [(3,)]),
        ("CONCAT(tid, '-', n) = '1-7'", [(1,)]),
        ("IFNULL(n, 0) = 0", [(2,)]),
        ("COALESCE(n, 100) > 8", [(2,), (3,)]),
        ("n % 2 = 1", [(1,), (3,)]),
        ("MOD(tid, 2) = 0", [(2,)]),
        ("tid <> 2 AND tid != 3", [(1,)]),
        ("tid NOT IN (1, 2)", [(3,)]),
        ("n IS NOT NULL AND NOT flag = 0", [(1,), (3,)]),
        ("day BETWEEN '2024-01-15' AND '2024-02-15'", [(2,)]),
        ("day - interval 30 day < '2024-01-15'", [(1,), (2,)]),
        ("date_sub(day, interval 1 month) = '2024-01-01'", [(2,)]),
        ("stamp + interval 12 hour > '2024-02-01 20:00:00'", [(2,), (3,)]),
        ("TIMESTAMPDIFF(MONTH, day, '2024-03-15') = 1", [(2,)]),
        ("TIMESTAMPDIFF(YEAR, day, '2026-01-01') = 1", [(2,), (3,)]),
        ("ROUND(amount * 2) = 3", [(1,), (3,)]),
        ("ABS(amount - 2) < 0.3", [(2,)]),
        ("amount * 2 = 3", [(1,), (3,)]),
        ("LOWER(CONCAT('A', 'B')) LIKE 'a_'", [(1,), (2,), (3,)]),
        ("YEAR(stamp) = 2024 AND MONTH(stamp) = 2", [(2,)]),
        ("flag", [(1,), (3,)]),
        ("flag = 1", [(1,), (3,)]),
        ("NOT flag", [(2,)]),
        ("HOUR(stamp) = 8 AND MINUTE(stamp) = 30 AND SECOND(stamp) = 0", [(2,)]),
        ("DAYOFWEEK(day) = 5", [(2,)]),  # 2024-02-01 is a Thursday
        ("WEEKDAY(day) = 3", [(2,)]),
        ("QUARTER(day) = 1", [(1,), (2,), (3,)]),
        ("EXTRACT(MONTH FROM day) = 2", [(2,)]),
        ("DATEDIFF(day, '2024-01-01') = 31", [(2,)]),
        ("DATE(stamp) = '2024-02-01'", [(2,)]),
        ("DATE_ADD(day, INTERVAL 1 DAY) = '2024-02-02'", [(2,)]),
        ("FLOOR(amount) = 2 AND CEIL(amount) = 3", [(2,)]),
        ("GREATEST(tid, 2) = 2 AND LEAST(tid, 2) = 2", [(2,)]),
        ("CAST(tid AS CHAR) = '2'", [(2,)]),
        ("CAST(amount AS SIGNED) = 2", [(1,), (2,), (3,)]),
        ("tid DIV 2 = 1", [(2,), (3,)]),
        ("flag IS TRUE", [(1,), (3,)]),
        ("ISNULL(n)", [(2,)]),
        ("n <=> NULL", [(2,)]),
        ("LOCATE('b', CONCAT('ab', tid)) = 2 AND tid = 1", [(1,)]),
        ("SUBSTRING(CONCAT('x', tid), 2) = '3'", [(3,)]),
        ("DATE_FORMAT(day, '%b %e') = 'Feb 1'", [(2,)]),
        ("DATE_FORMAT(day, '%W, %M %Y') = 'Thursday, February 2024'", [(2,)]),
        ("DATE_FORMAT(stamp, '%h:%i %p') = '12:00 PM'", [(1,)]),
        ("DATE_FORMAT(stamp, '%c/%e/%y') = '3/1/24'", [(3,)]),
        ("MONTHNAME(day) = 'March'", [(3,)]),
        ("LAST_DAY(day) = '2024-02-29'", [(2,)]),
        ("TRUNCATE(amount, 1) = 2.2", [(2,)]),
        ("REPLACE(CONCAT('a', tid), 'a', 'b') = 'b2'", [(2,)]),
        ("LPAD(tid, 3, '0') = '002'", [(2,)]),
        ("RPAD(CONCAT('x', tid), 4, 'ab') = 'x3ab'", [(3,)]),
        ("LPAD('abcdef', 3, '0') = 'abc' AND tid = 1", [(1,)]),
        ("CONCAT_WS('-', tid, n) IN ('1-7', '2')", [(1,), (2,)]),
        # nested translations: inner functions are adapted too
        ("YEAR(day - interval 1 day) = 2023", [(1,)]),
        ("HOUR(stamp - interval 9 hour) = 23", [(2,)]),
        ("CAST(YEAR(day) AS SIGNED) + MONTH(day) = 2027", [(3,)]),
        ("TIMESTAMPDIFF(DAY, day, day + interval 2 day) = 2", [(1,), (2,), (3,)]),
    ],
)
def test_mysql_functions_agree_across_backends(audit, condition, expected):
    assert keys(audit.Typed & condition) == expected


def test_string_functions_on_text(audit):
    L = audit.Language
    assert keys(L & "name LIKE 'D%'") == [("Dimitri", "English"), ("Dimitri", "Ukrainian")]
    assert keys(L & "language LIKE '%an'") == [("Dimitri", "Ukrainian"), ("Fabian", "German")]
    assert keys(L & "name LIKE '_dgar' AND language = 'English'") == [("Edgar", "English")]
    assert keys(L & "UPPER(language) = 'GERMAN'") == [("Fabian", "German")]
    assert keys(L & "LEFT(name, 2) = 'Fa' AND LENGTH(language) = 6") == [("Fabian", "German")]
    assert keys(L & "CONCAT(name, '/', language) = 'Edgar/Japanese'") == [("Edgar", "Japanese")]
    assert keys(L & 'language = "Ukrainian"') == [("Dimitri", "Ukrainian")]


def test_back_quoted_words_are_column_references(lab, count_queries):
    with count_queries(lab.connection) as counter:
        with pytest.raises(dj.DataJointError, match="not found"):
            lab.Session & "`nope` = 1"
        with pytest.raises(dj.DataJointError, match="not found"):
            lab.Session & dj.Not("sessionidx = 1")
        with pytest.raises(dj.DataJointError, match="not found"):
            lab.Session & ["subject_id = 1", "bogus = 2"]
    assert counter.count == 0
    assert keys(lab.Session & "exists (select 1) and session_idx = 2") == [(1, 2)]
    assert keys(lab.Session & "case when rig is null then true else false end") == [(2, 1)]


def test_anti_restriction_with_nulls_on_the_left(lab):
    S, R = lab.Session, lab.Rig
    assert keys(S & R) == [(1, 1), (1, 2)]
    assert keys(S - R) == [(2, 1)]  # the NULL rig matches no rig
    assert len(S & R) + len(S - R) == len(S())


def test_anti_restriction_by_composite_operands(lab):
    S, T = lab.Session, lab.Trial
    assert keys(S - (T & "rt > 0.6")) == [(1, 2), (2, 1)]
    assert keys(S - (S & dj.Top(1)).proj()) == [(1, 2), (2, 1)]
    agg = S.aggr(T, n="count(trial_idx)")
    assert keys(S - (agg & "n > 1")) == [(1, 2), (2, 1)]
    assert keys(lab.Subject - (S & {"rig": "B"})) == [(2,), (3,)]
    assert keys(S.restrict(dj.Not(T))) == [(2, 1)]
    assert keys(S - lab.Subject) == []
    assert keys(S - (lab.Subject & "subject_id = 2")) == [(1, 1), (1, 2)]


def test_restricting_aggregations_by_key_and_values(lab):
    agg = lab.Session.aggr(lab.Trial, n="count(trial_idx)")
    assert keys(agg & {"subject_id": 1}, "session_idx", "n") == [(1, 2), (2, 1)]
    assert keys(agg - {"n": 0}, "session_idx", "n") == [(1, 2), (2, 1)]
    assert keys(agg & ["n = 0", "n = 2"], "session_idx", "n") == [(1, 2), (1, 0)]
    assert keys(agg & "n >= 1" & "session_idx = 2") == [(1, 2)]


def test_json_path_values_by_python_type(audit):
    D = audit.Doc
    assert keys(D & {"body.ok": True}) == [(1,)]
    assert keys(D & {"body.ok": False}) == [(2,)]
    assert keys(D & {"body.n": 2.5}) == [(2,)]
    assert keys(D & {"body.n": 10}) == [(3,)]
    assert keys(D & {"body.n:float64": 10}) == [(3,)]
    assert keys(D & {"body.meta.k": 2}) == [(2,)]
    assert keys(D & {"body.tags[0]": "b"}) == [(2,)]
    assert keys(D & {"body.missing": None}) == [(1,), (2,), (3,), (4,)]
    assert keys(D & {"body": None}) == [(4,)]
    assert keys(D - {"body.n": None}) == [(2,), (3,)]


def test_json_path_document_equality(audit):
    D = audit.Doc
    assert keys(D & {"body.tags": ["a", "b"]}) == [(1,)]
    assert keys(D & {"body.tags": []}) == [(3,)]
    assert keys(D & {"body.meta": {"k": 2}}) == [(2,)]
    assert keys(D & {"body.meta": {}}) == [(3,)]
    assert keys(D - {"body.tags": ["b"]}) == [(1,), (3,)]
    assert keys(D & [{"body.tags": ["b"]}, {"body.meta": {"k": 1, "j": 2}}]) == [(1,), (2,)]


def test_missing_values_in_dicts_mean_null(lab):
    S, T = lab.Session, lab.Trial
    assert keys(S & {"rig": float("nan")}) == [(2, 1)]
    assert keys(S & {"rig": pd.NA}) == [(2, 1)]
    assert keys(T & {"rt": np.float32("nan")}) == []
    assert keys(S & S.to_pandas()) == [(1, 1), (1, 2), (2, 1)]  # a fetched frame round-trips
    assert keys(S & S.to_pandas().reset_index().to_dict("records")) == [(1, 1), (1, 2), (2, 1)]


def test_regexp(audit):
    assert keys(audit.Typed & "tid REGEXP '^[23]$'") == [(2,), (3,)]
    assert keys(audit.Language & "language NOT REGEXP 'sh$'") == [
        ("Dimitri", "Ukrainian"),
        ("Edgar", "Japanese"),
        ("Fabian", "German"),
    ]


def test_statement_keywords_at_the_start_are_functions(lab, count_queries):
    with count_queries(lab.connection) as counter, pytest.raises(dj.DataJointError, match="nope"):
        lab.Session & "REPLACE(nope, 'a', 'b') = 'c'"
    assert counter.count == 0
    assert keys(lab.Session & "REPLACE(rig, 'A', 'Z') = 'Z'") == [(1, 1)]
