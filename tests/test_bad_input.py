"""Bad, odd and hostile input: through the CLI and through fhir_export.pipeline.export.

The contract: every bad file gives exactly one line `Error: <path>: ...` on stderr and exit
code 1, and every good article in the same run is still written. Nothing in an article is
executed, fetched or expanded; output files are replaced atomically and are byte-for-byte
reproducible.
"""

from __future__ import annotations

import base64
import codecs
import errno
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from fhir_export.cli import main
from fhir_export.errors import ExitCode, SourceError
from fhir_export.options import ExportOptions, OutputFormat
from fhir_export.pipeline import export, write_atomic
from fhir_export.sources import SUFFIXES

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
RITUXIMAB_RXNORM = "121191"
TRASTUZUMAB_RXNORM = "224905"
XHTML = "{http://www.w3.org/1999/xhtml}"
NARRATIVE_TAGS = {"div", "p", "b", "i", "h3", "h4", "ul", "ol", "li", "br", "span", "table"}
NARRATIVE_TAGS |= {"tr", "td", "th", "thead", "tbody", "em", "strong"}

GOOD_LEAFLET = """\
Rituximab (Rituxan): a guide for patients

Last reviewed: 2024-03-05

What is rituximab?

Rituximab (Rituxan) is a medicine used to treat non-Hodgkin's lymphoma and rheumatoid \
arthritis. It is given as an infusion into a vein.

Side effects

Common side effects include fever, chills and feeling tired. Tell your nurse straight away \
if you feel unwell during the infusion.
"""

SHORT_LEAFLET = "Rituximab (Rituxan) is a medicine given as an infusion into a vein.\n"

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00"
    b"\x00\x1f\xf3\xffa\x00\x00\x00\x0bIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4"
)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def run(*args: str | Path) -> Result:
    env: dict[str, str | None] = {"SOURCE_DATE_EPOCH": None}
    env.update({k: None for k in os.environ if k.startswith("FHIR_EXPORT")})
    return CliRunner().invoke(main, [str(a) for a in args], env=env, prog_name="fhir-export")


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("Error:")]


def assert_no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def rxnorm_codes(bundle: dict[str, Any]) -> set[str]:
    return {
        c["code"]
        for med in resources(bundle, "MedicationKnowledge")
        for c in med["code"]["coding"]
        if c["system"] == RXNORM
    }


def narratives(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["text"]["div"] for e in bundle["entry"] if "text" in e["resource"]]


def attachments(bundle: dict[str, Any]) -> list[tuple[str, bytes]]:
    (doc,) = resources(bundle, "DocumentReference")
    return [
        (c["attachment"]["contentType"], base64.b64decode(c["attachment"]["data"]))
        for c in doc["content"]
    ]


def extraction_text(bundle: dict[str, Any]) -> str:
    """The plain text the exporter extracted from the article (the second attachment)."""
    content_type, data = attachments(bundle)[1]
    assert content_type == "text/plain; charset=utf-8"
    return data.decode("utf-8")


def derived_text(bundle: dict[str, Any]) -> str:
    """Everything in the bundle except the verbatim copy of the source file."""
    return "\n".join([json.dumps(bundle, ensure_ascii=False), extraction_text(bundle)])


def parse_xml(data: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser=parser)


