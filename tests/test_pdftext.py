"""Text extracted from PDFs: C1 characters, ligatures, page furniture, hyphenation and
letter-spaced headings are repaired before segmentation; offsets point into the repaired text."""

from __future__ import annotations

from pathlib import Path

import pytest

from fhir_export.errors import SourceError
from fhir_export.model import BlockKind
from fhir_export.segmentation import segment
from fhir_export.sources import read_article
from fhir_export.sources.decode import normalize_text
from fhir_export.sources.pdftext import repair


def _read(tmp_path: Path, content: str | bytes, name: str = "leaflet.txt"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return read_article(path, max_bytes=1_000_000)


def _texts(tmp_path: Path, content: str | bytes) -> list[str]:
    return [b.text for b in _read(tmp_path, content).blocks]


# --- characters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("don\x92t stop", "don\u2019t stop"),  # windows-1252 0x92
        ("take it 2\x965 days", "take it 2\u20135 days"),  # 0x96 en dash
        ("\x93stop\x94 \x85", "\u201cstop\u201d \u2026"),
        ("bullet\x95 point", "bullet\u2022 point"),
        ("a\x81b\x8dc\x8fd\x90e\x9df", "abcdef"),  # undefined in windows-1252: dropped
        ("\ufb01ve \ufb02u e\ufb00ects o\ufb03ce ba\ufb04e", "five flu effects office baffle"),
    ],
)
def test_c1_characters_and_ligatures(written: str, read: str) -> None:
    assert normalize_text(written) == read


def test_other_compatibility_characters_are_kept() -> None:
    assert normalize_text("10 mg\u00b2 \u2460 \u00bd tablet") == "10 mg\u00b2 \u2460 \u00bd tablet"


def test_text_full_of_c1_characters_is_an_article_not_binary(tmp_path: Path) -> None:
    line = "Don\x92t take more than 2\x963 tablets a day \x96 ask your pharmacist\x85\n"
    texts = _texts(tmp_path, line * 20)
    assert texts[0].startswith("Don\u2019t take more than 2\u20133 tablets a day \u2013 ask")
    assert not any("\x80" <= ch <= "\x9f" for text in texts for ch in text)


@pytest.mark.parametrize(
    "content",
    [
        b"Rituximab" + bytes(range(1, 9)) * 3 + b" is a medicine.\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00",
        bytes(range(1, 32)) * 20,
    ],
    ids=["c0-run", "nul", "c0-only"],
)
def test_binary_is_still_binary(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(SourceError, match="binary file"):
        _read(tmp_path, content)


def test_a_few_stray_c0_controls_in_a_long_text_are_dropped(tmp_path: Path) -> None:
    body = "Take one tablet a day with water, with or without food.\n" * 40
    texts = _texts(tmp_path, body + "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f end.\n")
    assert texts[-1].endswith("with or without food. end.")


def test_form_feeds_are_not_binary(tmp_path: Path) -> None:
    page = "Page text that is long enough to be a sentence of the leaflet.\n"
    assert _read(tmp_path, (page * 3 + "\f") * 12).blocks


# --- pages -----------------------------------------------------------------------------------

HEADER = "Lorvatin tablets \u2013 Patient leaflet"
FOOTER = "Brookfield Community Pharmacy \u00b7 Leaflet LV-7 \u00b7 Revised May 2024"


def _paged(pages: list[list[str]], mark: str | None = "Page {n} of {total}") -> str:
    out: list[str] = []
    for n, body in enumerate(pages, 1):
        out += [HEADER, "", *body, ""]
        if mark:
            out.append(mark.format(n=n, total=len(pages)))
        out += [FOOTER, ""]
    return "\n".join(out)


PAGES = [
    ["Lorvatin tablets", "", "What is lorvatin?", "",
     "Lorvatin lowers cholesterol. Take one tablet each evening, with or without food, at",
     ],
    ["the same time each day.", "", "Side effects", "", "- headache", "- muscle pain", ""],
    ["Tell your doctor if you are pregnant.", "", "Storage", "", "Keep below 25 \u00b0C."],
]


@pytest.mark.parametrize(
    "mark", ["Page {n} of {total}", "page {n}", "{n} of {total}", "- {n} -", None]
)
def test_running_lines_and_page_numbers_are_removed(tmp_path: Path, mark: str | None) -> None:
    text = _paged(PAGES, mark)
    if mark is None:
        text = text.replace(FOOTER + "\n", FOOTER + "\n\f")  # pages by form feed only
    article = segment(_read(tmp_path, text))
    body = article.text
    assert "Page 2" not in body and "\n2\n" not in body and "- 2 -" not in body
    # the header stays once at the head of the article, the footer once at its foot
    assert body.count(HEADER) + (article.title == HEADER) == 1
    assert FOOTER not in body or body.rstrip().endswith(FOOTER)
    # the sentence the first page break cut is one sentence again
    assert "with or without food, at the same time each day." in body
    assert [s.heading for s in article.sections if s.heading] == [
        "What is lorvatin?", "Side effects", "Storage",
    ]


def test_form_feed_pages_with_lone_numbers(tmp_path: Path) -> None:
    pages = ["\n".join([HEADER, "", *body, "", str(n)]) for n, body in enumerate(PAGES, 1)]
    article = segment(_read(tmp_path, "\f".join(pages)))
    assert "\n1\n" not in article.text and not article.text.rstrip().endswith("3")
    assert article.text.count(HEADER) <= 1


def test_counted_lone_numbers_cut_pages_without_form_feeds() -> None:
    lines = ["Intro line one.", "Intro line two.", "Intro line three.", "Intro four.", "More.",
             "1", "Middle one.", "Middle two.", "Middle three.", "Middle four.", "Middle five.",
             "2", "End."]
    assert repair(["\n".join(lines)]) == [*lines[:5], "", *lines[6:11], "", "End."]


def test_numbers_that_do_not_count_pages_stay() -> None:
    lines = ["Doses per day:", "2", "Tablets per dose:", "2"]
    assert repair(["\n".join(lines)]) == lines


def test_a_repeated_heading_without_pages_stays(tmp_path: Path) -> None:
    text = "Drug A\n\nSide effects\n\n- nausea\n\nDrug B\n\nSide effects\n\n- rash\n"
    assert _texts(tmp_path, text).count("Side effects") == 2


# --- hyphenation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["Your treat-", "ment lasts a week."], "Your treatment lasts a week."),
        (["Take the medi-", "cine with food."], "Take the medicine with food."),
        (["An anti-", "biotic may help."], "An antibiotic may help."),
        (["For long-", "term use only."], "For long-term use only."),
        (["Ask about self-", "care."], "Ask about self-care."),
        (["You may need an x-", "ray first."], "You may need an x-ray first."),
        (["Guillain-", "Barr\u00e9 syndrome is rare."], "Guillain-Barr\u00e9 syndrome is rare."),
        (["After your COVID-", "19 vaccine."], "After your COVID-19 vaccine."),
        (["It is an over-the-", "counter medicine."], "It is an over-the-counter medicine."),
        (["A life-", "threatening reaction."], "A life-threatening reaction."),
        (["(treat-", "ment) lasts."], "(treatment) lasts."),
        (["It low-", "ers uric acid."], "It lowers uric acid."),
        (["An all-", "ergy to it."], "An allergy to it."),
        (["A low-", "dose tablet."], "A low-dose tablet."),
        (["Non-", "steroidal drugs."], "Non-steroidal drugs."),
    ],
)
def test_hyphenation_at_line_ends(lines: list[str], joined: str) -> None:
    assert " ".join(x for x in repair(["\n".join(lines)]) if x) == joined


