"""Segmentation: headings, metadata, noise, sections and offsets."""

from __future__ import annotations

from fhir_export import metadata
from fhir_export.model import BlockKind, RawBlock, RawDocument, SourceHints
from fhir_export.segmentation import segment


def _doc(*lines: str, kind: BlockKind = BlockKind.LINE,
         hints: SourceHints | None = None) -> RawDocument:
    return RawDocument(path="x.txt", name="x.txt", media_type="text/plain", charset="utf-8",
                       raw=b"", blocks=tuple(RawBlock(kind=kind, text=t) for t in lines),
                       hints=hints or SourceHints())


BODY = "This is a long enough paragraph that reads like real body text of an article."


def test_scraped_page_header() -> None:
    article = segment(_doc("Skip to main content", "Medically reviewed by Last updated on "
                           "Jan 2, 2024.", "What is Immunotherapy?", "Harvard Health Publishing",
                           BODY, "Further information", "Always consult your healthcare "
                           "provider to ensure the information applies to you."))
    assert article.title == "Immunotherapy"
    assert article.publisher == "Harvard Health Publishing"
    assert article.date_updated == "2024-01-02"
    assert article.reviewer is None
    assert [s.heading for s in article.sections] == ["What is Immunotherapy?"]
    assert "Skip to main" not in article.text and "Always consult" not in article.text


def test_headings_need_body_after_them_unless_title_cased() -> None:
    article = segment(_doc("Knee Arthroscopy", BODY, "Why it's done", BODY, "Additional Info",
                           "American Cancer Society (ACS)", "a short line"))
    assert article.title == "Knee Arthroscopy"
    assert [s.heading for s in article.sections if s.heading] == ["Why it's done",
                                                                  "Additional Info"]


def test_offsets_point_into_text() -> None:
    article = segment(_doc("Title Here", BODY, "Second Part", BODY))
    for section in article.sections:
        for block in section.blocks:
            assert article.text[block.start:block.end] == BODY


def test_numbered_headings_and_contents_list() -> None:
    doc = RawDocument(path="x.txt", name="x.txt", media_type="text/plain", charset="utf-8",
                      raw=b"", blocks=(
                          RawBlock(kind=BlockKind.LINE, text="Leaflet Title"),
                          RawBlock(kind=BlockKind.LINE, text="What is in this leaflet"),
                          RawBlock(kind=BlockKind.ITEM, text="1. What it is", header=True),
                          RawBlock(kind=BlockKind.ITEM, text="2. Before you use it", header=True),
                          RawBlock(kind=BlockKind.LINE, text=BODY),
                          RawBlock(kind=BlockKind.ITEM, text="1. What it is", header=True),
                          RawBlock(kind=BlockKind.LINE, text=BODY),
                          RawBlock(kind=BlockKind.ITEM, text="2. Before you use it", header=True),
                          RawBlock(kind=BlockKind.LINE, text=BODY),
                      ))
    article = segment(doc)
    assert [s.heading for s in article.sections if s.heading] == [
        "What is in this leaflet", "1. What it is", "2. Before you use it"]


def test_hints_win_and_language_detection() -> None:
    article = segment(_doc("Das ist ein Text und die Behandlung ist mit der Infusion nicht "
                           "einfach, aber sie ist bei den meisten Patienten gut und das ist "
                           "eine gute Nachricht für die Patienten mit der Krankheit.",
                           kind=BlockKind.PARAGRAPH,
                           hints=SourceHints(title="Hinted", publisher="Pub", date="2025-02-03")))
    assert (article.title, article.publisher, article.date_updated) == ("Hinted", "Pub",
                                                                        "2025-02-03")
    assert article.language == "de"


def test_dates_and_bylines() -> None:
    assert metadata.dated_fields("Reviewed by Dr A · Updated Feb 10, 2025") == {
        "updated": "2025-02-10"}
    assert metadata.dated_fields("Last reviewed: 3 June 2024 · Review due: June 2026") == {
        "reviewed": "2024-06-03"}
    assert metadata.dated_fields("Last revised: 14 September 2023") == {"updated": "2023-09-14"}
    assert metadata.find_date("Stand: 2. März 2024") == "2024-03-02"
    assert metadata.find_date("31 February 2024") is None
    assert metadata.reviewer("Reviewed by Daniel Okafor, MD · Updated Feb 10, 2025") == (
        "Daniel Okafor")
    assert metadata.organisation("© 2025 Brightwater Orthopedic Health. All rights reserved."
                                 ) == "Brightwater Orthopedic Health"
