"""Codecs: how attribute values are encoded for storage and decoded on fetch.

``blobformat`` holds the byte-compatible ``<blob>`` serializer (pure: no database, no I/O).
"""
