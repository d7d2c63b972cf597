"""``dj.gc``: garbage collection of stored objects (spec 06 §9).

This name is the module :mod:`datajoint.storage.gc` itself, so ``import datajoint.gc``,
``dj.gc.GarbageCollector`` and patching ``datajoint.gc.<function>`` all reach the same
functions.
"""

import sys

from .storage import gc as _gc

sys.modules[__name__] = _gc
