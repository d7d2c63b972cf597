"""Database-free checks of the dialect helpers added by the spec-03 audit."""

from __future__ import annotations

from sqlglot import exp

from datajoint.backends import fragments, get_backend
from datajoint.query import sqlfrag


def render(text: str, names, backend: str) -> str:
    parsed, _ = sqlfrag.parse(text, frozenset(names))
    dialect = {"postgresql": "postgres"}.get(backend, backend)
    return fragments.adapt(backend, parsed.copy()).sql(dialect)


def test_sqlite_interval_arithmetic_keeps_dates_and_datetimes():
    sql = render("d - interval 30 day", ["d"], "sqlite")
    assert sql == (
        'CASE WHEN LENGTH("d") = 10 THEN DATE("d", \'-30 days\') '
        "ELSE DATETIME(\"d\", '-30 days') END"
    )
    assert "'+14 days'" in render("date_add(d, interval 2 week)", ["d"], "sqlite")
    assert "'+1 months'" in render("interval 1 month + d", ["d"], "sqlite")
    assert "'-12 hours'" in render("date_sub(d, interval 12 hour)", ["d"], "sqlite")
    # a non-literal amount is left alone (and fails on SQLite like any unknown syntax)
    assert "INTERVAL" in render("d - interval n day", ["d", "n"], "sqlite").upper()


def test_sqlite_timestampdiff_months_and_years():
    months = render("TIMESTAMPDIFF(MONTH, a, b)", ["a", "b"], "sqlite")
    assert months.startswith('(CASE WHEN "b" >= "a" THEN')
    years = render("TIMESTAMPDIFF(YEAR, a, b)", ["a", "b"], "sqlite")
    assert years.startswith("CAST((") and years.endswith("/ 12) AS INTEGER)")


def test_sqlite_left_and_right():
    assert render("LEFT(a, 2)", ["a"], "sqlite") == 'SUBSTR("a", 1, 2)'
    assert render("RIGHT(a, 3)", ["a"], "sqlite") == 'SUBSTR("a", -3, 3)'


def test_json_document_equality_per_backend():
    value = exp.Placeholder(this="p")
    mysql = get_backend("mysql")
    mysql.is_mariadb = False
    sql = fragments.json_document_equals(mysql, "doc", "a.b", value).sql("mysql")
    assert sql == "json_extract(`doc`, '$.a.b') = CAST(:p AS JSON)"
    mysql.is_mariadb = True
    sql = fragments.json_document_equals(mysql, "doc", "a.b", value).sql("mysql")
    assert sql == "JSON_EQUALS(json_extract(`doc`, '$.a.b'), :p) = 1"
    pg = get_backend("postgresql")
    sql = fragments.json_document_equals(pg, "doc", "a[0]", value).sql("postgres")
    assert sql == "jsonb_extract_path(\"doc\", 'a', '0') = CAST(%(p)s AS JSONB)"
    lite = get_backend("sqlite")
    sql = fragments.json_document_equals(lite, "doc", "a", value).sql("sqlite")
    assert sql == "json_extract(\"doc\", '$.a') = JSON(:p)"


def test_json_boolean_equality_per_backend():
    lite = get_backend("sqlite")
    assert fragments.json_bool_equals(lite, "doc", "ok", True).sql("sqlite") == (
        "json_type(\"doc\", '$.ok') = 'true'"
    )
    mysql = get_backend("mysql")
    mysql.is_mariadb = True
    assert fragments.json_bool_equals(mysql, "doc", "ok", False).sql("mysql") == (
        "json_extract(`doc`, '$.ok') = 'false'"
    )
    mysql.is_mariadb = False
    assert fragments.json_bool_equals(mysql, "doc", "ok", False) is None
    assert fragments.json_bool_equals(get_backend("postgresql"), "doc", "ok", True) is None


def test_postgres_group_concat_keeps_order_and_distinct():
    ordered = render("GROUP_CONCAT(x ORDER BY x DESC SEPARATOR '|')", ["x"], "postgresql")
    assert ordered == 'STRING_AGG(CAST("x" AS TEXT), \'|\' ORDER BY "x" DESC NULLS LAST)'
    distinct = render("GROUP_CONCAT(DISTINCT x)", ["x"], "postgresql")
    assert distinct == "STRING_AGG(DISTINCT CAST(\"x\" AS TEXT), ',')"
    both = render("GROUP_CONCAT(DISTINCT x ORDER BY x)", ["x"], "postgresql")
    assert both.startswith('CASE WHEN COUNT("x") = 0 THEN NULL ELSE ARRAY_TO_STRING(ARRAY_AGG(')


def test_postgres_sum_of_boolean_column():
    parsed, _ = sqlfrag.parse("SUM(flag) + AVG(flag)", frozenset({"flag"}))
    sql = fragments.adapt("postgresql", parsed.copy(), frozenset({"flag"})).sql("postgres")
    assert sql == 'SUM(CAST("flag" AS INT)) + AVG(CAST("flag" AS INT))'


