"""PostgreSQL catalog reading for :class:`~datajoint.backends.postgres.PostgresBackend`.

A whole schema is loaded from ``pg_catalog`` in four queries, whatever its number of tables.
Also holds the naming rules of the indexes the backend creates, so that the catalog can tell
the foreign-key support indexes (created automatically, not declared) from declared ones.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from ..heading import ForeignKey, Index
from .base import ColumnInfo, TableInfo

MAX_NAME_BYTES = 63  # PostgreSQL NAMEDATALEN - 1


# ---------------------------------------------------------------------------- index names
def _name_token(part: str) -> str:
    """A part of an index name: the attribute name, or a sanitized expression."""
    if not part.startswith("("):
        return part
    return re.sub(r"[^0-9a-z]+", "_", part.lower()).strip("_") or "expr"


def index_name(table: str, parts: Sequence[str], kind: str) -> str:
    """``<table>_<cols>_<hash8>`` truncated to 63 bytes (the hash suffix is always kept).

    ``kind`` is ``"index"``, ``"unique"`` or ``"fk"`` (foreign-key support index); it salts
    the hash so that the catalog can recognise support indexes by recomputing their name.
    """
    digest = hashlib.md5(
        "\x1f".join((kind, table, *parts)).encode(), usedforsecurity=False
    ).hexdigest()[:8]
    suffix = "_" + digest
    prefix = "_".join((table, *(_name_token(p) for p in parts)))
    room = MAX_NAME_BYTES - len(suffix)
    prefix = prefix.encode()[:room].decode(errors="ignore")
    return prefix + suffix


def fk_support_columns(
    primary_key: Sequence[str],
    foreign_keys: Sequence[ForeignKey],
    indexes: Sequence[Index],
) -> list[tuple[str, ...]]:
    """Column lists of the supporting indexes PostgreSQL needs for ``foreign_keys``.

    A foreign key gets one unless its columns are a left prefix of the primary key, of a
    declared index, or of a longer support index already chosen (candidates longest first).
    """
    covered = [tuple(primary_key), *(tuple(ix.parts) for ix in indexes)]
    chosen: list[tuple[str, ...]] = []
    candidates = sorted({tuple(fk.columns): None for fk in foreign_keys}, key=len, reverse=True)
    for cols in candidates:
        if not cols or any(c[: len(cols)] == cols for c in covered + chosen):
            continue
        chosen.append(cols)
    return chosen


# ---------------------------------------------------------------------------- defaults
_CASTS = r"(?:::[A-Za-z_\"][\w \".\[\]()]*?)*"  # trailing casts: ::character varying(5)
_QUOTED = re.compile(r"'((?:[^']|'')*)'" + _CASTS, re.DOTALL)
_BARE = re.compile(r"([^':]+?)" + _CASTS)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _strip_parens(text: str) -> str:
    """Remove outer parentheses that enclose the whole text."""
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0 and i < len(text) - 1:
                return text  # the first "(" closes before the end: not an outer pair
        text = text[1:-1].strip()
    return text


def normalize_default(expr: str | None) -> str | None:
    """A catalog default expression as unquoted text (None: no default or NULL).

    ``'abc'::character varying`` → ``abc``; ``NULL::integer`` → None; ``'-5'::integer`` and
    ``(-5)`` → ``-5``; ``true`` stays ``true``; ``CURRENT_TIMESTAMP(3)`` and other expressions
    are kept as written by the server.
    """
    if expr is None:
        return None
    text = _strip_parens(expr.strip())
    m = _QUOTED.fullmatch(text)
    if m:
        return m.group(1).replace("''", "'")
    m = _BARE.fullmatch(text)
    if m:
        word = _strip_parens(m.group(1).strip())
        if word.upper() == "NULL":
            return None
        if word.lower() in ("true", "false"):
            return word.lower()
        if _NUMBER.fullmatch(word):
            return word
    return text


# ---------------------------------------------------------------------------- queries
_TABLES = """
SELECT c.relname, COALESCE(obj_description(c.oid, 'pg_class'), '')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s{only} AND c.relkind IN ('r', 'p')
ORDER BY c.relname"""

_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), t.typtype, tn.nspname,
       t.typname, a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
       COALESCE(col_description(c.oid, a.attnum), ''), a.attidentity
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = %s{only} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum"""

