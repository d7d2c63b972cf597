"""The data a backend takes and reports: connection settings, the catalog's view of tables
and columns, and the changes of ``alter()``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..heading import Attribute, ForeignKey, Index


@dataclass
class ColumnInfo:
    """A column as the catalog reports it.

    ``default`` is the default value as unquoted text (``None``: no default or NULL);
    ``comment`` is the full stored comment (type marker included).
    """

    name: str
    sql_type: str
    nullable: bool
    default: str | None
    comment: str
    autoincrement: bool = False


@dataclass
class TableInfo:
    """A table as the catalog reports it (one schema is loaded at once)."""

    schema: str
    name: str
    columns: list[ColumnInfo] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    comment: str = ""


@dataclass(frozen=True)
class AlterChange:
    """One change of ``alter()``: ``kind`` is ``add``, ``drop``, ``change`` (rename, maybe
    modify) or ``modify``; ``after`` names the attribute to place the column after (None:
    position unchanged)."""

    kind: str
    old: Attribute | None = None
    new: Attribute | None = None
    after: str | None = None

    @property
    def definition_changed(self) -> bool:
        """True when type, nullability or default differ (not just name or comment)."""
        if self.old is None or self.new is None:
            return True
        a, b = self.old, self.new
        return (a.sql_type.lower(), a.nullable, a.default) != (
            b.sql_type.lower(),
            b.nullable,
            b.default,
        )


@dataclass(frozen=True)
class ConnectionInfo:
    """What is needed to open a connection."""

    host: str = "localhost"
    port: int | None = None
    user: str | None = None
    password: str | None = None  # a utils.Secret: masked in repr
    database_name: str | None = None  # PostgreSQL database
    path: str | None = None  # SQLite file
    use_tls: Any = None
    charset: str = ""
    init_command: str | None = None
    busy_timeout: float = 60.0  # seconds a SQLite writer waits for the database lock
    prepared_statements: bool = True  # PostgreSQL: prepare repeated reads on the server
