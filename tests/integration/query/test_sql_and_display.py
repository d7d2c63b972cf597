"""SQL shapes per backend (spec 03 §13), determinism, repr and HTML previews."""

from __future__ import annotations

import datetime
import re

import datajoint as dj


def normalized(lab, sql: str) -> str:
    """SQL with table names as ``{Table}`` and identifier quotes as backticks."""
    for cls in (lab.Subject, lab.Session, lab.Trial, lab.Rig):
        sql = sql.replace(cls.full_table_name, "{" + cls.__name__ + "}")
    return sql.replace('"', "`")


def test_sql_snapshots(lab):
    S, T, R = lab.Session, lab.Trial, lab.Rig
    cols = "`subject_id`, `session_idx`, `session_date`, `rig`"
    assert normalized(lab, (S * T).make_sql()) == (
        "SELECT `subject_id`, `session_idx`, `trial_idx`, `rt`, `correct`, `session_date`, "
        "`rig` FROM {Session} INNER JOIN {Trial} USING (`subject_id`, `session_idx`)"
    )
    assert normalized(lab, (lab.Subject * R).make_sql()) == (
        "SELECT `subject_id`, `rig`, `species`, `sex`, `room` FROM {Subject} CROSS JOIN {Rig}"
    )
    assert normalized(lab, (S & T).make_sql()) == (
        f"SELECT {cols} FROM {{Session}} WHERE (`subject_id`, `session_idx`) IN "
        "(SELECT `subject_id`, `session_idx` FROM {Trial})"
    )
    anti = normalized(lab, (S - T).make_sql())
    assert anti.startswith(f"SELECT {cols} FROM {{Session}} WHERE NOT EXISTS(SELECT 1 FROM")
    assert normalized(lab, (S & {"rig": None}).make_sql()) == (
        f"SELECT {cols} FROM {{Session}} WHERE `rig` IS NULL"
    )
    extended = normalized(lab, S.extend(R & "room > 101").make_sql())
    assert "LEFT JOIN (SELECT `rig`, `room` FROM {Rig} WHERE (`room` > 101))" in extended
    grouped = normalized(lab, S.aggr(T, n="count(trial_idx)").make_sql())
    assert grouped.startswith("SELECT `subject_id`, `session_idx`, (COUNT(`trial_idx`)) AS `n`")
    assert grouped.endswith(
        "USING (`subject_id`, `session_idx`) GROUP BY `subject_id`, `session_idx`"
    )
    top = normalized(lab, (S & dj.Top(2, "session_date DESC")).make_sql())
    assert re.fullmatch(
        rf"SELECT {cols} FROM \{{Session\}} ORDER BY `session_date` DESC( NULLS LAST)?, "
        r"`subject_id`( ASC)?( NULLS FIRST)?, `session_idx`( ASC)?( NULLS FIRST)? LIMIT 2",
        top,
    )
    assert normalized(lab, (dj.U("species") & lab.Subject).make_sql()) == (
        "SELECT DISTINCT `species` FROM {Subject}"
    )


def test_sql_is_deterministic_and_equivalent_forms_agree(lab):
    S = lab.Session
    q = (S & "session_idx = 1") * lab.Trial
    assert q.make_sql() == q.make_sql()
    assert ((S & "session_idx = 1") * lab.Trial).make_sql() == q.make_sql()
    assert (S & dj.U("rig")).make_sql() == S().make_sql()
    free = dj.FreeTable(lab.connection, S.full_table_name)
    assert (free & "session_idx > 1").make_sql() == (S() & "session_idx > 1").make_sql()


def test_sql_is_stable_per_expression(lab):
    q = lab.Session & lab.Trial
    first = q.make_sql()
    assert q.make_sql() == first == (lab.Session & lab.Trial).make_sql()


def test_repr_preview(lab):
    text = repr(lab.Session & {"subject_id": 1})
    lines = text.splitlines()
    assert lines[0].split() == ["*subject_id", "*session_idx", "session_date", "rig"]
    assert lines[1].startswith("+") and set(lines[1]) <= {"+", "-", " "}
    assert lines[2].split() == ["1", "1", "2024-01-01", "A"]
    assert lines[-1] == " (Total: 2)"
    limited = lab.Session().preview(limit=1)
    assert "   ..." in limited.splitlines()
    with dj.config.override(display__show_tuple_count=False):
        assert "Total" not in repr(lab.Session())


def test_repr_html(lab):
    html = lab.Trial()._repr_html_()
    assert html.startswith("<style>")
    assert "<table" in html and "trial_idx" in html and "Total: 3" in html


def test_removed_operators_and_negation(lab):
    neg = -lab.Trial()
    assert isinstance(neg, dj.Not)
    assert len(lab.Session & neg) == 1


def test_aggregation_restriction_uses_having_or_wraps(lab, backend_name):
    agg = lab.Session.aggr(lab.Trial, n="count(trial_idx)")
    restricted = agg & "n > 1" & {"n": 2}
    sql = normalized(lab, restricted.make_sql())
    if backend_name == "postgresql":  # no select aliases in HAVING: wrap
        assert "HAVING" not in sql and sql.endswith("WHERE (`n` > 1) AND `n` = 2")
    else:
        assert sql.endswith("GROUP BY `subject_id`, `session_idx` HAVING (`n` > 1) AND `n` = 2")
    assert restricted.fetch1("session_idx") == 1
    assert restricted.fetch1("KEY") == {"subject_id": 1, "session_idx": 1}
    assert len(restricted) == 1 and bool(restricted)
    assert restricted.proj(m="n + 1").fetch1("m") == 3
    assert len(agg & lab.Trial) == 2  # a restriction by an expression wraps
    assert len(dj.U().aggr(lab.Session, n="count(*)") & "n = 3") == 1


def test_make_sql_renders_values_inline(lab):
    sql = (lab.Session & {"session_date": datetime.date(2024, 1, 2), "rig": "B"}).make_sql()
    assert "'2024-01-02'" in sql and "'B'" in sql
    assert "'50%'" in (lab.Subject & {"species": "50%"}).make_sql()
