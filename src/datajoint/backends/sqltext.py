"""SQL text that carries user text safely: the format paramstyle of generated statements, and
the names that cannot be used in a schema name."""

from __future__ import annotations

import re

from ..errors import DataJointError

# ``%`` would be read as a parameter marker in statements with bound values; NUL ends C strings
_UNSAFE_NAME_CHARACTERS = frozenset("%\x00")
# quoted identifiers and comments: user text a placeholder scan passes over
_OPAQUE_SQL = (r'"(?:[^"]|"")*"', r"`(?:[^`]|``)*`", r"/\*.*?\*/", r"--[^\n]*")
_SCANNERS: dict[tuple[str, str], re.Pattern[str]] = {}


def format_paramstyle(
    sql: str, string_literal: str, placeholder: re.Pattern[str]
) -> tuple[str, list[str]]:
    """Generated SQL with named ``placeholder`` matches → the format paramstyle.

    Each placeholder becomes ``%s`` (its name, the first non-empty group, is returned in
    order) and every other ``%`` is doubled. Text inside string literals (``string_literal``,
    the dialect's pattern), quoted identifiers and comments is user text: it is never taken
    for a placeholder.
    """
    scanner = _SCANNERS.get((string_literal, placeholder.pattern))
    if scanner is None:
        opaque = "|".join((string_literal, *_OPAQUE_SQL))
        scanner = re.compile(f"({opaque})|{placeholder.pattern}|%", re.S)
        _SCANNERS[(string_literal, placeholder.pattern)] = scanner
    order: list[str] = []

    def swap(m: re.Match[str]) -> str:
        text = m.group(1)
        if text is not None:
            return text.replace("%", "%%")
        name = next((g for g in m.groups()[1:] if g), None)
        if name is None:
            return "%%"
        order.append(name)
        return "%s"

    return scanner.sub(swap, sql), order


def check_name(name: str, backend: str, limit: int, length: int) -> None:
    """Refuse schema name ``name`` (``length`` as the backend counts it) when the backend would
    truncate it or when it cannot be used safely."""
    if not isinstance(name, str) or not name.strip():
        raise DataJointError(f"Schema name {name!r} is not a name: give a non-empty string.")
    if length > limit:
        raise DataJointError(
            f"Schema name `{name}` is too long: the {backend} backend allows at most {limit} "
            f"characters in a name (it has {length}). Use a shorter name."
        )
    bad = sorted({c for c in name if c in _UNSAFE_NAME_CHARACTERS})
    if bad:
        raise DataJointError(
            f"Schema name {name!r} contains {', '.join(repr(c) for c in bad)}, which cannot be "
            "used in a schema name: use letters, digits and underscores."
        )
