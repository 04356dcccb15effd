"""The XML writer follows FHIR's XML rules; JSON is stable; bundling sets types and refs."""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from fhir_export.bundling import build
from fhir_export.options import BundleType
from fhir_export.serialization import SERIALIZERS

F = "{http://hl7.org/fhir}"


def _xml(resource: dict[str, Any]) -> Any:
    return etree.fromstring(SERIALIZERS["xml"](resource))


def test_primitives_extensions_ids_and_narrative() -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>a &amp; b</p><ul><li>x</li></ul></div>'
    root = _xml({
        "resourceType": "MedicationKnowledge", "id": "abc",
        "text": {"status": "generated", "div": div},
        "extension": [{"url": "http://e", "valueInteger": 3}],
        "code": {"id": "c1", "text": "x"}, "status": "active",
        "synonym": ["A", "B"], "_synonym": [None, {"extension": [{"url": "http://s",
                                                                  "valueBoolean": False}]}],
    })
    assert root.tag == F + "MedicationKnowledge"
    assert root.find(F + "id").get("value") == "abc"
    assert root.find(F + "extension").get("url") == "http://e"
    assert root.find(F + "extension/" + F + "valueInteger").get("value") == "3"
    assert root.find(F + "code").get("id") == "c1"
    syn = root.findall(F + "synonym")
    assert [s.get("value") for s in syn] == ["A", "B"]
    assert syn[1].find(F + "extension/" + F + "valueBoolean").get("value") == "false"
    out = etree.tostring(root.find(F + "text/{http://www.w3.org/1999/xhtml}div"),
                         with_tail=False).decode()
    assert out == div  # the narrative is byte-for-byte what the JSON holds
    names = [etree.QName(c).localname for c in root]
    assert names == ["id", "text", "extension", "code", "status", "synonym", "synonym"]


def test_contained_resources_are_wrapped() -> None:
    root = _xml({"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Organization", "name": "X"}}]})
    resource = root.find(F + "entry/" + F + "resource")
    assert [etree.QName(c).localname for c in resource] == ["Organization"]


def test_json_is_utf8_indented_with_trailing_newline() -> None:
    data = SERIALIZERS["json"]({"resourceType": "Organization", "name": "Café"})
    assert data == b'{\n  "resourceType": "Organization",\n  "name": "Caf\xc3\xa9"\n}\n'


def _two() -> list[dict[str, Any]]:
    org = {"resourceType": "Organization", "id": "11111111-1111-5111-8111-111111111111",
           "name": "Pub"}
    doc = {"resourceType": "DocumentReference", "id": "22222222-2222-5222-8222-222222222222",
           "status": "current", "author": [{"reference": f"urn:uuid:{org['id']}"}],
           "content": [{"attachment": {"contentType": "text/plain"}}], "@key": "hint"}
    return [doc, org]


@pytest.mark.parametrize("bundle_type", list(BundleType))
def test_bundle_types(bundle_type: BundleType) -> None:
    bundle = build(_two(), bundle_type=bundle_type, key="k")
    assert bundle["type"] == bundle_type.value
    doc = bundle["entry"][0]
    assert "@key" not in doc["resource"]  # hints never reach FHIR
    ref = doc["resource"]["author"][0]["reference"]
    if bundle_type is BundleType.BATCH:
        assert ref == "Organization/11111111-1111-5111-8111-111111111111"
    else:
        assert ref == "urn:uuid:11111111-1111-5111-8111-111111111111"
    if bundle_type is BundleType.COLLECTION:
        assert "request" not in doc
    else:
        url = f"DocumentReference/{doc['resource']['id']}"
        assert doc["request"] == {"method": "PUT", "url": url}


def test_bundling_rejects_what_the_models_reject() -> None:
    bad = _two()
    bad[0]["status"] = 12
    with pytest.raises(ValueError):
        build(bad, bundle_type=BundleType.TRANSACTION, key="k")
