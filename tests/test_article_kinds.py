"""What each kind of test article must (and must not) produce, beyond the golden files."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from conftest import ARTICLES, all_articles, render_both, resources
from lxml import etree

from fhir_export.options import ExportOptions
from fhir_export.pipeline import render
from fhir_export.report import ExportReport


def test_article_naming_no_medicine_gets_no_knowledge_and_no_form() -> None:
    bundle, _, _ = render_both(ARTICLES / "knee-arthroscopy.txt")
    types = sorted({e["resource"]["resourceType"] for e in bundle["entry"]})
    assert types == ["Device", "DocumentReference", "Organization", "Provenance"]
    (doc,) = resources(bundle, "DocumentReference")
    assert "context" not in doc  # nothing derived, nothing linked


def test_medicine_missing_from_the_lexicon_is_text_only_and_reported() -> None:
    path = ARTICLES / "ocrelizumab-leaflet.txt"
    bundle, _, _ = render_both(path)
    (mk,) = resources(bundle, "MedicationKnowledge")
    assert "coding" not in mk["code"]
    assert mk["code"]["text"].casefold() == "ocrelizumab"
    assert mk["synonym"] == ["Ocrevus"]
    _, result = render(path, ExportOptions(), ExportReport())
    assert "ocrelizumab" in [t.casefold() for t in result.unmapped_texts]


def test_tell_your_doctor_list_becomes_questionnaire_items() -> None:
    bundle, _, _ = render_both(ARTICLES / "interferon-leaflet.txt")
    (form,) = resources(bundle, "Questionnaire")
    texts = [i["text"] for g in form["item"] for i in g.get("item", [g])
             if i["type"] == "boolean"]
    assert {"Depression", "Heart disease", "Thyroid problems"} <= set(texts)


def test_brand_table_pairs_generics_and_brands() -> None:
    bundle, _, _ = render_both(ARTICLES / "biologics-brand-table.html")
    pairs = {mk["code"]["text"].casefold(): mk.get("synonym") for mk in
             resources(bundle, "MedicationKnowledge")}
    assert pairs == {"rituximab": ["Rituxan"], "trastuzumab": ["Herceptin"],
                     "etanercept": ["Enbrel"], "abatacept": ["Orencia"]}


def _walk_divs(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["div"]] if isinstance(value.get("div"), str) else []
        return found + [d for v in value.values() for d in _walk_divs(v)]
    if isinstance(value, list):
        return [d for v in value for d in _walk_divs(v)]
    return []


@pytest.mark.parametrize("path", all_articles(), ids=lambda p: p.name)
def test_every_narrative_is_safe_xhtml(path: Any) -> None:
    bundle, _, _ = render_both(path)
    divs = _walk_divs(bundle)
    assert len(divs) == len(bundle["entry"])
    allowed = {"div", "p", "b", "ul", "li", "h3"}
    for div in divs:
        root = etree.fromstring(div.encode("utf-8"),
                                etree.XMLParser(resolve_entities=False, no_network=True))
        for el in root.iter():
            assert etree.QName(el).namespace == "http://www.w3.org/1999/xhtml"
            assert etree.QName(el).localname in allowed
            allowed_attrs = {"lang", "{http://www.w3.org/XML/1998/namespace}lang"}
            assert set(el.attrib) <= (allowed_attrs if el is root else set())


def test_unmapped_terms_report(tmp_path: Any) -> None:
    import json

    from click.testing import CliRunner

    from fhir_export.cli import main

    report = tmp_path / "unmapped.json"
    result = CliRunner().invoke(main, ["export", str(ARTICLES / "ocrelizumab-leaflet.txt"),
                                       "--out", str(tmp_path / "out"), "--report", str(report)])
    assert result.exit_code == 0, result.stderr
    data = json.loads(report.read_text("utf-8"))
    (article,) = data["articles"]
    terms = {t["text"].casefold(): t for t in article["unmapped"]}
    assert "ocrelizumab" in terms
    first = terms["ocrelizumab"]
    assert first["kind"] == "medication" and "ocrelizumab" in first["sentence"].casefold()
    assert data["summary"] == result.stderr.strip().splitlines()[-1]
    assert {"text": "ocrelizumab", "count": 1} in data["terms"]


def test_a_forms_own_questions_are_the_items_text(tmp_path: Any) -> None:
    form_text = (
        "Zentrex vaccination consent form\n\n"
        "Health questions\n\n"
        "12 Does your child have a bleeding disorder?\n\n"
        "13 Has your child had any of the following in the last 4 weeks: a tuberculosis skin "
        "test, a chickenpox vaccine or a yellow fever vaccine?\n\n"
        "Tell the nurse if your child has asthma.\n\n"
        "14 Has your child ever been admitted to intensive care because of their asthma?\n\n"
        "15 Is your child in regular close contact with anyone having treatment that severely "
        "affects their immune system?\n"
    )
    path = tmp_path / "form.txt"
    path.write_text(form_text, encoding="utf-8")
    bundle, _, _ = render_both(path)
    (form,) = resources(bundle, "Questionnaire")
    items = [i for g in form["item"] for i in g.get("item", [g])]
    asked = {i["text"]: i for i in items if i["type"] == "boolean"}
    # a question about one thing: the form's own words, its number left out, and the item
    # points at them
    bleeding = asked["Does your child have a bleeding disorder?"]
    offset, length = (x["valueInteger"] for x in bleeding["extension"][0]["extension"][2:])
    (doc,) = resources(bundle, "DocumentReference")
    rendition = base64.b64decode(doc["content"][1]["attachment"]["data"]).decode("utf-8")
    assert rendition[offset : offset + length] == "Does your child have a bleeding disorder?"
    assert "<li>Does your child have a bleeding disorder?</li>" in form["text"]["div"]
    follow = next(i for i in items if i["linkId"] == f"{bleeding['linkId']}-details")
    assert follow["text"] == "If yes, please give details"
    # a question about several things, or a sentence that is no question: their own names
    assert {"Chickenpox vaccine", "Yellow fever vaccine", "Asthma"} <= set(asked)
    # the same topic asked by another question of the form is an item of its own
    assert {"Has your child ever been admitted to intensive care because of their asthma?",
            "Is your child in regular close contact with anyone having treatment that severely "
            "affects their immune system?"} <= set(asked)
