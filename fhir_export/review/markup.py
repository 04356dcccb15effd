"""A small HTML builder where escaping is the default: text is escaped, attributes are
escaped and quoted, URLs with a scheme are refused, and only `Html` values (built here) pass
through unescaped. Nothing the article or the Bundle says is ever written as markup."""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

_NAME = re.compile(r"[a-z][a-z0-9-]*\Z")
_SCHEME = re.compile(r"\s*[a-zA-Z][a-zA-Z0-9+.-]*\s*:")
_URL_ATTRS = frozenset({"href", "src", "action", "formaction"})
_VOID = frozenset({"meta", "link", "br", "hr", "img", "input"})

class Html(str):
    """Markup that is already safe: made by `el`, `join` or `esc` only."""

    __slots__ = ()


def esc(text: str) -> Html:
    return Html(escape(text, quote=True))


def join(parts: Any) -> Html:
    return Html("".join(p if isinstance(p, Html) else esc(str(p)) for p in parts if p is not None))


def el(tag: str, attrs: dict[str, str | int | bool | None] | None = None, *children: Any) -> Html:
    """<tag attrs>children</tag>. Attribute values are escaped; `None` and `False` drop the
    attribute; `True` writes it bare. href and src must be relative (no scheme at all)."""
    if not _NAME.match(tag):
        raise ValueError(f"bad tag {tag!r}")
    out = [f"<{tag}"]
    for name, value in (attrs or {}).items():
        if not _NAME.match(name) or name.startswith("on"):
            raise ValueError(f"refused attribute {name!r}")
        if value is None or value is False:
            continue
        if value is True:
            out.append(f" {name}")
            continue
        text = str(value)
        if name in _URL_ATTRS and _SCHEME.match(text):
            raise ValueError(f"refused URL with a scheme in {name}: {text!r}")
        out.append(f' {name}="{escape(text, quote=True)}"')
    out.append(">")
    if tag in _VOID:
        return Html("".join(out))
    return Html("".join(out) + join(children) + f"</{tag}>")


def json_block(block_id: str, value: Any) -> Html:
    """A JSON data block (<script type="application/json">: never executed, so a CSP without
    inline scripts allows it). '<', '>' and '&' are \\u-escaped: no '</script>' can end it."""
    data = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    data = data.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Html(
        f'<script type="application/json" id="{escape(block_id, quote=True)}">{data}</script>'
    )
