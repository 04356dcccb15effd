"""PDF articles (leaflets, medication guides, labels, consent forms) through pypdfium2.

PDFium gives each glyph its box, font size and weight; pdflayout.py puts them in reading order
(columns before rows), pdftext.py removes what the typesetter added (running headers and footers,
page numbers, hyphenation at line ends, letter-spaced capitals, symbol-font bullets). Layout
then gives the structure back: a short line set larger than the body text, or bold when the body
is not, is a HEADING; a line that starts with a bullet glyph is an ITEM, and the lines under it
until the next gap are its text. The DocumentReference keeps the original bytes (application/pdf,
no charset); every offset points into the plain text made from these blocks.

Bounded cost: at most MAX_PAGES pages and MAX_CHARS characters are read, else one error line;
a file that is not a PDF, is truncated (no end-of-file marker), needs a password or has no text
layer (a scan) gets its own error line. PDFium parses in C with its own limits on nesting depth.
"""

from __future__ import annotations

import ctypes
import re
import time
from collections import Counter

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

from ..errors import SourceError
from ..model import BlockKind, RawBlock, RawDocument
from . import pdftext
from .decode import normalize_text
from .pdflayout import Glyph, Line, fragments, reading_order

MEDIA_TYPE = "application/pdf"
MAX_PAGES = 500  # a longer PDF is refused, not truncated (a label is 30 pages, a leaflet 2-8)
MAX_CHARS = 2_000_000  # characters over all pages: a page count cannot hide a text bomb
MAX_SECONDS = 60  # reading stops with an error past this (a 30-page label takes about 1 s)
_HEADING_MAX = 120  # a heading is at most this many characters
_LARGER = 1.12  # set at least this much larger than the body text: a heading
_BULLET = re.compile(r"^([•●○◦▪■□►▸‣∙·*–-])\s+(?=\S)")
_HYPHEN_MARK = "-"  # PDFium reports a hyphen at a line end as U+0002
_FIELD = re.compile(r"^\d{1,2}\s+(?=\S)")  # a form's field number, set apart from its label
_FORCE_BOLD = 1 << 18  # PDF font descriptor flag ForceBold (bit 19)
_ENDS = (".", "?", "!", ":", ";")
_OPEN_ENDS = frozenset("and or the of to for with a an in on at by from as".split())
_DECORATION = re.compile(r"^[-–—=_*\s]{3,}|[-–—=_*\s]{3,}$")


def read(path: str, name: str, raw: bytes) -> RawDocument:
    document = _open(path, raw)
    started = time.monotonic()
    budget = [MAX_CHARS]
    try:
        pages = []
        for i in range(len(document)):
            pages.append(_page_lines(path, document, i, budget))
            if time.monotonic() - started > MAX_SECONDS:
                raise SourceError(f"PDF takes over {MAX_SECONDS} s to read", path=path)
    except pdfium.PdfiumError as exc:
        raise SourceError("damaged PDF: a page cannot be read", path=path) from exc
    finally:
        document.close()
    if not any(line.text.strip() for page in pages for line in page):
        raise SourceError(
            "PDF has no text layer (a scanned image?)",
            path=path,
            hint="Run it through OCR to add a text layer, then export it again.",
        )
    blocks = _blocks(pages)
    return RawDocument(
        path=path, name=name, media_type=MEDIA_TYPE, charset="", raw=raw, blocks=blocks
    )


