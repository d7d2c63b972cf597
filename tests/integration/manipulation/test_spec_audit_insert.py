"""Spec 04 §2 audit: insert forms and options not covered elsewhere, statement counts per batch,
direct inserts into auto-populated tables (inside and outside ``make()``), ``validate``.

Tables are declared once per backend (module scope) and emptied before each test.
"""

from __future__ import annotations

import types
import uuid
import warnings

import numpy as np
import pandas as pd
import pytest

import datajoint as dj
from support.backends import new_schema_name, open_connection
from support.pipelines import ITEM_DEFINITION

E = dj.errors


@pytest.fixture(scope="module")
def declared(backend_name, tmp_path_factory):
    connection = open_connection(backend_name, tmp_path_factory)
    schema = dj.Schema(new_schema_name("djains"), connection=connection)

    @schema
    class Item(dj.Manual):
        definition = ITEM_DEFINITION

    @schema
    class Uniq(dj.Manual):
        definition = """
        id : int32
        ---
        code : int32
        unique index (code)
        """

    @schema
    class Key(dj.Manual):
        definition = """
        k : int32
        """

    @schema
    class Rich(dj.Manual):
        definition = """
        rid : int32
        ---
        ident = null : uuid
        doc = null : json
        n = 3 : int32
        """

    @schema
    class Source(dj.Lookup):
        definition = "source_id : int32"

    @schema
    class Derived(dj.Computed):
        definition = """
        -> Source
        ---
        twice : int32
        """

        class Piece(dj.Part):
            definition = """
            -> master
            piece : int16
            """

        def make(self, key):
            self.insert1({**key, "twice": 2 * key["source_id"]})
            self.Piece.insert1({**key, "piece": 1})

    @schema
    class Loaded(dj.Imported):
        definition = """
        -> Source
        """

        def make(self, key):
            self.insert1(key)

    ns = types.SimpleNamespace(
        connection=connection,
        Item=Item,
        Uniq=Uniq,
        Key=Key,
        Rich=Rich,
        Source=Source,
        Derived=Derived,
        Loaded=Loaded,
    )
    yield ns
    if connection.in_transaction:
        connection.cancel_transaction()
    schema.drop(prompt=False)
    connection.close()


@pytest.fixture
def t(declared):
    for table in (
        declared.Derived.Piece,
        declared.Derived,
        declared.Loaded,
        declared.Source,
        declared.Item,
        declared.Uniq,
        declared.Key,
        declared.Rich,
    ):
        table.delete_quick()
    for table in (declared.Item, declared.Uniq, declared.Key, declared.Rich):
        _ = table().heading  # headings cached: the statement counts below see only the inserts
    return declared


def statements(connection, action):
    before = connection.statement_count
    action()
    return connection.statement_count - before


# ---------------------------------------------------------------------------- row forms
def test_unsupported_row_type_names_the_type(t):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # not a positional row: no warning
        with pytest.raises(dj.DataJointError, match="int"):
            t.Item.insert([5])
    with pytest.raises(dj.DataJointError, match="unsupported type"):
        t.Item.insert(["abc"])
    assert len(t.Item()) == 0


def test_positional_length_errors_say_given_and_expected(t):
    with pytest.warns(DeprecationWarning), pytest.raises(dj.DataJointError, match="0 values"):
        t.Item.insert([()])
    with pytest.warns(DeprecationWarning), pytest.raises(dj.DataJointError, match="3 attributes"):
        t.Item.insert1((1, "x"))
    assert len(t.Item()) == 0


def test_mappings_and_records_never_warn(t):
    records = np.array([(1, "a", 0.5)], dtype=[("id", "i4"), ("value", "U4"), ("score", "f8")])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        t.Item.insert1({"id": 2, "value": "b"})
        t.Item.insert(records)
    assert len(t.Item()) == 2


def test_later_rows_are_reordered_to_the_first_rows_fields(t):
    t.Item.insert([{"id": 1, "value": "a", "score": 1.0}, {"score": 2.0, "value": "b", "id": 2}])
    assert t.Item.to_dicts() == [
        {"id": 1, "value": "a", "score": 1.0},
        {"id": 2, "value": "b", "score": 2.0},
    ]


