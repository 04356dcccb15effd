"""`fhir-export convert`: FHIR JSON <-> XML for any resource or Bundle, R4 or R5.

Reading goes through fhir.resources' models (R4B for R4, whose elements are R4's for what we
write, or R5), so what is converted is validated on the way; writing uses our serializers, so
the output is in specification order and the XHTML narrative is carried untouched. XML is
parsed with no network, no DTD, no entity expansion and bounded size; a document with a
DOCTYPE is refused outright (billion laughs, XXE).
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from lxml import etree

from .errors import SourceError

MAX_BYTES = 50 * 1024 * 1024
MAX_DEPTH = 100  # nesting levels (JSON objects and arrays, XML elements)
# what the models raise on content they refuse (pydantic's ValidationError is a ValueError;
# fuzzed content also makes them raise the others)
_REFUSED = (ValueError, KeyError, TypeError, AttributeError, IndexError, etree.XMLSyntaxError)
_PACKAGES = {"R4": "fhir.resources.R4B", "R5": "fhir.resources"}
_XML_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def read_capped(path: str, limit: int = MAX_BYTES) -> bytes:
    """At most limit + 1 bytes of the file at path: enough to tell that it is over the limit
    without reading all of /dev/zero or a huge file first."""
    with open(path, "rb") as handle:
        return handle.read(limit + 1)


def json_depth(value: Any) -> int:
    """How deeply objects and arrays nest in a parsed JSON value (counted without recursion;
    the count stops a level past MAX_DEPTH)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children
                         if isinstance(child, dict | list))
    return deepest


def xml_depth(root: Any) -> int:
    """How deeply the elements under root nest."""
    deepest = depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


def _model_class(resource_type: str, fhir_version: str) -> Any:
    package = _PACKAGES[fhir_version]
    try:
        module = importlib.import_module(f"{package}.{resource_type.lower()}")
        return getattr(module, resource_type)
    except (ImportError, AttributeError, ValueError):  # ValueError: e.g. an empty name
        raise SourceError(
            f"'{resource_type}' is not a FHIR {fhir_version} resource type", path=None
        ) from None


def _secure_root(data: bytes, path: str) -> Any:
    if len(data) > MAX_BYTES:
        raise SourceError(f"file is over the {MAX_BYTES} byte limit", path=path)
    if b"<!DOCTYPE" in data[:65536].upper():
        raise SourceError("XML with a DOCTYPE is refused (entities are never expanded)", path=path)
    try:
        parser = etree.XMLParser(**_XML_PARSER_OPTIONS)
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"not well-formed XML ({exc.msg})", path=path) from None
    if getattr(root.getroottree().docinfo, "doctype", ""):
        raise SourceError("XML with a DOCTYPE is refused (entities are never expanded)", path=path)
    return root


def _too_deep(kind: str, path: str) -> SourceError:
    return SourceError(f"{kind} nested deeper than {MAX_DEPTH} levels", path=path)


def _detail(exc: Exception | None) -> str:
    """The first complaint of the models, with its location when pydantic gives one."""
    from pydantic import ValidationError  # imported on first use: validate's fast path

    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        more = f"; and {exc.error_count() - 1} more" if exc.error_count() > 1 else ""
        return f"{where}: {first.get('msg', 'invalid')}{more}" if where else first.get("msg", "")
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0] if text else type(exc).__name__ if exc else "unknown"


def _div(value: str) -> str:
    """The narrative as XHTML text: fhir.resources' XML reader keeps the whitespace after
    </div> and writes non-ASCII as character references; the content is the same."""
    element = etree.fromstring(
        value.strip().encode("utf-8"), etree.XMLParser(**_XML_PARSER_OPTIONS)
    )
    return str(etree.tostring(element, encoding="unicode", with_tail=False))