def test_the_article_is_its_own_dictionary() -> None:
    # "blood-thinning" is spelled hyphenated elsewhere, "bloodstream" whole
    text = (
        "A blood-\nthinning medicine. Blood-thinning tablets.\n"
        "Into the blood-\nstream. Bloodstream."
    )
    assert repair([text]) == [
        "A blood-thinning", "medicine. Blood-thinning tablets.", "Into the bloodstream.",
        "Bloodstream.",
    ]


def test_a_dash_before_a_list_or_a_blank_line_is_no_hyphenation() -> None:
    text = "Common side effects -\n\nheadache\nSee also -\n1. Dosage"
    assert repair([text]) == text.split("\n")


def test_soft_hyphen_at_a_line_end_joins_the_word(tmp_path: Path) -> None:
    assert _texts(tmp_path, "Your treat\u00ad\nment lasts a week.\n") == [
        "Your treatment lasts a week."
    ]


# --- letter-spaced headings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "read"),
    [
        ("S I D E  E F F E C T S", "SIDE EFFECTS"),
        ("2. W H A T  I S  L O R V A T I N ?", "2. WHAT IS LORVATIN ?"),
        ("s t o r a g e", "storage"),
        ("Vitamins a b c d help.", "Vitamins a b c d help."),  # inside a sentence: left
        ("Hepatitis A or B", "Hepatitis A or B"),
    ],
)
def test_letter_spaced_words(line: str, read: str) -> None:
    assert repair([line]) == [read]


def test_letter_spaced_heading_is_a_heading_not_a_table_row(tmp_path: Path) -> None:
    text = (
        "Lorvatin\n\nS I D E  E F F E C T S\n\n"
        "Lorvatin can cause headache and muscle pain in some people who take it.\n"
    )
    doc = _read(tmp_path, text)
    assert [b.kind for b in doc.blocks] == [BlockKind.LINE] * 3
    article = segment(doc)
    assert [s.heading for s in article.sections] == ["SIDE EFFECTS"]


# --- offsets -----------------------------------------------------------------------------------


def test_offsets_point_into_the_repaired_text(tmp_path: Path) -> None:
    raw = _paged(PAGES).replace("cholesterol", "choles-\nterol")
    article = segment(_read(tmp_path, raw))
    for section in article.sections:
        for block in section.blocks:
            assert 0 <= block.start < block.end <= len(article.text)
    assert article.raw == raw.encode("utf-8")  # content[0] keeps the bytes as they were
    assert "Lorvatin lowers cholesterol." in article.text


def test_symbol_font_bullets_are_bullets(tmp_path: Path) -> None:
    doc = _read(tmp_path, "Side effects:\n\uf0b7 headache\n  \uf0a7 mild\n\uf0b7\tnausea\n")
    assert [(b.kind, b.text, b.level) for b in doc.blocks[1:]] == [
        (BlockKind.ITEM, "headache", 1),
        (BlockKind.ITEM, "mild", 2),
        (BlockKind.ITEM, "nausea", 1),
    ]
