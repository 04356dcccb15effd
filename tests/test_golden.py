"""Golden outputs, discovered from tests/data/articles/ (and the shipped example).

JSON is compared parsed, XML canonicalized (C14N 2.0, whitespace-only text stripped); run
`pytest --update-golden` to rewrite them and review the diff. Every output is also checked
against the official FHIR R4 JSON schema and XSDs, and XML against JSON through an
independent parser (fhir.resources' XML reader).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conformance import require_schemas, validate_r4_json, validate_r4_xml
from conftest import GOLDEN, all_articles, render_both
from lxml import etree

from fhir_export.options import BundleType

CASES = all_articles()
IDS = [p.name for p in CASES]


def _canonical_xml(data: bytes) -> str:
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    tree = etree.fromstring(data, parser)
    return etree.tostring(tree, method="c14n2", strip_text=True).decode("utf-8")


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_golden(path: Path, update_golden: bool) -> None:
    bundle, _, xml = render_both(path)
    stem = path.name.rsplit(".", 1)[0]
    json_file = GOLDEN / f"{stem}.json"
    xml_file = GOLDEN / f"{stem}.xml"
    if update_golden or not json_file.exists():
        GOLDEN.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", "utf-8")
        xml_file.write_bytes(xml)
        if not update_golden:
            pytest.fail(f"golden files were missing for {path.name}: written, review them")
    assert bundle == json.loads(json_file.read_text("utf-8"))
    assert _canonical_xml(xml) == _canonical_xml(xml_file.read_bytes())


@pytest.mark.parametrize("bundle_type", list(BundleType), ids=[b.value for b in BundleType])
@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_valid_against_official_r4_schemas(path: Path, bundle_type: BundleType) -> None:
    require_schemas()
    bundle, _, xml = render_both(path, bundle_type)
    assert validate_r4_json(bundle) == []
    assert validate_r4_xml(xml) == []


def _normalize_divs(value: Any) -> Any:
    """fhir.resources' XML reader keeps the whitespace after </div>; compare divs as C14N."""
    if isinstance(value, dict):
        out = {k: _normalize_divs(v) for k, v in value.items()}
        if isinstance(out.get("div"), str):
            out["div"] = _canonical_xml(out["div"].strip().encode("utf-8"))
        return out
    if isinstance(value, list):
        return [_normalize_divs(v) for v in value]
    return value


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_xml_carries_exactly_the_json_content(path: Path) -> None:
    from fhir.resources.R4B.bundle import Bundle

    bundle, _, xml = render_both(path)
    parsed = Bundle.model_validate_xml(xml)
    back = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert _normalize_divs(back) == _normalize_divs(bundle)


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_same_input_same_bytes(path: Path) -> None:
    _, json_a, xml_a = render_both(path)
    _, json_b, xml_b = render_both(path)
    assert json_a == json_b
    assert xml_a == xml_b
    assert json_a.endswith(b"\n") and json_a.decode("utf-8")


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_references_resolve_inside_the_bundle(path: Path) -> None:
    bundle, _, _ = render_both(path)
    urls = {e["fullUrl"] for e in bundle["entry"]}

    def walk(value: Any) -> list[str]:
        if isinstance(value, dict):
            found = [value["reference"]] if isinstance(value.get("reference"), str) else []
            return found + [r for v in value.values() for r in walk(v)]
        if isinstance(value, list):
            return [r for v in value for r in walk(v)]
        return []

    refs = walk(bundle)
    assert refs and set(refs) <= urls


_INSTANT_UTC = __import__("re").compile(
    r'(value="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)\+00:00"')


def _same_xml_as_fhir_resources(bundle: dict[str, Any], ours: bytes) -> bool:
    """Our XML against fhir.resources' model_dump_xml of the same Bundle, canonicalized. The
    models spell UTC as +00:00 where we keep the 'Z' the JSON has: the same instant."""
    from fhir.resources.R4B.bundle import Bundle

    theirs = Bundle.model_validate(bundle).model_dump_xml()
    theirs = theirs if isinstance(theirs, bytes) else theirs.encode("utf-8")
    theirs = _INSTANT_UTC.sub(r'\1Z"', theirs.decode("utf-8")).encode("utf-8")
    return _canonical_xml(theirs) == _canonical_xml(ours)


@pytest.mark.parametrize("path", CASES, ids=IDS)
def test_xml_is_what_fhir_resources_writes(path: Path) -> None:
    bundle, _, xml = render_both(path)
    assert _same_xml_as_fhir_resources(bundle, xml)
