"""``datajoint.expression``: query expressions under the import path existing code uses."""

from .query.expression import QueryExpression
from .query.universal import U

__all__ = ["QueryExpression", "U"]
