"""Readers: bytes -> RawDocument blocks and hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from fhir_export.errors import SourceError
from fhir_export.model import BlockKind
from fhir_export.sources import read_article


def _read(tmp_path: Path, name: str, content: str | bytes):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return read_article(path, max_bytes=1_000_000)


def test_text_lines_and_bullets(tmp_path: Path) -> None:
    doc = _read(tmp_path, "a.txt", "Title\n\nA paragraph here.\n- first\n  - nested\n• third\n")
    kinds = [(b.kind, b.text, b.level) for b in doc.blocks]
    assert kinds == [
        (BlockKind.LINE, "Title", 0),
        (BlockKind.LINE, "A paragraph here.", 0),
        (BlockKind.ITEM, "first", 1),
        (BlockKind.ITEM, "nested", 2),
        (BlockKind.ITEM, "third", 1),
    ]


def test_text_nbsp_and_zero_width_are_normalized(tmp_path: Path) -> None:
    doc = _read(tmp_path, "a.txt", "Rituximab\u00a0(Rituxan)\u200b is given.\u00a0\n")
    assert doc.blocks[0].text == "Rituximab (Rituxan) is given."


def test_text_hard_wrapped_lines_join_into_paragraphs(tmp_path: Path) -> None:
    line = "word " * 14
    doc = _read(tmp_path, "a.txt", "\n".join([line] * 10))
    assert len(doc.blocks) == 1 and doc.blocks[0].kind is BlockKind.PARAGRAPH


def test_text_columns_become_table_rows(tmp_path: Path) -> None:
    doc = _read(tmp_path, "a.txt", "Generic    Brand\nrituximab    Rituxan\n")
    assert [b.cells for b in doc.blocks] == [("Generic", "Brand"), ("rituximab", "Rituxan")]
    assert doc.blocks[0].header


def test_text_lone_multi_column_line_is_navigation(tmp_path: Path) -> None:
    doc = _read(tmp_path, "a.txt", "Home   About   Contact\nBody text.\n")
    assert [b.text for b in doc.blocks] == ["Body text."]


def test_html_keeps_main_drops_furniture(tmp_path: Path) -> None:
    html = """<!doctype html><html lang="de"><head><title>Rituximab | Site</title>
    <meta property="og:site_name" content="Example Health"><script>var x = "trastuzumab";</script>
    </head><body><nav><a href="/">Home</a></nav><div class="cookie-banner">Accept cookies</div>
    <main><h1>Rituximab</h1><p>Rituximab is <b>used</b> to treat:</p>
    <ul><li>lymphoma<ul><li>nested</li></ul></li></ul>
    <table><tr><th>Generic</th><th>Brand</th></tr><tr><td>rituximab</td><td>Rituxan</td></tr>
    </table><aside>Related: trastuzumab</aside></main>
    <footer>© 2024 Example</footer></body></html>"""
    doc = _read(tmp_path, "a.html", html)
    texts = [b.text for b in doc.blocks]
    assert texts == ["Rituximab", "Rituximab is used to treat:", "lymphoma", "nested",
                     "Generic | Brand", "rituximab | Rituxan"]
    assert doc.blocks[0].kind is BlockKind.HEADING and doc.blocks[0].level == 1
    assert [b.level for b in doc.blocks if b.kind is BlockKind.ITEM] == [1, 2]
    assert doc.hints.language == "de"
    assert doc.hints.publisher == "Example Health"
    assert doc.hints.title == "Rituximab"


def test_html_json_ld_metadata(tmp_path: Path) -> None:
    html = """<html><head><script type="application/ld+json">{"@type": "MedicalWebPage",
    "headline": "About X", "dateModified": "2025-03-04", "publisher": {"name": "Pub Org"}}
    </script></head><body><p>Text.</p></body></html>"""
    doc = _read(tmp_path, "a.html", html)
    assert (doc.hints.title, doc.hints.date, doc.hints.publisher) == (
        "About X", "2025-03-04", "Pub Org")


def test_markdown_structure(tmp_path: Path) -> None:
    md = ("---\ntitle: Front Title\nupdated: 2024-05-06\n---\n# Heading One\n\nSome **bold** "
          "[link](http://x) text.\n\n- item *one*\n  - sub\n1. step\n\n| A | B |\n|---|---|\n"
          "| a | b |\n")
    doc = _read(tmp_path, "a.md", md)
    assert [(b.kind.value, b.text) for b in doc.blocks] == [
        ("heading", "Heading One"), ("paragraph", "Some bold link text."), ("item", "item one"),
        ("item", "sub"), ("item", "step"), ("row", "A | B"), ("row", "a | b")]
    assert doc.hints.title == "Front Title" and doc.hints.date == "2024-05-06"


@pytest.mark.parametrize(("content", "message"), [
    (b"", "file is empty"),
    (b"   \n\t ", "file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary file, not a text article"),
    (b"caf\xe9 au lait is nice", "not valid UTF-8 (byte 0xe9 at offset 3)"),
])
def test_bad_bytes(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(SourceError) as info:
        _read(tmp_path, "bad.txt", content)
    assert message in info.value.line()
    assert info.value.line().startswith(f"Error: {tmp_path / 'bad.txt'}: ")


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    doc = _read(tmp_path, "a.txt", "\ufeffHello rituximab.".encode("utf-16"))
    assert doc.blocks[0].text == "Hello rituximab." and doc.charset.startswith("utf-16")


def test_html_declared_latin1(tmp_path: Path) -> None:
    doc = _read(tmp_path, "a.html", '<meta charset="iso-8859-1"><p>Caf\xe9</p>'.encode("latin-1"))
    assert doc.blocks[-1].text == "Café"
    assert doc.charset == "windows-1252"  # WHATWG: the label iso-8859-1 means windows-1252


def test_the_first_look_for_characters_xml_refuses_misses_none() -> None:
    """decode's fast first look (_MAYBE_NOT_XML) finds every character _NOT_XML and
    _NONCHARACTER would: every code point tried."""
    import importlib

    decode = importlib.import_module("fhir_export.sources.decode")
    everything = "".join(map(chr, range(0x110000)))
    refused = {m.group() for m in decode._NOT_XML.finditer(everything)}
    refused |= {m.group() for m in decode._NONCHARACTER.finditer(everything)}
    assert refused and all(decode._MAYBE_NOT_XML.match(ch) for ch in refused)


def test_html_dublin_core_and_plain_date_metadata(tmp_path: Path) -> None:
    """Dublin Core (DCTERMS.modified, DC.publisher) and a bare <meta name="date">, as NHS
    and pharmacy pages write them, give the date and the publisher."""
    doc = _read(tmp_path, "a.html",
                '<html><head><meta name="DCTERMS.modified" content="2025-01-20">'
                '<meta name="DC.publisher" content="Harbourside NHS Trust"></head>'
                '<body><h1>Naproxen</h1><p>Naproxen is used for pain.</p></body></html>')
    assert doc.hints.date == "2025-01-20"
    assert doc.hints.publisher == "Harbourside NHS Trust"
    plain = _read(tmp_path, "b.html",
                  '<html><head><meta name="date" content="2025-04-21"></head>'
                  '<body><h1>Losartan</h1><p>Losartan is used for high blood pressure.</p>'
                  '</body></html>')
    assert plain.hints.date == "2025-04-21"