def test_enum_order_only_on_sqlite():
    column = exp.column("sex", quoted=True)
    case = fragments.enum_order(get_backend("sqlite"), column, ("M", "F"))
    assert case.sql("sqlite") == "CASE \"sex\" WHEN 'M' THEN 0 WHEN 'F' THEN 1 END"
    assert fragments.enum_order(get_backend("postgresql"), column, ("M", "F")) is None


def test_min_max_of_an_attribute_keep_its_type():
    from datajoint.heading import Attribute, Heading
    from datajoint.query.nodes import COMPUTED_TYPE, computed_attribute
    from datajoint.types import parse_type

    date = parse_type("date")
    source = Heading(
        all_attributes=(
            Attribute("d", date),
            Attribute("j", parse_type("json")),
        )
    )
    for text in ("max(d)", " MIN( `d` ) "):
        attr = computed_attribute("m", text, source)
        assert attr.type == date and attr.nullable and attr.lineage is None
    for text in ("max(d) + 1", "count(d)", "max(j)", "max(zz)"):
        assert computed_attribute("m", text, source).type == COMPUTED_TYPE
    assert computed_attribute("m", "max(d)").type == COMPUTED_TYPE


def test_nested_functions_are_adapted_inside_out():
    sql = render("CAST(YEAR(d) AS SIGNED)", ["d"], "sqlite")
    assert sql == "CAST(ROUND(CAST(STRFTIME('%Y', \"d\") AS INTEGER)) AS INTEGER)"
    sql = render("TIMESTAMPDIFF(YEAR, now(), d)", ["d"], "postgresql")
    assert "CURRENT_TIMESTAMP" in sql and "NOW" not in sql
    assert "DATE(\"d\", '-1 days')" in render("HOUR(d - interval 1 day)", ["d"], "sqlite")


def test_date_parts_and_regexp():
    assert render("HOUR(d)", ["d"], "postgresql") == 'CAST(EXTRACT(HOUR FROM "d") AS INT)'
    assert render("DAYOFWEEK(d)", ["d"], "sqlite") == (
        "(CAST(STRFTIME('%w', DATE(\"d\")) AS INTEGER) + 1)"
    )
    assert render("WEEKDAY(d)", ["d"], "postgresql") == (
        '(CAST(EXTRACT(ISODOW FROM "d") AS INT) - 1)'
    )
    assert render("x REGEXP '^a'", ["x"], "mysql") == "(`x` REGEXP '^a')"
    assert render("x REGEXP '^a'", ["x"], "postgresql") == "CAST(\"x\" AS TEXT) ~ '^a'"


def test_sqlite_date_format_names_and_clock():
    sql = render("DATE_FORMAT(d, '%b %e')", ["d"], "sqlite")
    assert (
        "WHEN 2 THEN 'Feb'" in sql and "CAST(CAST(STRFTIME('%d', \"d\") AS INTEGER) AS TEXT)" in sql
    )
    assert render("DATE_FORMAT(d, '%Y-%m')", ["d"], "sqlite") == "STRFTIME('%Y-%m', \"d\")"
    assert "PRINTF('%02d'" in render("DATE_FORMAT(d, '%h %p')", ["d"], "sqlite")
    assert "WHEN 0 THEN 'Sunday'" in render("DATE_FORMAT(d, '%W')", ["d"], "sqlite")
    assert render("LAST_DAY(d)", ["d"], "sqlite") == (
        "DATE(\"d\", 'start of month', '+1 month', '-1 day')"
    )
    assert render("TRUNCATE(d, 1)", ["d"], "sqlite").startswith('(CAST(CAST("d" * 10 AS INTEGER)')


def test_postgres_meridiem():
    assert render("DATE_FORMAT(d, '%h:%i %p')", ["d"], "postgresql").endswith("'HH12:MI AM')")


def test_fragments_starting_with_statement_keywords_parse_as_functions():
    tree, used = sqlfrag.parse("REPLACE(a, 'x', 'y') = 'z'", frozenset({"a"}))
    assert tree is not None and used == {"a"}


def test_padding_and_concat_ws():
    assert render("LPAD(d, 3, '0')", ["d"], "postgresql") == "LPAD(CAST(\"d\" AS TEXT), 3, '0')"
    lpad = render("LPAD(d, 3, '0')", ["d"], "sqlite")
    assert lpad.startswith('CASE WHEN LENGTH("d") >= 3 THEN SUBSTRING("d", 1, 3)')
    ws = render("CONCAT_WS('-', d, 'x')", ["d"], "sqlite")
    assert (
        ws == "SUBSTRING(COALESCE('-' || \"d\", '') || COALESCE('-' || 'x', ''), LENGTH('-') + 1)"
    )
