"""Reading a SQLite schema's tables: ``sqlite_master`` and the table pragmas, plus the hidden
catalog tables that keep what MySQL and PostgreSQL hold in comments."""

from __future__ import annotations

from typing import Any

from ..heading import ForeignKey, Index
from . import sqlite_text
from .base import ColumnInfo, TableInfo


def load_catalog(query: Any, schema: str, table: str | None = None) -> dict[str, TableInfo]:
    """Every table of ``schema`` (or only ``table``): columns with their comments and native
    types from the catalog tables, primary key, foreign keys and indexes (four statements)."""
    prefix = schema + "."
    n = len(prefix)
    scope_args: tuple[Any, ...]
    only_args: tuple[str, ...]
    if table is None:
        scope, scope_args = "m.type = 'table' AND substr(m.name, 1, %s) = %s", (n, prefix)
        only, only_args = "", ()
    else:
        scope, scope_args = "m.type = 'table' AND m.name = %s", (prefix + table,)
        only, only_args = " AND table_name = %s", (table,)
    tables: dict[str, TableInfo] = {}
    autoincrement: set[str] = set()
    meta: dict[tuple[str, str], tuple[str, str]] = {}
    table_comments: dict[str, str] = {}
    for t, c, comment, native in query(  # column and table comments in one statement
        'SELECT table_name, column_name, comment, native_type FROM "~columns" '
        f"WHERE schema_name = %s{only} UNION ALL "
        f'SELECT table_name, NULL, comment, NULL FROM "~tables" WHERE schema_name = %s{only}',
        (schema, *only_args, schema, *only_args),
    ).fetchall():
        if c is None:
            table_comments[t] = comment
        else:
            meta[(t, c)] = (comment, native)
    pk_pos: dict[str, list[tuple[int, str]]] = {}
    for tname, table_sql, col, ctype, notnull, default, pk in query(
        'SELECT m.name, m.sql, p.name, p.type, p."notnull", p.dflt_value, p.pk '
        f"FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE {scope} "
        "ORDER BY m.name, p.cid",
        scope_args,
    ).fetchall():
        t = tname[n:]
        if t not in tables:
            tables[t] = TableInfo(schema=schema, name=t, comment=table_comments.get(t, ""))
            if "AUTOINCREMENT" in (table_sql or "").upper():
                autoincrement.add(t)
        comment, native = meta.get((t, col), ("", ""))
        info = tables[t]
        autoinc = bool(pk) and t in autoincrement
        info.columns.append(
            ColumnInfo(
                name=col,
                sql_type=native or ctype.lower(),
                nullable=not notnull and not pk,
                default=sqlite_text.unquote_default(default),
                comment=comment,
                autoincrement=autoinc,
            )
        )
        if pk:
            pk_pos.setdefault(t, []).append((pk, col))
    for t, cols in pk_pos.items():
        tables[t].primary_key = [c for _, c in sorted(cols)]
    fks: dict[tuple[str, int], dict[str, Any]] = {}
    for tname, fid, _seq, parent, frm, to in query(
        'SELECT m.name, f.id, f.seq, f."table", f."from", f."to" FROM sqlite_master m '
        f"JOIN pragma_foreign_key_list(m.name) f WHERE {scope} ORDER BY m.name, f.id, f.seq",
        scope_args,
    ).fetchall():
        entry = fks.setdefault((tname[n:], fid), {"parent": parent, "cols": [], "refs": []})
        entry["cols"].append(frm)
        entry["refs"].append(to)
    for (t, _), entry in sorted(fks.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        pschema, ptable = entry["parent"].split(".", 1)
        tables[t].foreign_keys.append(
            ForeignKey(tuple(entry["cols"]), (pschema, ptable), tuple(entry["refs"]))
        )
    idx: dict[tuple[str, str], dict[str, Any]] = {}
    for tname, iname, unique, _origin, _seqno, col, index_sql in query(
        'SELECT m.name, il.name, il."unique", il.origin, ii.seqno, ii.name, '
        "(SELECT x.sql FROM sqlite_master x WHERE x.name = il.name) "
        "FROM sqlite_master m JOIN pragma_index_list(m.name) il "
        "JOIN pragma_index_info(il.name) ii "
        f"WHERE {scope} AND il.origin = 'c' ORDER BY m.name, il.name, ii.seqno",
        scope_args,
    ).fetchall():
        entry = idx.setdefault(
            (tname[n:], iname), {"unique": bool(unique), "parts": [], "sql": index_sql}
        )
        entry["parts"].append(col)
    for (t, iname), entry in sorted(idx.items()):
        parts = entry["parts"]
        if None in parts:  # an expression part: read the parts back from the index's SQL
            parts = sqlite_text.index_parts(entry["sql"])
        tables[t].indexes.append(Index(tuple(parts), entry["unique"], iname))
    return tables
