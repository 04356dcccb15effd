"""Structured product data (FDA SPL) on the MedicationKnowledge of the label's product.

A medicine the text names is the label's product when one of the label's products has it as
an active ingredient (its words are all in the ingredient's name: "atorvastatin" in
"ATORVASTATIN CALCIUM TRIHYDRATE"). Its MedicationKnowledge then carries, from that product:
the proprietary name (as a brand), the NDC product codes, the dosage form and the routes
(NCI Thesaurus codes), and the active ingredient with its UNII code and strength. Inactive
ingredients are never carried. Each value points at its row in the plain-text rendition
(`label | value`, written by the reader), through the same derivation-reference as every fact.

A product with more than one active ingredient (a combination: "ibuprofen and famotidine
tablets") is also a MedicationKnowledge of its own, keyed by its NDC product code: its code
names the product, so it is written there and not on any one active's MedicationKnowledge.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ..model import Article, Coding, Ingredient, Medication, Product, ProductField
from ..terminology import normalize
from .common import JSON, coding, derivation_at

NDC = "http://hl7.org/fhir/sid/ndc"
UNII = "http://fdasis.nlm.nih.gov"
UCUM = "http://unitsofmeasure.org"
ROLE_CLASS = "http://terminology.hl7.org/CodeSystem/v3-RoleClass"
_ROLES = {
    "ACTIB": "active ingredient - basis of strength",
    "ACTIM": "active ingredient - moiety is basis of strength",
    "ACTIR": "active ingredient - reference substance is basis of strength",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Sourced:
    """A product value and where its row's value sits in the text."""

    text: str
    start: int
    end: int


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _names(med: Medication) -> list[set[str]]:
    names = [med.name.text, med.key, *(med.concept.preferred for _ in [0] if med.concept)]
    return [w for w in (_words(n) for n in names) if w]


Pairs = list[tuple[Product, Ingredient]]


def matches(article: Article, med: Medication) -> Pairs:
    """The label's products that have this medicine as an active ingredient, with it."""
    names = _names(med)
    return [
        (product, ing)
        for product in article.products
        for ing in product.ingredients
        if ing.active and any(n <= _words(ing.name) for n in names)
    ]


def locate(article: Article, label: ProductField, *values: str) -> Sourced | None:
    """The row `label | values...` in the text (the last one: the product rows close it)."""
    row = " | ".join((label.value, *values))
    at = article.text.rfind(row)
    if at < 0 or not values:
        return None
    start = at + len(label.value) + 3
    return Sourced(text=values[0], start=start, end=start + len(values[0]))


def concept(doc_url: str, where: Sourced, codings: tuple[Coding, ...] = ()) -> JSON:
    out: JSON = {"extension": [derivation_at(doc_url, where.start, where.end)]}
    if codings:
        out["coding"] = [coding(c) for c in codings]
    out["text"] = where.text
    return out


def brands(article: Article, med: Medication) -> list[Sourced]:
    """Proprietary names not already among the medicine's brands nor its own name."""
    known = {normalize(b.text) for b in med.brands} | {normalize(med.name.text)}
    out: list[Sourced] = []
    for product, _ in matches(article, med):
        if product.name and normalize(product.name) not in known:
            known.add(normalize(product.name))
            where = locate(article, ProductField.NAME, product.name)
            out += [where] if where else []
    return out


def ndc_codes(article: Article, med: Medication) -> list[Sourced]:
    """The NDC product codes of the label's products whose one active ingredient is this
    medicine. A combination product's code names the product, not any one of its actives:
    written on each active's MedicationKnowledge it would say that ibuprofen and famotidine
    are the same thing."""
    codes = dict.fromkeys(
        code
        for product, _ in matches(article, med)
        if not combination(product)
        for code in product.ndc
    )
    return [w for w in (locate(article, ProductField.NDC, c) for c in codes) if w]


def combination(found: Product) -> bool:
    """A product with more than one distinct active ingredient."""
    return len({i.name for i in found.ingredients if i.active}) > 1


def combinations(article: Article) -> list[Product]:
    """The label's combination products, once each."""
    out: dict[str, Product] = {}
    for found in article.products:
        if combination(found):
            out.setdefault(combination_key(found), found)
    return list(out.values())


