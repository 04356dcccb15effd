"""RawDocument -> Article: decide headings, drop page furniture, read metadata, cut sections.

Plain text has no markup, so a line's role is read from its shape: short title-cased lines
and questions are headings, bylines hold dates, organisation-like lines in the page head name
the publisher, and navigation/footer lines are noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import metadata
from .model import Article, Block, BlockKind, RawBlock, RawDocument, Section

_SMALL = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the",
          "to", "with", "vs", "is", "it", "it's", "its", "your", "you", "if", "do", "does"}
_WHAT_IS = re.compile(r"^what\s+(?:is|are)\s+(?:an?\s+|the\s+)?(?P<topic>.+?)\s*\?$", re.I)
_NUMBERED = re.compile(r"^\d{1,2}[.)]\s+")
_NAME_WITH_ACRONYM = re.compile(r"\([A-Z]{2,6}\)$")


@dataclass(slots=True)
class _Piece:
    kind: BlockKind
    text: str
    level: int = 0
    cells: tuple[str, ...] = ()
    header: bool = False


def _heading_like(text: str) -> bool:
    words = text.split()
    if not words or len(words) > 12 or len(text) > 90:
        return False
    if text.endswith("?"):
        return len(words) >= 2
    if text[-1] in ".;:!,)" or _NAME_WITH_ACRONYM.search(text):
        return False
    if not text[0].isupper():
        return False
    capital = [w for w in words if w[0].isalpha()]
    return all(w[0].isupper() or w.lower() in _SMALL for w in capital)


def _topic(heading: str) -> str:
    match = _WHAT_IS.match(_NUMBERED.sub("", heading))
    return match.group("topic").strip() if match else heading


class _Meta:
    def __init__(self) -> None:
        self.dates: dict[str, str] = {}
        self.reviewer: str | None = None
        self.publisher: str | None = None
        self.copyright: str | None = None

    def read_byline(self, text: str) -> None:
        for kind, iso in metadata.dated_fields(text).items():
            self.dates.setdefault(kind, iso)
        self.reviewer = self.reviewer or metadata.reviewer(text)
        self.publisher = self.publisher or metadata.organisation(text)


def _classify(doc: RawDocument, meta: _Meta) -> list[_Piece]:
    """Keep content blocks; read bylines, publisher and noise out of the rest."""
    pieces: list[_Piece] = []
    seen_body = False
    for raw in doc.blocks:
        text = raw.text.strip()
        if not text:
            continue
        holder = metadata.copyright_holder(text)
        if holder or metadata.is_noise(text):
            meta.copyright = meta.copyright or holder
            continue
        if raw.kind in (BlockKind.LINE, BlockKind.PARAGRAPH) and metadata.is_byline(text):
            meta.read_byline(text)
            continue
        if raw.kind is BlockKind.LINE:
            org = None if seen_body else metadata.organisation(text)
            if org == text:
                meta.publisher = meta.publisher or org
                continue
            kind = BlockKind.HEADING if _heading_like(text) else BlockKind.PARAGRAPH
            pieces.append(_Piece(kind, text, 2 if kind is BlockKind.HEADING else 0))
        else:
            pieces.append(_Piece(raw.kind, text, raw.level, raw.cells, raw.header))
        if pieces and pieces[-1].kind is BlockKind.PARAGRAPH and len(text.split()) > 8:
            seen_body = True
    return pieces


def _title(doc: RawDocument, pieces: list[_Piece]) -> str:
    h1 = next((p for p in pieces if p.kind is BlockKind.HEADING and p.level == 1), None)
    if h1 is not None:
        pieces.remove(h1)
        return _topic(h1.text)
    if doc.hints.title:
        return doc.hints.title
    first = next((p for p in pieces if p.kind is BlockKind.HEADING), None)
    if first is None:
        return doc.name.rsplit(".", 1)[0]
    if not _WHAT_IS.match(_NUMBERED.sub("", first.text)):
        pieces.remove(first)  # a title line, not a section heading
    return _topic(first.text)


def segment(doc: RawDocument) -> Article:
    meta = _Meta()
    pieces = _classify(doc, meta)
    title = _title(doc, pieces)
    text_parts: list[str] = []
    pos = 0
    sections: list[Section] = []
    blocks: list[Block] = []
    heading: str | None = None
    level = 0
    sec_start = 0
    list_id = -1
    prev: BlockKind | None = None

    def close(end: int) -> None:
        if heading is not None or blocks:
            sections.append(Section(index=len(sections), heading=heading, level=level,
                                    start=sec_start, end=end, blocks=tuple(blocks)))

    for piece in pieces:
        sep = "" if pos == 0 else ("\n" if piece.kind is prev and prev in (
            BlockKind.ITEM, BlockKind.ROW) else "\n\n")
        text_parts.append(sep)
        pos += len(sep)
        start, end = pos, pos + len(piece.text)
        text_parts.append(piece.text)
        pos = end
        if piece.kind is BlockKind.HEADING:
            close(start)
            heading, level, sec_start, blocks = piece.text, piece.level, start, []
        else:
            if piece.kind is BlockKind.ITEM and prev is not BlockKind.ITEM:
                list_id += 1
            cells: list[tuple[int, int]] = []
            offset = start
            for cell in piece.cells:
                cells.append((offset, offset + len(cell)))
                offset += len(cell) + 3
            blocks.append(Block(kind=piece.kind, start=start, end=end, level=piece.level,
                                list_id=list_id if piece.kind is BlockKind.ITEM else -1,
                                cells=tuple(cells), header=piece.header))
        prev = piece.kind
    close(pos)
    text = "".join(text_parts)
    hints = doc.hints
    language = (hints.language or metadata.detect_language(text) or "en").split("_")[0]
    hinted_date = metadata.find_date(hints.date) if hints.date else None
    return Article(
        path=doc.path,
        name=doc.name,
        media_type=doc.media_type,
        charset=doc.charset,
        raw=doc.raw,
        text=text,
        title=title,
        publisher=hints.publisher or meta.publisher or meta.copyright,
        reviewer=meta.reviewer,
        date_updated=meta.dates.get("updated") or hinted_date,
        date_reviewed=meta.dates.get("reviewed"),
        language=language,
        sections=tuple(sections),
    )
