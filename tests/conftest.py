"""Shared fixtures: see tests/support/."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from support.backends import backend_name, connection, schema  # noqa: F401
from support.sql import count_queries  # noqa: F401
