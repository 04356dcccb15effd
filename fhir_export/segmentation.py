"""RawDocument -> Article: decide headings, drop page furniture, read metadata, cut sections.

Plain text has no markup, so a line's role is read from its shape: short title-cased lines
and questions are headings, bylines hold dates, organisation-like lines in the page head name
the publisher, and navigation/footer lines are noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import metadata
from .model import Article, Block, BlockKind, RawDocument, Section

_SMALL = {
    "a",
    "an",
    "and",
    "as",
    "at",
    "but",
    "by",
    "for",
    "in",
    "of",
    "on",
    "or",
    "the",
    "to",
    "with",
    "vs",
    "is",
    "it",
    "it's",
    "its",
    "your",
    "you",
    "if",
    "do",
    "does",
}
_DANGLING = frozenset(
    "have has had are is was were be if to with include includes including the a an of for "
    "and or you your when take use following these any as by from".split()
)
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
    topic: str | None = None  # HEADING: the kind its markup states


def _heading_like(text: str, *, strong: bool = False) -> bool:
    """Short, unpunctuated, capitalised. `strong`: also title-cased, a question or capitals."""
    words = text.split()
    if not words or len(words) > 12 or len(text) > 90:
        return False
    if text.endswith("?"):
        return len(words) >= 2
    if text[-1] in ".;:!," or (_NAME_WITH_ACRONYM.search(text) and not text.isupper()):
        return False
    bare = _NUMBERED.sub("", text)
    if not bare[:1].isupper() or ": " in bare:  # "Route: Oral" is a fact, not a heading
        return False
    if not strong or bare.isupper():
        return True
    capital = [w.lstrip("(") for w in bare.split() if w.lstrip("(")[:1].isalpha()]
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
        self.orgs: list[str] = []  # every organisation name a line gives, as written
        self.title_line: _Piece | None = None  # plain text: the first short line of the page

    def read_byline(self, text: str) -> None:
        for kind, iso in metadata.dated_fields(text).items():
            self.dates.setdefault(kind, iso)
        self.reviewer = self.reviewer or metadata.reviewer(text)
        self.publisher = self.publisher or metadata.organisation(text)


def _classify(doc: RawDocument, meta: _Meta) -> list[_Piece]:
    """Keep content blocks; read bylines, publisher and noise out of the rest."""
    pieces: list[_Piece] = []
    seen_body = False
    for i, raw in enumerate(doc.blocks):
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
            org = metadata.organisation(text)
            if org:
                meta.orgs.append(org)
            if org == text and not seen_body:
                meta.publisher = meta.publisher or org
                continue
            if org is not None and org in text:
                pieces.append(_Piece(BlockKind.PARAGRAPH, text))
                continue
            nxt = doc.blocks[i + 1] if i + 1 < len(doc.blocks) else None
            body_follows = nxt is not None and (
                nxt.kind in (BlockKind.ITEM, BlockKind.ROW, BlockKind.PARAGRAPH)
                or len(nxt.text.split()) > 12
                or nxt.text.rstrip().endswith((".", ":"))
            )
            heading = _heading_like(text, strong=True) or (body_follows and _heading_like(text))
            if (
                heading
                and nxt is not None
                and nxt.kind is BlockKind.ITEM
                and (text.split()[-1].lower() in _DANGLING)
            ):
                heading = False  # "Ask a doctor before use if you have" leads into a list
            kind = BlockKind.HEADING if heading else BlockKind.PARAGRAPH
            pieces.append(_Piece(kind, text, 2 if kind is BlockKind.HEADING else 0))
            if (
                meta.title_line is None
                and not seen_body
                and len(text.split()) <= 12
                and (text[-1] not in ".;:,")
            ):
                meta.title_line = pieces[-1]
        else:
            pieces.append(_Piece(raw.kind, text, raw.level, raw.cells, raw.header, raw.topic))
        if pieces and pieces[-1].kind is BlockKind.PARAGRAPH and len(text.split()) > 8:
            seen_body = True
    return pieces


def _numbered_headings(pieces: list[_Piece]) -> list[_Piece]:
    """Plain text: a lone numbered line before a paragraph is a heading ("2. Before you use
    X"); a run of numbered lines that repeats later headings is a table of contents."""
    out = list(pieces)
    for i, piece in enumerate(out):
        if piece.kind is not BlockKind.ITEM or not piece.header:
            continue
        # numbered steps run on; a numbered line between bullets or paragraphs is a heading
        prev_item = i > 0 and out[i - 1].kind is BlockKind.ITEM and out[i - 1].header
        next_item = i + 1 < len(out) and out[i + 1].kind is BlockKind.ITEM and out[i + 1].header
        if not prev_item and not next_item and _heading_like(piece.text, strong=False):
            out[i] = _Piece(BlockKind.HEADING, piece.text, 2)
    headings = {p.text.casefold() for p in out if p.kind is BlockKind.HEADING}
    keep: list[_Piece] = []
    for piece in out:
        if piece.kind is BlockKind.ITEM and piece.header and piece.text.casefold() in headings:
            continue  # a contents entry
        keep.append(piece)
    return keep


def _title(doc: RawDocument, pieces: list[_Piece], line: _Piece | None) -> str:
    h1 = next((p for p in pieces if p.kind is BlockKind.HEADING and p.level == 1), None)
    if h1 is not None:
        pieces.remove(h1)
        return _topic(h1.text)
    if doc.hints.title:
        return doc.hints.title
    first = (
        line
        if line is not None and line in pieces
        else next((p for p in pieces if p.kind is BlockKind.HEADING), None)
    )
    if first is None:
        return _name_of(doc)
    if not _WHAT_IS.match(_NUMBERED.sub("", first.text)):
        pieces.remove(first)  # a title line, not a section heading
    return _topic(first.text)


def _name_of(doc: RawDocument) -> str:
    """The title of an article that states none: the last part of its canonical URL when it
    has one (renaming its file changes nothing), else its file name without the suffix."""
    if doc.hints.url:
        path = doc.hints.url.split("#", 1)[0].split("?", 1)[0].rstrip("/")
        last = path.rsplit("/", 1)[-1] if "/" in path.split("://", 1)[-1] else ""
        last = last.rsplit(".", 1)[0] if "." in last else last
        return last or doc.hints.url
    return doc.name.rsplit(".", 1)[0]


def _publisher(name: str | None, meta: _Meta) -> str | None:
    """Prefer the mixed-case spelling when a header shouts the name the footer writes."""
    if name and name.isupper():
        spelled = [
            o
            for o in (meta.copyright, *meta.orgs)
            if o and not o.isupper() and o.casefold() == name.casefold()
        ]
        return spelled[0] if spelled else name
    return name


def segment(doc: RawDocument) -> Article:
    meta = _Meta()
    pieces = _numbered_headings(_classify(doc, meta))
    title = _title(doc, pieces, meta.title_line)
    text_parts: list[str] = []
    pos = 0
    sections: list[Section] = []
    blocks: list[Block] = []
    heading: str | None = None
    topic: str | None = None
    level = 0
    sec_start = 0
    list_id = -1
    prev: BlockKind | None = None

    def close(end: int) -> None:
        if heading is not None or blocks:
            sections.append(
                Section(
                    index=len(sections),
                    heading=heading,
                    level=level,
                    start=sec_start,
                    end=end,
                    blocks=tuple(blocks),
                    topic=topic,
                )
            )

    for piece in pieces:
        sep = (
            ""
            if pos == 0
            else (
                "\n" if piece.kind is prev and prev in (BlockKind.ITEM, BlockKind.ROW) else "\n\n"
            )
        )
        text_parts.append(sep)
        pos += len(sep)
        start, end = pos, pos + len(piece.text)
        text_parts.append(piece.text)
        pos = end
        if piece.kind is BlockKind.HEADING:
            close(start)
            heading, level, sec_start, blocks = piece.text, piece.level, start, []
            topic = piece.topic
        else:
            if piece.kind is BlockKind.ITEM and prev is not BlockKind.ITEM:
                list_id += 1
            cells: list[tuple[int, int]] = []
            offset = start
            for cell in piece.cells:
                cells.append((offset, offset + len(cell)))
                offset += len(cell) + 3
            blocks.append(
                Block(
                    kind=piece.kind,
                    start=start,
                    end=end,
                    level=piece.level,
                    list_id=list_id if piece.kind is BlockKind.ITEM else -1,
                    cells=tuple(cells),
                    header=piece.header,
                )
            )
        prev = piece.kind
    close(pos)
    text = "".join(text_parts)
    hints = doc.hints
    language = metadata.language_tag(hints.language) or metadata.detect_language(text) or "en"
    hinted_date = metadata.find_date(hints.date) if hints.date else None
    return Article(
        path=doc.path,
        name=doc.name,
        media_type=doc.media_type,
        charset=doc.charset,
        raw=doc.raw,
        text=text,
        title=title,
        publisher=_publisher(hints.publisher or meta.publisher or meta.copyright, meta),
        reviewer=meta.reviewer,
        # a versioned document (SPL) is dated by its version's effective time, not by its text
        date_updated=(hinted_date if doc.identity else None)
        or meta.dates.get("updated")
        or hinted_date,
        date_reviewed=meta.dates.get("reviewed"),
        language=language,
        sections=tuple(sections),
        products=doc.products,
        identity=doc.identity,
        url=hints.url,
    )
