"""Word (.docx) articles: structure through mammoth and the HTML reader, the title rule, hostile
packages (one error line each, bounded), and folder discovery with skipped files.

The .docx files are ours, written by tests/docx_fixtures.py and committed under tests/data/.
"""

from __future__ import annotations

import io
import json
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import docx_fixtures as fx
import pytest
from click.testing import CliRunner, Result
from conftest import ARTICLES, DATA, render_both, resources

from fhir_export.cli import main
from fhir_export.errors import ExitCode, SourceError
from fhir_export.model import BlockKind, RawDocument
from fhir_export.segmentation import segment
from fhir_export.sources import SUFFIXES, docx, read_article

DOCX = DATA / "docx"
LEAFLET = ARTICLES / "lisinopril-leaflet-word.docx"


def read(path: Path) -> RawDocument:
    return read_article(path, max_bytes=10 * 1024 * 1024)


def shape(doc: RawDocument) -> list[tuple[str, int, str]]:
    return [(b.kind.value, b.level, b.text) for b in doc.blocks]


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


# ---- the committed files are the generator's -----------------------------------------------


def test_committed_files_are_what_the_generator_writes() -> None:
    for target, data in fx.fixtures().items():
        committed = target.read_bytes()
        if committed.startswith(b"PK\x03\x04") and target.name != "truncated.docx":
            assert fx.parts_of(committed) == fx.parts_of(data), target.name
        elif target.name == "truncated.docx":
            good = (DOCX / "structure.docx").read_bytes()
            assert committed == good[: len(good) // 2]
        else:
            assert committed == data, target.name


# ---- structure -----------------------------------------------------------------------------


def test_headings_lists_and_table_are_kept() -> None:
    doc = read(DOCX / "structure.docx")
    assert doc.media_type == docx.MEDIA_TYPE
    assert doc.charset == ""
    assert doc.raw == (DOCX / "structure.docx").read_bytes()
    # the core title differs from the Title paragraph: every heading moves one level down
    assert shape(doc) == [
        ("heading", 2, "Amoxicillin for children"),
        ("heading", 3, "What amoxicillin is used for"),
        ("paragraph", 0, "Amoxicillin (Amoxil) is an antibiotic used to treat:"),
        ("item", 1, "chest infections"),
        ("item", 2, "pneumonia"),
        ("item", 2, "bronchitis"),
        ("item", 1, "ear infections"),
        ("heading", 4, "How to give it"),
        ("item", 1, "Shake the bottle."),
        ("item", 1, "Measure the dose."),
        ("heading", 3, "Side effects"),
        ("row", 0, "Side effect | How common"),
        ("row", 0, "diarrhoea | common"),
        ("row", 0, "skin rash | uncommon"),
    ]
    rows = [b for b in doc.blocks if b.kind is BlockKind.ROW]
    assert [r.header for r in rows] == [True, False, False]
    assert rows[1].cells == ("diarrhoea", "common")


def test_images_are_ignored() -> None:
    doc = read(DOCX / "structure.docx")
    assert "word/media/image1.png" in fx.parts_of(doc.raw)
    assert not any("Pack shot" in b.text or "data:" in b.text for b in doc.blocks)


def test_title_from_core_properties() -> None:
    doc = read(DOCX / "structure.docx")
    assert doc.hints.title == "Amoxicillin oral suspension"
    assert doc.hints.language == "en-GB"
    article = segment(doc)
    assert article.title == "Amoxicillin oral suspension"
    assert "Amoxicillin for children" in [s.heading for s in article.sections]


def test_title_paragraph_that_matches_the_core_title_stays_the_title(tmp_path: Path) -> None:
    path = tmp_path / "same.docx"
    path.write_bytes(fx.package(fx.word(fx.STRUCTURE, "Amoxicillin for children")))
    doc = read(path)
    assert shape(doc)[:2] == [
        ("heading", 1, "Amoxicillin for children"),
        ("heading", 2, "What amoxicillin is used for"),
    ]
    article = segment(doc)
    assert article.title == "Amoxicillin for children"
    assert "Amoxicillin for children" not in [s.heading for s in article.sections]


def test_without_core_title_the_first_heading_is_the_title() -> None:
    doc = read(DOCX / "bold-headings.docx")
    assert doc.hints.title is None
    assert segment(doc).title == "Amoxicillin for children"


def test_bold_lines_are_headings_unless_they_lead_on_or_end_a_sentence() -> None:
    assert shape(read(DOCX / "bold-headings.docx")) == [
        ("heading", 2, "Amoxicillin for children"),
        ("paragraph", 0, "Amoxicillin is an antibiotic. It is used for chest infections in "
                         "children."),
        ("heading", 2, "Side effects"),
        ("item", 1, "diarrhoea"),
        ("item", 1, "feeling sick"),
        ("paragraph", 0, "Call a doctor straight away if your child has"),
        ("item", 1, "a rash with a high temperature"),
        ("paragraph", 0, "Keep it in the fridge."),
    ]


def test_document_reference_keeps_the_word_original_and_the_plain_text() -> None:
    bundle, _, _ = render_both(LEAFLET)
    (doc,) = resources(bundle, "DocumentReference")
    original, plain = (c["attachment"] for c in doc["content"])
    assert original["contentType"] == docx.MEDIA_TYPE  # no charset: bytes of its own type
    assert original["size"] == LEAFLET.stat().st_size
    assert plain["contentType"] == "text/plain; charset=utf-8"
    (med,) = resources(bundle, "MedicationKnowledge")
    assert "lisinopril" in json.dumps(med["code"]).lower()


# ---- hostile and broken packages -----------------------------------------------------------

BAD = [
    ("zip-bomb.docx", "the .docx entry word/document.xml would expand 1025 times "
                      "(to 67109191 bytes): refused as a zip bomb."),
    ("truncated.docx", "the .docx zip package is damaged or truncated (File is not a zip file)."),
    ("spreadsheet.docx", "is a spreadsheet (.xlsx), not a Word document."),
    ("plain-zip.docx", "is a zip file but not a Word document (no package relationships)."),
    ("doctype.docx", "the .docx part word/document.xml has a DOCTYPE: refused (Word never "
                     "writes one)."),
    ("word-97.docx", "is a Word 97-2003 (.doc) or password-protected file, not a .docx "
                     "package. Save it as .docx without a password."),
]


@pytest.mark.parametrize(("name", "problem"), BAD, ids=[b[0] for b in BAD])
def test_bad_package_fails_alone(tmp_path: Path, name: str, problem: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bad = folder / name
    bad.write_bytes((DOCX / name).read_bytes())
    (folder / LEAFLET.name).write_bytes(LEAFLET.read_bytes())
    out = tmp_path / "out"
    result = run("export", folder, "--out", out)
    assert "Traceback" not in result.stderr
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == [f"Error: {bad}: {problem}"]
    assert sorted(p.name for p in out.glob("*.bundle.*")) == [
        "lisinopril-leaflet-word.bundle.json"]


def test_zip_bomb_is_refused_before_decompressing() -> None:
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(SourceError, match="zip bomb"):
        read(DOCX / "zip-bomb.docx")
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 4 * 1024 * 1024  # the file is 68 KB; its document.xml declares 64 MiB
    assert seconds < 2


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as out:
        for name, data in entries.items():
            out.writestr(name, data)
    return buffer.getvalue()


def _package_with(**parts: str) -> bytes:
    return fx.package({**fx.word(fx.document(fx.p("Lisinopril")), None), **parts})


def _damaged_entry() -> bytes:
    """A sound zip directory over a deflated document.xml whose data is not deflate: its
    first block says 'reserved block type' (issue #15: zlib.error, not one error line)."""
    data = bytearray(_package_with())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    data[info.header_offset + 30 + name_length + extra_length] = 0xFF
    return bytes(data)


def _version_needed(version: int) -> bytes:
    """A package whose central directory says a newer zip version is needed to extract it
    (fuzz: NotImplementedError 'zip file version 24.2' from zipfile)."""
    data = bytearray(_package_with())
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, central + 6, version)
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (_zip({f"{i}.xml": b"<a/>" for i in range(docx.MAX_ENTRIES + 1)}),
         f"the .docx holds {docx.MAX_ENTRIES + 1} entries, over the 2000 limit"),
        (_zip({"word/document.xml": b"<a/>"}, zipfile.ZIP_BZIP2),
         "the .docx entry word/document.xml uses an unusual compression"),
        (_package_with(**{"word/document.xml": fx.document(
            "<w:tbl><w:tr><w:tc>" * 60 + fx.p("Lisinopril") + "</w:tc></w:tr></w:tbl>" * 60)}),
         "the .docx part word/document.xml is nested too deeply"),
        (_package_with(**{"word/document.xml": "<w:document"}),
         "the .docx part word/document.xml is not well-formed XML"),
        (_package_with(**{"word/styles.xml": fx.STYLES.replace(
            "<w:styles", '<!DOCTYPE x SYSTEM "http://example.org/x.dtd"><w:styles')}),
         "the .docx part word/styles.xml has a DOCTYPE"),
        (b"Lisinopril notes, not a package\n", "is not a Word document (a .docx is a zip package)"),
        (_damaged_entry(), "the .docx zip package is damaged or truncated (Error -3 while "
                           "decompressing data: invalid block type)"),
        (_version_needed(242), "the .docx zip package is damaged or truncated (zip file "
                               "version 24.2)"),
    ],
    ids=["entries", "bzip2", "nesting", "malformed", "external-dtd", "text", "damaged-entry",
         "zip-version"],
)
def test_more_bad_packages(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "bad.docx"
    path.write_bytes(data)
    with pytest.raises(SourceError) as caught:
        read(path)
    assert caught.value.message.startswith(problem)
    assert "\n" not in caught.value.line()


def test_encrypted_entry_is_refused(tmp_path: Path) -> None:
    data = bytearray(_zip({"word/document.xml": b"<a/>"}))
    central = data.rindex(b"PK\x01\x02")  # set the 'encrypted' flag in both headers
    data[6] |= 1
    data[central + 8] |= 1
    path = tmp_path / "locked.docx"
    path.write_bytes(bytes(data))
    with pytest.raises(SourceError, match=r"entry word/document\.xml is encrypted"):
        read(path)


# ---- discovery: every format, other files reported as skipped ------------------------------


def test_folder_reports_other_files_as_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / LEAFLET.name).write_bytes(LEAFLET.read_bytes())
    (folder / "sub" / "amlodipine.txt").write_bytes(
        (ARTICLES / "amlodipine-leaflet-uk.txt").read_bytes())
    for name in ("logo.png", "sub/old-leaflet.doc", "README"):
        (folder / name).write_bytes(b"x")
    # passed over silently: Word's lock file, hidden files, our own outputs
    for name in ("~$sinopril-leaflet-word.docx", ".DS_Store", "old.bundle.json",
                 "Medication.ndjson", "manifest.json"):
        (folder / name).write_bytes(b"x")
    out, report = tmp_path / "out", tmp_path / "report.json"
    result = run("export", folder, "--out", out, "--report", report)
    assert result.exit_code == ExitCode.OK, result.stderr
    skipped = [folder / "README", folder / "logo.png", folder / "sub" / "old-leaflet.doc"]
    assert result.stderr.splitlines()[-2] == (
        f"3 files skipped, not of a supported type: {', '.join(map(str, skipped))}")
    # outputs mirror the paths below the folder given
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.bundle.json")) == [
        "lisinopril-leaflet-word.bundle.json", "sub/amlodipine.bundle.json"]
    assert json.loads(report.read_text("utf-8"))["skipped"] == [
        {"path": str(folder / "README"), "reason": "unsupported file type ''"},
        {"path": str(folder / "logo.png"), "reason": "unsupported file type '.png'"},
        {"path": str(skipped[2]), "reason": "unsupported file type '.doc'"},
    ]


def test_glob_reports_other_files_as_skipped(tmp_path: Path) -> None:
    (tmp_path / LEAFLET.name).write_bytes(LEAFLET.read_bytes())
    (tmp_path / "notes.odt").write_bytes(b"x")
    result = run("export", tmp_path / "*", "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.OK, result.stderr
    assert f"1 file skipped, not of a supported type: {tmp_path / 'notes.odt'}" in result.stderr


def test_a_named_file_of_another_type_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "leaflet.odt"
    path.write_bytes(b"x")
    result = run("export", path, "--out", tmp_path / "out")
    assert error_lines(result) == [
        f"Error: {path}: unsupported file type '.odt'. Use one of: {', '.join(SUFFIXES)}."]
    assert ".docx" in SUFFIXES


def test_help_lists_the_formats() -> None:
    text = " ".join(run("export", "--help").stdout.split())
    assert f"Reads {', '.join(SUFFIXES)} files" in text


def test_readme_format_table_lists_every_suffix_read() -> None:
    readme = (DATA.parent.parent / "README.md").read_text("utf-8")
    table = readme[readme.index("| Suffix | Read as |"):].split("\n\n", 1)[0]
    assert [s for s in SUFFIXES if f"`{s}`" not in table] == []
