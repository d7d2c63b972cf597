"""A failed statement inside a transaction: the transaction stays usable where the database
keeps it (as MySQL does), and where the database rolled it back the user sees the original
error, then nothing of the transaction is committed."""

from __future__ import annotations

import threading

import pytest

import datajoint as dj
from support.backends import open_connection
from support.faults import in_thread, wait_until_blocked


@pytest.fixture
def Item(schema):
    @schema
    class Item(dj.Manual):
        definition = """
        item_id : int32
        ---
        label = "" : varchar(20)
        """

    return Item


def test_a_caught_error_leaves_the_transaction_usable(Item, connection):
    """On PostgreSQL a failed statement used to abort the transaction (InFailedSqlTransaction
    on the next one); each statement now runs behind a savepoint there."""
    with connection.transaction:
        Item.insert1({"item_id": 1})
        with pytest.raises(dj.errors.DuplicateError):
            Item.insert1({"item_id": 1})
        with pytest.raises(dj.DataJointError):
            (Item & "no_such_function(item_id) = 1").to_dicts()
        with pytest.raises(dj.errors.ValueConversionError):
            Item.insert1({"item_id": 2, "label": "x" * 50})
        Item.insert1({"item_id": 2})
        assert len(Item()) == 2
    assert Item.keys() == [{"item_id": 1}, {"item_id": 2}]


def test_savepoints_of_the_user_still_nest(Item, connection):
    with connection.transaction:
        Item.insert1({"item_id": 1})
        with pytest.raises(RuntimeError), connection.savepoint():
            Item.insert1({"item_id": 2})
            raise RuntimeError
        Item.insert1({"item_id": 3})
    assert Item.keys() == [{"item_id": 1}, {"item_id": 3}]


@pytest.mark.parametrize("backend_name", ["sqlite"], indirect=True)
def test_a_rollback_by_sqlite_itself_shows_the_original_error(backend_name, Item, connection):
    """SQLite rolls the whole transaction back when a write is interrupted; the user sees the
    interruption, not "cannot rollback - no transaction is active", and nothing commits."""
    slow_write = (
        f"INSERT INTO {Item.full_table_name} (item_id) "
        "SELECT x + 10 FROM (WITH RECURSIVE c(x) AS "
        "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) SELECT x FROM c)"
    )
    driver = connection._driver
    timer = threading.Timer(0.3, driver.interrupt)
    canceled = pytest.raises(dj.errors.QueryCanceledError, match="interrupted")
    with canceled, connection.transaction:
        Item.insert1({"item_id": 1})
        timer.start()
        connection.query(slow_write, None)
    timer.join()
    assert not connection.in_transaction
    assert len(Item()) == 0


@pytest.mark.parametrize("backend_name", ["mysql"], indirect=True)
def test_a_deadlock_rollback_by_mysql_commits_nothing(
    backend_name, Item, connection, tmp_path_factory
):
    """InnoDB rolls back the whole transaction of a deadlock victim; statements after it must
    not run in autocommit."""
    Item.insert([{"item_id": 1}, {"item_id": 2}])
    other = open_connection(backend_name, tmp_path_factory)
    update = f"UPDATE {Item.full_table_name} SET label = %s WHERE item_id = %s"
    try:
        connection.start_transaction()
        connection.query(update, ("mine", 1))
        other.start_transaction()
        other.query(update, ("theirs", 2))
        thread, outcome = in_thread(lambda: other.query(update, ("theirs", 1)))
        wait_until_blocked(connection, other, "UPDATE")
        try:
            connection.query(update, ("mine", 2))
        except dj.errors.QueryError as error:
            victim, survivor, first = connection, other, error
        else:
            thread.join(30)
            victim, survivor, first = other, connection, outcome["error"]
        assert "Deadlock" in str(first)
        thread.join(30)
        survivor.commit_transaction()
        with pytest.raises(dj.errors.QueryError, match="Deadlock"):
            victim.query(update, ("after", 1))
        with pytest.raises(dj.errors.QueryError, match="Deadlock"):
            victim.commit_transaction()
        assert not victim.in_transaction
        labels = dict(zip(*Item.to_arrays("item_id", "label"), strict=True))
        assert "after" not in labels.values()
        assert len(set(labels.values())) == 1  # one side's two updates, all or nothing
    finally:
        if other.in_transaction:
            other.cancel_transaction()
        other.close()
