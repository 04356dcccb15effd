"""Generated narratives: small, well-formed XHTML built with escaping, nothing executable."""

from __future__ import annotations

from html import escape

XHTML_NS = "http://www.w3.org/1999/xhtml"


def div(*parts: str, lang: str | None = None) -> dict[str, str]:
    """A generated narrative; with `lang`, the div says its language as the resource does
    (lang and xml:lang, both, as HTML and XHTML readers each expect one of them)."""
    attrs = f' lang="{escape(lang)}" xml:lang="{escape(lang)}"' if lang else ""
    return {"status": "generated", "div": f'<div xmlns="{XHTML_NS}"{attrs}>{"".join(parts)}</div>'}


def p(text: str, label: str | None = None) -> str:
    head = f"<b>{escape(label, quote=False)}</b>: " if label else ""
    return f"<p>{head}{escape(text, quote=False)}</p>"


def heading(text: str) -> str:
    return f"<h3>{escape(text, quote=False)}</h3>"


def items(values: list[str], label: str | None = None) -> str:
    if not values:
        return ""
    head = p(label) if label else ""
    return head + "<ul>" + "".join(f"<li>{escape(v, quote=False)}</li>" for v in values) + "</ul>"
