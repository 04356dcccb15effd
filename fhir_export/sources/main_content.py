"""Main content first: which of a page's blocks belong to the article itself.

A main-content extractor (Resiliparse, see the README's *HTML: main content first*) reads the
page and returns the article's text without navigation, sidebars, teasers, 'related' and
'popular' lists, cookie banners or adverts. Our own reader still walks the DOM for headings,
lists and tables; this module only decides which of the blocks it found are main content, by
finding each block's words, in order, in the extractor's text. A block the extractor left out
never reaches segmentation, so it can never yield a medicine or a fact.

When the extractor returns too little (a short page, or a layout it misreads), `select` answers
None and the reader falls back to its own boilerplate removal rather than exporting nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from typing import Any

from lxml import etree
from resiliparse.extract.html2text import extract_plain_text

from ..model import BlockKind, RawBlock
from .decode import normalize_text

MainText = Callable[[str], str]

MIN_CHARS = 250  # less main content than this (extractor's or kept): fall back
_LONG = 40  # a block this long (in normalized characters) is unique enough to match anywhere
_WORD = re.compile(r"\w+")


def page_of(subtree: Any) -> str:
    """The page handed to the extractor: the subtree our own boilerplate removal kept (so the
    extractor reads kilobytes, not a 170 KB mega-menu), as a document of its own.

    Resiliparse's main-content mode drops every <ul> as navigation; patient-education articles
    carry their facts in bullet lists, so lists are handed over as <ol>, which it judges like
    any block (link-heavy lists still go). The subtree is changed in place: call this after
    walking it.
    """
    for ul in subtree.iter("ul"):
        ul.tag = "ol"
    page = etree.tostring(subtree, encoding="unicode", method="html")
    return f"<html>{page}</html>" if subtree.tag == "body" else f"<html><body>{page}</body></html>"


def resiliparse_main_text(html: str) -> str:
    """The page's main content as plain text (Resiliparse's main-content heuristics)."""
    return str(
        extract_plain_text(
            html,
            preserve_formatting=True,
            main_content=True,
            list_bullets=False,
            alt_texts=False,
            links=False,
            form_fields=False,
            noscript=False,
            comments=False,
        )
    )


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def select(
    blocks: Sequence[RawBlock],
    main_text: str,
    *,
    keep: Collection[int] = (),
    min_chars: int = MIN_CHARS,
) -> tuple[RawBlock, ...] | None:
    """The blocks whose words the main text holds, in page order, and those at the indices in
    `keep` (bylines: extractors drop them, segmentation reads dates from them); None when too
    little is left to be an article (the caller then uses its own boilerplate removal).

    Long blocks are matched first, in order, as anchors. A short block ('Overview', 'Side
    effects', a one-word list item) must be a whole line of the main text lying between the
    kept blocks around it, so a menu entry '2012' is not kept for the '2012' inside a heading.
    """
    main_text = normalize_text(main_text)  # as our blocks are: NFC, no soft hyphens
    lines = [w for w in map(_words, main_text.splitlines()) if w]
    lined = "\n" + "\n".join(lines) + "\n"  # one separator per line break: same offsets as
    flat = lined.replace("\n", " ")  # the flat text, which long blocks match across lines
    if len(flat) < min_chars:
        return None
    words = [_words(b.text) for b in blocks]
    spans: list[tuple[int, int] | None] = [None] * len(blocks)
    cursor = 0
    for i, w in enumerate(words):
        if len(w) >= _LONG:
            found = flat.find(f" {w} ", cursor)
            if found >= 0:
                spans[i] = (found, found + len(w) + 1)
                cursor = found + len(w) + 1
            elif blocks[i].kind is not BlockKind.HEADING and f" {w} " in flat:
                spans[i] = (-1, -1)  # long and unique: the extractor put it elsewhere
    bounds = [len(flat)] * (len(blocks) + 1)  # where the next anchor starts
    for i in range(len(blocks) - 1, -1, -1):
        span = spans[i]
        bounds[i] = span[0] if span is not None and span[0] >= 0 else bounds[i + 1]
    kept: list[RawBlock] = []
    cursor = 0
    for i, w in enumerate(words):
        span = spans[i]
        if span is None and w:  # short (or lost); "•" has no word at all
            found = lined.find(f"\n{w}\n", cursor, bounds[i + 1] + 1)
            span = (found, found + len(w) + 1) if found >= 0 else None
        if span is not None:
            cursor = max(cursor, span[1])
        if span is not None or i in keep:
            kept.append(blocks[i])
    if sum(len(b.text) for b in kept) < min_chars:
        return None
    return tuple(kept)
