"""FDA SPL XML in the FHIR resources: document identity, and the label's product on the
MedicationKnowledge (R4 and R5), every value pointing at its row in the text rendition.

The labels are our own (tests/data/articles/loratadine-otc-spl.xml and the builders of
tests/test_spl.py).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from spl_labels import ingredient, product, section, spl

from fhir_export.options import ExportOptions, OutputFormat
from fhir_export.pipeline import map_resources
from fhir_export.report import ExportReport

GOLDEN_LABEL = Path(__file__).parent / "data" / "articles" / "loratadine-otc-spl.xml"


def _resources(path: Path, release: str) -> dict[str, list[dict[str, Any]]]:
    options = ExportOptions(output_format=OutputFormat.JSON, fhir_version=release)
    resources, _ = map_resources(path, options, ExportReport())
    out: dict[str, list[dict[str, Any]]] = {}
    for r in resources:
        out.setdefault(r["resourceType"], []).append(r)
    return out


def _pointed(doc: dict[str, Any], element: dict[str, Any]) -> str:
    """The text a derivation-reference on `element` points at, in the rendition."""
    text = base64.b64decode(doc["content"][1]["attachment"]["data"]).decode("utf-8")
    (ext,) = [e for e in element["extension"] if e["url"].endswith("derivation-reference")]
    parts = {e["url"]: e for e in ext["extension"]}
    start = parts["offset"]["valueInteger"]
    return text[start : start + parts["length"]["valueInteger"]]


@pytest.mark.parametrize("release", ["R4", "R5"])
def test_document_identity(release: str) -> None:
    (doc,) = _resources(GOLDEN_LABEL, release)["DocumentReference"]
    assert doc["identifier"] == [
        {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:7c2b9e40-1d3a-4f5b-9e6c-2a4d8b0f1e37"}
    ]
    assert doc["date"] == "2024-06-11T00:00:00Z"
    assert doc["type"] == {"text": "HUMAN OTC DRUG LABEL"}  # no code of type's value set
    assert doc["category"] == [{"coding": [
        {"system": "http://loinc.org", "code": "34390-5", "display": "HUMAN OTC DRUG LABEL"}]}]
    if release == "R4":
        assert doc["masterIdentifier"]["value"] == "urn:uuid:3f1e2d4c-5b6a-4798-8a9b-0c1d2e3f4a5b"
        assert "version" not in doc
    else:
        assert doc["version"] == "3" and "masterIdentifier" not in doc


def test_a_new_version_updates_the_same_resources(tmp_path: Path) -> None:
    newer = tmp_path / "loratadine-v4.xml"
    newer.write_bytes(GOLDEN_LABEL.read_bytes().replace(b'<versionNumber value="3"/>',
                                                        b'<versionNumber value="4"/>'))
    ids = [sorted(r["id"] for rs in _resources(p, "R4").values() for r in rs)
           for p in (GOLDEN_LABEL, newer)]
    assert ids[0] == ids[1]  # keyed by the set id, not the file name


def test_r4_medication_knowledge_carries_the_product() -> None:
    found = _resources(GOLDEN_LABEL, "R4")
    (doc,), (mk,) = found["DocumentReference"], found["MedicationKnowledge"]
    ndc = [c for c in mk["code"]["coding"] if c["system"] == "http://hl7.org/fhir/sid/ndc"]
    assert [c["code"] for c in ndc] == ["70000-0101"]
    assert _pointed(doc, ndc[0]) == "70000-0101"
    assert mk["synonym"] == ["Allergy Relief"]
    assert mk["doseForm"]["coding"][0]["code"] == "C42998"
    assert _pointed(doc, mk["doseForm"]) == "TABLET"
    (ingredient,) = mk["ingredient"]
    assert ingredient["itemCodeableConcept"]["coding"] == [
        {"system": "http://fdasis.nlm.nih.gov", "code": "7AJO3BO7QN", "display": "LORATADINE"}
    ]
    assert ingredient["isActive"] is True
    assert ingredient["strength"]["numerator"] == {
        "value": 10.0, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}
    assert _pointed(doc, ingredient["itemCodeableConcept"]) == "LORATADINE"
    # the lexicon's oral route is stated by the text: the label's ORAL is not added twice
    assert [r["text"] for r in mk["intendedRoute"]] == ["Tablets"]
    names = json.dumps(found)
    assert "LACTOSE" not in names and "MAGNESIUM" not in names  # inactive: never carried


def test_r5_medication_knowledge_carries_the_product() -> None:
    found = _resources(GOLDEN_LABEL, "R5")
    (doc,), (mk,) = found["DocumentReference"], found["MedicationKnowledge"]
    # its own identifier in the article's namespace, then the label's NDC code
    own, identifier = mk["identifier"]
    assert own["value"] == mk["id"] and own["system"].startswith("urn:uuid:")
    assert own["system"] != f"urn:uuid:{doc['id']}"  # never a fullUrl a server would rewrite
    assert (identifier["system"], identifier["value"]) == (
        "http://hl7.org/fhir/sid/ndc", "70000-0101")
    assert _pointed(doc, identifier) == "70000-0101"
    assert mk["name"] == ["Allergy Relief"]
    definitional = mk["definitional"]
    assert definitional["doseForm"]["text"] == "TABLET"
    (ingredient,) = definitional["ingredient"]
    assert ingredient["item"]["concept"]["coding"][0]["code"] == "7AJO3BO7QN"
    assert ingredient["type"]["coding"][0]["code"] == "ACTIB"
    assert ingredient["strengthRatio"]["denominator"] == {"value": 1.0}


def test_combination_product_gives_each_active_its_own_ingredient(tmp_path: Path) -> None:
    body = section("34067-9", "Uses", "<paragraph>Ibuprofen and famotidine tablets are used"
                   " to relieve the signs and symptoms of arthritis.</paragraph>")
    combo = product("9-1", "Duo", "ibuprofen and famotidine",
                    ingredient("IBUPROFEN", "WK2XYI10QM", amount="800")
                    + ingredient("FAMOTIDINE", "5QZO15J2Z8", amount="26.6"))
    path = tmp_path / "combo.xml"
    path.write_text(spl(body, combo), "utf-8")
    mks = {m["code"]["text"].lower(): m for m in _resources(path, "R4")["MedicationKnowledge"]}
    assert set(mks) >= {"ibuprofen", "famotidine"}
    for name, unii in (("ibuprofen", "WK2XYI10QM"), ("famotidine", "5QZO15J2Z8")):
        (ing,) = mks[name]["ingredient"]
        assert ing["itemCodeableConcept"]["coding"][0]["code"] == unii
        assert mks[name]["synonym"] == ["Duo"]
        # the product's NDC code names the combination, not one of its actives
        codings = mks[name]["code"]["coding"]
        assert all(c["system"] != "http://hl7.org/fhir/sid/ndc" for c in codings)
    r5 = {m["code"]["text"].lower(): m for m in _resources(path, "R5")["MedicationKnowledge"]}
    for name in ("ibuprofen", "famotidine"):
        assert all(i["system"] != "http://hl7.org/fhir/sid/ndc" for i in r5[name]["identifier"])
