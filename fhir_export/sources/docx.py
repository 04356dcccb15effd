"""Word (.docx) articles: the package is checked as untrusted input, converted to HTML by
mammoth, and read by the HTML reader, so headings, lists and tables come through as they do
from a web page.

A .docx is a zip of XML parts. Before anything is decompressed, the zip's central directory
is checked: number of entries, each entry's declared size and compression ratio, their total,
no encryption, no unusual compression. Only the XML parts are then read, each with a hard cap
(a lying declared size stops at the cap or fails the zip's CRC check), and each is parsed by
lxml with no network, no DTD and no entity expansion; a part with a DOCTYPE is refused (Word
never writes one). mammoth then reads a new in-memory package holding only those checked
parts, so it never sees the original zip, its images or an embedded style map.

Title: the document's core properties (docProps/core.xml dc:title, Word's File > Info >
Title) when present, else the first heading (segmentation's rule). Running headers, footers,
comments and images are not read.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import replace
from typing import Any

import mammoth  # type: ignore[import-untyped]
from lxml import etree

from ..errors import SourceError
from ..model import BlockKind, RawBlock, RawDocument, SourceHints
from . import html
from .decode import collapse

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

MAX_ENTRIES = 2_000  # a long report with many images has a few hundred
MAX_PART = 8 * 1024 * 1024  # one XML part, decompressed
MAX_XML = 12 * 1024 * 1024  # all XML parts read, decompressed
MAX_TOTAL = 256 * 1024 * 1024  # every entry's declared size, added up
MAX_RATIO = 200  # uncompressed / compressed, for entries over RATIO_FROM bytes
RATIO_FROM = 1024 * 1024

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 .doc, or an encrypted .docx
_REL_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_NS = {
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_OTHER_OFFICE = {
    "spreadsheetml": "a spreadsheet (.xlsx)",
    "presentationml": "a presentation (.pptx)",
}
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)
# Word's Title style is the document's visible title (h1; mammoth leaves it a paragraph), so
# Heading N is a section heading one level under it: h(N+1). Documents that title themselves
# with Heading 1 still work: segmentation takes the first heading as the title.
_STYLE_MAP = "\n".join(
    [
        "p[style-name='Title'] => h1:fresh",
        "p.Title => h1:fresh",
        "p[style-name='Subtitle'] => p:fresh",
        *(
            f"{match} => h{min(n + 1, 6)}:fresh"
            for n in range(1, 7)
            for match in (f"p.Heading{n}", f"p[style-name='Heading {n}']",
                          f"p[style-name='heading {n}']")
        ),
    ]
)

_HEADING_OR_BOLD = re.compile(r"<h([1-6])>|<p><strong>([^<]{1,90})</strong></p>")
_CONNECTOR = frozenset(  # a bold line ending in one of these leads into what follows
    "have has had are is was were be if to with include includes including the a an of for "
    "and or you your when take use following these any as by from".split()
)
_DTD = tuple(m.encode(c) for m in ("<!DOCTYPE", "<!ENTITY") for c in ("utf-8", "utf-16-le",
                                                                      "utf-16-be"))


def read(path: str, name: str, raw: bytes) -> RawDocument:
    """A .docx file's bytes -> RawDocument (its blocks read through the HTML reader)."""
    parts = _xml_parts(path, raw)
    main = _main_part(path, parts)
    hints = _core_hints(parts)
    page = _to_html(path, parts, main)
    doc = html.read_with(None)(path, name, raw, f"<html><body>{page}</body></html>")
    blocks = doc.blocks
    if hints.title and not _titled(blocks, hints.title):
        blocks = _demoted(blocks)  # the core title names the document: no heading outranks it
    return replace(doc, media_type=MEDIA_TYPE, charset="", blocks=blocks, hints=hints)


def _fail(path: str, problem: str, hint: str | None = None) -> SourceError:
    return SourceError(problem, path=path, hint=hint)


def _open(path: str, raw: bytes) -> zipfile.ZipFile:
    if raw.startswith(_OLE2):
        raise _fail(
            path,
            "is a Word 97-2003 (.doc) or password-protected file, not a .docx package",
            "Save it as .docx without a password.",
        )
    try:
        return zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError,
            NotImplementedError) as exc:  # a zip 'version needed' above what zipfile reads
        if raw.startswith(b"PK"):
            raise _fail(path, f"the .docx zip package is damaged or truncated ({exc})") from None
        raise _fail(path, "is not a Word document (a .docx is a zip package)") from None


