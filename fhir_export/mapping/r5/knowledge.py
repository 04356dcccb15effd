"""R5 MedicationKnowledge, and one ClinicalUseDefinition per clinical-use statement.

R5 has the resource R4 lacked: each indication, side effect, warning and contraindication the
article states becomes a ClinicalUseDefinition of that type (indication | undesirable-effect |
warning | contraindication), naming the condition or effect as a CodeableReference concept
that carries the same derivation-reference as in R4. The MedicationKnowledge points at them:
`indicationGuideline.indication` (concept and reference) for indications, `clinicalUseIssue`
for the other three.

ClinicalUseDefinition.subject is left empty: R5 (5.0.0) allows it to reference
MedicinalProductDefinition, Medication, ActivityDefinition, PlanDefinition, Device,
DeviceDefinition, Substance, NutritionProduct or BiologicallyDerivedProduct, not
MedicationKnowledge (servers such as HAPI refuse such a reference), and the article gives us no
product to name. The link R5 defines for this runs the other way, from MedicationKnowledge.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...model import Article, Finding, FindingKind, Medication
from ...terminology import normalize
from .. import narrative as nv
from .. import product
from ..common import (
    JSON,
    derivation_at,
    derivations,
    derived_identifier,
    finding_concept,
    ref,
    sentence,
)
from ..ids import resource_id
from ..r4.knowledge import knowledge_core, mk_key, product_cores  # release-neutral

PUBLICATION_STATUS = "http://hl7.org/fhir/publication-status"
ACTIVE = {"system": PUBLICATION_STATUS, "code": "active", "display": "Active"}

# kind -> (ClinicalUseDefinition.type, narrative label)
_TYPE = {
    FindingKind.INDICATION: (
        "indication",
        "Indication (what the medicine is used for) stated by the source article",
    ),
    FindingKind.SIDE_EFFECT: (
        "undesirable-effect",
        "Side effect (undesirable effect) stated by the source article",
    ),
    FindingKind.WARNING: ("warning", "Warning stated by the source article"),
    FindingKind.CONTRAINDICATION: (
        "contraindication",
        "Contraindication or precaution stated by the source article",
    ),
}


def _use_key(article: Article, med: Medication, finding: Finding) -> str:
    """R4's DetectedIssue key: the article's own wording, so that a lexicon update that codes
    the term does not change the id."""
    return f"{mk_key(article, med)}|{finding.kind.value}|{normalize(finding.text)}"


def _display(med: Medication, finding: Finding) -> str:
    return f"{finding.text} ({med.name.text})"


def _detail(finding: Finding, doc_url: str, said: str) -> tuple[str, JSON]:
    """The type-specific backbone element and its content."""
    effect = {"concept": finding_concept(finding, doc_url)}
    if finding.kind is FindingKind.INDICATION:
        return "indication", {"diseaseSymptomProcedure": effect}
    if finding.kind is FindingKind.SIDE_EFFECT:
        return "undesirableEffect", {"symptomConditionEffect": effect}
    if finding.kind is FindingKind.CONTRAINDICATION:
        return "contraindication", {"diseaseSymptomProcedure": effect}
    # warning: the sentence that states it, and the condition it names as its code
    return "warning", {"description": said, "code": finding_concept(finding, doc_url)}


def clinical_use_definitions(article: Article, med: Medication, doc_url: str) -> list[JSON]:
    """Indications first, then side effects, warnings and contraindications (R4's order)."""
    out = []
    for finding in (*med.indications, *med.side_effects, *med.warnings, *med.contraindications):
        key = _use_key(article, med, finding)
        use_type, label = _TYPE[finding.kind]
        said = sentence(article, finding)
        element, detail = _detail(finding, doc_url, said)
        rid = resource_id("ClinicalUseDefinition", key)
        out.append(
            {
                "resourceType": "ClinicalUseDefinition",
                "id": rid,
                "identifier": derived_identifier(article, rid),
                "text": nv.div(
                    nv.p(finding.text, label),
                    nv.p(med.name.text, "Medicine"),
                    nv.p(said, "Source sentence"),
                ),
                "extension": derivations(doc_url, finding),
                "type": use_type,
                "status": {"coding": [dict(ACTIVE)]},
                element: detail,
                "@key": key,
                "@display": _display(med, finding),
                "@kind": finding.kind.value,
            }
        )
    return out


def medication_knowledge(article: Article, med: Medication, doc_url: str, uses: list[JSON]) -> JSON:
    mk = knowledge_core(article, med, doc_url, "name")  # R4's synonym is R5's name
    if med.indications:
        # One guideline per indication (no dosing is read), as R4's administrationGuidelines:
        # the concept for readers that do not resolve, the reference to its definition.
        mk["indicationGuideline"] = [
            {
                "indication": [
                    {
                        "concept": finding_concept(f, doc_url),
                        "reference": ref(
                            "ClinicalUseDefinition", _use_key(article, med, f), _display(med, f)
                        ),
                    }
                ]
            }
            for f in med.indications
        ]
    issues = [u for u in uses if u["@kind"] != FindingKind.INDICATION.value]
    if issues:
        mk["clinicalUseIssue"] = [
            ref("ClinicalUseDefinition", u["@key"], u["@display"]) for u in issues
        ]
    routes = [finding_concept(f, doc_url) for f in med.routes]
    pairs = product.matches(article, med)
    routes += product.routes(article, pairs, doc_url, routes)
    definitional = _product_definition(article, pairs, doc_url)
    if routes:
        definitional["intendedRoute"] = routes
    if definitional:
        mk["definitional"] = definitional
    mk["identifier"] = _identifiers(article, mk, product.ndc_codes(article, med), doc_url)
    return mk | {"@key": mk_key(article, med), "@display": med.name.text}


def _identifiers(
    article: Article, mk: JSON, ndc: list[product.Sourced], doc_url: str
) -> list[JSON]:
    """R5 MedicationKnowledge has identifiers: its own in the article's namespace, then the
    label's NDC product codes."""
    return derived_identifier(article, mk["id"]) + [
        {
            "extension": [derivation_at(doc_url, c.start, c.end)],
            "system": product.NDC,
            "value": c.text,
        }
        for c in ndc
    ]


def product_knowledge(article: Article, meds: Sequence[Medication], doc_url: str) -> list[JSON]:
    """R5: a MedicationKnowledge per combination product of the label (SPL): NDC codes as
    identifiers, dose form, active ingredients and routes in `definitional`."""
    out = []
    for found, mk, routes in product_cores(article, meds, doc_url, "name"):
        definitional = _product_definition(article, product.actives(found), doc_url)
        if routes:
            definitional["intendedRoute"] = routes
        if definitional:
            mk["definitional"] = definitional
        mk["identifier"] = _identifiers(article, mk, product.product_ndc(article, found), doc_url)
        out.append(mk)
    return out


def _product_definition(article: Article, pairs: product.Pairs, doc_url: str) -> JSON:
    """The label's product (SPL): dose form and active ingredients (type, strength)."""
    out: JSON = {}
    form = product.dose_form(article, pairs, doc_url)
    if form is not None:
        out["doseForm"] = form
    ingredients = product.ingredient_entries(
        article,
        pairs,
        doc_url,
        lambda ing, item: {"item": {"concept": item}, "type": product.role(ing)},
        "strengthRatio",
    )
    if ingredients:
        out["ingredient"] = ingredients
    return out
