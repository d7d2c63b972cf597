"""``datajoint.user_tables``: the table tiers under the import path existing code uses."""

from .populate.autopopulate import Computed, Imported
from .table.tiers import Lookup, Manual, Part, UserTable

__all__ = ["Computed", "Imported", "Lookup", "Manual", "Part", "UserTable"]
