"""FDA SPL XML: recognition, safe parsing, sections typed by LOINC code, product data.

Every SPL here is written by the tests (small, in the shapes DailyMed labels use); the real
labels stay in ../shared/realworld.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from spl_labels import HEAD, LOINC, ingredient, product, section, spl

from fhir_export.errors import SourceError
from fhir_export.extraction import extract, sections
from fhir_export.model import BlockKind, RawDocument
from fhir_export.segmentation import segment
from fhir_export.sources import read_article
from fhir_export.terminology import default_lexicon

RX = spl(
    section("34067-9", "1 INDICATIONS AND USAGE",
            "<paragraph>ZENTREX is indicated for the treatment of:</paragraph>"
            "<list><item>hypertension</item><item>angina</item></list>")
    + section("34070-3", "4 CONTRAINDICATIONS", "<list><item>severe asthma</item></list>")
    + section("43685-7", "5 WARNINGS AND PRECAUTIONS", "",
              section("42229-5", "5.1 Bradycardia", "<paragraph>Slow heart rate.</paragraph>"))
    + section("34084-4", "6 ADVERSE REACTIONS",
              "<table><thead><tr><th>Reaction</th><th>%</th></tr></thead>"
              "<tbody><tr><td>dizziness</td><td>5</td></tr></tbody></table>"),
    product("12345-678", "Zentrex", "zentrexolol",
            ingredient("ZENTREXOLOL HYDROCHLORIDE", "AAAA1111BB", amount="10")
            + ingredient("MAGNESIUM STEARATE", "70097M6I30", role="IACT")),
)


def _read(tmp_path: Path, text: str | bytes, name: str = "label.xml") -> RawDocument:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return read_article(path, max_bytes=2_000_000)


def _error(tmp_path: Path, text: str | bytes) -> str:
    with pytest.raises(SourceError) as info:
        _read(tmp_path, text)
    return str(info.value)


def test_blocks_headings_levels_and_topics(tmp_path: Path) -> None:
    doc = _read(tmp_path, RX)
    assert doc.media_type == "application/xml" and doc.charset == ""
    headings = [(b.text, b.level, b.topic) for b in doc.blocks if b.kind is BlockKind.HEADING]
    assert headings == [
        ("1 INDICATIONS AND USAGE", 2, "indication"),
        ("4 CONTRAINDICATIONS", 2, "contraindication"),
        ("5 WARNINGS AND PRECAUTIONS", 2, "warning"),
        ("5.1 Bradycardia", 3, None),
        ("6 ADVERSE REACTIONS", 2, "side-effect"),
        ("Product data elements", 2, None),
    ]
    items = [b.text for b in doc.blocks if b.kind is BlockKind.ITEM]
    assert items == ["hypertension", "angina", "severe asthma"]
    rows = [b for b in doc.blocks if b.kind is BlockKind.ROW]
    assert rows[0].cells == ("Reaction", "%") and rows[0].header
    assert rows[1].cells == ("dizziness", "5") and not rows[1].header


def test_metadata_identity_and_products(tmp_path: Path) -> None:
    doc = _read(tmp_path, RX)
    assert doc.hints.title == "ZENTREX (zentrexolol) tablets"
    assert doc.hints.publisher == "Example Pharma Inc."
    assert doc.hints.date == "2024-03-15" and doc.hints.language == "en"
    assert doc.identity is not None
    assert (doc.identity.set_id, doc.identity.version) == (
        "a1b2c3d4-0000-4000-8000-000000000001", "7")
    (prod,) = doc.products
    assert (prod.name, prod.generic, prod.ndc) == ("Zentrex", "zentrexolol", ("12345-678",))
    assert prod.form is not None and prod.form.display == "TABLET"
    assert [r.display for r in prod.routes] == ["ORAL"]
    assert [(i.name, i.unii, i.active) for i in prod.ingredients] == [
        ("ZENTREXOLOL HYDROCHLORIDE", "AAAA1111BB", True),
        ("MAGNESIUM STEARATE", "70097M6I30", False),
    ]
    texts = [b.text for b in doc.blocks]
    assert "Active ingredient | ZENTREXOLOL HYDROCHLORIDE | 10 mg" in texts
    assert not any("MAGNESIUM" in t for t in texts)  # inactive ingredients: never rows


def test_sections_are_typed_by_code_before_title(tmp_path: Path) -> None:
    body = section("34084-4", "Things to know", "<list><item>nausea</item></list>")
    article = segment(_read(tmp_path, spl(body)))
    types = sections.classify(article)
    assert [(article.sections[t.index].heading, t.kind) for t in types] == [
        ("Things to know", "side-effect")
    ]
    assert types[0].rule == "code:side-effect"


def test_untitled_boxed_warning_is_headed_by_its_code_name(tmp_path: Path) -> None:
    body = (
        f'<component><section><code code="34066-1" codeSystem="{LOINC}"/><title/>'
        "<text><paragraph>Increased mortality in elderly patients.</paragraph></text>"
        "</section></component>"
    )
    doc = _read(tmp_path, spl(body))
    assert (doc.blocks[0].text, doc.blocks[0].topic) == ("Boxed warning", "warning")


def test_empty_title_falls_back_to_the_product_name(tmp_path: Path) -> None:
    doc = _read(tmp_path, spl(section("34089-3", "DESCRIPTION", "<paragraph>A tablet.</paragraph>"),
                              product("1-2", "Zentrex", "zentrexolol", ""), title=""))
    assert doc.hints.title == "Zentrex"


def test_several_products_and_a_combination_product(tmp_path: Path) -> None:
    both = product("1-10", "Zentrex", "zentrexolol", ingredient("ZENTREXOLOL", "AAAA1111BB",
                                                                 amount="10"))
    both += product("1-20", "Zentrex", "zentrexolol", ingredient("ZENTREXOLOL", "AAAA1111BB",
                                                                  amount="20"))
    both += product("1-30", "Zentrex Plus", "zentrexolol and hydrozide",
                    ingredient("ZENTREXOLOL", "AAAA1111BB", amount="10")
                    + ingredient("HYDROZIDE", "CCCC2222DD", amount="25"))
    doc = _read(tmp_path, spl(section("34089-3", "DESCRIPTION", "<paragraph>Tablets.</paragraph>"),
                              both))
    assert [p.ndc for p in doc.products] == [("1-10",), ("1-20",), ("1-30",)]
    assert [[i.name for i in p.ingredients if i.active] for p in doc.products] == [
        ["ZENTREXOLOL"], ["ZENTREXOLOL"], ["ZENTREXOLOL", "HYDROZIDE"]]


def test_label_without_indications_exports_what_it_has(tmp_path: Path) -> None:
    body = section("34084-4", "ADVERSE REACTIONS", "<list><item>headache</item></list>")
    article = segment(_read(tmp_path, spl(body)))
    result = extract(article, default_lexicon())
    assert all(not m.indications for m in result.medications)


def test_otc_drug_facts_sections(tmp_path: Path) -> None:
    body = (
        section("55106-9", "Active ingredient", "<paragraph>Zentrexolol 10 mg</paragraph>")
        + section("55105-1", "Purpose", "<paragraph>Pain reliever</paragraph>")
        + section("34071-1", "Warnings", "",
                  section("50570-1", "Do not use", "<list><item>with other pain relievers"
                          "</item></list>")
                  + section("50569-3", "Ask a doctor before use if you have",
                            "<list><item>liver disease</item></list>")
                  + section("50568-5", "Ask a doctor or pharmacist before use if you are",
                            "<list><item>taking a blood thinner</item></list>")
                  + section("50567-7", "When using this product", "<list><item>do not exceed"
                            " the dose</item></list>")
                  + section("50566-9", "Stop use and ask a doctor if",
                            "<list><item>pain gets worse</item></list>"))
        + section("51727-6", "Inactive ingredients", "<paragraph>starch, talc</paragraph>")
    )
    article = segment(_read(tmp_path, spl(body, doc_code="34390-5")))
    kinds = {article.sections[t.index].heading: t.kind for t in sections.classify(article)}
    assert kinds == {
        "Active ingredient": None,
        "Purpose": "class",
        "Warnings": "warning",
        "Do not use": "contraindication",
        "Ask a doctor before use if you have": "screening",
        "Ask a doctor or pharmacist before use if you are": "screening",
        "When using this product": "warning",
        "Stop use and ask a doctor if": "warning",
        "Inactive ingredients": "ingredients",
    }


def test_a_combination_otc_product_states_its_use_for_each_active_ingredient(
    tmp_path: Path,
) -> None:
    sunscreen = product("2-10", "Sun Spray", "avobenzone, octocrylene, oxybenzone",
                        ingredient("AVOBENZONE", "G63QQF2NOX")
                        + ingredient("OCTOCRYLENE", "5A68WGF6WM")
                        + ingredient("OXYBENZONE", "95OOS7VE0Y")
                        + ingredient("WATER", "059QF0KO0R", role="IACT"))
    body = (
        section("55106-9", "Active ingredients", "<paragraph>Avobenzone 3%</paragraph>"
                "<paragraph>Octocrylene 7.7%</paragraph><paragraph>Oxybenzone 3%</paragraph>")
        + section("34067-9", "Use", "<paragraph>helps prevent sunburn</paragraph>")
        + section("50567-7", "When using this product",
                  "<paragraph>avoid spraying in eyes.</paragraph>"
                  "<paragraph>do not puncture or incinerate.</paragraph>")
    )
    doc = _read(tmp_path, spl(body, sunscreen, title="SUN SPRAY", doc_code="34390-5"))
    result = extract(segment(doc), default_lexicon())
    uses = {m.key: [f.text for f in m.indications] for m in result.medications}
    assert uses == {k: ["helps prevent sunburn"] for k in ("avobenzone", "octocrylene",
                                                           "oxybenzone")}
    warned = {m.key: [f.text for f in m.warnings] for m in result.medications}
    assert warned["avobenzone"] == ["avoid spraying in eyes"]


def test_encoding_comes_from_the_xml_declaration(tmp_path: Path) -> None:
    text = RX.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace(
        "Slow heart rate.", "Slow heart rate (\u00e9).")
    doc = _read(tmp_path, text.encode("iso-8859-1"))
    assert any("(\u00e9)" in b.text for b in doc.blocks)


def test_non_spl_xml_is_refused_in_one_line(tmp_path: Path) -> None:
    message = _error(tmp_path, f'{HEAD}<rss version="2.0"><channel/></rss>')
    assert message == "not an FDA SPL document (root element <rss> without a namespace)"
    cda = f'{HEAD}<ClinicalDocument xmlns="urn:hl7-org:v3"/>'
    assert "root element <ClinicalDocument> in namespace urn:hl7-org:v3" in _error(tmp_path, cda)


def test_spl_without_document_code_is_refused(tmp_path: Path) -> None:
    assert "without a document type code" in _error(
        tmp_path, f'{HEAD}<document xmlns="urn:hl7-org:v3"><title>x</title></document>')


def test_malformed_xml_is_one_error_line(tmp_path: Path) -> None:
    message = _error(tmp_path, RX[: len(RX) // 2])
    assert "malformed XML" in message and "\n" not in message


@pytest.mark.parametrize(
    "hostile",
    [
        # external entity
        f'{HEAD}<!DOCTYPE document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<document xmlns="urn:hl7-org:v3"><code code="34391-3"/><title>&xxe;</title></document>',
        # billion laughs
        f"{HEAD}<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        + "".join(f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">'
                  for i in range(1, 10))
        + ']><document xmlns="urn:hl7-org:v3"><code code="34391-3"/><title>&lol9;</title>'
        "</document>",
        # a DOCTYPE naming an external DTD
        f'{HEAD}<!DOCTYPE document SYSTEM "http://example.invalid/spl.dtd">'
        '<document xmlns="urn:hl7-org:v3"><code code="34391-3"/></document>',
    ],
    ids=["external-entity", "billion-laughs", "external-dtd"],
)
def test_doctype_and_entities_are_refused_fast(tmp_path: Path, hostile: str) -> None:
    start = time.perf_counter()
    message = _error(tmp_path, hostile)
    assert time.perf_counter() - start < 5.0  # wide for a loaded machine
    assert "DOCTYPE or entity declaration is refused" in message and "\n" not in message
    assert "root:" not in message  # nothing of /etc/passwd


def test_doctype_in_utf16_is_refused(tmp_path: Path) -> None:
    text = ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE document [<!ENTITY a "b">]>'
            '<document xmlns="urn:hl7-org:v3"><code code="34391-3"/><title>&a;</title></document>')
    assert "DOCTYPE or entity declaration is refused" in _error(tmp_path, text.encode("utf-16"))


def test_indexing_file_without_narrative_still_reads(tmp_path: Path) -> None:
    text = (
        f'{HEAD}<document xmlns="urn:hl7-org:v3"><code code="60685-5" codeSystem="{LOINC}"/>'
        "<title>ZENTREXOLOL Pharmacologic Class Indexing</title><component><structuredBody>"
        f'<component><section><code code="48779-3" codeSystem="{LOINC}"/><title/><text/>'
        "<subject><identifiedSubstance><identifiedSubstance><name>ZENTREXOLOL</name>"
        "</identifiedSubstance></identifiedSubstance></subject></section></component>"
        "</structuredBody></component></document>"
    )
    doc = _read(tmp_path, text)
    assert [b.text for b in doc.blocks] == [
        "Product data elements", "Indexed substance | ZENTREXOLOL"]



def test_footnotes_and_line_breaks_are_word_breaks(tmp_path: Path) -> None:
    body = section("34092-7", "CLINICAL STUDIES",
                   "<table><tbody><tr><th>HR<footnote>Zentrex 80 mg: 10 mg</footnote> (95%CI)</th>"
                   "</tr></tbody></table><paragraph>first line<br/>second line</paragraph>")
    texts = [b.text for b in _read(tmp_path, spl(body)).blocks]
    assert "HR Zentrex 80 mg: 10 mg (95%CI)" in texts
    assert "first line second line" in texts


def test_paragraphs_bulleted_by_hand_are_list_items_of_their_lead_in(tmp_path: Path) -> None:
    """An old label's precautions: "-with ..." paragraphs are the items of the lead-in before
    them, and what they name is asked before treatment with the lead-in's medicine (not with
    the anticoagulant an item asks about). "-20 °C" is no bullet."""
    label = spl(
        section("42232-9", "PRECAUTIONS",
                "<paragraph>Haloperidol should be administered cautiously to patients:</paragraph>"
                "<paragraph>-with severe cardiovascular disorders, because of hypotension."
                "</paragraph>"
                "<paragraph>-receiving anticoagulants, since an instance of interference occurred."
                "</paragraph><paragraph>-20 °C is the lowest storage temperature.</paragraph>"),
        product("12345-678", "Haldol", "haloperidol", ingredient("HALOPERIDOL", "J6292F8L3D")),
    )
    doc = _read(tmp_path, label)
    assert [b.text for b in doc.blocks if b.kind is BlockKind.ITEM] == [
        "with severe cardiovascular disorders, because of hypotension.",
        "receiving anticoagulants, since an instance of interference occurred.",
    ]
    x = extract(segment(doc), default_lexicon())
    assert [(s.subject, s.text) for s in x.screening] == [
        ("haloperidol", "severe cardiovascular disorders"),
        ("haloperidol", "anticoagulants"),  # what is received, without the receiving
    ], [(s.subject, s.text) for s in x.screening]


def test_a_use_of_another_product_with_the_same_ingredient_is_not_the_labels(
    tmp_path: Path,
) -> None:
    def uses(name: str) -> list[str]:
        label = product("3-10", name, "sildenafil citrate", ingredient("SILDENAFIL CITRATE",
                                                                        "BW9B0ZE037"))
        body = (
            section("34067-9", "INDICATIONS AND USAGE",
                    f"<paragraph>{name} is indicated for the treatment of erectile dysfunction."
                    "</paragraph>")
            + section("34076-0", "PATIENT COUNSELING INFORMATION",
                      "<paragraph>REVATIO is used to treat pulmonary arterial hypertension."
                      "</paragraph>")
        )
        doc = _read(tmp_path, spl(body, label, title=f"{name.upper()} (sildenafil) tablets"),
                    name=f"{name}.xml")
        result = extract(segment(doc), default_lexicon())
        return sorted(f.text for m in result.medications if m.key == "sildenafil"
                      for f in m.indications)

    # VIAGRA's label: REVATIO, the same ingredient under another name, is another product
    assert uses("Viagra") == ["erectile dysfunction"]
    # REVATIO's own label: that use is its own
    assert uses("Revatio") == ["erectile dysfunction", "pulmonary arterial hypertension"]


def test_pharmacology_sections_state_no_side_effect_but_keep_their_class(tmp_path: Path) -> None:
    """A label's mechanism of action says what the medicine does in the body: "Zentrexolol
    causes increased levels of cGMP" is no side effect of it; its class still counts. The same
    sentence under "Adverse reactions" is one, and the heading alone types a section that has no
    code (a PDF's "12.1 Mechanism of Action")."""
    sentence = (
        "<paragraph>Zentrexolol is a beta blocker. Zentrexolol causes increased levels of cGMP "
        "in smooth muscle.</paragraph>"
    )

    def effects(code: str, title: str) -> tuple[list[str], list[str]]:
        doc = _read(tmp_path, spl(section(code, title, sentence)), name=f"{code}.xml")
        result = extract(segment(doc), default_lexicon())
        return (
            sorted(f.text for m in result.medications for f in m.side_effects + m.warnings),
            sorted(f.text for m in result.medications for f in m.classes),
        )

    assert effects("43679-0", "12.1 Mechanism of Action") == ([], ["beta blocker"])
    assert effects("34090-1", "12 CLINICAL PHARMACOLOGY") == ([], ["beta blocker"])
    assert effects("42229-5", "12.1 Mechanism of Action") == ([], ["beta blocker"])
    assert effects("34084-4", "6 ADVERSE REACTIONS")[0] == [
        "increased levels of cGMP in smooth muscle"
    ]
