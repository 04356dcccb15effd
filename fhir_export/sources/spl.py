"""FDA Structured Product Labeling (SPL) XML: DailyMed's Rx labels, OTC Drug Facts, vaccine labels.

A `.xml` file is read as SPL only when its root element is `document` in the HL7 v3 namespace
(urn:hl7-org:v3) and carries a document type code; any other XML is refused with one line.
The bytes go to lxml undecoded, so the encoding the XML declaration states is the one used.
Parsing is safe: no DTD is loaded, no entity is resolved, nothing is fetched, no huge trees;
a DOCTYPE or an entity declaration is refused outright (billion laughs, external entities).

What is read:

* each section's title -> a HEADING (level from its nesting), with the kind its LOINC section
  code states (spl_sections.py) as the heading's `topic`; an untitled section whose code states
  a kind (a boxed warning) is headed by the code's name;
* in a section's text: paragraphs, list items (ITEM, nested lists deeper), table rows (ROW);
* the document's title, effective time (date), author organisation (publisher), language,
  set id and version (identity), and the products of its listing data elements
  (spl_product.py), written as rows of a last "Product data elements" section so that every
  value taken from them has offsets in the text.

The original is kept as `application/xml` (RFC 7303: the XML declaration, not a charset
parameter, says how the bytes are encoded; `text/xml` is only an alias of it).
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from ..errors import SourceError
from ..model import BlockKind, Coding, DocumentIdentity, RawBlock, RawDocument, SourceHints
from . import spl_product, spl_sections
from .decode import collapse
from .markup import Role, flat_text

MEDIA_TYPE = "application/xml"
NS = "urn:hl7-org:v3"
V = "{" + NS + "}"
LOINC_OID = "2.16.840.1.113883.6.1"
LOINC = "http://loinc.org"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MAX_LEVEL = 6
_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)
_INLINE_BREAKS = {"br"}
# read as words of their own ("HR<footnote>Atorvastatin 80 mg...</footnote>" is two words)
_BLOCKS = {"paragraph", "list", "item", "table", "tr", "td", "th", "caption", "thead", "tbody"}
_BLOCKS |= {"footnote"}
_SKIPPED = {"excerpt", "renderMultiMedia", "observationMedia"}  # highlights repeat the label


def _local(el: Any) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _inline(el: Any, *, skip_lists: bool = False) -> str:
    """The element's text: <br/> and block children are word breaks; nested lists left out
    when asked."""

    def role(child: Any) -> Role:
        name = _local(child)
        if not name or name in _SKIPPED or (skip_lists and name == "list"):
            return Role.SKIP
        if name in _INLINE_BREAKS:
            return Role.BREAK
        return Role.BLOCK if name in _BLOCKS else Role.INLINE

    return flat_text(el, role)


def _parse(path: str, raw: bytes) -> Any:
    if _DECLARATION.search(raw):
        raise SourceError(
            "XML with a DOCTYPE or entity declaration is refused",
            path=path,
            hint="SPL files have neither; this one may be hostile (external entities).",
        )
    try:
        root = etree.fromstring(raw, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"malformed XML ({exc.msg})", path=path) from None
    info: Any = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:  # a declaration in another encoding
        raise SourceError("XML with a DOCTYPE or entity declaration is refused", path=path)
    return root


def _recognized(path: str, root: Any) -> Any:
    """The document code element of an SPL document, else a SourceError."""
    if root.tag != f"{V}document":
        name = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        space = etree.QName(root).namespace if isinstance(root.tag, str) else None
        raise SourceError(
            f"not an FDA SPL document (root element <{name}>"
            + (f" in namespace {space})" if space else " without a namespace)"),
            path=path,
            hint=f"An .xml file is read only as SPL: root <document> in namespace {NS}.",
        )
    code = root.find(f"{V}code")
    if code is None or not code.get("code"):
        raise SourceError("SPL document without a document type code", path=path)
    return code


_HAND_BULLET = re.compile(r"[-•–]\s*(?=[^\W\d_])")  # "-with", "• receiving": not "-20 °C"


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[RawBlock] = []

    def add(self, kind: BlockKind, text: str, level: int = 0) -> None:
        bullet = _HAND_BULLET.match(text) if kind is BlockKind.PARAGRAPH else None
        if bullet:  # "-with severe cardiovascular disorders": a list item bulleted by hand
            kind, text, level = BlockKind.ITEM, text[bullet.end() :], 1
        if text:
            self.blocks.append(RawBlock(kind=kind, text=text, level=level))

    def section(self, sec: Any, depth: int) -> None:
        code_el = sec.find(f"{V}code")
        code = code_el.get("code") if code_el is not None else None
        if code in (spl_sections.LISTING, spl_sections.INDEXING):
            return  # data elements: read as products (spl_product)
        title_el = sec.find(f"{V}title")
        title = _inline(title_el) if title_el is not None else ""
        kind = spl_sections.kind_of(code)
        text_el = sec.find(f"{V}text")
        children = sec.findall(f"{V}component/{V}section")
        heading = title or (_untitled(code) if kind and (text_el is not None or children) else "")
        if heading:
            level = min(depth + 1, _MAX_LEVEL)
            self.blocks.append(
                RawBlock(kind=BlockKind.HEADING, text=heading, level=level, topic=kind)
            )
        if text_el is not None:
            self.content(text_el, 0)
        for child in children:
            self.section(child, depth + 1)

    def content(self, el: Any, list_depth: int) -> None:
        """The blocks of a <text> (or of a container inside one)."""
        self.add(BlockKind.PARAGRAPH, collapse(el.text or ""))
        for child in el:
            name = _local(child)
            if name == "paragraph":
                self.add(BlockKind.PARAGRAPH, _inline(child, skip_lists=True))
                for sub in child.findall(f"{V}list"):
                    self.list(sub, list_depth)
            elif name == "list":
                self.list(child, list_depth)
            elif name == "table":
                self.table(child)
            elif name and name not in _SKIPPED:
                self.add(BlockKind.PARAGRAPH, _inline(child))
            self.add(BlockKind.PARAGRAPH, collapse(child.tail or ""))

    def list(self, el: Any, list_depth: int) -> None:
        for child in el:
            name = _local(child)
            if name == "caption":
                self.add(BlockKind.PARAGRAPH, _inline(child))
            elif name == "item":
                self.add(BlockKind.ITEM, _inline(child, skip_lists=True), list_depth + 1)
                for sub in child.iter(f"{V}list"):
                    if sub.getparent() is child or sub.getparent().getparent() is child:
                        self.list(sub, list_depth + 1)

    def table(self, el: Any) -> None:
        caption = el.find(f"{V}caption")
        if caption is not None:
            self.add(BlockKind.PARAGRAPH, _inline(caption))
        for tr in el.iter(f"{V}tr"):
            cells = tuple(_inline(c) for c in tr if _local(c) in ("td", "th"))
            if any(cells):
                header = all(_local(c) == "th" for c in tr if _local(c)) or (
                    tr.getparent() is not None and _local(tr.getparent()) == "thead"
                )
                self.blocks.append(
                    RawBlock(kind=BlockKind.ROW, text=" | ".join(cells), cells=cells, header=header)
                )


def _untitled(code: str | None) -> str:
    """The heading of an untitled section whose code states a kind: the code's own name."""
    name = spl_sections.name_of(code) or ""
    return re.sub(r"\s+section$", "", name, flags=re.I)


