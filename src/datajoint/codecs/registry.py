"""Looking codecs up: by name or type spec, through entry points, and along chains (spec 02 §6.2,
§6.3).

The registry is process-wide (codecs are part of the type system, not of a connection).
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import DataJointError
from ..types import CODEC, parse_type
from . import base
from .base import Codec, not_registered

logger = logging.getLogger("datajoint")

ENTRY_POINT_GROUPS = ("datajoint.codecs", "datajoint.types")

_entry_points_loaded = [False]


def parse_type_spec(spec: str) -> tuple[str, str | None]:
    """``"<blob>"`` → ``("blob", None)``; ``"<blob@cold>"`` → ``("blob", "cold")``;
    ``"<blob@>"`` → ``("blob", "")`` (the default store). Brackets are optional."""
    text = spec.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    text = text.strip()
    if "@" in text:
        name, store = text.split("@", 1)
        return name.strip(), store.strip()
    return text, None


def load_entry_points() -> None:
    """Register the codecs that installed packages advertise, once per process.

    Entry points of the groups ``datajoint.codecs`` and (legacy) ``datajoint.types`` are
    named after the codec; a class that did not register itself on import is instantiated and
    registered under the entry point's name. Failures are logged, not raised.
    """
    if _entry_points_loaded[0]:
        return
    _entry_points_loaded[0] = True
    from importlib.metadata import entry_points  # stdlib; only on the first miss

    for group in ENTRY_POINT_GROUPS:
        for entry in entry_points(group=group):
            try:
                _register_entry(entry.name, entry.load())
            except Exception as exc:  # a broken plugin must not break the type system
                logger.warning("Could not load codec entry point %r: %s", entry.name, exc)


def _register_entry(name: str, obj: Any) -> None:
    if name in base._registry:
        return
    if isinstance(obj, type) and issubclass(obj, Codec):
        obj = obj()
    if not isinstance(obj, Codec):
        raise DataJointError(f"entry point {name!r} is not a dj.Codec subclass")
    base.register_instance(name, obj)


def _find(name: str) -> Codec | None:
    codec = base._registry.get(name)
    if codec is None and not _entry_points_loaded[0]:
        load_entry_points()
        codec = base._registry.get(name)
    return codec


def lookup_codec(spec: str) -> tuple[Codec, str | None]:
    """``(codec, store)`` of a type spec such as ``"<blob@cold>"``.

    Raises
    ------
    DataJointError
        ``Codec <name> is not registered`` when no codec has that name.
    """
    name, store = parse_type_spec(spec)
    codec = _find(name)
    if codec is None:
        raise not_registered(name)
    return codec, store


def get_codec(spec: str) -> Codec:
    """The registered codec of ``spec`` (``"blob"``, ``"<blob>"`` or ``"<blob@store>"``).

    Raises
    ------
    DataJointError
        ``Unknown codec: <name>`` when none is registered under that name.
    """
    name, _ = parse_type_spec(spec)
    codec = _find(name)
    if codec is None:
        raise DataJointError(
            f"Unknown codec: <{name}>. Registered codecs: {', '.join(list_codecs())}"
        )
    return codec


def list_codecs() -> list[str]:
    """Names of all registered codecs, sorted (entry points included)."""
    load_entry_points()
    return sorted(base._registry)


def is_codec_registered(spec: str) -> bool:
    """Whether a codec is registered under the name in ``spec``."""
    return _find(parse_type_spec(spec)[0]) is not None


def unregister_codec(name: str) -> None:
    """Remove a codec from the registry (for tests).

    Raises
    ------
    DataJointError
        If no codec has that name.
    """
    name = parse_type_spec(name)[0]
    if name not in base._registry:
        raise DataJointError(f"Codec <{name}> is not registered; nothing to unregister.")
    del base._registry[name]
    base._version[0] += 1


def resolve_dtype(
    spec: str, seen: set[str] | None = None, store_name: str | None = None
) -> tuple[str, list[Codec], str | None]:
    """Follow a type through its codecs to the type stored in the column (spec 02 §5.2).

    Parameters
    ----------
    spec : a type string: ``"<blob>"``, ``"<blob@cold>"``, ``"int32"``, ...
    seen : codec names already on the chain (cycle detection)
    store_name : the store of the enclosing codec, inherited by a codec spec without ``@``

    Returns
    -------
    (final_type, chain, store)
        The core or native type of the column, the codecs from outermost to innermost, and the
        store (``None`` in-table, ``""`` the default store). ``"<blob>"`` gives
        ``("bytes", [blob], None)``; ``"bytes"`` gives ``("bytes", [], None)``.

    Raises
    ------
    DataJointError
        ``Codec <x> is not registered``, ``Circular codec reference``, ``requires @`` (a
        store-only codec without a store), ``Unsupported attribute type``.
    """
    text = spec.strip()
    if not (text.startswith("<") and text.endswith(">")):
        return text, [], store_name
    codec, store = lookup_codec(text)
    if store is None:
        store = store_name
    seen = set() if seen is None else seen
    name = parse_type_spec(text)[0]
    if name in seen:
        raise DataJointError(f"Circular codec reference: <{name}> appears twice in its chain.")
    seen.add(name)
    dtype = codec.get_dtype(store is not None)
    inner = parse_type(dtype)  # "Unsupported attribute type" for a dtype of no known kind
    if inner.kind != CODEC:
        return dtype, [codec], store
    final, chain, _ = resolve_dtype(dtype, seen, store)
    return final, [codec, *chain], store