def _narrative_problem(div: Any) -> str | None:
    """Why a Narrative.div cannot be carried as XHTML (None when it can): it must be one
    well-formed element, with no DOCTYPE or entity declaration (never expanded)."""
    if not isinstance(div, str):
        return "is not a string"
    if not div.strip():
        return "is empty"
    if "<!DOCTYPE" in div.upper() or "<!ENTITY" in div.upper():
        return "has a DOCTYPE or ENTITY declaration (refused; entities are never expanded)"
    try:
        etree.fromstring(div.strip().encode("utf-8"), etree.XMLParser(**_XML_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        return f"is not well-formed XHTML ({exc.msg})"
    return None


def _check_narratives(resource: dict[str, Any], path: str) -> None:
    """A SourceError naming the first narrative (by its location) that is no XHTML element."""
    stack: list[tuple[Any, str]] = [(resource, str(resource.get("resourceType", "")))]
    while stack:
        node, where = stack.pop()
        if isinstance(node, list):
            stack.extend((item, f"{where}[{n}]") for n, item in reversed(list(enumerate(node))))
        elif isinstance(node, dict):
            text = node.get("text")
            if isinstance(text, dict) and "div" in text:
                problem = _narrative_problem(text["div"])
                if problem is not None:
                    raise SourceError(f"the narrative {where}.text.div {problem}", path=path)
            stack.extend((v, f"{where}.{k}") for k, v in reversed(node.items()) if k != "text")


def _normalize_divs(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (_div(v) if k == "div" and isinstance(v, str) else _normalize_divs(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_normalize_divs(v) for v in value]
    return value


def _integer64_as_string(value: Any) -> Any:
    """R5 JSON writes integer64 (Attachment.size) as a string; the models dump a number."""
    if isinstance(value, dict):
        out = {k: _integer64_as_string(v) for k, v in value.items()}
        if isinstance(out.get("size"), int) and ("contentType" in out or "data" in out):
            out["size"] = str(out["size"])
        return out
    if isinstance(value, list):
        return [_integer64_as_string(v) for v in value]
    return value


def read(data: bytes, *, path: str, fhir_version: str | None = None) -> tuple[dict[str, Any], str]:
    """Bytes of FHIR JSON or XML -> (FHIR JSON dict in specification order, release)."""
    from .bundling import in_spec_order  # the models: imported on first use

    text = data.lstrip()
    versions = [fhir_version] if fhir_version else ["R4", "R5"]
    last: Exception | None = None
    if len(data) > MAX_BYTES:
        raise SourceError(f"file is over the {MAX_BYTES} byte limit", path=path)
    if text.startswith(b"<"):
        root = _secure_root(data, path)
        if xml_depth(root) > MAX_DEPTH:
            raise _too_deep("XML", path)
        resource_type = etree.QName(root).localname
        for version in versions:
            cls = _model_class(resource_type, version)
            try:
                model = cls.model_validate_xml(
                    data, xmlparser=etree.XMLParser(**_XML_PARSER_OPTIONS)
                )
                dumped = _normalize_divs(
                    model.model_dump(mode="json", by_alias=True, exclude_none=True)
                )
                if version == "R5":
                    dumped = _integer64_as_string(dumped)
                return in_spec_order(model, dumped), version
            except _REFUSED as exc:  # the models' complaints; fuzzed content gives TypeErrors
                last = exc
    else:
        try:
            raw = json.loads(data)
        except RecursionError:
            raise _too_deep("JSON", path) from None
        except ValueError as exc:
            raise SourceError(f"neither FHIR JSON nor XML ({exc})", path=path) from None
        if json_depth(raw) > MAX_DEPTH:
            raise _too_deep("JSON", path)
        if not isinstance(raw, dict) or not isinstance(raw.get("resourceType"), str):
            raise SourceError("JSON without a 'resourceType'", path=path)
        for version in versions:
            cls = _model_class(raw["resourceType"], version)
            try:
                model = cls.model_validate(raw)
                return in_spec_order(model, raw), version
            except _REFUSED as exc:
                last = exc
    raise SourceError(f"not valid FHIR {' or '.join(versions)} ({_detail(last)})", path=path)


def convert(data: bytes, *, to: str, path: str, fhir_version: str | None = None) -> bytes:
    """FHIR JSON or XML bytes -> the other format; content that cannot be carried (invalid for
    the models, a narrative that is no XHTML element) is a SourceError naming the file."""
    resource, _ = read(data, path=path, fhir_version=fhir_version)
    _check_narratives(resource, path)
    from .serialization import SERIALIZERS

    return SERIALIZERS[to](resource)
