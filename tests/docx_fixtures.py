"""Our own .docx test files, written as OOXML by hand with zipfile (no Word, no python-docx).

`python tests/docx_fixtures.py` rewrites tests/data/docx/*.docx and the Word article in
tests/data/articles/; tests read the committed files and check that they still hold exactly
the parts this script writes. The parts are what Word writes for the same content, cut to
what a reader needs: content types, relationships, styles (Title, Heading 1-3), numbering
(bullets and numbers, three levels), core properties, and one embedded image.
"""

from __future__ import annotations

import sys
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "data" / "docx"
ARTICLE = HERE / "data" / "articles" / "lisinopril-leaflet-word.docx"

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_R = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# a 1x1 transparent PNG: images are never read, only carried in the package
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
BULLETS, NUMBERS = 1, 2


def content_types(main: str = f"{_DOC}.document.main+xml") -> str:
    parts = {
        "/word/document.xml": main,
        "/word/styles.xml": f"{_DOC}.styles+xml",
        "/word/numbering.xml": f"{_DOC}.numbering+xml",
        "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml",
    }
    overrides = "".join(f'<Override PartName="{k}" ContentType="{v}"/>' for k, v in parts.items())
    return (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Default Extension="png" ContentType="image/png"/>{overrides}</Types>'
    )


def relationships(targets: dict[str, tuple[str, str]]) -> str:
    rels = "".join(
        f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'
        for rid, (kind, target) in targets.items()
    )
    return f'{_HEAD}<Relationships xmlns="{_PKG_R}">{rels}</Relationships>'


PACKAGE_RELS = relationships(
    {
        "rId1": (f"{_R}/officeDocument", "word/document.xml"),
        "rId2": (
            "http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
            "core-properties",
            "docProps/core.xml",
        ),
    }
)
DOCUMENT_RELS = relationships(
    {
        "rId1": (f"{_R}/styles", "styles.xml"),
        "rId2": (f"{_R}/numbering", "numbering.xml"),
        "rId3": (f"{_R}/image", "media/image1.png"),
    }
)


def _style(style_id: str, name: str, outline: int | None = None) -> str:
    level = f'<w:pPr><w:outlineLvl w:val="{outline}"/></w:pPr>' if outline is not None else ""
    return (
        f'<w:style w:type="paragraph" w:styleId="{style_id}"><w:name w:val="{name}"/>'
        f'<w:basedOn w:val="Normal"/>{level}</w:style>'
    )


STYLES = (
    f'{_HEAD}<w:styles xmlns:w="{_W}">'
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
    "</w:style>"
    + _style("Title", "Title")
    + "".join(_style(f"Heading{n}", f"heading {n}", n - 1) for n in (1, 2, 3))
    + _style("ListParagraph", "List Paragraph")
    + '<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/></w:style>'
    "</w:styles>"
)


def _abstract(number: int, fmt: str, texts: Iterable[str]) -> str:
    levels = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/><w:pPr><w:ind w:left="{720 * (i + 1)}" '
        'w:hanging="360"/></w:pPr></w:lvl>'
        for i, text in enumerate(texts)
    )
    return f'<w:abstractNum w:abstractNumId="{number}">{levels}</w:abstractNum>'


NUMBERING = (
    f'{_HEAD}<w:numbering xmlns:w="{_W}">'
    + _abstract(0, "bullet", ("•", "o", "▪"))
    + _abstract(1, "decimal", ("%1.", "%2.", "%3."))
    + f'<w:num w:numId="{BULLETS}"><w:abstractNumId w:val="0"/></w:num>'
    + f'<w:num w:numId="{NUMBERS}"><w:abstractNumId w:val="1"/></w:num>'
    "</w:numbering>"
)


def core(title: str | None, language: str | None = "en-GB") -> str:
    fields = ""
    fields += f"<dc:title>{escape(title)}</dc:title>" if title is not None else ""
    fields += f"<dc:language>{language}</dc:language>" if language else ""
    return (
        f"{_HEAD}<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/"
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/">'
        f"{fields}<dc:creator>Content team</dc:creator></cp:coreProperties>"
    )


# ---- the body ------------------------------------------------------------------------------


def p(text: str, style: str | None = None, *, num: int = 0, level: int = 0,
      bold: bool = False) -> str:
    props = f'<w:pStyle w:val="{style}"/>' if style else ""
    if num:
        props = (
            '<w:pStyle w:val="ListParagraph"/>'
            f'<w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{num}"/></w:numPr>'
        )
    run = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return (
        f"<w:p><w:pPr>{props}</w:pPr><w:r>{run}"
        f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'
    )


def h(level: int, text: str) -> str:
    return p(text, f"Heading{level}")


def bullets(*items: str | tuple[str, int]) -> str:
    return "".join(
        p(i, num=BULLETS) if isinstance(i, str) else p(i[0], num=BULLETS, level=i[1])
        for i in items
    )


