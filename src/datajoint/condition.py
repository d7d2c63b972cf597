"""``datajoint.condition``: restriction helpers under the import path existing code uses."""

from .query.conditions import AndList, Not, Top

__all__ = ["AndList", "Not", "Top"]
