"""Small helpers shared across layers: the interactive yes/no prompt."""

from __future__ import annotations

from collections.abc import Sequence


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