def _open(path: str, raw: bytes) -> pdfium.PdfDocument:
    if b"%PDF-" not in raw[:1024]:
        raise SourceError("not a PDF file (no %PDF- header)", path=path)
    if b"%%EOF" not in raw[-2048:]:
        raise SourceError(
            "PDF is truncated (no end-of-file marker)", path=path, hint="Download it again."
        )
    try:
        document = pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise SourceError(
                "PDF is encrypted (it needs a password)",
                path=path,
                hint="Save a copy without a password, then export it again.",
            ) from exc
        if exc.err_code == pdfium_c.FPDF_ERR_SECURITY:
            raise SourceError("PDF uses an unsupported security handler", path=path) from exc
        raise SourceError("damaged PDF: it cannot be parsed", path=path) from exc
    count = len(document)
    if count == 0:
        document.close()
        raise SourceError("PDF has no pages", path=path)
    if count > MAX_PAGES:
        document.close()
        raise SourceError(
            f"PDF has {count} pages, over the {MAX_PAGES} page limit",
            path=path,
            hint="Split the document.",
        )
    return document


def _page_lines(
    path: str, document: pdfium.PdfDocument, index: int, budget: list[int]
) -> list[Line]:
    page = document[index]
    textpage = page.get_textpage()
    try:
        budget[0] -= textpage.count_chars()
        if budget[0] < 0:
            raise SourceError(f"PDF holds over {MAX_CHARS} characters of text", path=path)
        return reading_order(fragments(_glyphs(textpage)))
    finally:
        textpage.close()
        page.close()


def _glyphs(textpage: pdfium.PdfTextPage) -> list[Glyph]:
    glyphs: list[Glyph] = []
    bold_fonts: dict[int, bool] = {}
    box = pdfium_c.FS_RECTF()
    x, y = ctypes.c_double(), ctypes.c_double()
    for i in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage, i)
        char = _HYPHEN_MARK if code == 2 else chr(code) if 0 < code < 0xFFFE else ""
        if not char.strip() or pdfium_c.FPDFText_IsGenerated(textpage, i) == 1:
            if char == " " or (char.isspace() and char not in "\r\n"):
                glyphs.append(Glyph(char=" ", x0=0, x1=0, baseline=0, size=0, bold=False))
            continue
        if abs(pdfium_c.FPDFText_GetCharAngle(textpage, i)) > 0.05:
            continue  # rotated text: margin notes, reference ids set sideways
        if not pdfium_c.FPDFText_GetLooseCharBox(textpage, i, box):
            continue
        pdfium_c.FPDFText_GetCharOrigin(textpage, i, x, y)
        size = box.top - box.bottom  # the font's own size on the page, whatever the matrix
        glyphs.append(
            Glyph(
                char=char,
                x0=box.left,
                x1=max(box.right, box.left),
                baseline=round(y.value, 1),
                size=round(size, 1),
                bold=_bold(textpage, i, bold_fonts),
            )
        )
    return glyphs


def _bold(textpage: pdfium.PdfTextPage, i: int, cache: dict[int, bool]) -> bool:
    weight = pdfium_c.FPDFText_GetFontWeight(textpage, i)
    if weight >= 600:
        return True
    font = pdfium_c.FPDFTextObj_GetFont(pdfium_c.FPDFText_GetTextObject(textpage, i))
    key = ctypes.cast(font, ctypes.c_void_p).value or 0
    if key not in cache:
        buffer = ctypes.create_string_buffer(256)
        pdfium_c.FPDFFont_GetBaseFontName(font, buffer, 256)
        base = buffer.value.decode("latin-1").lower()
        flags = pdfium_c.FPDFFont_GetFlags(font) if font else 0
        cache[key] = any(w in base for w in ("bold", "black", "heavy", "semibold")) or bool(
            flags & _FORCE_BOLD
        )
    return cache[key]


def _page_text(page: list[Line]) -> str:
    out: list[str] = []
    for line in page:
        if line.break_before and out:
            out.append("")
        out.append(line.text)
    return "\n".join(out)