def leftovers(folder: Path) -> list[str]:
    """Temporary or hidden files the writer may have left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or ".tmp" in p.name)


def export_html(tmp_path: Path, name: str, page: str | bytes, *extra: str) -> dict[str, Any]:
    """Export one page, expecting success, and return its JSON bundle."""
    source = write(tmp_path / "in" / name, page)
    out = tmp_path / "out"
    result = run("export", source, "--out", out, *extra)
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    return load(out / f"{source.name.rsplit('.', 1)[0]}.bundle.json")


# --------------------------------------------------------------------------------------------
# every bad file: one Error line, exit 1, the good article still written
# --------------------------------------------------------------------------------------------

BAD_FILES: list[tuple[str, str, bytes, str]] = [
    ("empty", "empty.txt", b"", "file is empty."),
    ("empty-html", "empty-page.html", b"", "file is empty."),
    ("whitespace-only", "blank.txt", b"  \n\t\n   \r\n\n", "file is empty."),
    ("whitespace-only-md", "blank-notes.md", b"\n\n    \n", "file is empty."),
    ("png-as-txt", "photo.txt", PNG, "binary file, not a text article."),
    ("png-as-html", "photo-page.html", PNG, "binary file, not a text article."),
    (
        "control-characters",
        "garbled.txt",
        b"Rituximab" + bytes(range(1, 9)) * 3 + b" is a medicine.\n",
        "binary file, not a text article.",
    ),
    (
        "invalid-utf8-txt",
        "cafe.txt",
        b"caf\xe9 au lait is fine to drink before your rituximab infusion.\n",
        "not valid UTF-8 (byte 0xe9 at offset 3). "
        "Convert the file to UTF-8, declare its charset or give --encoding.",
    ),
    (
        "invalid-utf8-md",
        "cafe-notes.md",
        b"# Visiting the ward\n\nThe caf\xe9 is on the ground floor.\n",
        "not valid UTF-8 (byte 0xe9 at offset 28). "
        "Convert the file to UTF-8, declare its charset or give --encoding.",
    ),
    (
        "invalid-utf8-declared-html",
        "cafe-page.html",
        b'<html><head><meta charset="utf-8"></head><body><p>caf\xe9</p></body></html>',
        "not valid UTF-8 (byte 0xe9 at offset 53). "
        "Convert the file to UTF-8, declare its charset or give --encoding.",
    ),
    (
        "invalid-windows-1252-declared-html",
        "cp1252.html",
        b'<html><head><meta charset="windows-1252"></head><body><p>na\x81ve</p></body></html>',
        "not valid WINDOWS-1252 (byte 0x81 at offset 59). "
        "Convert the file to UTF-8, declare its charset or give --encoding.",
    ),
    (  # a label that is no WHATWG charset is ignored (as browsers do): read as UTF-8
        "unknown-charset-html",
        "klingon.html",
        b'<html><head><meta charset="x-klingon"></head><body><p>Rituximab caf\xe9</p>'
        b"</body></html>",
        "not valid UTF-8 (byte 0xe9 at offset 67; 'x-klingon' is not a charset label). "
        "Convert the file to UTF-8, declare its charset or give --encoding.",
    ),
    (
        "unknown-charset-http-equiv",
        "klingon2.html",
        b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=tlh-8">'
        b"</head><body><p>Rituximab caf\xe9</p></body></html>",
        "not valid UTF-8 (byte 0xe9 at offset 108; 'tlh-8' is not a charset label). "
        "Convert the file to UTF-8, declare its charset or give --encoding.",
    ),
    (
        "unsupported-suffix",
        "notes.rtf",
        b"{\\rtf1 Rituximab notes}\n",
        f"unsupported file type '.rtf'. Use one of: {', '.join(SUFFIXES)}.",
    ),
    (
        "unsupported-suffix-no-dot",
        "README",
        b"Rituximab (Rituxan) is a medicine.\n",
        f"unsupported file type ''. Use one of: {', '.join(SUFFIXES)}.",
    ),
    (
        "xml-not-spl",
        "feed.xml",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title></channel></rss>',
        "not an FDA SPL document (root element <rss> without a namespace). "
        "An .xml file is read only as SPL: root <document> in namespace urn:hl7-org:v3.",
    ),
    (
        "spl-external-entity",
        "xxe.xml",
        b'<?xml version="1.0"?><!DOCTYPE document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<document xmlns="urn:hl7-org:v3"><code code="34391-3"/><title>&x;</title></document>',
        "XML with a DOCTYPE or entity declaration is refused. "
        "SPL files have neither; this one may be hostile (external entities).",
    ),
    (
        "spl-truncated",
        "truncated.xml",
        b'<?xml version="1.0"?><document xmlns="urn:hl7-org:v3"><code code="34391-3"/><tit',
        "malformed XML (Couldn't find end of Start Tag tit line 1, line 1, column 81).",
    ),
    (
        "only-site-furniture",
        "furniture.html",
        b"<html><body><nav><a href='/'>Home</a></nav><script>var trastuzumab = 1;</script>"
        b"<footer>Copyright</footer></body></html>",
        "no readable text in the article.",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "problem"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
def test_bad_file_fails_alone_through_cli(
    tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    bad = write(tmp_path / "in" / name, content)
    good = write(tmp_path / "in" / "rituximab-guide.txt", GOOD_LEAFLET)
    out = tmp_path / "out"
    result = run("export", bad, good, "--out", out)
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == [f"Error: {bad}: {problem}"]
    assert result.stdout == f"{out / 'rituximab-guide.bundle.json'}\n"
    assert sorted(p.name for p in out.glob("*.bundle.*")) == ["rituximab-guide.bundle.json"]
    assert RITUXIMAB_RXNORM in rxnorm_codes(load(out / "rituximab-guide.bundle.json"))
    last = result.stderr.splitlines()[-1]
    assert last.startswith("2 articles (1 with content, 0 empty, 1 failed), ")


@pytest.mark.parametrize(
    ("name", "content", "problem"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
def test_bad_file_fails_alone_through_pipeline(
    tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    bad = write(tmp_path / "in" / name, content)
    good = write(tmp_path / "in" / "rituximab-guide.txt", GOOD_LEAFLET)
    out = tmp_path / "out"
    report = export([str(bad), str(good)], out, ExportOptions())
    assert report.exit_code == ExitCode.INPUT_FAILED
    (error,) = report.errors
    assert isinstance(error, SourceError)
    assert error.path == str(bad)
    assert error.line() == f"Error: {bad}: {problem}"
    assert [r.path for r in report.results] == [str(good)]
    assert report.results[0].outputs == [str(out / "rituximab-guide.bundle.json")]


def test_bad_files_inside_a_folder_each_get_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    for _, name, content, _ in BAD_FILES:
        if Path(name).suffix in (".txt", ".html", ".md"):
            write(folder / name, content)
    write(folder / "rituximab-guide.txt", GOOD_LEAFLET)
    out = tmp_path / "out"
    result = run("export", folder, "--out", out)
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INPUT_FAILED
    expected = sorted(
        f"Error: {folder / name}: {problem}"
        for _, name, _, problem in BAD_FILES
        if Path(name).suffix in (".txt", ".html", ".md")
    )
    assert sorted(error_lines(result)) == expected
    assert result.stdout == f"{out / 'rituximab-guide.bundle.json'}\n"


# --------------------------------------------------------------------------------------------
# --max-bytes
# --------------------------------------------------------------------------------------------


def test_file_over_max_bytes(tmp_path: Path) -> None:
    big = write(tmp_path / "in" / "long.txt", GOOD_LEAFLET * 20)
    good = write(tmp_path / "in" / "short.txt", SHORT_LEAFLET)
    size = big.stat().st_size
    limit = 1000
    assert good.stat().st_size <= limit < size
    out = tmp_path / "out"
    result = run("export", big, good, "--out", out, "--max-bytes", str(limit))
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == [
        f"Error: {big}: file is {size} bytes, over the {limit} byte limit. "
        "Split the article or raise --max-bytes."
    ]
    assert result.stdout == f"{out / 'short.bundle.json'}\n"


def test_file_exactly_at_max_bytes_is_read(tmp_path: Path) -> None:
    good = write(tmp_path / "short.txt", SHORT_LEAFLET)
    out = tmp_path / "out"
    result = run("export", good, "--out", out, "--max-bytes", str(good.stat().st_size))
    assert result.exit_code == 0, result.stderr


# --------------------------------------------------------------------------------------------
# encodings
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF8, "utf-8"),
    ],
    ids=["utf-16-le", "utf-16-be", "utf-8-sig"],
)
def test_byte_order_mark_is_accepted(tmp_path: Path, bom: bytes, codec: str) -> None:
    bundle = export_html(tmp_path, "leaflet.txt", bom + GOOD_LEAFLET.encode(codec))
    assert RITUXIMAB_RXNORM in rxnorm_codes(bundle)
    text = extraction_text(bundle)
    assert "\ufeff" not in text and "\x00" not in text
    assert "Rituximab (Rituxan) is a medicine used to treat" in text


def test_utf16_html_with_bom_is_accepted(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Rituximab</title></head><body><main><h1>Rituximab</h1>"
        "<p>Rituximab (Rituxan) is a medicine given as an infusion into a vein.</p>"
        "</main></body></html>"
    )
    bundle = export_html(tmp_path, "page.html", codecs.BOM_UTF16_LE + page.encode("utf-16-le"))
    assert RITUXIMAB_RXNORM in rxnorm_codes(bundle)


def test_utf16_original_attachment_declares_its_charset(tmp_path: Path) -> None:
    raw = codecs.BOM_UTF16_LE + SHORT_LEAFLET.encode("utf-16-le")
    bundle = export_html(tmp_path, "leaflet.txt", raw)
    content_type, data = attachments(bundle)[0]
    assert data == raw
    label = content_type.split("charset=", 1)[1]
    assert label.lower() in {"utf-16", "utf-16le"}, content_type
    assert data.decode(label).lstrip("\ufeff") == SHORT_LEAFLET


LATIN1_PAGES = {
    "meta-charset": '<meta charset="iso-8859-1">',
    "http-equiv": '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">',
    "latin1-alias": "<meta charset='latin1'>",
}


@pytest.mark.parametrize("declaration", LATIN1_PAGES.values(), ids=LATIN1_PAGES.keys())
def test_html_declared_latin1_is_decoded(tmp_path: Path, declaration: str) -> None:
    page = (
        f"<html><head>{declaration}<title>Rituximab</title></head><body><main>"
        "<h1>Rituximab: a guide for naïve patients</h1>"
        "<p>Rituximab (Rituxan) is a medicine given as an infusion into a vein. "
        "The café on the ground floor is open during your infusion.</p>"
        "</main></body></html>"
    )
    raw = page.encode("latin-1")
    assert b"\xef" in raw and b"\xe9" in raw
    bundle = export_html(tmp_path, "page.html", raw)
    (doc,) = resources(bundle, "DocumentReference")
    assert "naïve" in doc["text"]["div"]
    assert doc["description"] == "Rituximab: a guide for naïve patients"
    assert "The café on the ground floor" in extraction_text(bundle)
    assert RITUXIMAB_RXNORM in rxnorm_codes(bundle)
    content_type, data = attachments(bundle)[0]
    assert data == raw  # the verbatim copy is the original bytes
    assert content_type.startswith("text/html; charset=")
    assert data.decode(content_type.split("charset=", 1)[1]) == page


def test_html_declared_windows_1252_is_decoded(tmp_path: Path) -> None:
    page = (
        '<html><head><meta charset="windows-1252"></head><body><main><h1>Rituximab</h1>'
        "<p>\u201cRituximab (Rituxan)\u201d is a medicine \u2013 it is given as an infusion "
        "into a vein.</p></main></body></html>"
    )
    bundle = export_html(tmp_path, "page.html", page.encode("cp1252"))
    assert "\u201cRituximab (Rituxan)\u201d is a medicine \u2013 it" in extraction_text(bundle)


def test_html_latin1_label_means_windows_1252(tmp_path: Path) -> None:
    raw = (
        b'<html><head><meta charset="iso-8859-1"></head><body><main><h1>Rituximab</h1>'
        b"<p>\x93Rituximab (Rituxan)\x94 is a medicine \x96 it is given as an infusion into a "
        b"vein.</p></main></body></html>"
    )
    bundle = export_html(tmp_path, "page.html", raw)
    text = extraction_text(bundle)
    assert not any("\x80" <= ch <= "\x9f" for ch in text), ascii(text)
    assert "\u201cRituximab (Rituxan)\u201d" in text


@pytest.mark.parametrize("padding", ["", " "], ids=["even", "odd"])
def test_html_meta_utf16_on_ascii_bytes_is_read_as_utf8(tmp_path: Path, padding: str) -> None:
    page = (
        '<html><head><meta charset="utf-16"><title>Rituximab</title></head><body><main>'
        "<h1>Rituximab</h1><p>Rituximab (Rituxan) is a medicine given as an infusion into a "
        f"vein.</p></main></body></html>{padding}"
    )
    raw = page.encode("ascii")
    if len(raw) % 2 != len(padding):
        raw += b"\n"  # make 'even' even and 'odd' odd
    bundle = export_html(tmp_path, "page.html", raw)
    assert RITUXIMAB_RXNORM in rxnorm_codes(bundle)


# --------------------------------------------------------------------------------------------
# hostile HTML
# --------------------------------------------------------------------------------------------

SCRIPTED_PAGE = """\
<!DOCTYPE html>
<html><head>
<title>Looking after yourself during chemotherapy</title>
<script>var drug = "Trastuzumab (Herceptin) is given as an infusion into a vein.";</script>
<script type="module">import "trastuzumab.js";</script>
<style>p::after { content: "trastuzumab (Herceptin)"; }</style>
</head>
<body>
<main>
<h1>Looking after yourself during chemotherapy</h1>
<p>Chemotherapy can make you feel tired. Rest when you need to and drink plenty of water.</p>
<script>document.write("<p>Trastuzumab (Herceptin) 440 mg is given every three weeks.</p>");
</script>
<noscript>Trastuzumab (Herceptin) is a medicine given as an infusion into a vein.</noscript>
<template><p>Trastuzumab (Herceptin) is a medicine given as an infusion.</p></template>
<svg><script>trastuzumab()</script><text>Herceptin</text></svg>
<p>Ask your nurse if you have any questions about your treatment.</p>
</main>
</body></html>
"""


def test_script_text_never_becomes_a_medication(tmp_path: Path) -> None:
    bundle = export_html(tmp_path, "chemo.html", SCRIPTED_PAGE)
    assert resources(bundle, "MedicationKnowledge") == []
    text = derived_text(bundle).lower()
    for needle in ("trastuzumab", "herceptin", "document.write", "var drug", "::after"):
        assert needle not in text
    assert "Rest when you need to" in extraction_text(bundle)


HANDLER_PAGE = """\
<html><head><title>Rituximab infusions</title></head>
<body onload="alert('boom')">
<main onmouseover="steal()">
<h1 onclick="steal()">Rituximab (Rituxan)</h1>
<p onmouseover="evil()" style="background:url(javascript:alert(1))">Rituximab (Rituxan) is a
medicine given as an infusion into a vein.
<a href="javascript:alert(document.cookie)" onfocus="x()">Read more</a></p>
<p>Common side effects include <img src="x" onerror="alert(1)">fever and chills.</p>
<ul><li><a href="  JaVaScRiPt:void(0)">Tell your nurse</a> if you feel unwell.</li>
<li><a href="vbscript:msgbox(1)" onpointerdown="x()">Keep</a> a diary of your symptoms.</li></ul>
<iframe src="javascript:alert(2)"></iframe>
<form action="javascript:alert(3)"><button formaction="javascript:alert(4)">Send</button></form>
<details open ontoggle="alert(5)"><summary>More about rituximab</summary></details>
<svg onload="alert(6)"><a xlink:href="javascript:alert(7)"><text>click</text></a></svg>
</main></body></html>
"""


def test_event_handlers_and_javascript_links_never_reach_a_narrative(tmp_path: Path) -> None:
    bundle = export_html(tmp_path, "handlers.html", HANDLER_PAGE, "--format", "both")
    assert RITUXIMAB_RXNORM in rxnorm_codes(bundle)
    xml = (tmp_path / "out" / "handlers.bundle.xml").read_text("utf-8")
    for text in [*narratives(bundle), extraction_text(bundle), json.dumps(bundle), xml]:
        lowered = text.lower()
        for needle in ("javascript:", "vbscript:", "alert(", "steal(", "onload", "onerror"):
            assert needle not in lowered
        for needle in ("onclick", "onmouseover", "onfocus", "ontoggle", "onpointerdown"):
            assert needle not in lowered
    assert "Rituximab (Rituxan) is a medicine given as an infusion into a vein." in (
        extraction_text(bundle)
    )


def test_markup_in_article_text_is_escaped_in_narratives(tmp_path: Path) -> None:
    page = (
        "<html><head><title>&lt;script&gt;alert(1)&lt;/script&gt;</title></head><body><main>"
        '<h1>&lt;img src=x onerror="alert(1)"&gt; Rituximab (Rituxan)</h1>'
        "<p>Rituximab (Rituxan) is a medicine given as an infusion into a vein.</p>"
        "<p>Common side effects include &lt;b onclick=x()&gt;fever&lt;/b&gt; and chills.</p>"
        "</main></body></html>"
    )
    bundle = export_html(tmp_path, "escaped.html", page, "--format", "both")
    xml_root = parse_xml((tmp_path / "out" / "escaped.bundle.xml").read_bytes())
    divs = [parse_xml(div.encode("utf-8")) for div in narratives(bundle)]
    divs += list(xml_root.iter(f"{XHTML}div"))
    assert divs
    for div in divs:
        for el in div.iter():
            assert isinstance(el.tag, str)
            assert el.tag.startswith(XHTML)
            assert el.tag[len(XHTML) :] in NARRATIVE_TAGS, el.tag
            assert not [a for a in el.attrib if a.lower().startswith("on")]
            assert "href" not in el.attrib and "src" not in el.attrib


DEEP_PAGES = {
    "divs": "<div>" * 5000 + "Deep text about fever." + "</div>" * 5000,
    "spans-in-paragraph": "<p>" + "<span>" * 5000 + "fever" + "</span>" * 5000 + "</p>",
    "unclosed-bold": "<p>" + "<b>" * 5000 + "fever",
    "lists": "<ul><li>fever" * 3000 + "</li></ul>" * 3000,
    "tables": "<table><tr><td>fever" * 2000 + "</td></tr></table>" * 2000,
    "blockquotes": "<blockquote>" * 5000 + "fever" + "</blockquote>" * 5000,
}


@pytest.mark.parametrize("nesting", DEEP_PAGES.values(), ids=DEEP_PAGES.keys())
def test_deeply_nested_html_does_not_crash(tmp_path: Path, nesting: str) -> None:
    page = (
        "<html><body><main><h1>Trastuzumab (Herceptin)</h1>"
        "<p>Trastuzumab (Herceptin) is a medicine given as an infusion into a vein.</p>"
        f"{nesting}</main></body></html>"
    )
    start = time.perf_counter()
    bundle = export_html(tmp_path, "deep.html", page)
    assert time.perf_counter() - start < 60
    assert TRASTUZUMAB_RXNORM in rxnorm_codes(bundle)


DEEP_MARKDOWN = {
    "blockquotes": ">" * 5000 + " fever\n",
    "lists": "".join("  " * i + "- fever\n" for i in range(2000)),
    "emphasis": "*" * 5000 + "fever" + "*" * 5000 + "\n\n" + "[" * 5000 + "\n",
}


@pytest.mark.parametrize("nesting", DEEP_MARKDOWN.values(), ids=DEEP_MARKDOWN.keys())
def test_deeply_nested_markdown_does_not_crash(tmp_path: Path, nesting: str) -> None:
    text = (
        "# Trastuzumab (Herceptin)\n\n"
        "Trastuzumab (Herceptin) is a medicine given as an infusion into a vein.\n\n" + nesting
    )
    bundle = export_html(tmp_path, "deep.md", text)
    assert TRASTUZUMAB_RXNORM in rxnorm_codes(bundle)


def _xxe_page(secret: Path, prolog: str = "") -> str:
    return f"""{prolog}<!DOCTYPE html [
  <!ENTITY passwd SYSTEM "file:///etc/passwd">
  <!ENTITY secret SYSTEM "file://{secret}">
  <!ENTITY % remote SYSTEM "file://{secret}">
  %remote;
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<html><head><title>Trastuzumab &secret;</title></head>
<body><main>
<h1>Trastuzumab (Herceptin) &passwd;</h1>
<p>Trastuzumab (Herceptin) is a medicine given as an infusion into a vein. &passwd; &secret;</p>
<p>Common side effects include fever &lol4; and chills.</p>
<p><a href="file:///etc/passwd">Your records</a> <img src="file:///etc/passwd"></p>
</main></body></html>
"""


@pytest.mark.parametrize(
    ("name", "prolog"),
    [
        ("xxe.html", ""),
        ("xxe-with-declaration.html", '<?xml version="1.0"?>\n'),
        ("xxe.xhtml", '<?xml version="1.0"?>\n'),
        ("xxe.htm", ""),
    ],
    ids=["html", "html-xml-declaration", "xhtml", "htm"],
)
def test_entities_and_external_references_are_never_expanded(
    tmp_path: Path, name: str, prolog: str
) -> None:
    secret = write(tmp_path / "secret.txt", "SECRET-MARKER-5521\n")
    source = write(tmp_path / "in" / name, _xxe_page(secret, prolog))
    out = tmp_path / "out"
    result = run("export", source, "--out", out, "--format", "both")
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    stem = name.rsplit(".", 1)[0]
    bundle = load(out / f"{stem}.bundle.json")
    assert TRASTUZUMAB_RXNORM in rxnorm_codes(bundle)
    outputs = [p.read_text("utf-8") for p in out.iterdir()]
    decoded = [data.decode("utf-8") for _, data in attachments(bundle)]
    passwd = Path("/etc/passwd")
    passwd_lines = passwd.read_text().splitlines()[:1] if passwd.is_file() else ["root:x:0:0"]
    for text in [*outputs, *decoded]:
        assert "SECRET-MARKER-5521" not in text
        assert "lollollol" not in text
        for line in passwd_lines:
            assert line not in text
    # the reference itself never reaches anything derived from the article
    for text in [*narratives(bundle), extraction_text(bundle), *outputs]:
        assert "file:///etc/passwd" not in text
        assert str(secret) not in text


MALFORMED_PAGES = {
    "truncated": (
        "<html><head><title>Rituximab</title><body><main><h1>Rituximab (Rituxan)"
        "<p>Rituximab (Rituxan) is a medicine given as an infusion into a vein.<ul><li>fever"
        "<li>chills<p>Tell your nurse if you feel unwe"
    ),
    "cut-inside-a-tag": (
        "<html><body><h1>Rituximab</h1><p>Rituximab (Rituxan) is a medicine given as an "
        'infusion into a vein.</p><p class="note'
    ),
    "cut-inside-a-comment": (
        "<html><body><h1>Rituximab</h1><p>Rituximab (Rituxan) is a medicine given as an "
        "infusion into a vein.</p><!-- editor's note: check the dose"
    ),
    "stray-closing-tags": (
        "</div></p></li><html></body><h1>Rituximab</h1></table><p>Rituximab (Rituxan) is a "
        "medicine <b><i>given</b></i> as an infusion into a vein.</span></p></html></html>"
    ),
    "fragment-without-html": (
        "<h1>Rituximab</h1><p>Rituximab (Rituxan) is a medicine given as an infusion into a "
        "vein.</p>"
    ),
    "bad-attributes-and-entities": (
        '<html><body <main x=">"><h1 class=="a" =b>Rituximab</h1><p>Rituximab&nbsp(Rituxan) '
        "is a medicine &notanentity; given as an infusion into a vein &#xD800; &#0; "
        "&#99999999;.</p></body></html>"
    ),
    "nul-free-garbage-tags": (
        "<html><body><h1>Rituximab</h1><<<>>><p>Rituximab (Rituxan) is a medicine given as "
        "an infusion into a vein.</p><p</p><!DOCTYPE x><?php echo 1; ?></body>"
    ),
}


@pytest.mark.parametrize("page", MALFORMED_PAGES.values(), ids=MALFORMED_PAGES.keys())
def test_malformed_html_still_exports(tmp_path: Path, page: str) -> None:
    bundle = export_html(tmp_path, "broken.html", page, "--format", "both")
    assert RITUXIMAB_RXNORM in rxnorm_codes(bundle)
    assert parse_xml((tmp_path / "out" / "broken.bundle.xml").read_bytes()) is not None


def test_block_children_are_not_glued_together(tmp_path: Path) -> None:
    page = (
        "<html><body><main><h1>Rituximab</h1><ul><li><p>Rituximab (Rituxan) is a medicine."
        "</p><p>Fever can happen after the infusion.</p></li></ul>"
        "<table><tr><th>Common</th><th>Rare</th></tr>"
        "<tr><td><p>fever</p><p>chills</p></td><td>rash</td></tr></table></main></body></html>"
    )
    text = extraction_text(export_html(tmp_path, "glued.html", page))
    assert "medicine.Fever" not in text
    assert "feverchills" not in text


@pytest.mark.parametrize("name", ["page.xhtml", "page.html"])
def test_xhtml_with_encoding_declaration_is_read(tmp_path: Path, name: str) -> None:
    page = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><title>Rituximab</title>'
        "</head><body><main><h1>Rituximab (Rituxan)</h1><p>Rituximab (Rituxan) is a medicine "
        "given as an infusion into a vein.</p></main></body></html>\n"
    )
    bundle = export_html(tmp_path, name, page)
    assert RITUXIMAB_RXNORM in rxnorm_codes(bundle)


# --------------------------------------------------------------------------------------------
# control characters that pass the binary check
# --------------------------------------------------------------------------------------------

CONTROL_TEXTS = {
    "ansi-escape": (
        b"Rituximab (Rituxan)\n\nRituximab (Rituxan) is a medicine given as an infusion into a "
        b"vein. Common side effects include \x1b[1mfever\x1b[0m and chills.\n"
    ),
    "nul-after-8-kib": (
        ("Rituximab (Rituxan) is a medicine given as an infusion into a vein.\n\n" * 150).encode()
        + b"Common side effects include fever.\x00\x01\x02 and chills.\n"
    ),
}


@pytest.mark.parametrize("content", CONTROL_TEXTS.values(), ids=CONTROL_TEXTS.keys())
def test_control_characters_never_crash_the_run(tmp_path: Path, content: bytes) -> None:
    bad = write(tmp_path / "in" / "a-terminal-paste.txt", content)
    good = write(tmp_path / "in" / "b-rituximab-guide.txt", GOOD_LEAFLET)
    out = tmp_path / "out"
    result = run("export", bad, good, "--out", out, "--format", "both")
    assert_no_traceback(result)
    assert (out / "b-rituximab-guide.bundle.xml").is_file()
    for path in out.iterdir():
        data = path.read_text("utf-8")
        assert not any(ch in data for ch in "\x00\x01\x02\x1b"), path.name
        assert "\\u0000" not in data and "\\u001b" not in data, path.name


# --------------------------------------------------------------------------------------------
# big input
# --------------------------------------------------------------------------------------------


def test_huge_single_line_text_exports_in_reasonable_time(tmp_path: Path) -> None:
    sentence = (
        "Rituximab (Rituxan) is a medicine given as an infusion into a vein. Common side "
        "effects include fever and chills. Tell your nurse if you feel unwell. "
    )
    text = sentence * (500_000 // len(sentence))
    assert "\n" not in text and len(text) > 400_000
    source = write(tmp_path / "in" / "one-line.txt", text)
    out = tmp_path / "out"
    start = time.perf_counter()
    result = run("export", source, "--out", out)
    elapsed = time.perf_counter() - start
    assert_no_traceback(result)
    assert result.exit_code == 0, result.stderr
    assert elapsed < 60, f"took {elapsed:.1f}s"
    assert RITUXIMAB_RXNORM in rxnorm_codes(load(out / "one-line.bundle.json"))


def test_huge_single_line_over_default_limit_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "in" / "huge.txt"
    source.parent.mkdir()
    with source.open("wb") as handle:
        handle.truncate(10 * 1024 * 1024 + 1)  # sparse: fast to create, never read
    result = run("export", source, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.INPUT_FAILED
    assert error_lines(result) == [
        f"Error: {source}: file is {10 * 1024 * 1024 + 1} bytes, over the {10 * 1024 * 1024} "
        "byte limit. Split the article or raise --max-bytes."
    ]


# --------------------------------------------------------------------------------------------
# atomicity
# --------------------------------------------------------------------------------------------

BREAKAGES = {
    "binary": PNG,
    "empty": b"",
    "invalid-utf8": b"caf\xe9 au lait\n",
}


@pytest.mark.parametrize("fmt", ["json", "xml", "both"])
@pytest.mark.parametrize("broken", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_failed_article_keeps_previous_output(tmp_path: Path, fmt: str, broken: bytes) -> None:
    source = write(tmp_path / "in" / "leaflet.txt", GOOD_LEAFLET)
    out = tmp_path / "out"
    first = run("export", source, "--out", out, "--format", fmt)
    assert first.exit_code == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "manifest.json"}
    assert len(before) == len(OutputFormat(fmt).suffixes())

    write(source, broken)
    second = run("export", source, "--out", out, "--format", fmt)
    assert_no_traceback(second)
    assert second.exit_code == ExitCode.INPUT_FAILED
    assert len(error_lines(second)) == 1
    assert error_lines(second)[0].startswith(f"Error: {source}: ")
    assert second.stdout == ""
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name != "manifest.json"} == before
    assert leftovers(out) == []


@pytest.mark.parametrize("failing", ["write", "replace"])  # bundles are not fsynced one by one
def test_write_failure_keeps_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    source = write(tmp_path / "in" / "leaflet.txt", GOOD_LEAFLET)
    out = tmp_path / "out"
    assert run("export", source, "--out", out).exit_code == 0
    target = out / "leaflet.bundle.json"
    before = target.read_bytes()

    write(source, GOOD_LEAFLET.replace("feeling tired", "a headache"))  # new output differs

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, failing, disk_full)
    result = run("export", source, "--out", out)
    monkeypatch.undo()
    assert_no_traceback(result)
    assert result.exit_code == ExitCode.OUTPUT_FAILED
    full = os.strerror(errno.ENOSPC)
    assert error_lines(result) == [  # the run manifest cannot be written either: kept as it was
        f"Error: {target}: cannot write ({full}).",
        f"Error: {out / 'manifest.json'}: cannot write ({full}).",
    ]
    assert result.stdout == ""
    assert target.read_bytes() == before
    assert leftovers(out) == []


def test_write_atomic_cleans_up_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "bundle.json"
    target.write_bytes(b"old")

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic({target: b"new"})
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.json"]


def test_successful_rewrite_replaces_file_and_leaves_no_temp_files(tmp_path: Path) -> None:
    source = write(tmp_path / "in" / "leaflet.txt", GOOD_LEAFLET)
    out = tmp_path / "out"
    assert run("export", source, "--out", out, "--format", "both").exit_code == 0
    old = (out / "leaflet.bundle.json").read_bytes()
    write(source, GOOD_LEAFLET.replace("feeling tired", "a headache"))
    assert run("export", source, "--out", out, "--format", "both").exit_code == 0
    assert (out / "leaflet.bundle.json").read_bytes() != old
    assert sorted(p.name for p in out.iterdir() if p.name != "manifest.json") == [
        "leaflet.bundle.json", "leaflet.bundle.xml"]
    for path in out.iterdir():
        assert path.stat().st_mode & 0o777 == 0o644


# --------------------------------------------------------------------------------------------
# determinism
# --------------------------------------------------------------------------------------------


def _corpus(folder: Path) -> None:
    write(folder / "leaflet.txt", GOOD_LEAFLET)
    write(folder / "utf16.txt", codecs.BOM_UTF16_LE + SHORT_LEAFLET.encode("utf-16-le"))
    write(folder / "handlers.html", HANDLER_PAGE)
    write(
        folder / "latin1.html",
        (
            '<html><head><meta charset="iso-8859-1"></head><body><h1>Rituximab for naïve '
            "patients</h1><p>Rituximab (Rituxan) is a medicine given as an infusion into a "
            "vein.</p></body></html>"
        ).encode("latin-1"),
    )
    write(
        folder / "guide.md",
        "---\ntitle: Trastuzumab\nupdated: 2024-06-01\n---\n\n# Trastuzumab\n\n"
        "Trastuzumab (Herceptin) is a medicine given as an infusion into a vein.\n\n"
        "## Side effects\n\n- fever\n- chills\n",
    )


def _snapshot(folder: Path) -> dict[str, bytes]:
    """The bundles in folder (the run manifest names the inputs' paths: not compared)."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "manifest.json"}


@pytest.mark.parametrize("bundle_type", ["transaction", "batch", "collection"])
def test_same_input_gives_byte_identical_output(tmp_path: Path, bundle_type: str) -> None:
    _corpus(tmp_path / "in")
    args = ["--format", "both", "--bundle-type", bundle_type]
    first = run("export", tmp_path / "in", "--out", tmp_path / "one", *args)
    second = run("export", tmp_path / "in", "--out", tmp_path / "two", *args)
    assert first.exit_code == second.exit_code == 0, first.stderr
    one, two = _snapshot(tmp_path / "one"), _snapshot(tmp_path / "two")
    assert len(one) == 10
    assert one == two

    # again into the same folder: nothing changes
    third = run("export", tmp_path / "in", "--out", tmp_path / "one", *args)
    assert third.exit_code == 0
    assert _snapshot(tmp_path / "one") == one


def test_output_does_not_depend_on_mtime_location_or_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _corpus(tmp_path / "in")
    assert run("export", tmp_path / "in", "--out", tmp_path / "one").exit_code == 0
    reference = _snapshot(tmp_path / "one")

    # copied elsewhere, with other timestamps, named by a relative path
    moved = tmp_path / "elsewhere" / "articles"
    moved.mkdir(parents=True)
    for path in (tmp_path / "in").iterdir():
        (moved / path.name).write_bytes(path.read_bytes())
        os.utime(moved / path.name, (946684800, 946684800))
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert run("export", "articles", "--out", "two").exit_code == 0
    assert _snapshot(tmp_path / "elsewhere" / "two") == reference

    # the library entry point writes the same bytes as the CLI
    report = export([str(moved)], tmp_path / "three", ExportOptions())
    assert report.exit_code == ExitCode.OK
    assert _snapshot(tmp_path / "three") == reference


# --------------------------------------------------------------------------------------------
# text extracted from a PDF
# --------------------------------------------------------------------------------------------

DERIVATION = "http://hl7.org/fhir/StructureDefinition/derivation-reference"
PDF_PAGE_HEAD = "Rituximab (Rituxan) \x96 Infusion Unit leaflet\n\n"
PDF_PAGES = [
    "Rituximab (Rituxan): a guide for patients\n\nLast reviewed: 2024-03-05\n\n"
    "What is rituximab?\n\nRituximab (Rituxan) is a medicine used to treat non-Hodgkin\x92s "
    "lymphoma and rheumatoid arthritis. It is given as an infusion into a vein over several\n",
    "hours. You will be asked about in\ufb02uenza and other infections before each treat-\n"
    "ment.\n\nS I D E  E F F E C T S\n\nCommon side effects include fever, chills and feeling "
    "tired. Tell your nurse straight away if you feel unwell during the infusion.\n",
]


def test_pdf_extracted_text_exports_repaired(tmp_path: Path) -> None:
    raw = "\f".join(
        f"{PDF_PAGE_HEAD}{body}\nPage {n} of {len(PDF_PAGES)}\n"
        for n, body in enumerate(PDF_PAGES, 1)
    ).encode("utf-8")
    path = write(tmp_path / "in" / "rituximab-pdf.txt", raw)
    result = run("export", path, "--out", tmp_path / "out")
    assert result.exit_code == ExitCode.OK, result.stderr
    bundle = load(tmp_path / "out" / "rituximab-pdf.bundle.json")
    assert RITUXIMAB_RXNORM in rxnorm_codes(bundle)
    assert attachments(bundle)[0][1] == raw  # the original, artefacts and all
    text = extraction_text(bundle)
    assert "non-Hodgkin\u2019s lymphoma" in text and "influenza" in text
    assert "over several hours." in text and "each treatment." in text
    assert "SIDE EFFECTS" in text and "Page 1" not in text and "\x96" not in text
    assert text.count("Infusion Unit leaflet") <= 1
    spans = [
        (e["extension"], e)
        for resource in (x["resource"] for x in bundle["entry"])
        for e in _extensions(resource)
        if e["url"] == DERIVATION
    ]
    assert spans
    for parts, _ in spans:
        values = {p["url"]: p.get("valueInteger") for p in parts}
        start, length = values["offset"], values["length"]
        assert start is not None and length is not None
        phrase = text[start : start + length]
        assert phrase.strip() == phrase and phrase, (start, length)


def _extensions(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found += [e for e in node.get("extension", []) if isinstance(e, dict)]
        for value in node.values():
            found += _extensions(value)
    elif isinstance(node, list):
        for value in node:
            found += _extensions(value)
    return found
