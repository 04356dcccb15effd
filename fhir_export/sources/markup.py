"""Text of a markup element (HTML or SPL), with word breaks where its blocks end."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from .decode import collapse


class Role(Enum):
    SKIP = "skip"  # its text is not read (a nested list read on its own, a script)
    BREAK = "break"  # <br>: a word break, no text
    BLOCK = "block"  # its text, set apart by word breaks
    INLINE = "inline"  # its text, run into its neighbours'


def flat_text(el: Any, role: Callable[[Any], Role]) -> str:
    """The element's text: each child read as `role` says; tails always kept."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            kind = role(child)
            if kind is Role.BREAK:
                parts.append(" ")
            elif kind is Role.BLOCK:
                parts.append(" ")
                walk(child)
                parts.append(" ")
            elif kind is Role.INLINE:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return collapse("".join(parts))
