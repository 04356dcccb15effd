"""Plain-text articles: paragraphs are runs of non-blank lines; bullet lines are list items.

Whether a short line is a heading, a byline or noise is decided by segmentation, which sees
the whole article; this reader only keeps the lines apart.
"""

from __future__ import annotations

import re

from ..model import BlockKind, RawBlock, RawDocument
from .decode import normalize_text

_BULLET = re.compile(r"^(\s*)(?:[-*+•◦▪‣–—·]|\d{1,2}[.)]|[a-z][.)])\s+(?=\S)")


def read(path: str, name: str, raw: bytes, content: str) -> RawDocument:
    blocks: list[RawBlock] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            kind = BlockKind.LINE if len(para) == 1 else BlockKind.PARAGRAPH
            blocks.append(RawBlock(kind=kind, text=" ".join(para)))
            para.clear()

    for line in normalize_text(content).split("\n"):
        stripped = " ".join(line.split())
        if not stripped:
            flush()
            continue
        bullet = _BULLET.match(line)
        if bullet:
            flush()
            depth = len(bullet.group(1).expandtabs(4)) // 2 + 1
            blocks.append(
                RawBlock(kind=BlockKind.ITEM, text=" ".join(line[bullet.end() :].split()),
                         level=depth)
            )
            continue
        para.append(stripped)
    flush()
    return RawDocument(
        path=path, name=name, media_type="text/plain", charset="", raw=raw, blocks=tuple(blocks)
    )
