"""HTML metadata, read from the whole page (never only its main content): title, language,
publisher, author and date from meta tags, schema.org JSON-LD, <title>, <time> and lang; the
page's own URL from <link rel=canonical>, else og:url."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from ..model import SourceHints
from .decode import collapse


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
        items = data if isinstance(data, list) else [data]
        if isinstance(data, dict) and "@graph" in data:
            items = data["@graph"] if isinstance(data["@graph"], list) else [data["@graph"]]
        for item in items:
            if isinstance(item, dict) and (
                "headline" in item or "dateModified" in item or "publisher" in item
            ):
                return item
    return {}


def _name(value: Any) -> str | None:
    """A JSON-LD value as text: a string, the first of a list, an object's name; anything
    else (a number, null, an object without a name) is no text."""
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("name")
    return collapse(value) if isinstance(value, str) and value.strip() else None


def _text(value: Any) -> str | None:
    """A JSON-LD value that should be text (headline, dates): a string or the first of a
    list of strings; anything else is none."""
    if isinstance(value, list) and value:
        value = value[0]
    return collapse(value) or None if isinstance(value, str) else None


def _meta(root: Any, *names: str) -> str | None:
    for name in names:
        for el in root.iter("meta"):
            if name in ((el.get("name") or "").lower(), (el.get("property") or "").lower()):
                content = collapse(el.get("content") or "")
                if content:
                    return content
    return None


_MAX_URL = 2000


def page_url(value: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) URL, normalized as RFC 3986 allows (scheme and host lower-cased, an
    empty path as '/', no fragment), or None. A relative value is resolved against `base`."""
    value = (value or "").strip()
    if not value or len(value) > _MAX_URL or any(c.isspace() or ord(c) < 32 for c in value):
        return None
    try:  # urllib raises ValueError on a malformed host ("http://[x/"), resolving included
        if base and not urlsplit(value).scheme:
            value = urljoin(base, value)
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    netloc = parts.netloc.rsplit("@", 1)[-1].lower()  # never keep credentials
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def _canonical(root: Any) -> str | None:
    og_url = page_url(_meta(root, "og:url"))
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            found = page_url(link.get("href"), og_url)
            if found:
                return found
    return og_url


def hints(root: Any) -> SourceHints:
    """Metadata from the whole page: meta tags, JSON-LD, <title>, <time>, lang."""
    ld = _json_ld(root)
    title_el = root.find(".//title")
    title = collapse(title_el.text_content()) if title_el is not None else None
    if title:
        title = re.split(r"\s+[|–—-]\s+", title)[0].strip() or None
    time_el = next((t for t in root.iter("time") if t.get("datetime")), None)
    date = _text(ld.get("dateModified")) or _meta(
        root, "article:modified_time", "last-modified", "dcterms.modified", "dc.date.modified"
    )
    date = date or (time_el.get("datetime") if time_el is not None else None)
    date = date or _text(ld.get("datePublished")) or _meta(
        root, "article:published_time", "dcterms.date", "dc.date", "date"
    )
    return SourceHints(
        title=_meta(root, "og:title") or _text(ld.get("headline")) or title,
        language=(
            root.get("lang")
            or root.get("{http://www.w3.org/XML/1998/namespace}lang")
            or _meta(root, "content-language")
        ),
        publisher=_name(ld.get("publisher"))
        or _meta(root, "og:site_name", "publisher", "dcterms.publisher", "dc.publisher"),
        author=_name(ld.get("author")) or _meta(root, "author"),
        date=str(date) if date else None,
        url=_canonical(root),
    )