def _hints(root: Any, products: tuple[Any, ...], code: Any) -> SourceHints:
    title_el = root.find(f"{V}title")
    title = _inline(title_el) if title_el is not None else ""
    if not title:  # an empty <title/>: the product's own name, else the document type
        title = next((p.name for p in products if p.name), None) or code.get("displayName", "")
    org = root.find(f"{V}author/{V}assignedEntity/{V}representedOrganization/{V}name")
    publisher = collapse(org.text or "") if org is not None else ""
    language = root.find(f"{V}languageCode")
    lang = (language.get("code") or "").split("-")[0].lower() if language is not None else ""
    return SourceHints(
        title=title or None,
        language=lang or "en",
        publisher=publisher or None,
        date=_date(root.find(f"{V}effectiveTime")),
    )


def _date(el: Any) -> str | None:
    value = (el.get("value") or "") if el is not None else ""
    match = re.match(r"(\d{4})(\d{2})(\d{2})", value)
    return "-".join(match.groups()) if match else None


def _identity(root: Any, code: Any) -> DocumentIdentity | None:
    set_id = root.find(f"{V}setId")
    if set_id is None or not _UUID.match(set_id.get("root") or ""):
        return None
    version = root.find(f"{V}versionNumber")
    doc_id = root.find(f"{V}id")
    doc_root = (doc_id.get("root") or "") if doc_id is not None else ""
    kind = None
    if code.get("codeSystem") == LOINC_OID:
        display = collapse(code.get("displayName") or "")
        kind = Coding(system=LOINC, code=code.get("code"), display=display or None)
    return DocumentIdentity(
        set_id=set_id.get("root").lower(),
        version=(version.get("value") or None) if version is not None else None,
        document_id=doc_root.lower() if _UUID.match(doc_root) else None,
        type=kind,
    )


def read(path: str, name: str, raw: bytes) -> RawDocument:
    root = _parse(path, raw)
    code = _recognized(path, root)
    walker = _Walker()
    for sec in root.iterfind(f"{V}component/{V}structuredBody/{V}component/{V}section"):
        walker.section(sec, 1)
    products = spl_product.products(root)
    blocks = walker.blocks + spl_product.rows(products, spl_product.substances(root))
    return RawDocument(
        path=path,
        name=name,
        media_type=MEDIA_TYPE,
        charset="",
        raw=raw,
        blocks=tuple(blocks),
        hints=_hints(root, products, code),
        products=products,
        identity=_identity(root, code),
    )
