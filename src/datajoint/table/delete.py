"""Cascading delete and drop (spec 04 §4–5).

``delete`` builds a :class:`~.cascade.Cascade` and runs one DELETE per table, leaves first, inside
one transaction; ``drop`` removes a table and every table depending on it.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from typing import Any

from .. import utils
from ..declare.ddl import drop_table
from ..errors import AccessError, DataJointError, IntegrityError
from ..query.compiler import compile_delete
from .cascade import Cascade, check_part_integrity, dependents, display_name, table_node

logger = logging.getLogger("datajoint")


def _safemode(connection: Any) -> bool:
    try:
        value = connection._config["safemode"]
    except (KeyError, AttributeError):
        return True
    return True if value is None else bool(value)


def legacy_options(
    options: dict[str, Any], prompt: bool | None, part_integrity: str, *, is_part: bool
) -> tuple[bool | None, str]:
    """Map the 0.14 keywords (``safemode``, ``force_parts``, ``force_masters``, ``force``) onto
    ``prompt``/``part_integrity`` with a DeprecationWarning (spec 04 §4.6)."""
    allowed = {"safemode", "force_parts", "force_masters"} | ({"force"} if is_part else set())
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"Unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    for old, new in (
        ("safemode", "prompt"),
        ("force_parts", "part_integrity='ignore'"),
        ("force_masters", "part_integrity='cascade'"),
        ("force", "part_integrity='ignore'"),
    ):
        if old in options:
            warnings.warn(
                f"`{old}` is deprecated; use {new} instead.", DeprecationWarning, stacklevel=4
            )
    if "safemode" in options:
        value = options["safemode"]
        if prompt is not None and bool(prompt) != bool(value):
            raise DataJointError("Conflicting arguments safemode= and prompt=: give only prompt=.")
        prompt = value
    mapped = None
    if options.get("force_parts") or options.get("force"):
        mapped = "ignore"
    if options.get("force_masters"):
        if mapped is not None:
            raise DataJointError("force_parts and force_masters cannot both be set.")
        mapped = "cascade"
    if mapped is not None:
        if part_integrity not in ("enforce", mapped):
            raise DataJointError(
                f"Conflicting arguments: the legacy keyword means part_integrity={mapped!r} "
                f"but part_integrity={part_integrity!r} was given."
            )
        part_integrity = mapped
    return prompt, part_integrity


def _server(exc: BaseException) -> str:
    return "Server: " + " ".join(str(a) for a in exc.args[1:2] or exc.args)


def _count(table: Any, node: str) -> int:
    try:
        return len(table)
    except AccessError as exc:
        raise AccessError(
            f"Insufficient privileges to read {display_name(node)}, which depends on the rows "
            f"being deleted: ask for privileges on its schema.\n{_server(exc)}"
        ) from exc


def _delete_rows(connection: Any, node: str, restricted: Any) -> int:
    sql, params = compile_delete(restricted)
    try:
        cursor = connection.query(sql, params)
    except AccessError as exc:
        raise AccessError(
            f"Insufficient privileges to delete from {display_name(node)}, which depends on the "
            f"rows being deleted: ask for DELETE privilege on its schema.\n{_server(exc)}"
        ) from exc
    except IntegrityError as exc:
        hidden = sorted(connection.dependencies.inaccessible)
        where = f" (schemas this user cannot read: {', '.join(hidden)})" if hidden else ""
        raise IntegrityError(
            f"Cannot delete from {display_name(node)}: its rows are referenced from a table "
            f"this user cannot see{where}; the server message below names it. Get access to "
            f"that table's schema so that the cascade can include it.\n{_server(exc)}"
        ) from exc
    count: int = max(cursor.rowcount, 0)
    return count


def _part_error(part: str, master: str) -> DataJointError:
    return DataJointError(
        f"Attempt to delete part table {display_name(part)} before its master "
        f"{display_name(master)}: delete from the master instead, or use "
        "part_integrity='ignore' or part_integrity='cascade'."
    )


def delete(
    table: Any,
    transaction: bool = True,
    prompt: bool | None = None,
    part_integrity: str = "enforce",
    **legacy: Any,
) -> int:
    """Delete the rows of ``table`` and every dependent row (spec 04 §4).

    Returns the number of rows deleted from ``table`` itself (0 when declined or nothing
    matched).
    """
    deps = table.connection.dependencies
    node = table_node(table)
    deps.load_downstream([table.database])
    is_part = deps.master(node) is not None
    prompt, part_integrity = legacy_options(legacy, prompt, part_integrity, is_part=is_part)
    check_part_integrity(part_integrity)
    if is_part and part_integrity == "enforce":
        raise DataJointError(
            f"Cannot delete from part table {display_name(node)} directly: delete from its "
            f"master {display_name(deps.master(node))}, or use part_integrity='ignore' or "
            "part_integrity='cascade'."
        )
    connection = table.connection
    if prompt is None:
        prompt = _safemode(connection)
    cascade = Cascade(table, part_integrity)
    counts: dict[str, int] | None = None
    if prompt:
        counts = {n: _count(cascade.restricted[n], n) for n in cascade.order}
        for n, c in counts.items():
            print(f"{display_name(n)}: {c} rows will be deleted")
    if connection.in_transaction and transaction:
        if prompt:
            raise DataJointError(
                "delete() was called inside an open transaction with prompt=True: pass "
                "transaction=False or prompt=False to delete within the caller's transaction."
            )
        own = False
    else:
        own = transaction
    if part_integrity == "enforce" and not transaction:
        # nothing could be rolled back afterwards, so check before deleting
        if counts is None:
            counts = {n: _count(cascade.restricted[n], n) for n in cascade.order}
        orphan = cascade.parts_without_master(counts)
        if orphan is not None:
            raise _part_error(*orphan)
    if own:
        connection.start_transaction()
    # joining the caller's transaction: a failed cascade undoes only its own statements
    scope = connection.savepoint() if transaction and not own else contextlib.nullcontext()
    try:
        with scope:
            deleted: dict[str, int] = {}
            for n in reversed(cascade.order):
                deleted[n] = _delete_rows(connection, n, cascade.restricted[n])
                logger.info("Deleting %d rows from %s", deleted[n], display_name(n))
            deleted = {n: deleted[n] for n in cascade.order}
            if part_integrity == "enforce" and transaction:
                orphan = cascade.parts_without_master(deleted)
                if orphan is not None:
                    raise _part_error(*orphan)
    except BaseException:
        if own:
            connection.cancel_transaction()
        raise
    seed_count = deleted.get(cascade.seed_node, 0)
    if not seed_count:
        if prompt:
            logger.warning("Nothing to delete.")
        if own:
            connection.cancel_transaction()
        return 0
    if not own:
        return seed_count
    if prompt:
        try:
            answer = utils.user_choice("Commit deletes?", default="no")
        except BaseException:  # interrupted at the prompt: nothing is deleted
            connection.cancel_transaction()
            raise
        if answer != "yes":
            connection.cancel_transaction()
            logger.warning("Delete cancelled.")
            return 0
    connection.commit_transaction()
    if prompt:
        logger.info("Delete committed.")
    return seed_count


def delete_quick(table: Any, get_count: bool = False) -> int | None:
    """One DELETE of the table's (restricted) rows: no cascade, no prompt (spec 04 §4.7)."""
    sql, params = compile_delete(table)
    connection = table.connection
    try:
        cursor = connection.query(sql, params)
    except IntegrityError:
        node = table_node(table)
        deps = connection.dependencies
        deps.load_downstream([table.database])
        children = deps.children(node) if node in deps.graph else []
        referencing = ", ".join(display_name(c) for c in children) or "other tables"
        raise IntegrityError(
            f"Cannot delete from {display_name(node)}: rows of {referencing} reference the rows "
            "to delete. Delete those rows first, or use delete(), which deletes them too."
        ) from None
    return max(cursor.rowcount, 0) if get_count else None


