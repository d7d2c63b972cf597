"""Semantic matching: namesakes must share a lineage (spec 03 §12.5)."""

from __future__ import annotations

import logging
from typing import Any

from ..errors import DataJointError
from ..heading import Heading

logger = logging.getLogger("datajoint")


def check_same_connection(a: Any, b: Any) -> None:
    """Binary operators need both operands on one connection object."""
    if a is not b:
        raise DataJointError(
            "Cannot operate on expressions from different connections: both operands must use "
            "the same dj.Connection."
        )


def check_lineage(left: Heading, right: Heading, semantic_check: bool = True) -> None:
    """Refuse to match visible namesakes of different (or missing) lineage."""
    if not semantic_check:
        return
    if not (left.lineage_available and right.lineage_available):
        logger.warning(
            "Semantic check disabled: ~lineage table not found; run schema.rebuild_lineage()."
        )
        return
    for name in left.names:
        if name not in right.attributes:
            continue
        a, b = left[name].lineage, right[name].lineage
        if a is None and b is None:
            key = left[name].in_key or right[name].in_key
            raise DataJointError(
                f"Cannot join on attribute `{name}`: lineage missing on both sides. Native "
                "secondary attributes never match: rename one of them with .proj()"
                + (" (for key attributes, run schema.rebuild_lineage())." if key else ".")
            )
        if a is None or b is None:
            raise DataJointError(
                f"Cannot join on attribute `{name}`: lineage missing on one side ({a} vs {b}). "
                "If this is a key attribute, run schema.rebuild_lineage(); otherwise rename one "
                "of the attributes with .proj()."
            )
        if a != b:
            raise DataJointError(
                f"Cannot join on attribute `{name}`: different lineages ({a} vs {b}). "
                "Use .proj() to rename one of the attributes."
            )
