"""FHIR XML from FHIR JSON (the JSON is already in specification order).

The rules are the specification's own (https://hl7.org/fhir/R4/xml.html): primitives are
elements with a value attribute, a primitive's id/extension (JSON '_name') become its children,
element ids and Extension.url are attributes, resources are wrapped in an element named by the
field and then by their type, and the narrative div is XHTML in its own namespace.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

FHIR_NS = "http://hl7.org/fhir"
_XHTML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _primitive(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


# The document is written as text, as lxml writes the tree of it indented with two spaces
# (tests/test_serialization.py keeps that tree writer and shows the bytes are the same): one
# element a line, attributes escaped as libxml2 escapes them, the narrative's XHTML as lxml
# serializes it. Building the tree cost more than all the rest of the writing.
_ESCAPED = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)
# what lxml refuses in a value (a lone surrogate fails the UTF-8 encoding of the document)
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_REFUSED_MESSAGE = (
    "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"
)


_TO_ESCAPE = re.compile('[&<>"\n\r\t]')  # most values hold none: translate only those that do


def _attribute(name: str, value: str) -> str:
    if _TO_ESCAPE.search(value):
        value = value.translate(_ESCAPED)
    return f' {name}="{value}"'


def _element(out: list[str], pad: str, name: str, value: Any, ext: Any) -> None:
    """Element `name` of `value` (and its JSON '_name' `ext`), its first line at `pad`."""
    if isinstance(value, dict):
        if "resourceType" in value:
            out.append(f"{pad}<{name}>")
            _resource(out, pad + "  ", value, "")
            out.append(f"{pad}</{name}>")
        else:
            _complex(out, pad, name, value)
        return
    attributes = ""
    children: list[str] = []
    if ext:
        if ext.get("id"):
            attributes = _attribute("id", ext["id"])
        for extension in ext.get("extension", ()):
            _element(children, pad + "  ", "extension", extension, None)
    if value is not None:
        attributes += _attribute("value", _primitive(value))
    _close(out, pad, name, attributes, children)


def _close(out: list[str], pad: str, name: str, attributes: str, children: list[str]) -> None:
    if children:
        out.append(f"{pad}<{name}{attributes}>")
        out += children
        out.append(f"{pad}</{name}>")
    else:
        out.append(f"{pad}<{name}{attributes}/>")


def _complex(out: list[str], pad: str, name: str, data: dict[str, Any]) -> None:
    attributes = ""
    children: list[str] = []
    inner = pad + "  "
    for key, value in data.items():
        if key.startswith("_"):
            if key[1:] not in data:  # extension on a primitive that has no value
                _field(children, inner, key[1:], None, value)
            continue
        if key == "id":
            attributes += _attribute("id", str(value))
        elif key == "url" and name in ("extension", "modifierExtension"):
            attributes += _attribute("url", str(value))
        elif key == "div" and name == "text":
            children.append(inner + _xhtml(value))
        else:
            _field(children, inner, key, value, data.get("_" + key))
    _close(out, pad, name, attributes, children)


def _xhtml(div: str) -> str:
    """The narrative as lxml serializes it (entities resolved, empty elements closed)."""
    element = etree.fromstring(div.encode("utf-8"), _XHTML_PARSER)
    text: str = etree.tostring(element, encoding="unicode", with_tail=False)
    return text


def _field(out: list[str], pad: str, key: str, value: Any, ext: Any) -> None:
    if isinstance(value, list) or isinstance(ext, list):
        values = value if isinstance(value, list) else [None] * len(ext)
        exts = ext if isinstance(ext, list) else [None] * len(values)
        for v, e in zip(values, exts, strict=True):
            _element(out, pad, key, v, e)
    else:
        _element(out, pad, key, value, ext)


def _resource(out: list[str], pad: str, resource: dict[str, Any], namespace: str) -> None:
    kind = resource["resourceType"]
    children: list[str] = []
    inner = pad + "  "
    for key, value in resource.items():
        if key == "resourceType":
            continue
        if key.startswith("_"):
            if key[1:] not in resource:
                _field(children, inner, key[1:], None, value)
            continue
        if key == "text" and isinstance(value, dict):
            _element(children, inner, key, value, None)
        else:
            _field(children, inner, key, value, resource.get("_" + key))
    _close(out, pad, kind, namespace, children)


def _checked(text: str) -> bytes:
    if _REFUSED.search(text):
        raise ValueError(_REFUSED_MESSAGE)
    return text.encode("utf-8")


def dumps(resource: dict[str, Any]) -> bytes:
    out = ["<?xml version='1.0' encoding='UTF-8'?>"]
    _resource(out, "", resource, f' xmlns="{FHIR_NS}"')
    out.append("")
    return _checked("\n".join(out))


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
        return alone[len(self.start) : -len(self.end)]

    def tail(self) -> bytes:
        return self.end

    @staticmethod
    def split(data: bytes, token: str) -> tuple[bytes, bytes, bytes]:
        """(before, indent, after) of the element of a list written `token` in `data` (an
        item's bytes): the indent is the one of that list's elements."""
        at = data.index(f'value="{token}"'.encode())
        start, end = data.rindex(b"<", 0, at), data.index(b"/>", at) + 2
        return data[:start], data[data.rfind(b"\n", 0, start) + 1 : start], data[end:]

    @staticmethod
    def inserted(value: dict[str, Any], key: str, indent: bytes, first: bool) -> bytes:
        """The bytes of `value` as an element `key` where split() found the token: the
        first of those elements in its place, the others after it."""
        out: list[str] = []
        _element(out, indent.decode(), key, value, None)
        text = _checked("\n".join(out))[len(indent) :]
        return text if first else b"\n" + indent + text
