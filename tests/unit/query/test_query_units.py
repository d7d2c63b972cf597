"""Database-free parts of the query layer: fragments, condition binding, heading rules."""

from __future__ import annotations

import pytest
import sqlglot

import datajoint as dj
from datajoint.backends import fragments
from datajoint.errors import UnknownAttributeError
from datajoint.heading import Attribute, Heading
from datajoint.query import sqlfrag
from datajoint.query.conditions import FALSE, TRUE, Always, Context, Equals, Sql, bind
from datajoint.query.nodes import join_heading, json_path, parse_order, union_heading
from datajoint.types import parse_type

INT = parse_type("int32")


def heading(*names: str, key: int = 1, lineage: str | None = "lab.t") -> Heading:
    attrs = [
        Attribute(name=n, type=INT, in_key=i < key, lineage=f"{lineage}.{n}" if i < key else None)
        for i, n in enumerate(names)
    ]
    return Heading(all_attributes=tuple(attrs))


def context(h: Heading) -> Context:
    return Context(h, frozenset(h.names), None, True, lambda x: False, lambda x: False)


def render(text: str, names, dialect: str, booleans=frozenset()) -> str:
    parsed, _ = sqlfrag.parse(text, frozenset(names))
    return fragments.adapt(dialect, parsed.copy(), frozenset(booleans)).sql(
        {"postgresql": "postgres"}.get(dialect, dialect)
    )


def test_fragment_names_are_checked_and_quoted():
    tree, used = sqlfrag.parse("a > 1 AND b LIKE 'x%'", frozenset({"a", "b", "c"}))
    assert used == {"a", "b"}
    assert tree.sql("postgres") == '"a" > 1 AND "b" LIKE \'x%\''
    with pytest.raises(UnknownAttributeError, match="`d`"):
        sqlfrag.parse("d = 1", frozenset({"a"}))
    # keywords and quoted text are not attribute references
    assert sqlfrag.references("true AND a = 'd'", ["a"]) == {"a"}
    assert sqlfrag.references("CASE WHEN a THEN 1 END = 1", ["a"]) == {"a"}


def test_double_quotes_identifier_or_string():
    assert render('"a" = "x"', ["a"], "postgresql") == "\"a\" = 'x'"
    assert render("`a` = 'x'", ["a"], "mysql") == "`a` = 'x'"


def test_unparsable_fragment_passes_through():
    tree = sqlfrag.tree("a >>> 1 ???", ["a"], _Backend())
    assert "a >>> 1 ???" in tree.sql()


class _Backend:
    name = "mysql"

    def adapt_fragment(self, tree, booleans=frozenset()):
        return tree


def test_function_translation():
    pg = render("YEAR(d) = 2024 AND MONTH(d) = 1", ["d"], "postgresql")
    assert "CAST(EXTRACT(YEAR FROM" in pg and "AS INT)" in pg
    assert "STRFTIME('%Y', \"d\")" in render("YEAR(d) = 2024", ["d"], "sqlite")
    agg = render("GROUP_CONCAT(x SEPARATOR ';')", ["x"], "postgresql")
    assert agg == "STRING_AGG(CAST(\"x\" AS TEXT), ';')"
    assert render("SUM(x = 'F')", ["x"], "postgresql") == "SUM(CAST((\"x\" = 'F') AS INT))"
    assert render("flag = 1", ["flag"], "postgresql", {"flag"}) == '"flag" = TRUE'
    assert render("now()", [], "postgresql") == "CURRENT_TIMESTAMP"
    assert render("curdate()", [], "postgresql") == "CURRENT_DATE"
    diff = render("TIMESTAMPDIFF(YEAR, a, b)", ["a", "b"], "postgresql")
    assert (
        diff
        == 'CAST(EXTRACT(YEAR FROM AGE(CAST("b" AS TIMESTAMP), CAST("a" AS TIMESTAMP))) AS INT)'
    )


