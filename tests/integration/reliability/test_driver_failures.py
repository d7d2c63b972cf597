"""Every driver failure is a DataJointError that says what happened (issue 9, point 5):
canceled statements and statement timeouts, failed logins, errors inside user SQL fragments,
and values the database or driver cannot take (named by table, attribute and value, refused
before anything is written).
"""

from __future__ import annotations

import decimal
import pickle
import sqlite3
import time

import psycopg
import pymysql
import pytest

import datajoint as dj
from support.backends import SERVERS
from support.faults import cancel, in_thread, second_session, wait_until_blocked

# ---------------------------------------------------------------------------------- values


@pytest.fixture
def Sample(schema):
    @schema
    class Sample(dj.Manual):
        definition = """
        sample_id : int32
        ---
        small = null : int8
        tiny = null : uint8
        count = null : int32
        big = null : int64
        amount = null : decimal(5,2)
        label = null : varchar(12)
        body = null : varchar(255)
        doc = null : json
        reading = null : float64
        """

    return Sample


REFUSED = [
    ("small", 300, "out of range"),
    ("tiny", -1, "out of range"),
    ("count", 2**40, "out of range"),
    ("big", 2**70, "out of range|64-bit"),
    ("amount", decimal.Decimal("12345.6"), "out of range"),
    ("amount", decimal.Decimal("Infinity"), "finite"),
    ("amount", float("-inf"), "finite"),
    ("label", "x" * 13, "at most 12"),
    ("label", "a\ud800b", "surrogate"),
    ("body", object(), "takes text"),
    ("body", True, "takes text"),
    ("body", {"a": 1}, "takes text"),
    ("doc", float("nan"), "NaN"),
    ("doc", {"a": float("inf")}, "NaN and infinity"),
    ("doc", ["\udc00"], "surrogate"),
]


@pytest.mark.parametrize(
    ("attribute", "value", "reason"), REFUSED, ids=[f"{a}-{v!r:.20}" for a, v, _ in REFUSED]
)
def test_a_value_the_column_cannot_hold_is_refused_by_name(Sample, attribute, value, reason):
    rows = [
        {"sample_id": 1, attribute: None},
        {"sample_id": 2, attribute: value},
        {"sample_id": 3, attribute: None},
    ]
    with pytest.raises(dj.DataJointError, match=reason) as caught:
        Sample.insert(rows)
    assert f"`{attribute}`" in str(caught.value)
    assert len(Sample()) == 0  # nothing of the insert was written
    Sample.insert1({"sample_id": 1})
    with pytest.raises(dj.DataJointError, match=reason):
        Sample.update1({"sample_id": 1, attribute: value})
    assert (Sample & {"sample_id": 1}).fetch1(attribute) is None


def test_database_refusals_name_the_table_and_row(Sample):
    with pytest.raises(dj.errors.ValueConversionError) as caught:
        Sample.insert([{"sample_id": 1, "count": 5}, {"sample_id": 2, "count": 2**40}])
    message = str(caught.value)
    assert f"`{Sample.database}`.`sample`" in message and "sample_id=2" in message
    assert "`count` (int32)" in message and "-2147483648 and 2147483647" in message


def test_nul_in_text(backend_name, Sample):
    """MySQL and SQLite store NUL characters; PostgreSQL text cannot: a clear error there."""
    if backend_name == "postgresql":
        with pytest.raises(dj.errors.ValueConversionError, match="NUL character"):
            Sample.insert1({"sample_id": 1, "body": "a\x00b"})
        assert len(Sample()) == 0
        return
    Sample.insert1({"sample_id": 1, "body": "a\x00b"})
    assert Sample.fetch1("body") == "a\x00b"


def test_infinite_floats(backend_name, Sample):
    """PostgreSQL and SQLite store infinities; MySQL cannot: a clear error there."""
    if backend_name == "mysql":
        with pytest.raises(dj.errors.ValueConversionError, match="infinite"):
            Sample.insert1({"sample_id": 1, "reading": float("inf")})
        assert len(Sample()) == 0
        return
    Sample.insert1({"sample_id": 1, "reading": float("-inf")})
    assert Sample.fetch1("reading") == float("-inf")


