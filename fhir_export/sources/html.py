"""HTML articles, parsed with lxml: keep the article body, drop site furniture.

The page is reduced to a small vocabulary (headings, paragraphs, list items, table rows) the
way trafilatura normalizes markup before segmenting. Nothing is fetched: no network, no
external entities, scripts and styles are removed before any text is read.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from ..errors import SourceError
from ..model import BlockKind, RawBlock, RawDocument, SourceHints
from .decode import collapse

_PARSER = lxml_html.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, recover=True, huge_tree=False
)
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "form",
    "button",
    "input",
    "select",
    "textarea",
    "nav",
    "aside",
    "footer",
    "video",
    "audio",
    "picture",
    "img",
    "map",
    "dialog",
)
_NOISE = re.compile(
    r"(?:^|[\s_-])(cookie|consent|gdpr|banner|newsletter|subscribe|signup|related|share|social|"
    r"breadcrumbs?|advert|ads?|promo|sidebar|skip|menu|popup|modal|teaser|comments?|toolbar|"
    r"site-header|masthead|nav|navigation|footer|print)(?:$|[\s_-])",
    re.I,
)
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_PARAGRAPHS = {"p", "blockquote", "pre", "dt", "dd", "figcaption", "caption", "address", "summary"}
_LISTS = {"ul", "ol", "dl"}
_BLOCK_TAGS = (
    set(_HEADINGS)
    | _PARAGRAPHS
    | _LISTS
    | {
        "div",
        "section",
        "article",
        "main",
        "header",
        "table",
        "li",
        "tr",
        "details",
        "figure",
        "hgroup",
        "tbody",
        "thead",
        "tfoot",
        "body",
    }
)
_MAX_DEPTH = 200
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _text(el: Any, *, skip_lists: bool = False) -> str:
    """The element's text; <br> and block children are word breaks; nested lists left out
    when asked."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if not isinstance(child.tag, str):
                pass
            elif skip_lists and child.tag in _LISTS:
                pass
            elif child.tag == "br":
                parts.append(" ")
            elif child.tag in _BLOCK_TAGS or child.tag in ("td", "th"):
                parts.append(" ")
                walk(child)
                parts.append(" ")
            else:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return collapse("".join(parts))


