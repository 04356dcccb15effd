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


def combination_label(tmp_path: Path) -> Path:
    """A label with a combination product (ibuprofen and famotidine) and a second product of
    one active ingredient (ibuprofen alone)."""
    body = section("34067-9", "Uses", "<paragraph>Ibuprofen and famotidine tablets are used"
                   " to relieve the signs and symptoms of arthritis.</paragraph>")
    combo = product("9-1", "Duo", "ibuprofen and famotidine",
                    ingredient("IBUPROFEN", "WK2XYI10QM", amount="800")
                    + ingredient("FAMOTIDINE", "5QZO15J2Z8", amount="26.6")
                    + ingredient("LACTOSE", "J2B2A4N98G", role="IACT"))
    alone = product("9-2", "Solo", "ibuprofen", ingredient("IBUPROFEN", "WK2XYI10QM", amount="400"))
    path = tmp_path / "combo.xml"
    path.write_text(spl(body, combo + alone), "utf-8")
    return path


def test_combination_product_gives_each_active_its_own_ingredient(tmp_path: Path) -> None:
    path = combination_label(tmp_path)
    mks = {m["code"]["text"].lower(): m for m in _resources(path, "R4")["MedicationKnowledge"]}
    assert set(mks) >= {"ibuprofen", "famotidine"}
    for name, unii in (("ibuprofen", "WK2XYI10QM"), ("famotidine", "5QZO15J2Z8")):
        assert {i["itemCodeableConcept"]["coding"][0]["code"] for i in mks[name]["ingredient"]} \
            == {unii}
        assert "Duo" in mks[name]["synonym"]
    # the combination's NDC code names the product, not one of its actives; the product of
    # ibuprofen alone is ibuprofen's
    ndc = {name: [c["code"] for c in mk["code"].get("coding", [])
                  if c["system"] == "http://hl7.org/fhir/sid/ndc"] for name, mk in mks.items()}
    assert ndc["famotidine"] == [] and ndc["ibuprofen"] == ["9-2"]
    r5 = {m["code"]["text"].lower(): m for m in _resources(path, "R5")["MedicationKnowledge"]}
    assert all(i["system"] != "http://hl7.org/fhir/sid/ndc" for i in r5["famotidine"]["identifier"])


@pytest.mark.parametrize("release", ["R4", "R5"])
def test_combination_product_is_a_medication_knowledge_of_its_own(
    tmp_path: Path, release: str
) -> None:
    found = _resources(combination_label(tmp_path), release)
    (doc,) = found["DocumentReference"]
    mks = {m["code"]["text"].lower(): m for m in found["MedicationKnowledge"]}
    combo = mks.pop("ibuprofen and famotidine")
    assert _pointed(doc, combo) == "ibuprofen and famotidine"  # the non-proprietary name row
    brands = combo["synonym" if release == "R4" else "name"]
    assert brands == ["Duo"]
    if release == "R4":
        (ndc,) = combo["code"]["coding"]
        assert (ndc["system"], ndc["code"]) == ("http://hl7.org/fhir/sid/ndc", "9-1")
        ingredients = [(i["itemCodeableConcept"], i["strength"]) for i in combo["ingredient"]]
        form, links = combo["doseForm"], combo["relatedMedicationKnowledge"][0]["reference"]
        routes = combo["intendedRoute"]
    else:
        own, ndc = combo["identifier"]
        assert own["value"] == combo["id"]
        assert (ndc["system"], ndc["value"]) == ("http://hl7.org/fhir/sid/ndc", "9-1")
        definitional = combo["definitional"]
        ingredients = [(i["item"]["concept"], i["strengthRatio"])
                       for i in definitional["ingredient"]]
        form, links = definitional["doseForm"], combo["relatedMedicationKnowledge"][0]["reference"]
        routes = definitional["intendedRoute"]
    assert _pointed(doc, ndc) == "9-1"
    # both actives with their UNII and strength, the inactive lactose never
    assert [(c["coding"][0]["code"], s["numerator"]["value"]) for c, s in ingredients] == [
        ("WK2XYI10QM", 800.0), ("5QZO15J2Z8", 26.6)]
    assert [_pointed(doc, c) for c, _ in ingredients] == ["IBUPROFEN", "FAMOTIDINE"]
    assert "LACTOSE" not in json.dumps(combo)
    assert _pointed(doc, form) == "TABLET" and [r["text"] for r in routes] == ["ORAL"]
    # linked to the MedicationKnowledge of each active the text names, and to no other
    urls = {e: f"urn:uuid:{mks[e]['id']}" for e in ("ibuprofen", "famotidine")}
    assert sorted(link["reference"] for link in links) == sorted(urls.values())
    assert combo["monograph"][0]["source"]["reference"] == f"urn:uuid:{doc['id']}"
    # one product, one MedicationKnowledge: "Solo" (ibuprofen alone) is ibuprofen's product
    assert [m for m in mks.values() if "relatedMedicationKnowledge" in m] == []


def test_no_combination_product_no_product_knowledge() -> None:
    found = _resources(GOLDEN_LABEL, "R4")
    assert len(found["MedicationKnowledge"]) == 1
    assert "relatedMedicationKnowledge" not in found["MedicationKnowledge"][0]
