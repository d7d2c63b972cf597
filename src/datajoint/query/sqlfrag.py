"""User SQL fragments: parse (MySQL flavour), check attribute names, transpile, cache.

Restriction strings, computed attributes and aggregates are written in the MySQL-flavoured
syntax DataJoint users know. They are parsed once with sqlglot (cached), every column they
name is checked against the heading, and the tree is rendered for the connection's backend.
A fragment that does not parse is passed through verbatim (spec 03 §3.2).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._optional import lazy_module

if TYPE_CHECKING:
    import sqlglot
    from sqlglot import exp
else:
    sqlglot = lazy_module("sqlglot")
    exp = lazy_module("sqlglot.expressions")

from ..errors import DataJointError, UnknownAttributeError

# double-quoted, single-quoted and back-quoted tokens, in the order they appear
_TOKENS = re.compile(r"\"((?:[^\"\\]|\\.|\"\")*)\"|'(?:[^'\\]|\\.|'')*'|`[^`]*`")


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> Any:
    # parenthesised, so that a leading REPLACE(…)/INSERT(…) is a function, not a statement
    try:
        tree = sqlglot.parse_one(f"(\n{text}\n)", read="mysql")
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None
    if not isinstance(tree, exp.Paren):
        return None
    return tree.this


def _identifiers_for_names(text: str, names: frozenset[str]) -> str:
    """``"x"`` → `` `x` `` when ``x`` is an attribute name (PostgreSQL-style quoting)."""

    def swap(m: re.Match[str]) -> str:
        if m.group(1) is not None and m.group(1) in names:
            return f"`{m.group(1)}`"
        return m.group(0)

    return _TOKENS.sub(swap, text) if '"' in text else text


@functools.lru_cache(maxsize=4096)
def parse(text: str, names: frozenset[str]) -> tuple[exp.Expression | None, frozenset[str]]:
    """The parsed fragment (``None`` if unparsable) and the attribute names it references.

    Column references are checked against ``names``; an unknown one raises
    :class:`UnknownAttributeError` (before any SQL is sent).
    """
    tree = _parse(_identifiers_for_names(text, names))
    if tree is None:
        return None, frozenset(n for n in names if re.search(rf"\b{re.escape(n)}\b", text))
    tree = tree.copy()
    if tree.find(exp.Placeholder) is not None:
        raise DataJointError(
            f"The SQL fragment {text!r} holds a bound-parameter placeholder (`?` or `:name`); "
            "fragments take no parameters: write the value into the fragment (quoted) or "
            "restrict by a dict."
        )
    used = set()
    for column in tree.find_all(exp.Column):
        if column.table:
            continue
        name = column.name
        if name not in names:
            visible = ", ".join(sorted(n for n in names if not n.startswith("_")))
            raise UnknownAttributeError(
                f"Attribute `{name}` is not found in query: {text!r} names it, but the "
                f"available attributes are: {visible}."
            )
        used.add(name)
        column.set("this", exp.to_identifier(name, quoted=True))
    return tree, frozenset(used)


def references(text: str, names: Iterable[str]) -> frozenset[str]:
    """The attribute names a fragment references (checks them; see :func:`parse`)."""
    return parse(text, frozenset(names))[1]


def tree(
    text: str, names: Iterable[str], backend: Any, booleans: frozenset[str] = frozenset()
) -> exp.Expression:
    """The fragment as a sqlglot tree adapted to ``backend`` (a copy, safe to embed).

    ``booleans`` names the boolean attributes (some backends compare them with 0/1).
    """
    parsed, _ = parse(text, frozenset(names))
    if parsed is None:
        return exp.Paren(this=exp.Var(this=text))
    adapted: exp.Expression = backend.adapt_fragment(parsed.copy(), booleans)
    return adapted


def is_identifier(text: str) -> bool:
    """True for a bare attribute name (surrounding blanks allowed) that is not an SQL literal."""
    word = text.strip()
    return bool(re.fullmatch(r"[A-Za-z_]\w*", word)) and word.upper() not in _LITERALS


_LITERALS = {"NULL", "CURRENT_TIMESTAMP", "TRUE", "FALSE"}
