"""MedicationKnowledge, and DetectedIssue for what R4 MedicationKnowledge cannot hold.

R4 MedicationKnowledge has no element for side effects or warnings. Each side effect, warning
and contraindication the article states becomes a DetectedIssue (status final, no patient)
that implicates the MedicationKnowledge, names the effect in evidence.code and cites the
article in evidence.detail; contraindications are also listed in
MedicationKnowledge.contraindication, the element R4 defines for them.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...model import Article, Finding, FindingKind, Medication, Product, ProductField
from ...terminology import normalize
from .. import narrative as nv
from .. import product
from ..common import (
    JSON,
    article_key,
    article_reference,
    concept,
    derivation,
    derivation_at,
    derivations,
    derived_identifier,
    finding_concept,
    ref,
    sentence,
    source_line,
)
from ..ids import resource_id

MONOGRAPH_TYPE = "http://terminology.hl7.org/CodeSystem/medicationknowledge-monograph-type"
_ISSUE_LABEL = {
    FindingKind.SIDE_EFFECT: "Side effect (undesirable effect) stated by the source article",
    FindingKind.WARNING: "Warning stated by the source article",
    FindingKind.CONTRAINDICATION: "Contraindication or precaution stated by the source article",
}


def mk_key(article: Article, med: Medication) -> str:
    return f"{article_key(article)}|{med.key}"


def _issue_key(article: Article, med: Medication, finding: Finding) -> str:
    """Keyed by the article's own wording, so a lexicon update that codes the term does not
    change the id (a reload updates the resource instead of leaving an orphan)."""
    return f"{mk_key(article, med)}|{finding.kind.value}|{normalize(finding.text)}"


def detected_issues(article: Article, med: Medication, doc_url: str) -> list[JSON]:
    out = []
    mk_ref = ref("MedicationKnowledge", mk_key(article, med), med.name.text)
    for finding in (*med.side_effects, *med.warnings, *med.contraindications):
        key = _issue_key(article, med, finding)
        rid = resource_id("DetectedIssue", key)
        label = _ISSUE_LABEL[finding.kind]
        said = sentence(article, finding)
        out.append(
            {
                "resourceType": "DetectedIssue",
                "id": rid,
                "text": nv.div(
                    nv.p(finding.text, label),
                    nv.p(med.name.text, "Medicine"),
                    nv.p(said, "Source sentence"),
                ),
                "extension": derivations(doc_url, finding),
                "identifier": derived_identifier(article, rid),
                "status": "final",
                "code": {"text": label},
                "implicated": [mk_ref],
                "evidence": [
                    {
                        "code": [finding_concept(finding, doc_url)],
                        "detail": [{"reference": doc_url, "display": article.title}],
                    }
                ],
                "detail": said,
                "@key": key,
                "@display": f"{finding.text} ({med.name.text})",
                "@kind": finding.kind.value,
            }
        )
    return out


def monograph(article: Article, doc_url: str) -> list[JSON]:
    return [
        {
            "type": {
                "coding": [{"system": MONOGRAPH_TYPE, "code": "pm", "display": "Patient Monograph"}]
            },
            "source": {"reference": doc_url, "display": article.title},
        }
    ]


def knowledge_core(article: Article, med: Medication, doc_url: str, brand_element: str) -> JSON:
    """What R4 and R5 MedicationKnowledge share: id, narrative, code, brand names (R4
    `synonym`, R5 `name`), the article as monograph, monitoring, class."""
    key = mk_key(article, med)
    mk: JSON = {
        "resourceType": "MedicationKnowledge",
        "id": resource_id("MedicationKnowledge", key),
        "text": _narrative(article, med),
        "extension": [derivation(doc_url, med.name)],
        "code": concept(med.name.text, med.concept),
        "status": "active",
    }
    labelled = product.brands(article, med)  # a label's proprietary names (SPL)
    # brand names, a label's proprietary names, then the other names the article uses
    named = [*med.brands, *med.other_names]
    if named or labelled:
        mk[brand_element] = (
            [b.text for b in med.brands]
            + [b.text for b in labelled]
            + [n.text for n in med.other_names]
        )
        on_name = article_reference(article)  # a primitive's extension: see article_reference
        mk["_" + brand_element] = (
            [{"extension": [derivation(on_name, b)]} for b in med.brands]
            + [{"extension": [derivation_at(on_name, b.start, b.end)]} for b in labelled]
            + [{"extension": [derivation(on_name, n)]} for n in med.other_names]
        )
    mk["monograph"] = monograph(article, doc_url)
    if med.monitoring:
        mk["monitoringProgram"] = [
            {
                "extension": [derivation(doc_url, f)],
                "type": {"text": "Monitoring stated in the source article"},
                "name": f.text,
            }
            for f in med.monitoring
        ]
    if med.classes:
        mk["medicineClassification"] = [
            {
                "type": {"text": "Medicine class as stated in the source article"},
                "classification": [finding_concept(f, doc_url) for f in med.classes],
            }
        ]
    return mk


def medication_knowledge(
    article: Article, med: Medication, doc_url: str, issues: list[JSON]
) -> JSON:
    mk = knowledge_core(article, med, doc_url, "synonym")
    pairs = product.matches(article, med)
    routes = [finding_concept(f, doc_url) for f in med.routes]
    routes += product.routes(article, pairs, doc_url, routes)
    if routes:
        mk["intendedRoute"] = routes
    if med.indications:
        mk["administrationGuidelines"] = [
            {"indicationCodeableConcept": finding_concept(f, doc_url)} for f in med.indications
        ]
    contra = [
        i
        for i in issues
        if i["@kind"] == FindingKind.CONTRAINDICATION.value
        and i["implicated"][0]["reference"].endswith(mk["id"])
    ]
    if contra:
        mk["contraindication"] = [ref("DetectedIssue", i["@key"], i["@display"]) for i in contra]
    return _with_product(article, pairs, product.ndc_codes(article, med), doc_url, mk) | {
        "@key": mk_key(article, med),
        "@display": med.name.text,
    }


def _with_product(
    article: Article,
    pairs: product.Pairs,
    ndc: list[product.Sourced],
    doc_url: str,
    mk: JSON,
) -> JSON:
    """R4: the label's product (SPL) as far as R4 MedicationKnowledge holds it: NDC product
    codes among the codings of `code` (R4 has no identifier), dose form, active ingredients."""
    if ndc:
        codings = [
            {
                "extension": [derivation_at(doc_url, c.start, c.end)],
                "system": product.NDC,
                "code": c.text,
            }
            for c in ndc
        ]
        mk["code"] = {**mk["code"], "coding": [*mk["code"].get("coding", []), *codings]}
    form = product.dose_form(article, pairs, doc_url)
    if form is not None:
        mk["doseForm"] = form
    ingredients = product.ingredient_entries(
        article,
        pairs,
        doc_url,
        lambda _, item: {"itemCodeableConcept": item, "isActive": True},
        "strength",
    )
    if ingredients:
        mk["ingredient"] = ingredients
    return mk


def product_key(article: Article, found: Product) -> str:
    return f"{article_key(article)}|{product.combination_key(found)}"


def product_core(
    article: Article,
    found: Product,
    meds: Sequence[Medication],
    doc_url: str,
    brand_element: str,
) -> JSON | None:
    """What R4 and R5 share for a combination product's MedicationKnowledge (SPL): id, the
    product's non-proprietary name as code text, its proprietary name as a brand, the label as
    monograph, and a link to the MedicationKnowledge of each active ingredient the text names.
    `brand_element`: R4 `synonym`, R5 `name`."""
    where = product.product_name(article, found)
    if where is None:
        return None
    key = product_key(article, found)
    mk: JSON = {
        "resourceType": "MedicationKnowledge",
        "id": resource_id("MedicationKnowledge", key),
        "text": _product_narrative(article, found, where.text),
        "extension": [derivation_at(doc_url, where.start, where.end)],
        "code": {"text": where.text},
        "status": "active",
    }
    brand = None
    if found.name and normalize(found.name) != normalize(where.text):
        brand = product.locate(article, ProductField.NAME, found.name)
    if brand is not None:
        mk[brand_element] = [brand.text]
        on_name = article_reference(article)  # a primitive's extension: see article_reference
        mk["_" + brand_element] = [{"extension": [derivation_at(on_name, brand.start, brand.end)]}]
    mk["monograph"] = monograph(article, doc_url)
    names = {ing.name for _, ing in product.actives(found)}
    related = [
        ref("MedicationKnowledge", mk_key(article, med), med.name.text)
        for med in meds
        if any(ing.name in names for _, ing in product.matches(article, med))
    ]
    if related:
        kind = {"text": "Active ingredient of this combination product"}
        mk["relatedMedicationKnowledge"] = [{"type": kind, "reference": related}]
    return mk | {"@key": key, "@display": where.text}


def product_cores(
    article: Article, meds: Sequence[Medication], doc_url: str, brand_element: str
) -> list[tuple[Product, JSON, list[JSON]]]:
    """Each combination product of the label with its core and its routes."""
    out = []
    for found in product.combinations(article):
        mk = product_core(article, found, meds, doc_url, brand_element)
        if mk is not None:
            out.append((found, mk, product.routes(article, product.actives(found), doc_url, [])))
    return out


def product_knowledge(article: Article, meds: Sequence[Medication], doc_url: str) -> list[JSON]:
    """R4: a MedicationKnowledge per combination product of the label (SPL), with its NDC
    codes, dose form, routes and active ingredients."""
    out = []
    for found, mk, routes in product_cores(article, meds, doc_url, "synonym"):
        if routes:
            mk["intendedRoute"] = routes
        ndc = product.product_ndc(article, found)
        out.append(_with_product(article, product.actives(found), ndc, doc_url, mk))
    return out


def _product_narrative(article: Article, found: Product, name: str) -> JSON:
    actives = [
        " ".join(filter(None, (i.name, i.strength_text, f"(UNII {i.unii})" if i.unii else "")))
        for i in found.ingredients
        if i.active
    ]
    return nv.div(
        nv.heading(name),
        nv.p("a product of the label with more than one active ingredient", "Combination product"),
        nv.items(list(found.ndc), "NDC product codes"),
        nv.items([found.name] if found.name else [], "Proprietary name"),
        nv.items(actives, "Active ingredients"),
        nv.items([found.form.display] if found.form and found.form.display else [], "Dosage form"),
        nv.items([r.display for r in found.routes if r.display], "Routes"),
        nv.p(f"{article.title} ({source_line(article)[1]})", "Source"),
    )


def _narrative(article: Article, med: Medication) -> JSON:
    codes = [
        f"{c.system} {c.code} ({c.display})" for c in (med.concept.codings if med.concept else ())
    ]
    return nv.div(
        nv.heading(med.name.text),
        nv.items(codes, "Codes") if codes else nv.p("none in the shipped lexicon", "Codes"),
        nv.items([b.text for b in med.brands], "Brand names"),
        nv.items([f.text for f in med.classes], "Class"),
        nv.items([f.text for f in med.indications], "Used for"),
        nv.items([f.text for f in med.side_effects], "Side effects"),
        nv.items([f.text for f in med.warnings], "Warnings"),
        nv.items([f.text for f in med.contraindications], "Contraindications and precautions"),
        nv.items([f.text for f in med.routes], "Routes"),
        nv.items([f.text for f in med.monitoring], "Monitoring"),
        nv.p(f"{article.title} ({source_line(article)[1]})", "Source"),
    )