def _blocks(pages: list[list[Line]]) -> tuple[RawBlock, ...]:
    styles: dict[str, Line] = {}
    for page in pages:
        for line in page:
            styles.setdefault(_key(line.text), line)
    numbered = {_key(line.text) for page in pages for line in page if line.numbered}
    body = _body_size(pages)
    body_bold = _body_bold(pages, body)
    lines = pdftext.repair([normalize_text(_page_text(page)) for page in pages])
    blocks: list[RawBlock] = []
    current: list[str] = []
    kind = BlockKind.PARAGRAPH
    heading_sizes = sorted({round(s.size) for s in styles.values() if s.size >= body * _LARGER})

    def flush() -> None:
        nonlocal kind
        if current:
            text = " ".join(current)
            if kind is BlockKind.PARAGRAPH and len(current) == 1:
                blocks.append(RawBlock(kind=BlockKind.LINE, text=text))
            else:
                level = 1 if kind is BlockKind.ITEM else 0
                blocks.append(RawBlock(kind=kind, text=text, level=level))
            current.clear()
        kind = BlockKind.PARAGRAPH

    i = 0
    while i < len(lines):
        text = " ".join(lines[i].split())
        i += 1
        if not text:
            flush()
            continue
        level = _heading_level(text, styles.get(_key(text)), body, body_bold, heading_sizes)
        if level:
            # a heading wrapped over lines: the next lines set the same way, none a sentence end
            unit = [text]
            while i < len(lines) and lines[i].strip() and not unit[-1].endswith(_ENDS):
                nxt = " ".join(lines[i].split())
                open_end = unit[-1].rsplit(" ", 1)[-1].casefold() in _OPEN_ENDS
                if not (open_end or nxt[:1].islower()) or level != _heading_level(
                    nxt, styles.get(_key(nxt)), body, body_bold, heading_sizes
                ):
                    break
                unit.append(nxt)
                i += 1
            joined = " ".join(unit)
            follows = i < len(lines) and lines[i].strip()[:1].islower()
            larger = level <= len(heading_sizes)
            if _is_heading(joined, larger=larger) and not follows:
                flush()
                heading = _undecorated(joined)
                blocks.append(RawBlock(kind=BlockKind.HEADING, text=heading, level=level))
                continue
            current.extend(unit)
            continue
        bullet = _BULLET.match(text) or (_key(text) in numbered and _FIELD.match(text))
        if bullet:
            flush()
            kind = BlockKind.ITEM
            current.append(text[bullet.end() :])
            continue
        current.append(text)
    flush()
    return tuple(blocks)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _body_size(pages: list[list[Line]]) -> float:
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page:
            sizes[round(line.size * 2) / 2] += len(line.text)
    return max(sizes.items(), key=lambda kv: (kv[1], -kv[0]))[0] if sizes else 0.0


def _body_bold(pages: list[list[Line]], body: float) -> bool:
    chars = [(line.bold, len(line.text)) for p in pages for line in p if abs(line.size - body) < 1]
    total = sum(n for _, n in chars)
    return total > 0 and sum(b * n for b, n in chars) > 0.5 * total


def _heading_level(
    text: str, style: Line | None, body: float, body_bold: bool, sizes: list[int]
) -> int:
    """0 for body text, else the heading level: 1 for the largest size, bold body size last."""
    if style is None or len(text) > _HEADING_MAX or not any(c.isalpha() for c in text):
        return 0
    if _BULLET.match(text) or text.endswith((",", ";")):
        return 0
    if style.size >= body * _LARGER:
        return 1 + sizes[::-1].index(round(style.size)) if round(style.size) in sizes else 1
    if style.bold >= 0.9 and not body_bold and not text.endswith((".", "?", ":")):
        return min(len(sizes) + 1, 6)
    return 0


def _is_heading(text: str, *, larger: bool) -> bool:
    """A bold line that ends on "and", "for", ... is the start of a bold sentence, not a title;
    a larger one may ("What it is used for")."""
    last = text.rsplit(" ", 1)[-1].casefold()
    short = len(text) <= _HEADING_MAX and not text.endswith(".")
    return short and (larger or last not in _OPEN_ENDS)


def _undecorated(text: str) -> str:
    """'-----INDICATIONS AND USAGE-----' -> 'INDICATIONS AND USAGE'."""
    return _DECORATION.sub("", text) or text
