"""The XML writer writes text, not a tree: the same bytes as the lxml tree writer it replaced.

`_tree_dumps` below is that writer (build the document with lxml, indent it two spaces, keep
each narrative's XHTML as it was, serialize as UTF-8). The text writer must give its bytes on
every golden bundle, R4 and R5, and on resources made to hold what escaping and indenting get
wrong (quotes, ampersands, line breaks, tabs, non-ASCII, extensions on primitives, nulls in
lists, nested resources, narratives with entities), and refuse what lxml refuses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from fhir_export.serialization import LISTED, SERIALIZERS

_F = "{http://hl7.org/fhir}"
_NSMAP: Any = {None: "http://hl7.org/fhir"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_DIV = "{http://www.w3.org/1999/xhtml}div"


def _primitive(value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)


def _element(parent: Any, name: str, value: Any, ext: Any) -> None:
    el = etree.SubElement(parent, _F + name)
    if isinstance(value, dict):
        if "resourceType" in value:
            _resource(el, value)
        else:
            _complex(el, value, name)
        return
    if ext:
        if ext.get("id"):
            el.set("id", ext["id"])
        for extension in ext.get("extension", ()):
            _element(el, "extension", extension, None)
    if value is not None:
        el.set("value", _primitive(value))


def _complex(el: Any, data: dict[str, Any], name: str) -> None:
    for key, value in data.items():
        if key.startswith("_"):
            if key[1:] not in data:
                _field(el, key[1:], None, value)
            continue
        if key == "id":
            el.set("id", str(value))
        elif key == "url" and name in ("extension", "modifierExtension"):
            el.set("url", str(value))
        elif key == "div" and name == "text":
            el.append(etree.fromstring(value.encode("utf-8"), _PARSER))
        else:
            _field(el, key, value, data.get("_" + key))


def _field(el: Any, key: str, value: Any, ext: Any) -> None:
    if isinstance(value, list) or isinstance(ext, list):
        values = value if isinstance(value, list) else [None] * len(ext)
        exts = ext if isinstance(ext, list) else [None] * len(values)
        for v, e in zip(values, exts, strict=True):
            _element(el, key, v, e)
    else:
        _element(el, key, value, ext)


def _resource(parent: Any, resource: dict[str, Any]) -> Any:
    if parent is not None:
        el = etree.SubElement(parent, _F + resource["resourceType"])
    else:
        el = etree.Element(_F + resource["resourceType"], nsmap=_NSMAP)
    for key, value in resource.items():
        if key == "resourceType":
            continue
        if key.startswith("_"):
            if key[1:] not in resource:
                _field(el, key[1:], None, value)
            continue
        if key == "text" and isinstance(value, dict):
            _element(el, key, value, None)
        else:
            _field(el, key, value, resource.get("_" + key))
    return el


def _tree_dumps(resource: dict[str, Any]) -> bytes:
    root = _resource(None, resource)
    originals = [(div, etree.tostring(div, with_tail=False)) for div in root.iter(_DIV)]
    etree.indent(root, space="  ")
    for div, original in originals:
        fresh = etree.fromstring(original, _PARSER)
        fresh.tail = div.tail
        div.getparent().replace(div, fresh)
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return body + b"\n"


GOLDENS = sorted([*(DATA / "golden").glob("*.json"), *(DATA / "golden-r5").glob("*.json")])


def test_there_are_goldens_of_both_releases() -> None:
    assert len([p for p in GOLDENS if "golden-r5" in str(p)]) >= 10
    assert len(GOLDENS) >= 40


@pytest.mark.parametrize("path", GOLDENS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_text_writer_gives_the_tree_writer_s_bytes(path: Path) -> None:
    document = json.loads(path.read_text("utf-8"))
    assert SERIALIZERS["xml"](document) == _tree_dumps(document)


_TEXT = st.lists(
    st.sampled_from([*"aZ09 &<>\"'\n\r\t/=é€中😀", "]]>", "&amp;", "\u00a0"]), max_size=12
).map("".join)
_PRIMITIVE = st.one_of(_TEXT, st.booleans(), st.integers(-5, 10**12), st.none())
_EXTENSION = st.fixed_dictionaries(
    {"url": _TEXT}, optional={"id": _TEXT, "valueString": _TEXT, "valueBoolean": st.booleans()}
)
_PRIMITIVE_EXT = st.fixed_dictionaries(
    {}, optional={"id": _TEXT, "extension": st.lists(_EXTENSION, max_size=2)}
)
_NARRATIVE = st.sampled_from(
    [
        '<div xmlns="http://www.w3.org/1999/xhtml"><p>a &amp; b &lt; c</p><br></br></div>',
        '<div xmlns="http://www.w3.org/1999/xhtml">\n  <ul>\n<li>x é</li></ul>&#233;</div>',
        '<div xmlns="http://www.w3.org/1999/xhtml"/>',
    ]
)


@st.composite
def _resources(draw: Any, depth: int = 0) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": draw(st.sampled_from(["Basic", "Bundle"]))}
    if draw(st.booleans()):
        resource["id"] = draw(_TEXT)
    if draw(st.booleans()):
        resource["text"] = {"status": "generated", "div": draw(_NARRATIVE)}
    for key in draw(st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=3)):
        kind = draw(st.sampled_from(["primitive", "list", "complex", "extension", "only-ext"]))
        if kind == "primitive":
            resource[key] = draw(_PRIMITIVE.filter(lambda v: v is not None))
            if draw(st.booleans()):
                resource["_" + key] = draw(_PRIMITIVE_EXT)
        elif kind == "list":
            values = draw(st.lists(_PRIMITIVE, min_size=1, max_size=3))
            resource[key] = values
            if draw(st.booleans()):
                resource["_" + key] = [draw(st.one_of(st.none(), _PRIMITIVE_EXT)) for _ in values]
        elif kind == "complex":
            inner: dict[str, Any] = {"id": draw(_TEXT)} if draw(st.booleans()) else {}
            inner["x"] = draw(_TEXT)
            if depth < 1 and draw(st.booleans()):
                inner["resource"] = draw(_resources(depth + 1))  # type: ignore[no-untyped-call]
            resource[key] = [inner, {}] if draw(st.booleans()) else inner
        elif kind == "extension":
            resource["extension"] = draw(st.lists(_EXTENSION, min_size=1, max_size=2))
        else:
            resource["_" + key] = draw(_PRIMITIVE_EXT)
    return resource


@settings(max_examples=400, deadline=None)
@given(_resources())  # type: ignore[no-untyped-call]
def test_the_text_writer_escapes_and_indents_as_the_tree_writer(resource: dict[str, Any]) -> None:
    assert SERIALIZERS["xml"](resource) == _tree_dumps(resource)


@settings(max_examples=100, deadline=None)
@given(_resources())  # type: ignore[no-untyped-call]
def test_listed_items_are_the_whole_document_s_bytes(resource: dict[str, Any]) -> None:
    items = [{"fullUrl": "urn:x", "resource": resource}, {"fullUrl": "a&b"}]
    document = {"resourceType": "Bundle", "type": "collection", "entry": items}
    listed = LISTED["xml"](document, "entry")
    pieces = listed.head() + b"".join(listed.item(item) for item in items) + listed.tail()
    assert pieces == _tree_dumps(document)


@pytest.mark.parametrize("bad", ["\x00", "\x01", "\x0b", "\x1f", "\ufffe", "\uffff", "\ud800"])
def test_what_lxml_refuses_is_refused(bad: str) -> None:
    document = {"resourceType": "Basic", "id": f"a{bad}b"}
    with pytest.raises((ValueError, UnicodeEncodeError)):
        _tree_dumps(document)
    with pytest.raises((ValueError, UnicodeEncodeError)):
        SERIALIZERS["xml"](document)


def test_a_spliced_item_is_indented_where_it_goes() -> None:
    writer = LISTED["xml"]
    item = {"resource": {"resourceType": "Basic", "id": "x&y"}}
    assert writer.inserted(item, "entry", b"    ", True) == (
        b'<entry>\n      <resource>\n        <Basic>\n          <id value="x&amp;y"/>\n'
        b"        </Basic>\n      </resource>\n    </entry>"
    )
