"""Small table definitions that several test modules declare."""

ITEM_DEFINITION = """
id : int32
---
value : varchar(100)
score = null : float64
"""
