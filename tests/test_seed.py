"""The shipped example (Harvard Health's "Immunotherapy"), end to end: each fact on its own.

Nothing here is special-cased in the code: these facts are read from the article's text.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from conftest import SEED, resources

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
DERIVATION = "http://hl7.org/fhir/StructureDefinition/derivation-reference"

JSON = dict[str, Any]


def _mk(bundle: JSON, name: str) -> JSON:
    found = [r for r in resources(bundle, "MedicationKnowledge")
             if r["code"]["text"].casefold().startswith(name.casefold())]
    assert len(found) == 1, f"one MedicationKnowledge named {name!r}, got {len(found)}"
    return found[0]


def _codes(concept: JSON, system: str) -> set[str]:
    return {c["code"] for c in concept.get("coding", ()) if c["system"] == system}


def _texts(concepts: list[JSON]) -> list[str]:
    return [c["text"].casefold() for c in concepts]


def _indications(mk: JSON) -> list[str]:
    return _texts([g["indicationCodeableConcept"] for g in mk.get("administrationGuidelines", ())])


def _issues(bundle: JSON, mk: JSON) -> list[str]:
    out = []
    for issue in resources(bundle, "DetectedIssue"):
        if issue["implicated"][0]["reference"] == f"urn:uuid:{mk['id']}":
            out += _texts(issue["evidence"][0]["code"])
    return out


def _doc(bundle: JSON) -> JSON:
    (doc,) = resources(bundle, "DocumentReference")
    return doc


def _rendition(bundle: JSON) -> str:
    return base64.b64decode(_doc(bundle)["content"][1]["attachment"]["data"]).decode("utf-8")


# --- DocumentReference -------------------------------------------------------------------

def test_document_status_and_type(seed_bundle: JSON) -> None:
    doc = _doc(seed_bundle)
    assert doc["status"] == "current"
    assert doc["docStatus"] == "final"
    assert doc["type"]["coding"][0] == {"system": "http://loinc.org", "code": "34895-3",
                                        "display": "Education note"}


def test_document_title(seed_bundle: JSON) -> None:
    doc = _doc(seed_bundle)
    assert doc["description"] == "Immunotherapy"
    assert doc["content"][0]["attachment"]["title"] == "Immunotherapy"


def test_document_author_is_the_publisher_organization(seed_bundle: JSON) -> None:
    (org,) = resources(seed_bundle, "Organization")
    assert org["name"] == "Harvard Health Publishing"
    assert _doc(seed_bundle)["author"][0]["reference"] == f"urn:uuid:{org['id']}"


def test_document_date_from_last_updated(seed_bundle: JSON) -> None:
    doc = _doc(seed_bundle)
    assert doc["date"].startswith("2024-01-02")
    assert doc["content"][0]["attachment"]["creation"] == "2024-01-02"


def test_attachment_holds_the_original_bytes(seed_bundle: JSON) -> None:
    raw = SEED.read_bytes()
    att = _doc(seed_bundle)["content"][0]["attachment"]
    assert base64.b64decode(att["data"]) == raw
    assert att["size"] == len(raw)
    assert att["hash"] == base64.b64encode(hashlib.sha1(raw).digest()).decode()  # noqa: S324
    assert att["contentType"] == "text/plain; charset=utf-8"
    assert att["language"] == "en"
    assert _doc(seed_bundle)["language"] == "en"


def test_section_headings_in_narrative(seed_bundle: JSON) -> None:
    div = _doc(seed_bundle)["text"]["div"]
    for heading in ("What is Immunotherapy?", "What It's Used For", "How It's Done",
                    "When To Call a Professional", "Additional Info"):
        assert f"<li>{heading}</li>" in div
    assert "American Cancer Society" not in div and "Harvard Health Publishing</li>" not in div


def test_the_provenance_links_the_document_to_every_derived_resource(seed_bundle: JSON) -> None:
    # the DocumentReference lists nothing (it is the same resource in every export mode):
    # the Provenance names it as its source and every derived resource as a target
    doc = _doc(seed_bundle)
    assert "context" not in doc
    (prov,) = resources(seed_bundle, "Provenance")
    assert [e["what"]["reference"] for e in prov["entity"]] == [f"urn:uuid:{doc['id']}"]
    targets = {t["reference"] for t in prov["target"]}
    derived = {f"urn:uuid:{r['id']}" for t in ("MedicationKnowledge", "Questionnaire",
                                              "DetectedIssue") for r in resources(seed_bundle, t)}
    assert derived and derived <= targets


# --- MedicationKnowledge ------------------------------------------------------------------

def test_exactly_the_named_medicines(seed_bundle: JSON) -> None:
    names = sorted(r["code"]["text"].casefold() for r in resources(seed_bundle,
                                                                   "MedicationKnowledge"))
    assert names == ["anti-tnf therapy", "interferons", "interleukin-2", "rituximab",
                     "trastuzumab"]


def test_rituximab_codes_brand_class_indications(seed_bundle: JSON) -> None:
    mk = _mk(seed_bundle, "rituximab")
    assert _codes(mk["code"], RXNORM) == {"121191"}
    assert _codes(mk["code"], ATC) == {"L01FA01"}
    assert mk["synonym"] == ["Rituxan"]
    classes = mk["medicineClassification"][0]["classification"]
    assert _texts(classes) == ["monoclonal antibody"]
    assert _indications(mk) == ["non-hodgkin's lymphoma", "chronic lymphocytic leukemia",
                                "rheumatoid arthritis"]
    assert {g["indicationCodeableConcept"]["coding"][0]["code"]
            for g in mk["administrationGuidelines"]} == {"C85.90", "C91.10", "M06.9"}


def test_trastuzumab_brand_and_heart_failure(seed_bundle: JSON) -> None:
    mk = _mk(seed_bundle, "trastuzumab")
    assert _codes(mk["code"], RXNORM) == {"224905"}
    assert mk["synonym"] == ["Herceptin"]
    assert _issues(seed_bundle, mk) == ["heart failure"]


def test_interleukin_2_indications(seed_bundle: JSON) -> None:
    mk = _mk(seed_bundle, "interleukin-2")
    assert _codes(mk["code"], ATC) == {"L03AC01"}
    assert _indications(mk) == ["kidney cancer", "advanced melanoma"]


def test_interferon_side_effects_and_no_invented_indications(seed_bundle: JSON) -> None:
    mk = _mk(seed_bundle, "interferon")
    assert _codes(mk["code"], ATC) == {"L03AB"}
    assert _issues(seed_bundle, mk) == ["depression", "suicidal thoughts"]
    # "Interferons have been used to treat:" is followed by a list the scraper lost
    assert "administrationGuidelines" not in mk


def test_anti_tnf_indications(seed_bundle: JSON) -> None:
    mk = _mk(seed_bundle, "anti-tnf")
    assert _codes(mk["code"], ATC) == {"L04AB"}
    assert _indications(mk) == ["rheumatoid arthritis", "inflammatory bowel disease"]


def test_no_routes_the_text_does_not_tie_to_a_medicine(seed_bundle: JSON) -> None:
    assert all("intendedRoute" not in mk for mk in resources(seed_bundle, "MedicationKnowledge"))


def test_every_medication_cites_the_article_as_monograph(seed_bundle: JSON) -> None:
    doc = f"urn:uuid:{_doc(seed_bundle)['id']}"
    for mk in resources(seed_bundle, "MedicationKnowledge"):
        assert mk["monograph"][0]["source"]["reference"] == doc
        assert mk["monograph"][0]["type"]["coding"][0]["code"] == "pm"


@pytest.mark.parametrize("name", ["adalimumab", "infliximab", "etanercept", "humira",
                                  "remicade", "enbrel", "certolizumab", "golimumab", "cimzia"])
def test_stripped_list_medicines_never_appear(seed_bundle: JSON, name: str) -> None:
    """The scraper lost the list after 'Examples of some anti-TNF medications include:'."""
    for entry in seed_bundle["entry"]:
        resource = dict(entry["resource"])
        if resource["resourceType"] == "DocumentReference":
            resource.pop("content")  # the article's own bytes; checked below as text
        assert name not in json.dumps(resource).casefold()
    assert name not in SEED.read_text("utf-8").casefold()


# --- Questionnaire ------------------------------------------------------------------------

def _items(form: JSON) -> list[JSON]:
    out = []
    for item in form["item"]:
        out += _items(item) if item["type"] == "group" else [item]
    return out


def test_questionnaire_screening_topics(seed_bundle: JSON) -> None:
    (form,) = resources(seed_bundle, "Questionnaire")
    questions = [i for i in _items(form) if i["type"] == "boolean"]
    assert [q["text"] for q in questions] == [
        "History of depression or other psychiatric problems",
        "Exposure to tuberculosis (TB)",
        "Chronic hepatitis",
    ]
    assert form["status"] == "draft" and form["url"] and form["version"] == "2024-01-02"
    assert "Screening before treatment" in form["title"]


def test_questionnaire_depression_item_is_grouped_under_interferon(seed_bundle: JSON) -> None:
    (form,) = resources(seed_bundle, "Questionnaire")
    (group,) = [i for i in form["item"] if i["type"] == "group"]
    assert group["text"] == "Before treatment with Interferons"
    assert group["item"][0]["text"].startswith("History of depression")


def test_questionnaire_codes_only_where_confirmed(seed_bundle: JSON) -> None:
    (form,) = resources(seed_bundle, "Questionnaire")
    codes = {i["text"]: [c["code"] for c in i.get("code", ())] for i in _items(form)
             if i["type"] == "boolean"}
    assert codes["Exposure to tuberculosis (TB)"] == ["Z20.1"]
    assert codes["Chronic hepatitis"] == ["K73.9"]


def test_questionnaire_follow_up_only_when_yes(seed_bundle: JSON) -> None:
    (form,) = resources(seed_bundle, "Questionnaire")
    items = _items(form)
    questions = [i for i in items if i["type"] == "boolean"]
    follow = [i for i in items if i["type"] == "text"]
    assert len(follow) == len(questions)
    for q, f in zip(questions, follow, strict=True):
        assert f["enableWhen"] == [{"question": q["linkId"], "operator": "=",
                                    "answerBoolean": True}]
    link_ids = [i["linkId"] for i in items]
    assert len(link_ids) == len(set(link_ids))


def test_questionnaire_links_back_to_the_article(seed_bundle: JSON) -> None:
    (form,) = resources(seed_bundle, "Questionnaire")
    doc = f"urn:uuid:{_doc(seed_bundle)['id']}"
    (ext,) = [e for e in form["extension"] if e["url"] == DERIVATION]
    assert ext["extension"][0]["valueReference"]["reference"] == doc


# --- Provenance, narrative, traceability --------------------------------------------------

def test_provenance_targets_every_generated_resource(seed_bundle: JSON) -> None:
    (prov,) = resources(seed_bundle, "Provenance")
    targets = {t["reference"] for t in prov["target"]}
    others = {e["fullUrl"] for e in seed_bundle["entry"]
              if e["resource"]["resourceType"] != "Provenance"}
    assert targets == others
    assert prov["entity"][0]["role"] == "source"
    assert prov["entity"][0]["what"]["reference"] == f"urn:uuid:{_doc(seed_bundle)['id']}"
    (device,) = resources(seed_bundle, "Device")
    assert prov["agent"][0]["who"]["reference"] == f"urn:uuid:{device['id']}"
    assert device["version"][0]["value"]
    assert prov["recorded"] == "2024-01-02T00:00:00Z"


def test_every_resource_has_a_safe_narrative(seed_bundle: JSON) -> None:
    from lxml import etree

    for entry in seed_bundle["entry"]:
        div = entry["resource"]["text"]["div"]
        root = etree.fromstring(div.encode())
        assert root.tag == "{http://www.w3.org/1999/xhtml}div"
        for el in root.iter():
            assert etree.QName(el).localname not in ("script", "iframe", "object", "img")
            assert not any(a.lower().startswith("on") or a in ("src", "href") for a in el.attrib)


def _derivations(value: Any) -> list[JSON]:
    found = []
    if isinstance(value, dict):
        if value.get("url") == DERIVATION:
            found.append(value)
        for v in value.values():
            found += _derivations(v)
    elif isinstance(value, list):
        for v in value:
            found += _derivations(v)
    return found


def test_every_fact_points_at_its_text(seed_bundle: JSON) -> None:
    """offset/length into the text rendition give back the fact's own wording."""
    text = _rendition(seed_bundle)
    checked = 0
    for mk in resources(seed_bundle, "MedicationKnowledge"):
        for concept in [g["indicationCodeableConcept"]
                        for g in mk.get("administrationGuidelines", ())]:
            words = []
            for ext in concept["extension"]:  # a shared lead ('reduce the risk of'), then its own
                parts = {e["url"]: e for e in ext["extension"]}
                start = parts["offset"]["valueInteger"]
                words.append(text[start : start + parts["length"]["valueInteger"]])
            assert " ".join(words) == concept["text"]
            checked += 1
    assert checked == 7
    assert len(_derivations(seed_bundle)) > 20


def test_ids_are_deterministic_uuid5(seed_bundle: JSON) -> None:
    import uuid

    for entry in seed_bundle["entry"]:
        rid = entry["resource"]["id"]
        assert uuid.UUID(rid).version == 5
        assert entry["fullUrl"] == f"urn:uuid:{rid}"
        assert entry["request"] == {"method": "PUT",
                                    "url": f"{entry['resource']['resourceType']}/{rid}"}
