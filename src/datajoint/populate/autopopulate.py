"""populate(): run ``make()`` for every key of the key source not yet in the table.

Serial execution, one transaction per key. Job reservation for distributed workers
(``reserve_jobs=True``) lives in ``jobs.py`` (spec 05).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from ..errors import DataJointError
from ..query.expression import QueryExpression
from ..table.table import FreeTable, on_class
from ..table.tiers import Computed as _Computed
from ..table.tiers import Imported as _Imported

logger = logging.getLogger("datajoint")


class AutoPopulate:
    """Mixin of Imported and Computed tables: ``key_source``, ``populate``, ``progress``."""

    _allow_insert = False
    make: Callable[[Any, dict[str, Any]], None]

    @property
    def key_source(self) -> QueryExpression:
        """The join of the primary-key parents, projected to their keys (spec 05)."""
        heading = self.heading  # type: ignore[attr-defined]
        key = set(heading.primary_key)
        source: QueryExpression | None = None
        for fk in heading.foreign_keys:
            if not set(fk.columns) <= key:
                continue
            parent = FreeTable(self.connection, ".".join(fk.parent))  # type: ignore[attr-defined]
            renames = {new: old for new, old in fk.attr_map.items() if new != old}
            part = parent.proj(**renames) if renames else parent.proj()
            source = part if source is None else source.join(part, semantic_check=False)
        if source is None:
            raise DataJointError(
                f"`{self.table_name}` has no primary-key parents to populate from: define "  # type: ignore[attr-defined]
                "key_source."
            )
        return source

    def _pending(self, restrictions: tuple[Any, ...]) -> QueryExpression:
        todo = self.key_source
        for r in restrictions:
            todo = todo & r
        return todo - self.proj()  # type: ignore[attr-defined]

    def populate(
        self,
        *restrictions: Any,
        suppress_errors: bool = False,
        return_exception_objects: bool = False,
        reserve_jobs: bool = False,
        max_calls: int | None = None,
        display_progress: bool = False,
        order: str = "original",
        limit: int | None = None,
    ) -> dict[str, Any]:
        """Call ``make(key)`` for each pending key, each inside its own transaction.

        Returns ``{"success_count": n, "error_list": [...]}``.
        """
        connection = self.connection  # type: ignore[attr-defined]
        if connection.in_transaction:
            raise DataJointError("populate() cannot be called inside a transaction.")
        if reserve_jobs:
            raise DataJointError("reserve_jobs=True needs the jobs tables, not available yet.")
        if max_calls is None:
            max_calls = limit
        keys = self._pending(restrictions).keys()
        if order == "reverse":
            keys.reverse()
        if max_calls is not None:
            keys = keys[:max_calls]
        success, errors = 0, []
        for key in keys:
            if self & key:  # type: ignore[operator]
                continue  # made meanwhile (e.g. by another worker)
            try:
                with connection.transaction:
                    type(self)._allow_insert = True
                    try:
                        self.make(dict(key))
                    finally:
                        type(self)._allow_insert = False
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:
                if not suppress_errors:
                    raise
                logger.error("Error populating %s: %s", key, exc)
                errors.append((key, exc if return_exception_objects else traceback.format_exc()))
            else:
                success += 1
        return {"success_count": success, "error_list": errors}

    def progress(self, *restrictions: Any, display: bool = False) -> tuple[int, int]:
        """``(remaining, total)`` keys of the key source."""
        total = self.key_source
        for r in restrictions:
            total = total & r
        remaining = len(self._pending(restrictions))
        count = len(total)
        if display:
            print(f"{type(self).__name__}: {count - remaining}/{count} done")
        return remaining, count


class Imported(AutoPopulate, _Imported):
    """Auto-populated from outside data by ``make()``."""


class Computed(AutoPopulate, _Computed):
    """Auto-populated from upstream tables by ``make()``."""


for _name in ("populate", "progress"):
    setattr(AutoPopulate, _name, on_class(getattr(AutoPopulate, _name)))
