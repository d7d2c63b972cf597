"""Small helpers shared across layers: the interactive yes/no prompt, class-name ↔ table-name,
secret strings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any


class Secret(str):
    """A string, such as a password, that never shows its value in ``repr``: objects holding
    it print, log and appear in tracebacks masked (like pydantic's ``SecretStr``), while code
    that needs the value still gets a ``str`` (``get_secret_value()`` or ``str()``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "SecretStr('**********')"

    def get_secret_value(self) -> str:
        return str.__str__(self)


def secret(value: Any) -> Secret | None:
    """``value`` (a str, a pydantic ``SecretStr`` or None) as a :class:`Secret`."""
    if value is None:
        return None
    if hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    return Secret(value)


_SEPARATORS = re.compile(r"[^0-9A-Za-z]+")


def user_choice(
    prompt: str, choices: Sequence[str] = ("yes", "no"), default: str | None = None
) -> str:
    """Ask ``prompt`` until the answer is one of ``choices``; an empty answer means ``default``.

    The answer is read with the name ``input`` looked up in this module at call time, so tests
    can patch ``datajoint.utils.input``.
    """
    shown = ", ".join(c.title() if c == default else c for c in choices)
    answer = ""
    while answer not in choices:
        answer = input(f"{prompt} [{shown}]: ").strip().lower()
        if not answer and default is not None:
            answer = default
    return answer


def to_snake_case(name: str) -> str:
    """``SessionTrial`` → ``session_trial``; ``ProcessedEMG`` → ``processed_e_m_g``."""
    return "".join(("_" if i else "") + c.lower() if c.isupper() else c for i, c in enumerate(name))


def to_camel_case(name: str) -> str:
    """``session_trial`` → ``SessionTrial`` (tier prefixes and other separators removed)."""
    return "".join(part[:1].upper() + part[1:] for part in _SEPARATORS.split(name) if part)


from_camel_case = to_snake_case  # the name DataJoint 0.14 and 2.x code imports
