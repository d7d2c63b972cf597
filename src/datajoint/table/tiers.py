"""Table tiers and the class-name → table-name rules (spec 01 §1)."""

from __future__ import annotations

import re
import warnings
from typing import Any

from ..errors import DataJointError, UnboundTableError
from ..utils import to_snake_case
from .table import Table

_CAMEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")

# tier recognition from SQL names (spec 01 §1.6), tested in this order
_BASE = r"[a-z][a-z0-9]*(?:_[a-z][a-z0-9]*)*"
TIER_PATTERNS = (
    ("Manual", re.compile(rf"^{_BASE}$")),
    ("Lookup", re.compile(rf"^#{_BASE}$")),
    ("Computed", re.compile(rf"^__{_BASE}$")),
    ("Imported", re.compile(rf"^_{_BASE}$")),
    ("Part", re.compile(rf"^(?:#|_|__)?{_BASE}__{_BASE}$")),
)


def checked_class_name(name: str) -> str:
    """Validate a table class name; underscores are dropped with a warning."""
    if "_" in name:
        warnings.warn(
            f"Table class name `{name}` contains underscores; they are removed to form the "
            "table name.",
            UserWarning,
            stacklevel=4,
        )
        name = name.replace("_", "")
    if not _CAMEL.match(name):
        raise DataJointError(
            f"Table class name `{name}` is invalid: use ASCII CamelCase, e.g. `SessionTrial`."
        )
    return name


def tier_of(table_name: str) -> str | None:
    """The tier name of a SQL table name, or None for system tables."""
    for tier, pattern in TIER_PATTERNS:
        if pattern.match(table_name):
            return tier
    return None


class UserTable(Table):
    """Base of the tiers: the table name comes from the class name and the tier prefix."""

    tier_prefix = ""
    tier_name = "Manual"

    @classmethod
    def _make_table_name(cls) -> str:
        return cls.tier_prefix + to_snake_case(checked_class_name(cls.__name__))


class Manual(UserTable):
    """Rows entered from outside the pipeline."""

    tier_name = "Manual"


class Lookup(UserTable):
    """Small reference tables; rows may come from ``contents``."""

    tier_prefix = "#"
    tier_name = "Lookup"
    contents: Any = None


class Imported(UserTable):
    """Auto-populated from outside data by ``make()``."""

    tier_prefix = "_"
    tier_name = "Imported"
    auto_populated = True


class Computed(UserTable):
    """Auto-populated from upstream tables by ``make()``."""

    tier_prefix = "__"
    tier_name = "Computed"
    auto_populated = True


class Part(Table):
    """A part of its master's rows; declared as a nested class of the master."""

    tier_name = "Part"
    _master: Any = None

    @classmethod
    def _make_table_name(cls) -> str:
        if cls._master is None:
            raise UnboundTableError(
                f"Part table `{cls.__name__}` must be declared inside its master's class."
            )
        master_name: str = cls._master.table_name
        return master_name + "__" + to_snake_case(checked_class_name(cls.__name__))

    @property
    def master(self) -> Any:
        return self._master
