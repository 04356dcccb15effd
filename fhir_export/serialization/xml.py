"""FHIR XML from FHIR JSON (the JSON is already in specification order).

The rules are the specification's own (https://hl7.org/fhir/R4/xml.html): primitives are
elements with a value attribute, a primitive's id/extension (JSON '_name') become its children,
element ids and Extension.url are attributes, resources are wrapped in an element named by the
field and then by their type, and the narrative div is XHTML in its own namespace.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

FHIR_NS = "http://hl7.org/fhir"
_F = "{" + FHIR_NS + "}"
_NSMAP: Any = {None: FHIR_NS}
_XHTML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _primitive(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


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
            if key[1:] not in data:  # extension on a primitive that has no value
                _field(el, key[1:], None, value)
            continue
        if key == "id":
            el.set("id", str(value))
        elif key == "url" and name in ("extension", "modifierExtension"):
            el.set("url", str(value))
        elif key == "div" and name == "text":
            el.append(etree.fromstring(value.encode("utf-8"), _XHTML_PARSER))
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


def to_element(resource: dict[str, Any]) -> Any:
    return _resource(None, resource)


_DIV = "{http://www.w3.org/1999/xhtml}div"


def _indented(root: Any, level: int = 0) -> None:
    originals = [(div, etree.tostring(div, with_tail=False)) for div in root.iter(_DIV)]
    etree.indent(root, space="  ", level=level)
    for div, original in originals:  # pretty-printing must not touch the XHTML narrative
        fresh = etree.fromstring(original, _XHTML_PARSER)
        fresh.tail = div.tail
        div.getparent().replace(div, fresh)


def dumps(resource: dict[str, Any]) -> bytes:
    root = to_element(resource)
    _indented(root)
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    return body + b"\n"


class Listed:
    """dumps(document | {key: items}) in pieces, the items serialized one at a time (the
    list comes last in the document, which holds at least one other element): head(), item()
    for each item in order, then tail(); their bytes joined are dumps' of the whole. An item's
    bytes are cut out of dumps of the document holding that item alone: indenting and the
    narratives' XHTML are the same for an item whatever its siblings."""

    def __init__(self, document: dict[str, Any], key: str) -> None:
        self.document, self.key = document, key
        self.end = f"\n</{document['resourceType']}>\n".encode()
        self.start = dumps(document).removesuffix(self.end)

    def head(self) -> bytes:
        return self.start

    def item(self, value: dict[str, Any]) -> bytes:
        alone = dumps(self.document | {self.key: [value]})
        return alone[len(self.start):-len(self.end)]

    def tail(self) -> bytes:
        return self.end

    @staticmethod
    def split(data: bytes, token: str) -> tuple[bytes, bytes, bytes]:
        """(before, indent, after) of the element of a list written `token` in `data` (an
        item's bytes): the indent is the one of that list's elements."""
        at = data.index(f'value="{token}"'.encode())
        start, end = data.rindex(b"<", 0, at), data.index(b"/>", at) + 2
        return data[:start], data[data.rfind(b"\n", 0, start) + 1:start], data[end:]

    @staticmethod
    def inserted(value: dict[str, Any], key: str, indent: bytes, first: bool) -> bytes:
        """The bytes of `value` as an element `key` where split() found the token: the
        first of those elements in its place, the others after it."""
        holder = etree.Element(_F + "holder", nsmap=_NSMAP)
        _element(holder, key, value, None)
        element = holder[0]
        _indented(element, len(indent) // 2)
        text: bytes = etree.tostring(element, encoding="UTF-8", with_tail=False)
        text = text.replace(f' xmlns="{FHIR_NS}"'.encode(), b"", 1)  # declared by the root
        return text if first else b"\n" + indent + text
