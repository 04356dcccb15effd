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

from .bundling import in_spec_order
from .errors import SourceError
from .serialization import SERIALIZERS

MAX_BYTES = 50 * 1024 * 1024
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


def _model_class(resource_type: str, fhir_version: str) -> Any:
    package = _PACKAGES[fhir_version]
    try:
        module = importlib.import_module(f"{package}.{resource_type.lower()}")
        return getattr(module, resource_type)
    except (ImportError, AttributeError):
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


def _div(value: str) -> str:
    """The narrative as XHTML text: fhir.resources' XML reader keeps the whitespace after
    </div> and writes non-ASCII as character references; the content is the same."""
    element = etree.fromstring(
        value.strip().encode("utf-8"), etree.XMLParser(**_XML_PARSER_OPTIONS)
    )
    return str(etree.tostring(element, encoding="unicode", with_tail=False))


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
    text = data.lstrip()
    versions = [fhir_version] if fhir_version else ["R4", "R5"]
    last: Exception | None = None
    if text.startswith(b"<"):
        root = _secure_root(data, path)
        resource_type = etree.QName(root).localname
        for version in versions:
            cls = _model_class(resource_type, version)
            try:
                model = cls.model_validate_xml(
                    data, xmlparser=etree.XMLParser(**_XML_PARSER_OPTIONS)
                )
            except (ValueError, KeyError) as exc:
                last = exc
                continue
            dumped = _normalize_divs(
                model.model_dump(mode="json", by_alias=True, exclude_none=True)
            )
            if version == "R5":
                dumped = _integer64_as_string(dumped)
            return in_spec_order(model, dumped), version
    else:
        try:
            raw = json.loads(data)
        except ValueError as exc:
            raise SourceError(f"neither FHIR JSON nor XML ({exc})", path=path) from None
        if not isinstance(raw, dict) or not isinstance(raw.get("resourceType"), str):
            raise SourceError("JSON without a 'resourceType'", path=path)
        for version in versions:
            cls = _model_class(raw["resourceType"], version)
            try:
                model = cls.model_validate(raw)
            except (ValueError, KeyError) as exc:
                last = exc
                continue
            return in_spec_order(model, raw), version
    detail = str(last).splitlines()[0] if last else "unknown"
    raise SourceError(f"not valid FHIR {' or '.join(versions)} ({detail})", path=path)


def convert(data: bytes, *, to: str, path: str, fhir_version: str | None = None) -> bytes:
    resource, _ = read(data, path=path, fhir_version=fhir_version)
    return SERIALIZERS[to](resource)
