"""PDF articles: reading order, structure from layout, page furniture, bad and hostile files.

The PDFs are our own (scripts/make_test_pdfs.py wrote them; the generated files are committed):
tests/data/articles/lisinopril-leaflet.pdf, the golden article (two pages, running header and
footer, headings by size and weight, bullet lists, a hyphenated line end, a two-column part),
and tests/data/pdf/ (a two-column page, a consent form, a scan, an encrypted file, a truncated
one, bombs).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fhir_export.cli import main
from fhir_export.errors import ExitCode, SourceError
from fhir_export.model import BlockKind, RawDocument
from fhir_export.sources import pdf, pdflayout, read_article
from fhir_export.sources.pdflayout import Fragment, Glyph, fragments, reading_order

DATA = Path(__file__).parent / "data"
LEAFLET = DATA / "articles" / "lisinopril-leaflet.pdf"
PDFS = DATA / "pdf"


def read(path: Path) -> RawDocument:
    return read_article(path, max_bytes=10_000_000)


def texts(doc: RawDocument, kind: BlockKind) -> list[str]:
    return [b.text for b in doc.blocks if b.kind is kind]


def run(*args: str | Path) -> Result:
    env: dict[str, str | None] = {"SOURCE_DATE_EPOCH": None}
    env.update({k: None for k in os.environ if k.startswith("FHIR_EXPORT")})
    return CliRunner().invoke(main, [str(a) for a in args], env=env, prog_name="fhir-export")


# ---- the leaflet: structure recovered from layout ------------------------------------------


def test_leaflet_is_read_as_pdf_with_its_bytes() -> None:
    doc = read(LEAFLET)
    assert doc.media_type == "application/pdf"
    assert doc.charset == ""
    assert doc.raw == LEAFLET.read_bytes()
    assert doc.name == "lisinopril-leaflet.pdf"


def test_headings_from_size_and_weight() -> None:
    doc = read(LEAFLET)
    headings = [(b.level, b.text) for b in doc.blocks if b.kind is BlockKind.HEADING]
    assert headings == [
        (1, "Lisinopril 10 mg Tablets"),  # the largest size
        (2, "1. What lisinopril is and what it is used for"),  # larger than the body
        (2, "2. What you need to know before you take lisinopril"),
        (3, "Warnings and precautions"),  # bold at body size
        (3, "Pregnancy and breast-feeding"),
        (2, "3. How to take lisinopril"),
        (2, "4. Possible side effects"),
        (3, "Common side effects"),
        (3, "Stop taking lisinopril and see a doctor at once if you have"),  # wrapped: one
        (2, "5. How to store lisinopril"),
        (2, "6. Contents of the pack and other information"),
        (3, "Marketing Authorisation Holder and Manufacturer"),
    ]
    # a bold line ending in a colon introduces a list: it is text, as in the text formats
    assert "Do not take lisinopril:" in texts(doc, BlockKind.LINE)


def test_bullets_become_items_with_their_wrapped_lines() -> None:
    items = texts(read(LEAFLET), BlockKind.ITEM)
    assert items[:2] == ["high blood pressure (hypertension)", "heart failure"]
    assert (
        "if you have ever had swelling of the face, lips, tongue or throat (angioedema) after "
        "taking an ACE inhibitor" in items
    )
    assert "•" not in " ".join(items)


def test_running_header_footer_and_page_numbers_removed() -> None:
    text = "\n".join(b.text for b in read(LEAFLET).blocks)
    assert text.count("Lisinopril 10 mg tablets – patient information leaflet") == 1
    assert "Page 1 of 2" not in text
    assert "Page 2" not in text


def test_hyphenation_at_a_line_end_is_joined() -> None:
    text = "\n".join(b.text for b in read(LEAFLET).blocks)
    assert "one of several medicines that work in this way" in text
    assert "medi-" not in text


def test_two_columns_are_read_column_by_column() -> None:
    items = texts(read(LEAFLET), BlockKind.ITEM)
    left = items.index("dizziness")
    right = items.index("swelling of the face, lips, tongue or throat")
    assert items[left : left + 5] == [
        "dizziness", "headache", "a dry cough", "feeling tired", "feeling sick",
    ]
    assert right == left + 5
    assert items[right:] == [
        "swelling of the face, lips, tongue or throat",
        "yellow skin or eyes (jaundice)",
        "a severe skin rash with blisters",
    ]


def test_two_column_page_whose_lines_share_baselines() -> None:
    doc = read(PDFS / "two-column.pdf")
    assert [(b.kind, b.text) for b in doc.blocks] == [
        (BlockKind.HEADING, "Two-column page"),
        (BlockKind.LINE,
         "A full-width line under the heading introduces the two columns below it."),
        (BlockKind.PARAGRAPH,
         "The left column starts here and it goes on for several lines of text "
         "before it ends at the foot of the column, where a reader moves on."),
        (BlockKind.PARAGRAPH,
         "The right column is read after the whole left column, although each "
         "of its lines sits on the same baseline as a line of the left column."),
    ]


def test_form_fields_numbered_in_boxes_are_list_items() -> None:
    # the number in its own box, set apart from the question: a numbered list, its number
    # (a field number, not the article's words) left out as a bullet is; the hint goes with it
    doc = read(PDFS / "form.pdf")
    assert [(b.kind, b.text) for b in doc.blocks] == [
        (BlockKind.HEADING, "Give or refuse consent for the vaccination"),
        (BlockKind.HEADING, "Health questions"),
        (BlockKind.ITEM,
         "Does your child have a bleeding disorder? If you answered yes, give details"),
        (BlockKind.ITEM, "Does your child take blood-thinning medicine? For example, warfarin"),
        (BlockKind.ITEM, "Has your child had a severe allergic reaction to a vaccine?"),
    ]


def glyphs(text: str, x: float, baseline: float = 700.0) -> list[Glyph]:
    """Glyphs 5 units wide, advancing 6 (a 10-unit font), a space advancing 3, as PDFium reports
    a space: a glyph without a box."""
    out = []
    for char in text:
        if char == " ":
            out.append(Glyph(char=" ", x0=0, x1=0, baseline=0, size=0, bold=False))
            x += 3
        else:
            out.append(Glyph(char=char, x0=x, x1=x + 5, baseline=baseline, size=10, bold=False))
            x += 6
    return out


def test_a_number_is_a_field_number_only_when_set_apart() -> None:
    # "13" then 9 units of white before the question (a box's edge): a field number
    [field] = fragments([*glyphs("13", 50), *glyphs("Does your child bleed?", 70)])
    assert field.text == "13 Does your child bleed?"
    assert field.numbered
    # "2 vials", "12 Years of Age": a number and a word one space apart are text
    [text] = fragments(glyphs("2 vials of powder", 50))
    assert text.text == "2 vials of powder"
    assert not text.numbered


def test_a_page_of_too_many_fragments_is_read_uncut(monkeypatch: pytest.MonkeyPatch) -> None:
    # two columns side by side: cut, the left one first; over the cap, row by row
    page = [
        frag("Left column text, first line", 50, 700), frag("Right column text, first", 300, 700),
        frag("Left column text, next line", 50, 688), frag("Right column text, next", 300, 688),
    ]
    assert [line.text for line in reading_order(page)][:2] == [
        "Left column text, first line", "Left column text, next line"]
    monkeypatch.setattr(pdflayout, "_MAX_CUT", 3)
    assert [line.text for line in reading_order(page)][:2] == [
        "Left column text, first line Right column text, first",
        "Left column text, next line Right column text, next"]


def test_reading_is_deterministic() -> None:
    assert read(LEAFLET) == read(LEAFLET)


# ---- the layout on its own: fragments built here -------------------------------------------


def frag(text: str, x0: float, baseline: float, size: float = 10.0) -> Fragment:
    return Fragment(text=text, x0=x0, x1=x0 + 5 * len(text), bottom=baseline - 2,
                    top=baseline + 8, baseline=baseline, size=size, bold=0.0)


def test_a_column_of_numbers_is_not_a_column_of_text() -> None:
    lines = reading_order([
        frag("2.1", 50, 700), frag("Testing before starting treatment", 80, 700),
        frag("2.2", 50, 688), frag("Recommended dosage in adults", 80, 688),
    ])
    assert [line.text for line in lines] == [
        "2.1 Testing before starting treatment", "2.2 Recommended dosage in adults",
    ]


def test_a_wide_empty_row_is_cut_before_a_gutter() -> None:
    # two boxes of a form, one above the other, both with two columns: box by box
    lines = reading_order([
        frag("Your name and surname", 50, 700), frag("Your email address", 300, 700),
        frag("Your home address here", 50, 650), frag("Your telephone number", 300, 650),
    ])
    assert [line.text for line in lines] == [
        "Your name and surname", "Your email address",
        "Your home address here", "Your telephone number",
    ]


# ---- bad and hostile files: one error line each, bounded time ------------------------------

BAD = [
    ("scanned.pdf", "PDF has no text layer (a scanned image?). Run it through OCR to add a text "
     "layer, then export it again."),
    ("encrypted.pdf", "PDF is encrypted (it needs a password). Save a copy without a password, "
     "then export it again."),
    ("truncated.pdf", "PDF is truncated (no end-of-file marker). Download it again."),
    ("bomb-pages.pdf", "PDF has 2000 pages, over the 500 page limit. Split the document."),
]


@pytest.mark.parametrize(("name", "problem"), BAD, ids=[b[0] for b in BAD])
def test_bad_pdf_fails_alone_with_one_line(tmp_path: Path, name: str, problem: str) -> None:
    bad = PDFS / name
    out = tmp_path / "out"
    started = time.monotonic()
    result = run("export", bad, LEAFLET, "--out", out)
    assert time.monotonic() - started < 30
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] == [
        f"Error: {bad}: {problem}"
    ]
    assert sorted(p.name for p in out.glob("*.bundle.*")) == ["lisinopril-leaflet.bundle.json"]


def test_not_a_pdf(tmp_path: Path) -> None:
    fake = tmp_path / "notes.pdf"
    fake.write_bytes(b"Lisinopril notes typed into a file named .pdf\n")
    with pytest.raises(SourceError) as caught:
        read(fake)
    assert caught.value.line() == f"Error: {fake}: not a PDF file (no %PDF- header)."


def test_garbage_after_the_header_is_a_damaged_pdf(tmp_path: Path) -> None:
    fake = tmp_path / "broken.pdf"
    fake.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n")
    with pytest.raises(SourceError) as caught:
        read(fake)
    assert caught.value.line() == f"Error: {fake}: damaged PDF: it cannot be parsed."


def test_deeply_nested_object_is_read_in_bounded_time() -> None:
    # 50,000 nested arrays in the page's resources: PDFium's parser stops at its depth limit
    # and drops the object; the page's own text still reads
    started = time.monotonic()
    doc = read(PDFS / "bomb-nested.pdf")
    assert time.monotonic() - started < 30
    assert [b.text for b in doc.blocks] == ["Hello"]


def test_page_and_character_caps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "MAX_PAGES", 1)
    with pytest.raises(SourceError) as caught:
        read(LEAFLET)
    assert caught.value.message == "PDF has 2 pages, over the 1 page limit"
    monkeypatch.setattr(pdf, "MAX_PAGES", 500)
    monkeypatch.setattr(pdf, "MAX_CHARS", 1000)
    with pytest.raises(SourceError) as caught:
        read(LEAFLET)
    assert caught.value.message == "PDF holds over 1000 characters of text"


# ---- the Bundle: original bytes as application/pdf, offsets into the plain text --------------


def test_document_reference_keeps_the_pdf(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("export", LEAFLET, "--out", out)
    assert result.exit_code == 0, result.stderr
    bundle = json.loads((out / "lisinopril-leaflet.bundle.json").read_text("utf-8"))
    [doc_ref] = [e["resource"] for e in bundle["entry"]
                 if e["resource"]["resourceType"] == "DocumentReference"]
    original, plain = (c["attachment"] for c in doc_ref["content"])
    raw = LEAFLET.read_bytes()
    assert original["contentType"] == "application/pdf"
    assert base64.b64decode(original["data"]) == raw
    assert original["size"] == len(raw)
    assert base64.b64decode(original["hash"]) == hashlib.sha1(raw).digest()  # noqa: S324
    assert plain["contentType"].startswith("text/plain")
    text = base64.b64decode(plain["data"]).decode("utf-8")
    assert "high blood pressure (hypertension)" in text