def jobs_table_name(table: str) -> str:
    """The jobs table of an auto-populated table: ``__spike_sort`` → ``~~spike_sort``."""
    return "~~" + table.lstrip("_")


def drop_quick(table: Any) -> None:
    """Drop the table (and its jobs table) without cascading; a missing table is logged."""
    connection = table.connection
    schema, name = table.database, table.table_name
    tables = connection.catalog.tables(schema)
    if name not in tables:
        logger.info("Nothing to drop: table %s does not exist.", display_name(f"{schema}.{name}"))
        return
    deps = connection.dependencies
    deps.load_downstream([schema])
    children = deps.children(table_node(table))
    if children:
        raise IntegrityError(
            f"Cannot drop {display_name(table_node(table))}: it is referenced by "
            f"{', '.join(display_name(c) for c in children)}. Drop those first, or use drop()."
        )
    drop_table(connection, schema, name)
    jobs = jobs_table_name(name)
    if name.startswith("_") and jobs in connection.catalog.tables(schema):
        drop_table(connection, schema, jobs)
    for sql in connection.adapter.drop_unused_types_sql(schema):
        connection.query(sql, None)


def drop(
    table: Any, prompt: bool | None = None, part_integrity: str = "enforce", **legacy: Any
) -> None:
    """Drop ``table`` and every table that depends on it (spec 04 §5.1)."""
    connection = table.connection
    deps = connection.dependencies
    node = table_node(table)
    deps.load_downstream([table.database])
    is_part = deps.master(node) is not None
    prompt, part_integrity = legacy_options(legacy, prompt, part_integrity, is_part=is_part)
    check_part_integrity(part_integrity, ("enforce", "ignore"))
    if table.is_restricted:
        raise DataJointError(
            f"A restricted table cannot be dropped: use {display_name(node)}.delete() to remove "
            "rows, or drop the unrestricted table."
        )
    if connection.in_transaction:
        raise DataJointError(
            f"Cannot drop {display_name(node)} inside a transaction: commit or cancel it first."
        )
    if is_part and part_integrity == "enforce":
        raise DataJointError(
            f"Cannot drop part table {display_name(node)} before its master "
            f"{display_name(deps.master(node))}: drop the master instead, or use "
            "part_integrity='ignore'."
        )
    nodes = dependents(connection, table)
    if not nodes:
        logger.info("Nothing to drop: table %s does not exist.", display_name(node))
        return
    if part_integrity == "enforce":
        for n in nodes:
            master = deps.master(n)
            if master is not None and master not in nodes:
                raise DataJointError(
                    f"Attempt to drop part table {display_name(n)} before its master "
                    f"{display_name(master)}: drop the master instead, or use "
                    "part_integrity='ignore'."
                )
    if prompt is None:
        prompt = _safemode(connection)
    if prompt:
        for n in nodes:
            print(f"{display_name(n)} ({_count(table._sibling(n), n)} rows)")
        if utils.user_choice("Proceed?", default="no") != "yes":
            return
    for n in reversed(nodes):
        drop_quick(table._sibling(n))
    logger.info("Tables dropped: %s", ", ".join(display_name(n) for n in nodes))