def _check_directory(path: str, infos: list[zipfile.ZipInfo]) -> None:
    """The central directory's declared sizes, before anything is decompressed."""
    if len(infos) > MAX_ENTRIES:
        raise _fail(path, f"the .docx holds {len(infos)} entries, over the {MAX_ENTRIES} limit")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _fail(path, f"the .docx entry {info.filename} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _fail(path, f"the .docx entry {info.filename} uses an unusual compression")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FROM and ratio > MAX_RATIO:
            raise _fail(
                path,
                f"the .docx entry {info.filename} would expand {ratio:.0f} times "
                f"(to {info.file_size} bytes): refused as a zip bomb",
            )
        total += info.file_size
    if total > MAX_TOTAL:
        raise _fail(
            path, f"the .docx would expand to {total} bytes, over the {MAX_TOTAL} byte limit"
        )


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels"))


def _xml_parts(path: str, raw: bytes) -> dict[str, Any]:
    """Every XML part, parsed safely: name -> (bytes, lxml tree)."""
    with _open(path, raw) as package:
        infos = package.infolist()
        _check_directory(path, infos)
        parts: dict[str, Any] = {}
        budget = MAX_XML
        for info in infos:
            if info.is_dir() or not _is_xml(info.filename):
                continue
            if info.file_size > min(MAX_PART, budget):
                raise _fail(
                    path, f"the .docx part {info.filename} is {info.file_size} bytes, too large"
                )
            try:
                with package.open(info) as member:
                    data = member.read(info.file_size + 1)
            # zlib.error: a deflated entry whose data is damaged (the directory is sound)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
                raise _fail(
                    path, f"the .docx zip package is damaged or truncated ({exc})"
                ) from None
            if len(data) > info.file_size:  # pragma: no cover (zipfile stops at the size)
                raise _fail(path, f"the .docx part {info.filename} is larger than declared")
            budget -= len(data)
            parts[info.filename] = (data, _parse(path, info.filename, data))
    return parts


def _parse(path: str, part: str, data: bytes) -> Any:
    if any(marker in data for marker in _DTD):
        raise _fail(path, f"the .docx part {part} has a DOCTYPE: refused (Word never writes one)")
    try:
        tree = etree.fromstring(data, _XML_PARSER).getroottree()
    except etree.XMLSyntaxError as exc:
        raise _fail(path, f"the .docx part {part} is not well-formed XML ({exc})") from None
    info = tree.docinfo
    if info.internalDTD is not None or info.system_url or info.public_id:
        raise _fail(path, f"the .docx part {part} has a DOCTYPE: refused (Word never writes one)")
    return tree


def _main_part(path: str, parts: dict[str, Any]) -> str:
    """The main document part, named by the package relationships and typed as Word's."""
    rels = parts.get("_rels/.rels")
    types = parts.get("[Content_Types].xml")
    if rels is None or types is None:
        raise _fail(path, "is a zip file but not a Word document (no package relationships)")
    targets = rels[1].xpath(f"//rel:Relationship[@Type='{_REL_OFFICE}']/@Target", namespaces=_NS)
    main = str(targets[0]).lstrip("/") if targets else ""
    overrides = types[1].xpath(
        "//ct:Override[@PartName=$name]/@ContentType", namespaces=_NS, name=f"/{main}"
    )
    content_type = str(overrides[0]) if overrides else ""
    for marker, what in _OTHER_OFFICE.items():
        if marker in content_type:
            raise _fail(path, f"is {what}, not a Word document")
    word = "wordprocessingml" in content_type or "ms-word" in content_type
    if not main or main not in parts or not word or not content_type.endswith("main+xml"):
        raise _fail(path, "is a zip file but not a Word document (no Word main document part)")
    return main


def _core_hints(parts: dict[str, Any]) -> SourceHints:
    core = parts.get("docProps/core.xml")
    if core is None:
        return SourceHints()

    def first(tag: str) -> str | None:
        found = core[1].xpath(f"//dc:{tag}/text()", namespaces=_NS)
        return collapse(str(found[0])) or None if found else None

    return SourceHints(title=first("title"), language=first("language"))


def _to_html(path: str, parts: dict[str, Any], main: str) -> str:
    """mammoth over a package of the checked XML parts only; bold-only short paragraphs, the
    headings of documents written without heading styles, become headings."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as package:
        for name, (data, _) in sorted(parts.items()):
            package.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    buffer.seek(0)
    try:
        result = mammoth.convert_to_html(
            buffer,
            style_map=_STYLE_MAP,
            include_embedded_style_map=False,
            external_file_access=False,
            convert_image=mammoth.images.img_element(lambda image: {}),
        )
    except RecursionError:
        raise _fail(path, f"the .docx part {main} is nested too deeply") from None
    except Exception as exc:  # the converter's own failure on a malformed part: one line
        raise _fail(path, f"cannot convert the Word document ({type(exc).__name__})") from None
    return _bold_headings(str(result.value))


def _bold_headings(page: str) -> str:
    """`<p><strong>Side effects</strong></p>` -> a heading one level under the last real one
    (h2 when none): short, capitalised, no closing punctuation, not leading into a list."""
    out: list[str] = []
    last, level = 0, 1
    for match in _HEADING_OR_BOLD.finditer(page):
        if match.group(1):
            level = int(match.group(1))
            continue
        text = collapse(match.group(2))
        words = text.split()
        if (
            not text
            or not text[0].isupper()
            or text[-1] in ".,;:!"
            or len(words) > 10
            or words[-1].lower() in _CONNECTOR
        ):
            continue
        sub = min(level + 1, 6)
        out += [page[last : match.start()], f"<h{sub}>{match.group(2)}</h{sub}>"]
        last = match.end()
    return "".join([*out, page[last:]])


def _titled(blocks: tuple[RawBlock, ...], title: str) -> bool:
    """The document's Title paragraph says what its core title says."""
    first = next((b for b in blocks if b.kind is BlockKind.HEADING and b.level == 1), None)
    return first is not None and first.text.casefold() == title.casefold()


def _demoted(blocks: tuple[RawBlock, ...]) -> tuple[RawBlock, ...]:
    """Every heading one level down, so that no heading outranks the core title."""
    return tuple(
        replace(b, level=min(b.level + 1, 6)) if b.kind is BlockKind.HEADING else b
        for b in blocks
    )
