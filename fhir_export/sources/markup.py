"""Text of a markup element (HTML or SPL), with word breaks where its blocks end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import Enum
from typing import Any

from .decode import collapse


class Role(Enum):
    SKIP = "skip"  # its text is not read (a nested list read on its own, a script)
    BREAK = "break"  # <br>: a word break, no text
    BLOCK = "block"  # its text, set apart by word breaks
    INLINE = "inline"  # its text, run into its neighbours'


def flat_text(el: Any, role: Callable[[Any], Role], *, edges: bool = False) -> str:
    """The element's text: each child read as `role` says; tails always kept. Iterative, so
    that markup nested as deep as the parser keeps (2048) costs no Python recursion. With
    `edges`, white space at either end is kept as one space (the element is read inline
    with its neighbours: '<b>Aspirin </b>is' is two words)."""
    parts: list[str] = [el.text or ""]
    # per open element: its children still to read, and what follows its own text (a block's
    # closing word break, its tail)
    stack: list[tuple[Iterator[Any], str]] = [(iter(el), "")]
    while stack:
        children, after = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            parts.append(after)
            continue
        kind = role(child)
        tail = child.tail or ""
        if kind is Role.BREAK:
            parts.append(" " + tail)
        elif kind is Role.SKIP:
            parts.append(tail)
        else:
            space = " " if kind is Role.BLOCK else ""
            parts.append(space + (child.text or ""))
            stack.append((iter(child), space + tail))
    joined = "".join(parts)
    text = collapse(joined)
    if edges and joined:
        before = " " if joined[0].isspace() else ""
        after = " " if joined[-1].isspace() and text else ""
        return before + text + after
    return text