_CONSTRAINTS = """
SELECT c.relname, k.oid, k.contype, a.attname, fn.nspname, fc.relname, fa.attname
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(k.conkey, COALESCE(k.confkey, k.conkey))
     WITH ORDINALITY AS u(attnum, fattnum, ord)
JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
LEFT JOIN pg_class fc ON fc.oid = k.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN pg_attribute fa ON fa.attrelid = k.confrelid AND fa.attnum = u.fattnum
WHERE n.nspname = %s{only} AND k.contype IN ('p', 'f')
ORDER BY c.relname, k.oid, u.ord"""

_INDEXES = """
SELECT c.relname, ic.relname, i.indisunique, u.ord, a.attname,
       pg_get_indexdef(i.indexrelid, u.ord::int, false)
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class ic ON ic.oid = i.indexrelid
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS u(attnum, ord)
LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.attnum AND u.attnum > 0
WHERE n.nspname = %s{only} AND c.relkind IN ('r', 'p') AND NOT i.indisprimary
  AND u.ord <= i.indnkeyatts
ORDER BY c.relname, i.indexrelid, u.ord"""


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def enum_type_ref(schema: str, name: str) -> str:
    """How an enum column type is written (and reported): ``"schema"."enum_<h>"``."""
    return f"{quote(schema)}.{quote(name)}"


def load_catalog(query: Any, schema: str, table: str | None = None) -> dict[str, TableInfo]:
    """Every table of ``schema`` (hidden ones included), or only ``table``, in four catalog
    queries."""
    args: tuple[str, ...] = (schema,) if table is None else (schema, table)
    only = "" if table is None else " AND c.relname = %s"
    columns, constraints, indexes = (
        q.format(only=only) for q in (_COLUMNS, _CONSTRAINTS, _INDEXES)
    )
    tables = {
        name: TableInfo(schema=schema, name=name, comment=comment)
        for name, comment in query(_TABLES.format(only=only), args).fetchall()
    }
    for row in query(columns, args).fetchall():
        table, col, fmt, typtype, typschema, typname, notnull, default, comment, ident = row
        info = tables.get(table)
        if info is None:
            continue
        default = default if default is None else str(default)
        serial = default is not None and default.startswith("nextval(")
        info.columns.append(
            ColumnInfo(
                name=col,
                sql_type=enum_type_ref(typschema, typname) if typtype == "e" else fmt,
                nullable=not notnull,
                default=None if serial else normalize_default(default),
                comment=comment or "",
                autoincrement=bool(ident) or serial,
            )
        )
    fks: dict[tuple[str, int], dict[str, Any]] = {}
    for table, oid, contype, col, pschema, ptable, pcol in query(constraints, args).fetchall():
        info = tables.get(table)
        if info is None:
            continue
        if contype == "p":
            info.primary_key.append(col)
            continue
        entry = fks.setdefault((table, oid), {"parent": (pschema, ptable), "cols": [], "refs": []})
        entry["cols"].append(col)
        entry["refs"].append(pcol)
    for (table, _), entry in fks.items():
        tables[table].foreign_keys.append(
            ForeignKey(tuple(entry["cols"]), entry["parent"], tuple(entry["refs"]))
        )
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for table, iname, unique, _, col, definition in query(indexes, args).fetchall():
        if table not in tables:
            continue
        entry = found.setdefault((table, iname), {"unique": bool(unique), "parts": []})
        if col is not None:
            entry["parts"].append(col)
        else:
            text = str(definition)
            entry["parts"].append(text if _strip_parens(text) != text else f"({text})")
    for (table, iname), entry in found.items():
        parts = tuple(entry["parts"])
        if not entry["unique"] and iname == index_name(table, parts, "fk"):
            continue  # created by create_table_sql to support a foreign key
        tables[table].indexes.append(Index(parts, entry["unique"], iname))
    return tables