def test_ignore_extra_fields_drops_extra_names_in_every_row(t):
    rows = [{"id": 1, "value": "a"}, {"id": 2, "value": "b", "junk": 1}, {"x": 0, "id": 3,
            "value": "c"}]  # fmt: skip
    t.Item.insert(rows, ignore_extra_fields=True)
    assert [r["id"] for r in t.Item.to_dicts()] == [1, 2, 3]


def test_empty_row_message_lists_required_attributes(t):
    with pytest.raises(dj.DataJointError, match="require values") as info:
        t.Item.insert1({})
    assert "id" in str(info.value) and "value" in str(info.value)


def test_polars_and_arrow_frames(t):
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    t.Item.insert(pl.DataFrame({"id": [1, 2], "value": ["a", "b"]}))
    t.Item.insert(pa.table({"id": [3], "value": ["c"], "score": [0.5]}))
    assert [(r["id"], r["value"]) for r in t.Item.to_dicts()] == [(1, "a"), (2, "b"), (3, "c")]
    assert t.Item.validate(pl.DataFrame({"id": [4], "value": ["d"]}))
    assert not t.Item.validate(pa.table({"value": ["no id"]}))


def test_multiindex_frame_becomes_columns(t):
    frame = pd.DataFrame([{"id": 1, "value": "a", "score": 1.0}]).set_index(["id", "value"])
    t.Item.insert(frame)
    assert t.Item.fetch1() == {"id": 1, "value": "a", "score": 1.0}


