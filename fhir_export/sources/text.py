"""Plain-text articles: paragraphs are runs of non-blank lines; bullet lines are list items.
Text extracted from a PDF is repaired first (pdftext.py: pages, running lines, hyphenation).

Whether a short line is a heading, a byline or noise is decided by segmentation, which sees
the whole article; this reader only keeps the lines apart.
"""

from __future__ import annotations

import re

from ..model import BlockKind, RawBlock, RawDocument
from . import pdftext
from .decode import normalize_text

_BULLET = re.compile(r"^(\s*)(?:[-*+•◦▪‣–—·]|\d{1,2}[.)]|[a-z][.)])\s+(?=\S)")


_CELL_GAP = re.compile(r" {2,}|\t+| ?\| ?")
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+")
_SOFT_BREAK = re.compile("\u00ad[ \t]*\r?\n[ \t]*")  # a soft hyphen where a line was broken


def _hard_wrapped(lines: list[str]) -> bool:
    """Text wrapped at a fixed width (e-mail, old leaflets): its lines are not paragraphs."""
    sizes = [len(line.rstrip()) for line in lines if line.strip()]
    if len(sizes) < 8 or max(sizes) > 100:
        return False
    return sum(55 <= n <= 100 for n in sizes) >= 0.6 * len(sizes)


def read(path: str, name: str, raw: bytes, content: str) -> RawDocument:
    blocks: list[RawBlock] = []
    para: list[str] = []
    pages = _SOFT_BREAK.sub("", content).split("\f")  # form feeds part a PDF's pages
    lines = pdftext.repair([normalize_text(page) for page in pages])
    wrapped = _hard_wrapped(lines)

    def flush() -> None:
        if para:
            kind = BlockKind.LINE if len(para) == 1 else BlockKind.PARAGRAPH
            blocks.append(RawBlock(kind=kind, text=" ".join(para)))
            para.clear()

    rows: list[tuple[str, ...]] = []

    def flush_rows() -> None:
        # a lone multi-column line is navigation ("Home   About   Contact"), not a table
        if len(rows) > 1:
            for i, cells in enumerate(rows):
                blocks.append(
                    RawBlock(kind=BlockKind.ROW, text=" | ".join(cells), cells=cells, header=i == 0)
                )
        rows.clear()

    previous_blank = True
    for line in lines:
        blank_before, previous_blank = previous_blank, not line.strip()
        stripped = " ".join(line.split())
        cells = tuple(c.strip() for c in _CELL_GAP.split(line.strip().strip("|")) if c.strip())
        if len(cells) >= 2 and not _BULLET.match(line):
            flush()
            rows.append(cells)
            continue
        flush_rows()
        if not stripped:
            flush()
            continue
        bullet = _BULLET.match(line)
        if bullet:
            flush()
            depth = len(bullet.group(1).expandtabs(4)) // 2 + 1
            numbered = _NUMBERED.match(line)
            # a numbered line keeps its number: it may be a heading ("2. Before you use X")
            text = stripped if numbered else " ".join(line[bullet.end() :].split())
            blocks.append(
                RawBlock(kind=BlockKind.ITEM, text=text, level=depth, header=bool(numbered))
            )
            continue
        last = blocks[-1] if blocks else None
        if (
            not wrapped
            and not para
            and not blank_before
            and stripped[0].islower()
            and last is not None
            and last.kind in (BlockKind.LINE, BlockKind.PARAGRAPH)
            and not last.text.endswith((".", "!", "?", ":", ";"))
        ):
            # a sentence broken across lines: "tell your doctor if you have" / "ever had:"
            blocks[-1] = RawBlock(kind=BlockKind.PARAGRAPH, text=f"{last.text} {stripped}")
            continue
        para.append(stripped)
        if not wrapped:
            flush()
    flush_rows()
    flush()
    return RawDocument(
        path=path, name=name, media_type="text/plain", charset="", raw=raw, blocks=tuple(blocks)
    )
