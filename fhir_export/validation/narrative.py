"""Step 5: narrative safety, and FHIR's txt-1/txt-2 (htmlChecks(), which fhirpathpy lacks).

The div is parsed as XML with no DTD, no entities and no network. It must be an XHTML `div`
in the XHTML namespace, hold some text or an image, and use only the elements and attributes
FHIR allows in narrative. Anything that can run code or fetch something is an error: script,
style, iframe, object, embed, form and similar elements, `on*` event attributes,
`javascript:`/`vbscript:`/`data:text/html` URLs, and resources loaded from elsewhere (an
`img src`, `link href` or CSS `url()` pointing outside the resource).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from lxml import etree

from .issues import Issue

XHTML = "http://www.w3.org/1999/xhtml"
_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
}
# The elements FHIR allows in narrative (txt-1: HTML 4.0 basic formatting, a, img, tables).
ALLOWED = frozenset(
    "a abbr acronym address area b bdo big blockquote br caption cite code col colgroup dd dfn "
    "div dl dt em h1 h2 h3 h4 h5 h6 hr i img kbd li map ol p pre q samp small span strong sub "
    "sup table tbody td tfoot th thead tr tt ul var".split()
)
DANGEROUS = frozenset(
    "script style iframe frame frameset object embed applet form input button select textarea "
    "link meta base svg math noscript template".split()
)
ATTRIBUTES = frozenset(
    "title style class id lang dir accesskey tabindex span width height align valign char "
    "charoff abbr axis headers scope rowspan colspan border cellpadding cellspacing summary "
    "href name rel rev type target hreflang shape coords nohref src alt usemap cite datetime "
    "start value compact nowrap bgcolor".split()
) | {"{http://www.w3.org/XML/1998/namespace}lang"}
_URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "cite",
        "usemap",
        "action",
        "formaction",
        "longdesc",
        "background",
        "{http://www.w3.org/1999/xlink}href",
    }
)
_SCRIPT_URL = re.compile(r"^(javascript:|vbscript:|data:text/html)", re.I)
_IGNORED = re.compile(r"[\x00-\x20]")  # browsers drop these inside a URL scheme
_EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)
_CSS_DANGER = re.compile(r"url\s*\(|expression\s*\(|@import|javascript:", re.I)


@lru_cache(maxsize=1024)  # bounded: tags come from the files
def _name(tag: str) -> tuple[str | None, str]:
    qname = etree.QName(tag)
    return qname.namespace, qname.localname


_LOCAL = threading.local()


def _parser() -> Any:
    """One parser per thread (the options above): an lxml parser may be reused, but not by
    two threads at once (validate is a library function too)."""
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = etree.XMLParser(**_PARSER_OPTIONS)
    return parser


def check(div: str, location: str) -> list[Issue]:
    """The problems of one Narrative.div."""
    issues: list[Issue] = []

    def problem(message: str, code: str = "security") -> None:
        issues.append(Issue("error", location, message, code))

    upper = div.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        problem("narrative with a DOCTYPE or ENTITY declaration is refused")
        return issues
    try:
        root = etree.fromstring(div.strip().encode("utf-8"), _parser())
    except etree.XMLSyntaxError as exc:
        problem(f"txt-1: narrative is not well-formed XHTML ({exc.msg})", "invalid")
        return issues
    if _name(root.tag) != (XHTML, "div"):
        problem(
            f"txt-1: narrative root must be an XHTML div in the {XHTML} namespace, not {root.tag}",
            "invalid",
        )
    for node in root.iter():
        if not isinstance(node.tag, str):  # comments, processing instructions
            if node.tag is etree.PI:
                problem("processing instruction in narrative")
            continue
        namespace, local = _name(node.tag)
        if namespace != XHTML:
            if node is not root:  # the root's is reported above
                problem(f"txt-1: element {node.tag} is not in the XHTML namespace", "invalid")
        elif local in DANGEROUS:
            problem(f"<{local}> is not allowed in narrative (active or external content)")
        elif local not in ALLOWED:
            problem(f"txt-1: <{local}> is not allowed in narrative", "invalid")
        for key, raw in node.attrib.items():
            attribute, value = str(key), str(raw)
            bare = etree.QName(attribute).localname if attribute.startswith("{") else attribute
            if bare.lower().startswith("on"):
                problem(f'event attribute {bare}="{value[:40]}" on <{local}> in narrative')
            elif attribute in _URL_ATTRIBUTES and _SCRIPT_URL.match(_IGNORED.sub("", value)):
                problem(f"script URL in {bare} of <{local}> in narrative")
            elif bare == "style" and _CSS_DANGER.search(value):
                problem(f"style of <{local}> loads or runs something ({value[:40]})")
            elif local == "img" and bare == "src" and _EXTERNAL.match(value):
                problem(f"<img src> loads an external resource ({value[:60]})")
            elif attribute not in ATTRIBUTES:
                problem(
                    f"txt-1: attribute {bare} on <{local}> is not allowed in narrative", "invalid"
                )
    text = "".join(str(t) for t in root.itertext()).strip()
    if not text and root.find(f".//{{{XHTML}}}img") is None:
        problem("txt-2: The narrative SHALL have some non-whitespace content", "invariant")
    return issues
