"""``datajoint.autopopulate``: the populate mixin under the import path existing code uses."""

from .populate.autopopulate import AutoPopulate

__all__ = ["AutoPopulate"]