def test_numbers_for_text_are_stored_as_the_same_text_everywhere(Sample):
    Sample.insert1({"sample_id": 1, "body": 3.5, "label": 12})
    assert Sample.fetch1("body", "label") == ("3.5", "12")


def test_an_unencodable_value_inside_a_transaction_leaves_it_usable(Sample, connection):
    """The driver refuses the text before sending it: the transaction goes on (on PostgreSQL
    the statement savepoints stay consistent)."""
    with connection.transaction:
        Sample.insert1({"sample_id": 1})
        with pytest.raises(dj.errors.ValueConversionError, match="surrogate"):
            Sample.insert1({"sample_id": 2, "label": "\udfff"})
        Sample.insert1({"sample_id": 3})
    assert sorted(Sample.to_arrays("sample_id")) == [1, 3]


# ---------------------------------------------------------------------------------- logins


DRIVER_ERRORS = {
    "mysql": pymysql.err.OperationalError,
    "postgresql": psycopg.OperationalError,
    "sqlite": sqlite3.OperationalError,
}


def failed_attempt(backend_name, tmp_path):
    if backend_name == "sqlite":
        return dj.Connection(backend="sqlite", path=str(tmp_path / "missing" / "x.db"))
    server = SERVERS[backend_name]
    return dj.Connection(
        server["host"],
        "dj_no_such_user",
        "wrong password",
        port=server["port"],
        backend=backend_name,
        use_tls=False,
    )


def test_a_failed_login_is_a_datajoint_error_and_the_driver_error(backend_name, tmp_path):
    """Spec 08 §2.2 (code that catches the driver's error keeps working) and §8.3 (every
    failure is a DataJointError): the error is both."""
    with pytest.raises(dj.errors.ConnectionAttemptError) as caught:
        failed_attempt(backend_name, tmp_path)
    error = caught.value
    assert isinstance(error, DRIVER_ERRORS[backend_name])
    assert isinstance(error, dj.errors.LostConnectionError)
    message = str(error)
    if backend_name == "sqlite":
        assert "Could not open the SQLite database" in message and "database.path" in message
    else:
        assert "dj_no_such_user@" in message and "wrong password" not in message
        assert "password" in message  # what to check
    if backend_name == "mysql":
        assert error.args[0] in (1045, 1698)  # the driver's args are kept
    clone = pickle.loads(pickle.dumps(error))  # worker processes send errors back pickled
    assert type(clone) is type(error) and str(clone) == message


@pytest.mark.parametrize("backend_name", ["mysql", "postgresql"], indirect=True)
def test_an_unreachable_server(backend_name):
    with pytest.raises(dj.errors.ConnectionAttemptError, match="accepts connections"):
        dj.Connection("127.0.0.1", "root", "", port=1, backend=backend_name, use_tls=False)


# --------------------------------------------------------------------- SQL fragment errors


@pytest.mark.parametrize(
    "fragment",
    ["no_such_function(sample_id) = 1", "label COLLATE no_such_collation = 'a'"],
)
def test_an_error_inside_a_user_fragment_names_the_query(Sample, fragment):
    Sample.insert1({"sample_id": 1, "label": "a"})
    with pytest.raises(dj.errors.QueryError, match="Check its SQL fragments") as caught:
        (Sample & fragment).to_dicts()
    assert f"`{Sample.database}`.`sample`" in str(caught.value)
    with pytest.raises(dj.errors.QueryError, match="Check its SQL fragments"):
        len(Sample & fragment)
    assert Sample.proj().to_dicts() == [{"sample_id": 1}]  # the connection is still usable


def test_an_unknown_attribute_in_a_fragment_is_refused_before_sql(Sample, count_queries):
    with pytest.raises(dj.errors.UnknownAttributeError, match="no_such_attribute"):
        (Sample & "no_such_attribute = 1").to_dicts()


# ---------------------------------------------------------------- cancellation and timeouts


@pytest.fixture
def victim(backend_name, tmp_path_factory, schema):
    with second_session(backend_name, schema, tmp_path_factory) as other:
        yield other


