"""Reading a MySQL/MariaDB schema's tables from ``information_schema`` (four queries)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..heading import ForeignKey, Index
from .base import ColumnInfo, TableInfo

# integer display widths (MariaDB, MySQL < 8.0.19) are dropped from catalog types, except the
# ``tinyint(1)`` that MySQL 8 keeps too
_DISPLAY_WIDTH = re.compile(r"^(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)")
_CURRENT_TIMESTAMP = re.compile(r"^current_timestamp(?:\(\s*(\d*)\s*\))?$", re.IGNORECASE)
_NUMBER_SUFFIX = re.compile(r"(\d+)$")
_QUOTED = re.compile(r"('(?:[^'\\]|\\.|'')*')|[^']+")


def load_catalog(
    query: Any, schema: str, table: str | None = None, *, is_mariadb: bool
) -> dict[str, TableInfo]:
    """Every table of ``schema`` (or only ``table``): columns, primary key, foreign keys and
    indexes."""
    args: tuple[str, ...] = (schema,) if table is None else (schema, table)
    only = "" if table is None else " AND table_name = %s"
    tables: dict[str, TableInfo] = {}
    for name, comment in query(
        "SELECT table_name, table_comment FROM information_schema.tables "
        f"WHERE table_schema = %s{only} AND table_type = 'BASE TABLE' ORDER BY table_name",
        args,
    ).fetchall():
        tables[name] = TableInfo(schema=schema, name=name, comment=comment or "")
    for tname, col, ctype, nullable, default, comment, extra in query(
        "SELECT table_name, column_name, column_type, is_nullable, column_default, "
        f"column_comment, extra FROM information_schema.columns WHERE table_schema = %s{only} "
        "ORDER BY table_name, ordinal_position",
        args,
    ).fetchall():
        info = tables.get(tname)
        if info is None:  # a view
            continue
        info.columns.append(
            ColumnInfo(
                name=col,
                sql_type=catalog_type(ctype),
                nullable=nullable == "YES",
                default=catalog_default(default, is_mariadb=is_mariadb),
                comment=comment or "",
                autoincrement="auto_increment" in (extra or "").lower(),
            )
        )
    fks: dict[tuple[str, str], dict[str, Any]] = {}
    for tname, cname, col, _, ref_schema, ref_table, ref_col in query(
        "SELECT table_name, constraint_name, column_name, ordinal_position, "
        "referenced_table_schema, referenced_table_name, referenced_column_name "
        f"FROM information_schema.key_column_usage WHERE table_schema = %s{only} "
        "AND referenced_table_name IS NOT NULL "
        "ORDER BY table_name, constraint_name, ordinal_position",
        args,
    ).fetchall():
        entry = fks.setdefault(
            (tname, cname), {"parent": (ref_schema, ref_table), "cols": [], "refs": []}
        )
        entry["cols"].append(col)
        entry["refs"].append(ref_col)
    for (tname, _), entry in sorted(fks.items(), key=lambda kv: _constraint_order(*kv[0])):
        if tname in tables:
            tables[tname].foreign_keys.append(
                ForeignKey(tuple(entry["cols"]), entry["parent"], tuple(entry["refs"]))
            )
    constraint_names = {c for _, c in fks}
    cursor = query(
        f"SELECT * FROM information_schema.statistics WHERE table_schema = %s{only}", args
    )
    fields = [d[0].lower() for d in cursor.description]
    indexes: dict[tuple[str, str], dict[str, Any]] = {}
    for row in cursor.fetchall():
        r = dict(zip(fields, row, strict=True))
        col = r.get("column_name")
        part = col if col is not None else r.get("expression")
        if part is not None and col is None:
            part = f"({part})"
        entry = indexes.setdefault(
            (r["table_name"], r["index_name"]),
            {"unique": not int(r["non_unique"]), "parts": []},
        )
        entry["parts"].append((int(r["seq_in_index"]), part))
    for (tname, iname), entry in indexes.items():
        info = tables.get(tname)
        parts = [p for _, p in sorted(entry["parts"], key=lambda sp: sp[0])]
        if info is None:
            continue
        if iname == "PRIMARY":
            info.primary_key = parts
            continue
        if any(p is None for p in parts):  # a part this module cannot represent
            continue
        if not entry["unique"] and _implicit_fk_index(
            iname, parts, info.foreign_keys, constraint_names
        ):
            continue
        info.indexes.append(Index(tuple(parts), entry["unique"], iname))
    return tables


def catalog_default(text: str | None, *, is_mariadb: bool) -> str | None:
    """The column default as unquoted text (MariaDB quotes string defaults)."""
    if text is None:
        return None
    m = _CURRENT_TIMESTAMP.match(text.strip())
    if m:
        precision = m.group(1)
        return f"CURRENT_TIMESTAMP({precision})" if precision else "CURRENT_TIMESTAMP"
    if is_mariadb:
        if text == "NULL":
            return None
        if len(text) >= 2 and text[0] == text[-1] == "'":
            return unescape(text[1:-1])
    return text


def catalog_type(column_type: str) -> str:
    """``COLUMN_TYPE`` lower-cased outside quotes, integer display widths dropped.

    ``tinyint(1)`` keeps its width, as MySQL 8 reports it.
    """
    text = _QUOTED.sub(lambda m: m.group(0) if m.group(1) else m.group(0).lower(), column_type)
    if text.startswith("tinyint(1)"):
        return text
    return _DISPLAY_WIDTH.sub(r"\1", text)


_ESCAPES = {"0": "\0", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "Z": "\x1a"}


def unescape(body: str) -> str:
    """Undo MySQL string-literal quoting: ``''`` → ``'`` and backslash escapes."""
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
        elif ch == "'" and body[i + 1 : i + 2] == "'":
            out.append("'")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _constraint_order(table: str, name: str) -> tuple[str, str, int, str]:
    """Sort key putting ``t_ibfk_2`` before ``t_ibfk_10`` (creation order of unnamed keys)."""
    m = _NUMBER_SUFFIX.search(name)
    stem = name[: m.start()] if m else name
    return table, stem, int(m.group(1)) if m else -1, name


def _implicit_fk_index(
    name: str, parts: list[str], foreign_keys: Sequence[ForeignKey], constraints: set[str]
) -> bool:
    """True for the index InnoDB creates by itself to support a foreign key.

    InnoDB names it after the constraint (when named) or after the first column; an
    explicitly declared index on exactly the foreign-key columns cannot be told apart.
    """
    for fk in foreign_keys:
        if tuple(parts) != fk.columns:
            continue
        first = fk.columns[0]
        if name in constraints or name == first or re.fullmatch(re.escape(first) + r"_\d+", name):
            return True
    return False