def test_bind_simplifications():
    h = heading("a", "b")
    ctx = context(h)
    assert bind(True, ctx) == TRUE
    assert bind([], ctx) == FALSE
    assert bind([], ctx, negate=True) == TRUE
    assert bind(dj.AndList([]), ctx) == TRUE
    assert bind({}, ctx) == TRUE
    assert bind({}, ctx, negate=True) == FALSE
    assert bind({"zzz": 1}, ctx) == TRUE
    assert bind([[]], ctx) == FALSE
    assert bind([False, {"a": 1}], ctx) == Equals(((h["a"], 1),))
    assert bind([True, {"a": 1}], ctx) == TRUE
    assert bind(dj.AndList([True, {"a": 1}]), ctx) == Equals(((h["a"], 1),))
    assert bind(dj.AndList([False, {"a": 1}]), ctx) == FALSE
    assert bind(dj.Not(dj.Not("a = 1")), ctx) == bind("a = 1", ctx)
    negated = bind(dj.Not("a = 1"), ctx)
    assert isinstance(negated, Sql) and negated.negated
    assert isinstance(bind(dj.Not(False), ctx), Always)
    for bad in (None, 1, 1.5, object(), dj.Top(), [dj.Top()]):
        with pytest.raises(dj.DataJointError, match="Invalid restriction type"):
            bind(bad, ctx)


def test_join_headings():
    a = heading("x", "y", key=2)
    b = heading("x", key=1)
    assert join_heading(a, b).primary_key == ["x", "y"]
    b2 = Heading(
        all_attributes=(
            Attribute("x", INT, in_key=True, lineage="lab.t.x"),
            Attribute("z", INT, in_key=True, lineage="lab.t.z"),
            Attribute("y", INT, lineage="lab.t.y"),
        )
    )
    j = join_heading(a, b2)
    assert j.primary_key == ["x", "z"] and j.names == ["x", "z", "y"]
    b4 = Heading(
        all_attributes=(
            Attribute("z", INT, in_key=True, lineage="lab.t.z"),
            Attribute("x", INT, lineage="lab.t.x"),
        )
    )
    assert join_heading(a, b4).primary_key == ["x", "y", "z"]
    with pytest.raises(dj.DataJointError, match="left operand to determine"):
        join_heading(b, a, left=True)
    left = join_heading(a, heading("x", "w"), left=True)
    assert left["w"].nullable


def test_union_headings():
    a, b = heading("x", "s"), heading("x", "t")
    u = union_heading(a, b)
    assert u.names == ["x", "s", "t"] and u.primary_key == ["x"]
    with pytest.raises(dj.DataJointError, match="same primary key"):
        union_heading(a, heading("y", "t"))
    with pytest.raises(dj.DataJointError, match="secondary"):
        union_heading(a, heading("x", "s"))


def test_order_parsing():
    h = heading("a", "b", "c", key=2)
    assert parse_order("KEY DESC", h) == [("a", True), ("b", True)]
    assert parse_order(["c", "a desc"], h) == [("c", False), ("a", True)]
    with pytest.raises(UnknownAttributeError):
        parse_order("nope", h)
    with pytest.raises(TypeError):
        parse_order([1], h)


def test_json_path_keys():
    h = Heading(all_attributes=(Attribute("car", parse_type("json")),))
    p = json_path("car.lights[0].side:char(8)", h)
    assert (p.attribute, p.path, p.cast) == ("car", "lights[0].side", "varchar(8)")
    assert json_path("car.length:unsigned", h).cast == "uint64"
    assert json_path("other.x", h) is None


def test_fragment_parse_is_cached():
    sqlfrag.parse("a = 1", frozenset({"a"}))
    before = sqlfrag.parse.cache_info().hits
    sqlfrag.parse("a = 1", frozenset({"a"}))
    assert sqlfrag.parse.cache_info().hits == before + 1
    assert sqlglot  # sqlglot is the parser