@pytest.mark.parametrize("backend_name", ["mysql", "postgresql"], indirect=True)
def test_a_canceled_insert_applies_nothing(backend_name, Sample, victim, connection):
    """KILL QUERY / pg_cancel_backend of an insert blocked on a lock."""
    table = dj.FreeTable(victim, Sample.full_table_name)
    connection.start_transaction()
    if backend_name == "mysql":
        connection.query(f"SELECT * FROM {Sample.full_table_name} FOR UPDATE", None).fetchall()
    else:
        connection.query(f"LOCK TABLE {Sample.full_table_name} IN EXCLUSIVE MODE", None)
    thread, outcome = in_thread(lambda: table.insert([{"sample_id": i} for i in range(50)]))
    wait_until_blocked(connection, victim, "INSERT")
    cancel(backend_name, victim, connection)
    thread.join(30)
    connection.cancel_transaction()
    assert isinstance(outcome.get("error"), dj.errors.QueryCanceledError), outcome
    assert "nothing of it was applied" in str(outcome["error"])
    assert len(Sample()) == 0
    table.insert1({"sample_id": 1})  # the session goes on
    assert len(Sample()) == 1


def slow_statement(backend_name) -> str:
    if backend_name == "mysql":
        return "SELECT SLEEP(5)"
    if backend_name == "postgresql":
        return "SELECT pg_sleep(5)"
    return (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1000000000) "
        "SELECT COUNT(*) FROM c"
    )


def wait_until_running(backend_name, victim, killer):
    if backend_name == "sqlite":
        time.sleep(0.2)
        return
    if backend_name == "mysql":
        sql = "SELECT COUNT(*) FROM information_schema.processlist WHERE id = %s AND info LIKE %s"
    else:
        sql = "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = %s AND query LIKE %s"
    for _ in range(500):
        if backend_name == "postgresql":
            killer.query("SELECT pg_stat_clear_snapshot()", None).fetchall()
        if killer.query(sql, (victim.connection_id, "SELECT%")).fetchone()[0]:
            return
        time.sleep(0.01)
    raise AssertionError("the slow statement never started")


def test_a_canceled_statement_raises_query_canceled(backend_name, victim, connection):
    """KILL QUERY (MariaDB), pg_cancel_backend (PostgreSQL), interrupt (SQLite)."""
    thread, outcome = in_thread(lambda: victim.query(slow_statement(backend_name)).fetchall())
    wait_until_running(backend_name, victim, connection)
    cancel(backend_name, victim, connection)
    thread.join(30)
    if backend_name == "mysql" and "result" in outcome:
        # MariaDB ends a SLEEP() that KILL QUERY interrupts with the result 1, not an error
        assert outcome["result"] == ((1,),)
    else:
        assert isinstance(outcome.get("error"), dj.errors.QueryCanceledError), outcome
    assert victim.query("SELECT 1").fetchone()[0] == 1


@pytest.mark.parametrize("backend_name", ["mysql", "postgresql"], indirect=True)
def test_a_statement_timeout_raises_query_canceled(backend_name, Sample, victim):
    """MariaDB's max_statement_time and PostgreSQL's statement_timeout, hit by a fetch."""
    table = dj.FreeTable(victim, Sample.full_table_name)
    table.insert1({"sample_id": 1})
    if backend_name == "mysql":
        victim.query("SET SESSION max_statement_time = 0.2", None)
        slow = table & "SLEEP(2) = 0"
    else:
        victim.query("SET statement_timeout = '200ms'", None)
        slow = table & "pg_sleep(2) IS NOT NULL"
    with pytest.raises(dj.errors.QueryCanceledError, match="timeout"):
        slow.to_dicts()
    assert table.to_dicts()[0]["sample_id"] == 1  # the connection is still usable


@pytest.mark.parametrize("backend_name", ["sqlite"], indirect=True)
def test_an_interrupted_sqlite_write_applies_nothing(Sample, victim):
    fill = (
        f"INSERT INTO {Sample.full_table_name} (sample_id) "
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000000) "
        "SELECT x FROM c"
    )
    thread, outcome = in_thread(lambda: victim.query(fill))
    time.sleep(0.3)
    victim._driver.interrupt()
    thread.join(30)
    assert isinstance(outcome.get("error"), dj.errors.QueryCanceledError), outcome
    assert len(Sample()) == 0