def combination_key(found: Product) -> str:
    """A combination product's key: its first NDC product code, else its names and actives."""
    if found.ndc:
        return f"ndc|{found.ndc[0]}"
    actives = (f"{i.name} {i.strength_text}" for i in found.ingredients if i.active)
    return normalize(" ".join((found.name or "", found.generic or "", *actives)))


def actives(found: Product) -> Pairs:
    return [(found, ing) for ing in found.ingredients if ing.active]


def product_name(article: Article, found: Product) -> Sourced | None:
    """Where the product's non-proprietary name (else its proprietary name) is written."""
    if found.generic:
        return locate(article, ProductField.GENERIC, found.generic)
    return locate(article, ProductField.NAME, found.name) if found.name else None


def product_ndc(article: Article, found: Product) -> list[Sourced]:
    return [w for w in (locate(article, ProductField.NDC, c) for c in found.ndc) if w]


def dose_form(article: Article, pairs: Pairs, doc_url: str) -> JSON | None:
    forms = {product.form for product, _ in pairs if product.form}
    if len(forms) != 1:
        return None  # none, or tablets and a solution: no one form of the medicine
    (form,) = forms
    where = locate(article, ProductField.FORM, form.display or "")
    return concept(doc_url, where, (form,)) if where else None


def routes(article: Article, pairs: Pairs, doc_url: str, stated: list[JSON]) -> list[JSON]:
    """The products' routes the text's own route findings do not already name."""
    seen: set[str] = set()  # every word of the stated routes' texts and code displays
    for c in stated:
        displays = [d.get("display", "") for d in c.get("coding", [])]
        seen |= _words(" ".join([c.get("text", ""), *displays]))
    out: list[JSON] = []
    for product, _ in pairs:
        for route in product.routes:
            where = locate(article, ProductField.ROUTE, route.display or "")
            if where and not _words(where.text) <= seen:  # "ORAL" beside "Oral route": once
                seen |= _words(where.text)
                out.append(concept(doc_url, where, (route,)))
    return out


def ingredients(article: Article, pairs: Pairs, doc_url: str) -> list[tuple[Ingredient, JSON]]:
    """Each distinct active ingredient (and strength) of the pairs."""
    out: list[tuple[Ingredient, JSON]] = []
    seen: set[tuple[str, object]] = set()
    for _, ing in pairs:
        if (ing.name, ing.strength) in seen:
            continue
        seen.add((ing.name, ing.strength))
        strength = ing.strength_text
        where = locate(article, ProductField.ACTIVE, ing.name, *([strength] if strength else []))
        if where is None:
            continue
        codings = (Coding(system=UNII, code=ing.unii, display=ing.name),) if ing.unii else ()
        out.append((ing, concept(doc_url, where, codings)))
    return out


def ingredient_entries(
    article: Article,
    pairs: Pairs,
    doc_url: str,
    entry: Callable[[Ingredient, JSON], JSON],
    strength_element: str,
) -> list[JSON]:
    """The release's ingredient elements (`entry` shapes one), each with its strength."""
    out: list[JSON] = []
    for ing, item in ingredients(article, pairs, doc_url):
        element = entry(ing, item)
        strength = ratio(ing)
        if strength is not None:
            element[strength_element] = strength
        out.append(element)
    return out


def role(ing: Ingredient) -> JSON:
    display = _ROLES.get(ing.role)
    if display is None:
        return {"text": "active ingredient"}
    return {"coding": [{"system": ROLE_CLASS, "code": ing.role, "display": display}]}


def ratio(ing: Ingredient) -> JSON | None:
    if ing.strength is None:
        return None
    (value, unit), (per, per_unit) = ing.strength
    try:
        return {"numerator": _quantity(value, unit), "denominator": _quantity(per, per_unit)}
    except ArithmeticError:
        return None


def _quantity(value: str, unit: str) -> JSON:
    # a float, as fhir.resources' models hold a decimal (10 is written 10.0 in JSON and XML)
    out: JSON = {"value": float(Decimal(value))}
    if unit and unit != "1":
        out |= {"unit": unit, "system": UCUM, "code": unit}
    return out