def test_csv_path_with_empty_numeric_field(t, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("id,value,score\n1,one,1.5\n2,two,\n")
    t.Item.insert(path)
    assert t.Item.to_dicts() == [
        {"id": 1, "value": "one", "score": 1.5},
        {"id": 2, "value": "two", "score": None},  # empty string in a numeric column → NULL
    ]


def test_insert_from_a_table_class(t):
    t.Item.insert({"id": i, "value": str(i)} for i in (1, 2))
    t.Key.insert(t.Item.proj(k="id"))  # expression instance
    assert [r["k"] for r in t.Key.to_dicts()] == [1, 2]
    t.Key.delete_quick()
    t.Item.delete_quick()
    t.Key.insert([{"k": 7}])
    t.Item.insert(t.Item.proj(value="'x'"), skip_duplicates=True)  # empty source: no rows
    assert len(t.Item()) == 0
    # a query over the target table itself, with both duplicate options
    t.Item.insert({"id": i, "value": "v", "score": 1.0} for i in (1, 2))
    t.Item.insert(t.Item.proj(value="'x'"), skip_duplicates=True)
    assert {r["value"] for r in t.Item.to_dicts()} == {"v"}
    t.Item.insert(t.Item.proj(value="'x'"), replace=True)
    assert t.Item.to_dicts() == [
        {"id": 1, "value": "x", "score": None},
        {"id": 2, "value": "x", "score": None},
    ]


def test_insert_select_is_one_statement(t):
    t.Item.insert({"id": i, "value": str(i)} for i in range(5))
    source = t.Item.proj(k="id")
    n = statements(t.connection, lambda: t.Key.insert(source, ignore_extra_fields=True))
    assert n == 1 and len(t.Key()) == 5


# ---------------------------------------------------------------------------- values
def test_uuid_json_and_nan_values(t):
    u = uuid.uuid4()
    t.Rich.insert([
        {"rid": 1, "ident": u, "doc": {"a": [1, 2]}},
        {"rid": 2, "ident": u.hex, "doc": None},
    ])  # fmt: skip
    rows = t.Rich.to_dicts()
    assert rows[0]["ident"] == u and rows[1]["ident"] == u
    assert rows[0]["doc"] == {"a": [1, 2]} and rows[1]["doc"] is None
    with pytest.raises(dj.DataJointError, match="UUID"):
        t.Rich.insert1({"rid": 3, "ident": "abc"})
    with pytest.raises(TypeError) as info:
        t.Rich.insert1({"rid": 3, "doc": object()})
    assert isinstance(info.value, dj.DataJointError)
    t.Item.insert1({"id": 1, "value": "x", "score": np.float64("nan")})
    assert t.Item.fetch1("score") is None
    assert len(t.Rich()) == 2


# ---------------------------------------------------------------------------- options
def test_skip_duplicates_and_secondary_unique_index(t, backend_name):
    t.Uniq.insert1({"id": 1, "code": 10})
    if backend_name == "mysql":  # ON DUPLICATE KEY UPDATE swallows any unique conflict [2.3]
        t.Uniq.insert1({"id": 2, "code": 10}, skip_duplicates=True)
        assert len(t.Uniq()) == 1
    else:  # ON CONFLICT (pk) DO NOTHING: a secondary unique violation still raises
        with pytest.raises(E.DuplicateError):
            t.Uniq.insert1({"id": 2, "code": 10}, skip_duplicates=True)
    with pytest.raises(E.DuplicateError):
        t.Uniq.insert1({"id": 2, "code": 10})
    assert t.Uniq.to_dicts() == [{"id": 1, "code": 10}]


def test_replace_inserts_new_rows_and_handles_key_only_tables(t):
    t.Item.insert1({"id": 1, "value": "a", "score": 1.0})
    t.Item.insert([{"id": 1, "value": "b"}, {"id": 2, "value": "c"}], replace=True)
    assert t.Item.to_dicts() == [
        {"id": 1, "value": "b", "score": None},
        {"id": 2, "value": "c", "score": None},
    ]
    t.Key.insert1({"k": 1})
    t.Key.insert([{"k": 1}, {"k": 2}], replace=True)  # nothing to update: no error
    assert [r["k"] for r in t.Key.to_dicts()] == [1, 2]


def test_replace_with_a_key_repeated_in_one_batch_keeps_the_last_row(t):
    rows = [{"id": 1, "value": "first"}, {"id": 1, "value": "last"}]
    t.Item.insert(rows, replace=True)
    assert t.Item.fetch1("value") == "last"


def test_bulk_insert_is_one_statement(t):
    rows = [{"id": i, "value": str(i)} for i in range(50)]
    assert statements(t.connection, lambda: t.Item.insert(rows)) == 1
    more = [{"id": i, "value": "x"} for i in range(40, 60)]
    assert statements(t.connection, lambda: t.Item.insert(more, skip_duplicates=True)) == 1
    assert statements(t.connection, lambda: t.Item.insert(more, replace=True)) == 1
    assert len(t.Item()) == 60


def test_chunk_size_sends_one_statement_per_chunk(t):
    rows = ({"id": i, "value": str(i)} for i in range(10))
    assert statements(t.connection, lambda: t.Item.insert(rows, chunk_size=4)) == 3
    rows = [{"id": i, "value": str(i)} for i in range(10, 16)]
    assert statements(t.connection, lambda: t.Item.insert(rows, chunk_size=3)) == 2  # exact
    assert len(t.Item()) == 16


def test_chunk_size_consumes_rows_lazily(t):
    consumed = []

    def rows():
        for i in range(5):
            consumed.append(i)
            yield {"id": i, "value": "x"} if i != 3 else {"id": 0, "value": "dup"}

    with pytest.raises(E.DuplicateError):
        t.Item.insert(rows(), chunk_size=2)
    assert consumed == [0, 1, 2, 3]  # row 4 was never read
    assert len(t.Item()) == 2


def test_chunks_inside_a_transaction_all_roll_back(t):
    rows = [{"id": i, "value": "v"} for i in range(6)] + [{"id": 0, "value": "dup"}]
    with pytest.raises(E.DuplicateError), t.connection.transaction:
        t.Item.insert(rows, chunk_size=2)
    assert len(t.Item()) == 0
    with t.connection.transaction:
        t.Item.insert(rows[:6], chunk_size=4)
    assert len(t.Item()) == 6


@pytest.mark.parametrize("size", [0, -1, 1.5])
def test_bad_chunk_size_is_refused(t, size):
    with pytest.raises(dj.DataJointError, match="chunk_size"):
        t.Item.insert([{"id": 1, "value": "x"}], chunk_size=size)
    assert len(t.Item()) == 0


def test_insert_dataframe_options(t):
    frame = pd.DataFrame([{"id": i, "value": str(i)} for i in range(5)]).set_index("id")
    t.Item.insert_dataframe(frame, chunk_size=2)
    assert len(t.Item()) == 5
    t.Item.insert_dataframe(frame, skip_duplicates=True)
    other = pd.DataFrame([{"id": 9, "value": "x"}], index=pd.Index([100], name="row"))
    t.Item.insert_dataframe(other, index_as_pk=False)  # the index is discarded
    assert (t.Item & {"id": 9}).fetch1("value") == "x"
    t.Item.insert_dataframe(other.rename_axis("junk"), replace=True)  # auto: index dropped
    with pytest.raises(dj.DataJointError, match="do not match"):
        t.Item.insert_dataframe(other, index_as_pk=True)
    assert len(t.Item()) == 6


# ---------------------------------------------------------------------------- direct inserts
def test_direct_insert_refused_before_any_sql(t):
    t.Source.insert1({"source_id": 1})
    for table in (t.Derived, t.Loaded):
        _ = table().heading
        before = t.connection.statement_count
        with pytest.raises(dj.DataJointError, match="allow_direct_insert=True"):
            table.insert([{"source_id": 1, "twice": 2}], allow_direct_insert=False)
        assert t.connection.statement_count == before
    assert len(t.Derived()) == 0 and len(t.Loaded()) == 0


def test_parts_of_auto_populated_masters_are_not_guarded(t):
    t.Source.insert1({"source_id": 1})
    t.Derived.insert1({"source_id": 1, "twice": 2}, allow_direct_insert=True)
    t.Derived.Piece.insert1({"source_id": 1, "piece": 5})
    assert len(t.Derived.Piece()) == 1


def test_manual_and_lookup_ignore_the_flag(t):
    t.Item.insert1({"id": 1, "value": "x"}, allow_direct_insert=False)
    t.Source.insert1({"source_id": 1}, allow_direct_insert=False)
    assert len(t.Item()) == 1 and len(t.Source()) == 1


def test_inserts_inside_make_are_allowed(t):
    t.Source.insert({"source_id": i} for i in (1, 2))
    t.Derived.populate()
    t.Loaded.populate()
    assert sorted(r["twice"] for r in t.Derived.to_dicts()) == [2, 4]
    assert len(t.Derived.Piece()) == 2 and len(t.Loaded()) == 2
    # after populate the guard is back
    t.Source.insert1({"source_id": 3})
    with pytest.raises(dj.DataJointError, match="allow_direct_insert"):
        t.Derived.insert1({"source_id": 3, "twice": 6})


# ---------------------------------------------------------------------------- validate
def test_validate_more_cases(t):
    assert t.Item.validate([5]).errors[0][2].startswith("Invalid row type")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert t.Item.validate([(1, "a", None)])  # positional rows: no warning
    assert t.Item.validate([{"id": 1, "value": "a", "score": float("nan")}])
    none = t.Item.validate([{"id": 1, "value": None}])
    assert [e[1] for e in none.errors] == ["value"]
    bad = t.Rich.validate([{"rid": 1, "ident": "abc"}, {"rid": 2, "doc": object()}])
    assert [(e[0], e[1]) for e in bad.errors] == [(0, "ident"), (1, "doc")]
    junk = t.Item.validate([{"id": 1, "value": "a", "junk": 0}])
    assert junk.errors == [(0, "junk", junk.errors[0][2])] and "junk" in junk.errors[0][2]
    assert "Row 0 in field 'junk'" in junk.summary()
    short = t.Item.validate([(1,)])
    assert short.errors[0][1] is None and "Row 0: Incorrect" in short.summary()
    assert t.Item.validate([]).summary().startswith("Validation passed: 0 rows checked")
    assert len(t.Item()) == 0 and len(t.Rich()) == 0


def test_positional_warning_points_at_the_callers_line(t):
    with pytest.warns(DeprecationWarning, match="Positional inserts") as record:
        t.Item.insert([(1, "a", None)])
    assert record[0].filename == __file__
    with pytest.warns(DeprecationWarning) as record:
        t.Item.insert1((2, "b", None))
    assert record[0].filename == __file__


def test_empty_string_and_nan_mean_default_in_numeric_columns(t):
    t.Rich.insert1({"rid": 1, "n": ""})
    t.Rich.insert1({"rid": 2, "n": float("nan")})
    assert [r["n"] for r in t.Rich.to_dicts()] == [3, 3]
    with pytest.raises(E.MissingAttributeError):
        t.Key.insert1({"k": ""})  # required, no default
    with pytest.raises(dj.DataJointError, match="no row"):
        t.Item.update1({"id": 1, "value": None})  # the missing row is checked first …
    t.Item.insert1({"id": 1, "value": "a"})
    with pytest.raises(E.MissingAttributeError):
        t.Item.update1({"id": 1, "value": None})  # … then NULL into NOT NULL w/o default
    assert t.Item.fetch1("value") == "a"
