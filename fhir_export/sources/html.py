"""HTML articles, parsed with lxml: main content first, then our own reading of its blocks.

The page is reduced to a small vocabulary (headings, paragraphs, list items, table rows) the
way trafilatura normalizes markup before segmenting. What is read:

1. metadata (title, language, publisher, author, dates, JSON-LD) from the whole page;
2. our own boilerplate removal: the main/article element (else body) less scripts, forms,
   furniture tags (nav, aside, footer) and elements whose class or id names furniture, unless
   such an element wraps the article itself;
3. the main-content extractor (`main_content`, Resiliparse) on what is left decides which of
   our blocks are the article: teaser cards, 'popular' lists and sidebars inside <main> go;
   if it finds too little, step 2's blocks are kept as they are;
4. a heading or paragraph that is wholly a link to another page is never read.

Nothing is fetched: no network, no external entities, scripts and styles are removed before
any text is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from ..errors import SourceError
from ..model import BlockKind, RawBlock, RawDocument
from . import html_metadata, main_content
from .decode import collapse, without_bad_references
from .markup import Role, flat_text

# huge_tree: libxml2 keeps elements nested up to 2048 deep (not 256: deeper text was dropped
# without a word); still no network, no entities loaded
_PARSER = lxml_html.HTMLParser(
    remove_comments=True, remove_pis=True, no_network=True, recover=True, huge_tree=True
)
# Nested deeper than libxml2 goes: tags that only wrap text are taken out first, then divs, so
# the text stays (its formatting does not matter to extraction), then lists and tables, then
# any other element but headings and paragraphs, then those; only furniture and the elements
# dropped unread (scripts, forms, ...) nested that deep lose what lies deeper.
_FLATTEN = (
    re.compile(
        r"</?(?:b|i|u|s|em|strong|span|font|small|big|sub|sup|mark|strike|tt|abbr|cite|q|a)"
        r"(?:\s[^<>]*)?/?>",
        re.I,
    ),
    re.compile(r"</?(?:div|section|article|aside|blockquote|center)(?:\s[^<>]*)?/?>", re.I),
    re.compile(r"</?(?:ul|ol|li|dl|dt|dd|table|thead|tbody|tr|td|th)(?:\s[^<>]*)?/?>", re.I),
    # any other element but the page's frame, headings, paragraphs and the elements dropped
    # unread (_UNSAFE_TAGS): an unknown tag nested 3,000 deep keeps its text too
    re.compile(
        r"</?(?!(?:html|head|body|title|meta|link|base|h[1-6]|p|br|pre|script|style|noscript|"
        r"nav|aside|footer|template|iframe|object|embed|svg|canvas|form|button|input|select|"
        r"textarea|video|audio|picture|img|map|dialog)[\s/>])[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>",
        re.I,
    ),
    re.compile(r"</?(?:h[1-6]|p|pre)(?:\s[^<>]*)?/?>", re.I),  # and last headings, paragraphs
)
_UNSAFE_TAGS = (
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
    "video",
    "audio",
    "picture",
    "img",
    "map",
    "dialog",
)
_FURNITURE_TAGS = ("nav", "aside", "footer")
_NOISE = re.compile(
    r"(?:^|[\s_-])(cookie|consent|gdpr|banner|newsletter|subscribe|signup|related|share|social|"
    r"breadcrumbs?|advert|ads?|promo|sidebar|skip|menu|popup|modal|teaser|comments?|toolbar|"
    r"site-header|masthead|nav|navigation|footer|print)(?:$|[\s_-])",
    re.I,
)
_BYLINE = re.compile(r"byline|meta|dateline|author|reviewed|updated|published", re.I)
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
_TABLE_PARTS = {"table", "thead", "tbody", "tfoot"}
# read by the list or table holding them, never as loose text: items, rows, cells, captions
_OWN = {"li", "tr", "td", "th", "caption", "colgroup"}
_MAX_DEPTH = 200
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _text(
    el: Any, *, skip_lists: bool = False, edges: bool = False, skip_tables: bool = False
) -> str:
    """The element's text; <br> and block children are word breaks; nested lists (and
    tables) left out when asked; white space at its ends kept as one space with `edges`."""

    def role(child: Any) -> Role:
        if not isinstance(child.tag, str) or (skip_lists and child.tag in _LISTS):
            return Role.SKIP
        if skip_tables and child.tag == "table":
            return Role.SKIP
        if child.tag == "br":
            return Role.BREAK
        if child.tag in _BLOCK_TAGS or child.tag in ("td", "th"):
            return Role.BLOCK
        return Role.INLINE

    return flat_text(el, role, edges=edges)


def _is_noise(el: Any) -> bool:
    if el.tag in ("main", "article", "body"):
        return False
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    if el.get("role") in ("navigation", "banner", "contentinfo", "complementary", "search"):
        return True
    marks = f"{el.get('class', '')} {el.get('id', '')}"
    return bool(marks.strip()) and bool(_NOISE.search(marks))


def _is_byline(el: Any) -> bool:
    """A short paragraph that carries a machine-readable date or says who wrote or reviewed
    the page and when."""
    marks = f"{el.get('class', '')} {el.get('id', '')}"
    return (el.find(".//time") is not None or bool(_BYLINE.search(marks))) and len(
        el.text_content()
    ) < 300


def _link_only(el: Any) -> bool:
    """A heading or paragraph whose whole text links to another page (link density 1, as
    jusText and trafilatura measure it): 'Nivolumab Improves Survival' under 'Research'."""
    if any(_is_page_link(a) for a in el.iterancestors("a")):
        return True
    links = [a for a in el.iter("a") if _is_page_link(a)]
    if not links:
        return False
    text = len(collapse(el.text_content()))
    return sum(len(collapse(a.text_content())) for a in links) >= text > 0


def _headline_links(el: Any) -> bool:
    """A list of teasers ('More from us', 'Most read'): every item opens with a link to another
    page, and the links read as headlines (four words or more on average), not as the names
    of medicines or conditions an article links to its own pages for."""
    items = [li for li in el if getattr(li, "tag", None) == "li"]
    heads: list[str] = []
    for li in items:
        first = next((a for a in li.iter("a") if _is_page_link(a)), None)
        before = collapse(_text(li))[: len(collapse(_text(first)))] if first is not None else ""
        if first is None or before != collapse(_text(first)):
            return False
        heads.append(before)
    return len(heads) >= 2 and sum(len(h.split()) for h in heads) >= 4 * len(heads)


def _is_page_link(a: Any) -> bool:
    href = (a.get("href") or "").strip()
    return bool(href) and not href.startswith("#")


class _Walker:
    def __init__(self) -> None:
        self.blocks: list[RawBlock] = []
        self.bylines: set[int] = set()  # indices of byline paragraphs (kept whatever the
        # extractor says: segmentation reads the reviewer and review date from them)

    def block(self, el: Any, depth: int = 0, list_depth: int = 0) -> None:
        if depth > _MAX_DEPTH:  # flatten what lies deeper: its text is kept, not its shape
            self._add(BlockKind.PARAGRAPH, _text(el))
            return
        tag = el.tag if isinstance(el.tag, str) else ""
        if (tag in _HEADINGS or tag in _PARAGRAPHS) and _link_only(el):
            return  # a teaser headline or a menu entry: a link to another page, not a fact
        if tag in _HEADINGS:
            self._add(BlockKind.HEADING, _text(el), _HEADINGS[tag])
        elif tag in _PARAGRAPHS:
            if _is_byline(el):
                self.bylines.add(len(self.blocks))
            self._add(BlockKind.PARAGRAPH, _text(el))
        elif tag in ("ul", "ol"):
            if not _headline_links(el):
                self._list(el, depth, list_depth)
        elif tag == "dl":
            self._container(el, depth, list_depth)  # its dt and dd are paragraphs
        elif tag in _TABLE_PARTS:
            self._table(el, depth, list_depth)
        else:
            self._container(el, depth, list_depth)

    def _container(self, el: Any, depth: int, list_depth: int) -> None:
        self._children(el, depth, list_depth, lambda child: None)

    def _children(
        self, el: Any, depth: int, list_depth: int, special: Callable[[Any], bool | None]
    ) -> None:
        """Read el's children in order: those `special` reads (it answers True), the block
        elements as blocks of their own, and the loose text between them (el's text, inline
        children, tails) as paragraphs, so text a list or table holds outside its items or
        cells is kept, set apart from its neighbours."""
        loose: list[str] = [el.text or ""]
        linked: list[str] = []  # the loose text that is a link to another page
        for child in el:
            if isinstance(child.tag, str) and (child.tag in _BLOCK_TAGS or child.tag in _OWN):
                self._loose(loose, linked)
                loose, linked = [], []
                if not special(child):
                    self.block(child, depth + 1, list_depth)
            elif isinstance(child.tag, str):
                text = " " if child.tag == "br" else _text(child, edges=True)
                loose.append(text)
                if child.tag == "a" and _is_page_link(child):
                    linked.append(text)
            loose.append(child.tail or "")
        self._loose(loose, linked)

    def _list(self, el: Any, depth: int, list_depth: int) -> None:
        """A list's items, each with the lists it holds; whatever else the list holds (text
        outside any item, a list or paragraph not wrapped in an item) is read too."""

        def item(li: Any) -> bool:
            if li.tag != "li":
                return False
            self._add(BlockKind.ITEM, _text(li, skip_lists=True), list_depth + 1)
            for sub in li.iter(*_LISTS):
                if sub is not li and _outermost_list(sub, li):
                    self.block(sub, depth + 1, list_depth + 1)
            return True

        self._children(el, depth, list_depth + 1, item)

    def _loose(self, loose: list[str], linked: list[str]) -> None:
        text = collapse("".join(loose))
        if len(collapse(" ".join(linked))) < len(text):  # else a bare link: 'Read more', a card
            self._add(BlockKind.PARAGRAPH, text)

    def _table(self, el: Any, depth: int, list_depth: int) -> None:
        """A table (or its head, body or foot): each row, then the rows of the tables its
        cells hold; a caption, and text outside any row or cell, as paragraphs."""

        def part(child: Any) -> bool:
            if child.tag == "tr":
                self._row(child, depth + 1, list_depth)
                return True
            if child.tag in ("caption", "td", "th"):  # a cell outside a row: read as text
                self._add(BlockKind.PARAGRAPH, _text(child))
                return True
            return child.tag == "colgroup" and not _text(child)

        if depth > _MAX_DEPTH:
            self._add(BlockKind.PARAGRAPH, _text(el))
        else:
            self._children(el, depth, list_depth, part)

    def _row(self, tr: Any, depth: int, list_depth: int) -> None:
        """The row's cells, then the rows of the tables they hold; whatever else the row
        holds (its own text, a cell's tail, an element that is no cell) as paragraphs."""
        cells = [c for c in tr if getattr(c, "tag", None) in ("td", "th")]
        for row in (tr, *(nested for cell in cells for nested in cell.iter("tr"))):
            # a table inside a cell is read as rows of its own, never twice
            texts = tuple(
                _text(c, skip_tables=True) for c in row if getattr(c, "tag", None) in ("td", "th")
            )
            if any(texts):
                header = all(getattr(c, "tag", None) == "th" for c in row if isinstance(c.tag, str))
                self.blocks.append(
                    RawBlock(kind=BlockKind.ROW, text=" | ".join(texts), cells=texts, header=header)
                )

        def part(child: Any) -> bool:
            if child.tag == "tr":  # a row inside a row
                self._row(child, depth + 1, list_depth)
            return child.tag in ("td", "th", "tr")

        if depth > _MAX_DEPTH:
            self._add(BlockKind.PARAGRAPH, _text(tr))
        else:
            self._children(tr, depth, list_depth, part)

    def _add(self, kind: BlockKind, text: str, level: int = 0) -> None:
        if text:
            self.blocks.append(RawBlock(kind=kind, text=text, level=level))


def _outermost_list(sub: Any, li: Any) -> bool:
    """Whether no other list lies between `sub` and the list item `li` holding it (a deeper
    one is read with the list that holds it)."""
    parent = sub.getparent()
    while parent is not None and parent is not li:
        if parent.tag in _LISTS:
            return False
        parent = parent.getparent()
    return True


def _first(root: Any, xpath: str) -> Any:
    found = root.xpath(xpath)
    return found[0] if isinstance(found, list) and found else None


def _parse(path: str, content: str) -> Any:
    content = _XML_DECLARATION.sub("", content, count=1)  # XHTML: the text is decoded already
    content = without_bad_references(content)  # '&#xFFFE;' would be a character XML refuses
    root = None
    for flatten in (None, *_FLATTEN):
        if flatten is not None:
            content = flatten.sub(" ", content)
        try:
            root = lxml_html.document_fromstring(content, parser=_PARSER)
        except (etree.ParserError, ValueError) as exc:
            raise SourceError(f"cannot parse HTML ({exc})", path=path) from None
        if not any("Excessive depth" in e.message for e in _PARSER.error_log):
            break
    return root


def _drop(root: Any, tags: tuple[str, ...]) -> None:
    for el in list(root.iter(*tags)):
        if el is not root and el.getparent() is not None:
            el.drop_tree()


def _walk(el: Any) -> tuple[tuple[RawBlock, ...], frozenset[int]]:
    """The blocks under `el`, and which of them are bylines."""
    walker = _Walker()
    walker.block(el)
    return tuple(walker.blocks), frozenset(walker.bylines)


def _article_subtree(root: Any) -> Any:
    """Our own boilerplate removal: the main/article element (else body) less furniture tags
    and elements whose class or id names site furniture (unless they wrap the article)."""
    body: Any = _first(root, "//main | //*[@role='main']")
    body = body if body is not None else _first(root, "//article")
    body = body if body is not None else root.find("body")
    if body is None:
        body = root
    _drop(body, _FURNITURE_TAGS)
    whole = len(body.text_content())
    for el in [e for e in body.iter() if isinstance(e.tag, str) and e is not body]:
        if el.getparent() is not None and _is_noise(el):
            if _holds_article(el, whole):
                el.attrib.pop("class", None)  # nor may the extractor drop it for its name
                el.attrib.pop("id", None)
            else:
                el.drop_tree()
    body.attrib.pop("class", None)  # the article's own container, whatever its name
    body.attrib.pop("id", None)
    return body


def _holds_article(el: Any, whole: int) -> bool:
    """A 'noise' class on a wrapper around the article itself ('related-content' around
    everything) must not empty the page."""
    return el.find(".//h1") is not None or len(el.text_content()) * 2 > whole


def read_with(
    main_text: main_content.MainText | None,
) -> Callable[[str, str, bytes, str], RawDocument]:
    """A reader whose main content is decided by `main_text` (None: our own removal only)."""

    def read(path: str, name: str, raw: bytes, content: str) -> RawDocument:
        root = _parse(path, content)
        hints = html_metadata.hints(root)
        _drop(root, _UNSAFE_TAGS)
        subtree = _article_subtree(root)
        blocks, bylines = _walk(subtree)
        if main_text is not None:
            page = main_content.page_of(subtree)  # after the walk: it renames <ul> in place
            try:
                text = main_text(page)
            except ValueError:  # Resiliparse's HTMLParserException: keep our own reading
                text = ""
            blocks = main_content.select(blocks, text, keep=bylines) or blocks
        return RawDocument(
            path=path,
            name=name,
            media_type="text/html",
            charset="",
            raw=raw,
            blocks=blocks,
            hints=hints,
        )

    return read


read = read_with(main_content.resiliparse_main_text)