def table(header: tuple[str, ...], *rows: tuple[str, ...]) -> str:
    def row(cells: tuple[str, ...], is_header: bool) -> str:
        props = "<w:trPr><w:tblHeader/></w:trPr>" if is_header else ""
        return f"<w:tr>{props}" + "".join(f"<w:tc>{p(c)}</w:tc>" for c in cells) + "</w:tr>"

    return (
        '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/></w:tblPr>'
        + row(header, True)
        + "".join(row(r, False) for r in rows)
        + "</w:tbl>"
    )


IMAGE = (
    '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/'
    'drawingml/2006/wordprocessingDrawing"><wp:extent cx="9525" cy="9525"/>'
    '<wp:docPr id="1" name="Picture 1" descr="Pack shot"/>'
    '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
    '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    f'<pic:blipFill><a:blip xmlns:r="{_R}" r:embed="rId3"/></pic:blipFill></pic:pic>'
    "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
)


def document(*body: str, prolog: str = "") -> str:
    return (
        f'{_HEAD}{prolog}<w:document xmlns:w="{_W}" xmlns:r="{_R}"><w:body>{"".join(body)}'
        "</w:body></w:document>"
    )


def package(parts: dict[str, str | bytes]) -> bytes:
    """A zip as Word writes it: [Content_Types].xml first, deflated, fixed timestamps."""
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
    return buffer.getvalue()


def word(body: str, title: str | None, *, main: str | None = None) -> dict[str, str | bytes]:
    return {
        "[Content_Types].xml": content_types(main) if main else content_types(),
        "_rels/.rels": PACKAGE_RELS,
        "docProps/core.xml": core(title),
        "word/_rels/document.xml.rels": DOCUMENT_RELS,
        "word/document.xml": body,
        "word/styles.xml": STYLES,
        "word/numbering.xml": NUMBERING,
        "word/media/image1.png": PNG,
    }


# ---- the files -----------------------------------------------------------------------------

STRUCTURE = document(
    p("Amoxicillin for children", "Title"),
    IMAGE,
    h(1, "What amoxicillin is used for"),
    p("Amoxicillin (Amoxil) is an antibiotic used to treat:"),
    bullets("chest infections", ("pneumonia", 1), ("bronchitis", 1), "ear infections"),
    h(2, "How to give it"),
    "".join(p(step, num=NUMBERS) for step in ("Shake the bottle.", "Measure the dose.")),
    h(1, "Side effects"),
    table(("Side effect", "How common"), ("diarrhoea", "common"), ("skin rash", "uncommon")),
)

BOLD_HEADINGS = document(
    p("Amoxicillin for children", bold=True),
    p("Amoxicillin is an antibiotic. It is used for chest infections in children."),
    p("Side effects", bold=True),
    bullets("diarrhoea", "feeling sick"),
    p("Call a doctor straight away if your child has", bold=True),
    bullets("a rash with a high temperature"),
    p("Keep it in the fridge.", bold=True),
)

DOCTYPE_BOMB = (
    '<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)


def bomb() -> bytes:
    """A .docx whose document.xml declares 64 MiB that deflate to about 64 KiB."""
    parts = word(document(p("Amoxicillin")), "Bomb")
    parts["word/document.xml"] = document(p("Amoxicillin")).encode() + b" " * (64 << 20)
    return package(parts)


def fixtures() -> dict[Path, bytes]:
    good = package(word(STRUCTURE, "Amoxicillin oral suspension"))
    spreadsheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    return {
        FIXTURES / "structure.docx": good,
        FIXTURES / "bold-headings.docx": package(word(BOLD_HEADINGS, None)),
        FIXTURES / "zip-bomb.docx": bomb(),
        FIXTURES / "truncated.docx": good[: len(good) // 2],
        FIXTURES / "spreadsheet.docx": package(word(STRUCTURE, None, main=spreadsheet)),
        FIXTURES / "plain-zip.docx": package({"notes.txt": "Amoxicillin (Amoxil)\n"}),
        FIXTURES / "doctype.docx": package(word(_doctype(), "Entities")),
        FIXTURES / "word-97.docx": bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504),
        ARTICLE: package(word(_leaflet(), "Lisinopril tablets")),
    }


def _doctype() -> str:
    """An entity expansion ('billion laughs', cut short) inside document.xml."""
    return document(p("Amoxicillin ENTITY"), prolog=DOCTYPE_BOMB).replace("ENTITY", "&c;")


def _leaflet() -> str:
    from docx_leaflet import LEAFLET

    return document(*LEAFLET)


def parts_of(data: bytes) -> dict[str, bytes]:
    """A package's parts (names and uncompressed bytes), for comparing with the generator."""
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def main() -> None:
    for target, data in fixtures().items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        sys.stdout.write(f"{target.relative_to(HERE.parent)} {len(data)} bytes, "
                         f"crc {zlib.crc32(data):08x}\n")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
