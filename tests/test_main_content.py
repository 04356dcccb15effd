"""Main content first: navigation, sidebars, teasers and 'related' lists never yield a fact.

The real pages are read from ../shared/realworld (third-party: never copied into the repo);
they skip when absent, except under CI=true where they must be there.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import ARTICLES
from realworld import realworld_dir

from fhir_export import sources
from fhir_export.extraction import extract
from fhir_export.model import BlockKind, RawBlock
from fhir_export.segmentation import segment
from fhir_export.sources import html, main_content
from fhir_export.terminology import default_lexicon

REALWORLD = realworld_dir()
REAL_PAGES = sorted((REALWORLD / "articles").glob("*.html"))


def _has_medicines(page: Path) -> bool:
    golden = json.loads((REALWORLD / "golden" / f"{page.stem}.json").read_text("utf-8"))
    return bool(golden["medications"])


NEGATIVE_PAGES = [p for p in REAL_PAGES if not _has_medicines(p)]
POSITIVE_PAGES = [p for p in REAL_PAGES if _has_medicines(p)]
needs_realworld = pytest.mark.skipif(
    not REAL_PAGES and os.environ.get("CI") != "true",
    reason=f"real-world corpus not found at {REALWORLD}",
)

ARTICLE = """<p>Warfarin is an anticoagulant, a medicine that slows the way your blood forms clots.
It lowers the chance of a harmful clot forming or an existing clot getting bigger, and it is
taken once a day by mouth at the same time each day.</p>
<h2>Side effects</h2><p>Common side effects include:</p><ul><li>bleeding</li><li>nausea</li></ul>
<p>Call your doctor right away if you have severe bleeding, black stools or a bad headache that
does not go away after a day.</p>"""
TEASERS = """<div class="card-grid"><div class="card"><a href="/news/n1"><h3>Nivolumab for
head and neck cancer improves survival</h3></a></div><p><a href="/news/n2">FDA approves
pembrolizumab for head and neck cancer</a></p></div>"""


def _blocks(page: str, main_text: main_content.MainText | None = main_content.resiliparse_main_text,
            ) -> list[str]:
    doc = html.read_with(main_text)("a.html", "a.html", page.encode(), page)
    return [b.text for b in doc.blocks]


def _medicines(path: Path) -> list[str]:
    article = segment(sources.read_article(path, max_bytes=10**8))
    return sorted(m.name.text.casefold() for m in extract(article, default_lexicon()).medications)


def test_teasers_inside_main_are_not_read() -> None:
    page = f"<html><body><main><h1>Warfarin</h1>{ARTICLE}{TEASERS}</main></body></html>"
    texts = _blocks(page)
    assert texts[:3] == ["Warfarin", texts[1], "Side effects"]
    assert "bleeding" in texts and "nausea" in texts
    assert not any("ivolumab" in t or "embrolizumab" in t for t in texts)


def test_a_related_wrapper_around_the_whole_article_does_not_empty_it() -> None:
    page = (f'<html><body><div class="related-content"><h1>Warfarin</h1>{ARTICLE}</div>'
            '<div class="related">More: <a href="/x">Aspirin</a></div></body></html>')
    for main_text in (main_content.resiliparse_main_text, None):
        texts = _blocks(page, main_text)
        assert texts[0] == "Warfarin" and "nausea" in texts, main_text
        assert not any("Aspirin" in t for t in texts)


@pytest.mark.parametrize("depth", [199, 201, 250])
def test_deeply_nested_divs_keep_every_sentence(depth: int) -> None:
    page = ("<html><body>" + "<div>" * depth + f"<h1>Warfarin</h1>{ARTICLE}" + "</div>" * depth
            + "<p>Last sentence after the nesting.</p></body></html>")
    text = " ".join(_blocks(page))
    for sentence in ("Warfarin is an anticoagulant", "Common side effects include:", "nausea",
                     "black stools", "Last sentence after the nesting."):
        assert sentence in text, (depth, sentence)


def test_short_page_falls_back_to_our_own_reading() -> None:
    page = "<html><body><main><h1>Aspirin</h1><p>Aspirin eases pain.</p></main></body></html>"
    assert _blocks(page) == _blocks(page, None) == ["Aspirin", "Aspirin eases pain."]


@pytest.mark.parametrize("answer", ["", "Cookie settings. Accept all cookies."])
def test_extractor_that_drops_the_body_falls_back(answer: str) -> None:
    page = f"<html><body><main><h1>Warfarin</h1>{ARTICLE}</main></body></html>"
    assert _blocks(page, lambda _: answer) == _blocks(page, None)
    assert "nausea" in _blocks(page, lambda _: answer)


def test_extractor_failure_falls_back() -> None:
    def broken(_: str) -> str:
        raise ValueError("cannot parse")

    page = f"<html><body><main><h1>Warfarin</h1>{ARTICLE}</main></body></html>"
    assert _blocks(page, broken) == _blocks(page, None)


def test_bylines_are_kept_for_their_dates() -> None:
    page = ('<html><body><main><h1>Warfarin</h1><p class="byline">Reviewed by A. Lee, PharmD'
            ' · <time datetime="2025-01-02">2 January 2025</time></p>'
            f"{ARTICLE}</main></body></html>")
    assert "Reviewed by A. Lee, PharmD · 2 January 2025" in _blocks(page)


def test_select_matches_short_blocks_only_as_whole_lines_between_anchors() -> None:
    long = "Warfarin slows the way your blood forms clots and lowers the chance of a clot."
    blocks = [RawBlock(kind=BlockKind.ITEM, text="2012"),
              RawBlock(kind=BlockKind.HEADING, text="Report for June 2012"),
              RawBlock(kind=BlockKind.PARAGRAPH, text=long * 2),
              RawBlock(kind=BlockKind.HEADING, text="Side effects"),
              RawBlock(kind=BlockKind.ITEM, text="nausea")]
    main = f"Report for June 2012\n{long * 2}\nSide effects\nnausea\n"
    kept = main_content.select(blocks, main, min_chars=50)
    assert kept is not None
    assert [b.text for b in kept] == ["Report for June 2012", long * 2, "Side effects", "nausea"]
    assert main_content.select(blocks, main) is None  # under MIN_CHARS: the caller falls back


def test_reading_is_deterministic() -> None:
    path = ARTICLES / "montelukast-teasers-inside-main.html"
    first = sources.read_article(path, max_bytes=10**7)
    assert all(sources.read_article(path, max_bytes=10**7) == first for _ in range(3))


def test_own_article_teasers_and_rail_yield_no_medicine() -> None:
    assert _medicines(ARTICLES / "montelukast-teasers-inside-main.html") == ["montelukast"]


def _golden(page: Path) -> dict[str, object]:
    return dict(json.loads((REALWORLD / "golden" / f"{page.stem}.json").read_text("utf-8")))


@needs_realworld
def test_realworld_pages_are_present() -> None:
    assert len(REAL_PAGES) >= 8


@needs_realworld
@pytest.mark.parametrize("page", NEGATIVE_PAGES, ids=lambda p: p.stem)
def test_realworld_negative_controls_yield_no_medicine(page: Path) -> None:
    assert _medicines(page) == []


@needs_realworld
@pytest.mark.parametrize("page", POSITIVE_PAGES, ids=lambda p: p.stem)
def test_realworld_positive_pages_keep_their_medicines_and_sections(
        page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    golden = _golden(page)
    found = _medicines(page)
    text = segment(sources.read_article(page, max_bytes=10**8)).text.casefold()
    monkeypatch.setitem(sources.READERS, ".html", ("text/html", html.read_with(None)))
    assert found == _medicines(page)  # main content took no medicine our own reading found
    sections = golden["sections"]
    assert isinstance(sections, list)
    kept = [s for s in sections if str(s).casefold() in text]
    assert len(kept) >= len(sections) - 1, set(sections) - set(kept)  # CDC's 'Sources' list


def test_own_article_in_a_related_wrapper_keeps_its_facts_and_drops_teaser_lists() -> None:
    path = ARTICLES / "naproxen-related-wrapper-news.html"
    assert _medicines(path) == ["naproxen"]
    text = segment(sources.read_article(path, max_bytes=10**7)).text
    assert "vomit that looks like coffee grounds" in text and "Prednisone" not in text


def test_lists_of_headline_links_are_teasers_but_linked_medicine_names_are_not() -> None:
    teasers = ('<ul><li><a href="/a">Prednisone for a flare: five things to ask</a></li>'
               '<li><a href="/b"><h3>Is long-term omeprazole safe?</h3></a><p>A dek.</p></li></ul>')
    names = ('<p>Statins include:</p><ul><li><a href="/d/a">atorvastatin</a> (Lipitor)</li>'
             '<li><a href="/d/s">simvastatin</a></li></ul>')
    texts = _blocks(f"<html><body><main><h1>Warfarin</h1>{ARTICLE}{names}{teasers}</main>"
                    "</body></html>", None)
    assert "atorvastatin (Lipitor)" in texts and "simvastatin" in texts
    assert not any("rednisone" in t or "meprazole" in t for t in texts)


def test_soft_hyphens_and_decomposed_letters_do_not_hide_a_block() -> None:
    text = "Warfarin is an anticoagulant that lowers the chance of a harmful clot (café)."
    main = ("Warfarin is an anti\u00adcoagu\u00adlant that lowers the chance of a harmful clot"
            " (cafe\u0301).")
    block = RawBlock(kind=BlockKind.PARAGRAPH, text=text)  # as the reader makes it: NFC
    assert main_content.select([block], main, min_chars=10) == (block,)