def _is_noise(el: Any) -> bool:
    if el.tag in ("main", "article", "body"):
        return False
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    if el.get("role") in ("navigation", "banner", "contentinfo", "complementary", "search"):
        return True
    marks = f"{el.get('class', '')} {el.get('id', '')}"
    return bool(marks.strip()) and bool(_NOISE.search(marks))


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[RawBlock] = []

    def block(self, el: Any, depth: int = 0, list_depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            return
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _HEADINGS:
            self._add(BlockKind.HEADING, _text(el), _HEADINGS[tag])
        elif tag in _PARAGRAPHS:
            self._add(BlockKind.PARAGRAPH, _text(el))
        elif tag in ("ul", "ol"):
            for li in el:
                if getattr(li, "tag", None) != "li":
                    continue
                self._add(BlockKind.ITEM, _text(li, skip_lists=True), list_depth + 1)
                for sub in li.iter("ul", "ol"):
                    if sub.getparent() is li or sub.getparent().getparent() is li:
                        self.block(sub, depth + 1, list_depth + 1)
        elif tag == "dl":
            for child in el:
                if getattr(child, "tag", None) in ("dt", "dd"):
                    self._add(BlockKind.PARAGRAPH, _text(child))
        elif tag == "table":
            self._table(el)
        else:
            self._container(el, depth, list_depth)

    def _container(self, el: Any, depth: int, list_depth: int) -> None:
        loose: list[str] = [el.text or ""]
        for child in el:
            if isinstance(child.tag, str) and child.tag in _BLOCK_TAGS:
                self._add(BlockKind.PARAGRAPH, collapse("".join(loose)))
                loose = []
                self.block(child, depth + 1, list_depth)
            elif isinstance(child.tag, str):
                loose.append(" " if child.tag == "br" else _text(child))
            loose.append(child.tail or "")
        self._add(BlockKind.PARAGRAPH, collapse("".join(loose)))

    def _table(self, table: Any) -> None:
        for tr in table.iter("tr"):
            cells = tuple(_text(c) for c in tr if getattr(c, "tag", None) in ("td", "th"))
            if any(cells):
                header = all(getattr(c, "tag", None) == "th" for c in tr if isinstance(c.tag, str))
                self.blocks.append(
                    RawBlock(kind=BlockKind.ROW, text=" | ".join(cells), cells=cells, header=header)
                )

    def _add(self, kind: BlockKind, text: str, level: int = 0) -> None:
        if text:
            self.blocks.append(RawBlock(kind=kind, text=text, level=level))


def _json_ld(root: Any) -> dict[str, Any]:
    """The first schema.org object in JSON-LD that names an article's metadata."""
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        if len(script.text) > 200_000:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            continue
        items = data if isinstance(data, list) else data.get("@graph", [data])
        for item in items:
            if isinstance(item, dict) and (
                "headline" in item or "dateModified" in item or "publisher" in item
            ):
                return item
    return {}


def _name(value: Any) -> str | None:
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("name")
    return collapse(value) if isinstance(value, str) and value.strip() else None


def _meta(root: Any, *names: str) -> str | None:
    for name in names:
        for el in root.iter("meta"):
            if name in ((el.get("name") or "").lower(), (el.get("property") or "").lower()):
                content = collapse(el.get("content") or "")
                if content:
                    return content
    return None


def _hints(root: Any) -> SourceHints:
    ld = _json_ld(root)
    title_el = root.find(".//title")
    title = _text(title_el) if title_el is not None else None
    if title:
        title = re.split(r"\s+[|–—-]\s+", title)[0].strip() or None
    time_el = next((t for t in root.iter("time") if t.get("datetime")), None)
    date = ld.get("dateModified") or _meta(root, "article:modified_time", "last-modified")
    date = date or (time_el.get("datetime") if time_el is not None else None)
    date = date or ld.get("datePublished") or _meta(root, "article:published_time")
    return SourceHints(
        title=_meta(root, "og:title")
        or (collapse(ld["headline"]) if "headline" in ld else None)
        or title,
        language=(
            root.get("lang")
            or root.get("{http://www.w3.org/XML/1998/namespace}lang")
            or _meta(root, "content-language")
        ),
        publisher=_name(ld.get("publisher")) or _meta(root, "og:site_name", "publisher"),
        author=_name(ld.get("author")) or _meta(root, "author"),
        date=str(date) if date else None,
    )


def _first(root: Any, xpath: str) -> Any:
    found = root.xpath(xpath)
    return found[0] if isinstance(found, list) and found else None


def read(path: str, name: str, raw: bytes, content: str) -> RawDocument:
    content = _XML_DECLARATION.sub("", content, count=1)  # XHTML: the text is decoded already
    try:
        root = lxml_html.document_fromstring(content, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise SourceError(f"cannot parse HTML ({exc})", path=path) from None
    hints = _hints(root)
    body: Any = _first(root, "//main | //*[@role='main']")
    body = body if body is not None else _first(root, "//article")
    body = body if body is not None else root.find("body")
    if body is None:
        body = root
    for el in list(body.iter(*_DROP_TAGS)):
        if el is not body and el.getparent() is not None:
            el.drop_tree()
    for el in [e for e in body.iter() if isinstance(e.tag, str) and e is not body]:
        if el.getparent() is not None and _is_noise(el):
            el.drop_tree()
    walker = _Walker()
    walker.block(body)
    return RawDocument(
        path=path,
        name=name,
        media_type="text/html",
        charset="",
        raw=raw,
        blocks=tuple(walker.blocks),
        hints=hints,
    )
