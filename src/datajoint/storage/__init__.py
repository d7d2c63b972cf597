"""Object storage (spec 06): stores through fsspec (``stores``), the layout of objects in a
store (``paths``), the handles returned on fetch (``refs``), ``staged_insert1`` (``staged``)
and garbage collection (``gc``, imported on use as ``dj.gc``).

Kept free of imports so that codecs can use ``stores`` and ``paths`` while ``staged`` and
``gc`` look at codecs.
"""
