"""The products of an SPL document, from its data elements sections (not from its prose).

Listing data elements (48780-1) give each product's proprietary and non-proprietary names, NDC
product code, dosage form, routes and ingredients (active ones with UNII code and strength).
Inactive ingredients are kept as such (`active=False`) and never written as rows: they are
never medicines. Indexing data elements (48779-3) give only substances.

Every value a fact uses is written in the text as a row `label | value` under a last section,
"Product data elements", so that mapping can point at it (offsets into the plain text).
"""

from __future__ import annotations

from typing import Any

from ..model import BlockKind, Coding, Ingredient, Product, ProductField, RawBlock
from .decode import collapse

V = "{urn:hl7-org:v3}"
NDC_OID = "2.16.840.1.113883.6.69"
UNII_OID = "2.16.840.1.113883.4.9"
NCIT_OID = "2.16.840.1.113883.3.26.1.1"
NCIT = "http://ncithesaurus-stage.nci.nih.gov"  # NCI Thesaurus (FDA SPL forms and routes)
HEADING = "Product data elements"
_ACTIVE = ("ACTIB", "ACTIM", "ACTIR")  # active ingredient: basis of strength, moiety, reference
_MAX_PRODUCTS = 200


def _text(el: Any) -> str:
    return collapse("".join(el.itertext())) if el is not None else ""


def _coding(el: Any) -> Coding | None:
    if el is None or not el.get("code") or el.get("codeSystem") != NCIT_OID:
        return None
    display = collapse(el.get("displayName") or "")
    return Coding(system=NCIT, code=el.get("code"), display=display or None)


def _strength(el: Any) -> tuple[tuple[str, str], tuple[str, str]] | None:
    num, den = el.find(f"{V}quantity/{V}numerator"), el.find(f"{V}quantity/{V}denominator")
    if num is None or not num.get("value"):
        return None
    over = (den.get("value") or "1", den.get("unit") or "1") if den is not None else ("1", "1")
    return (num.get("value"), num.get("unit") or "1"), over


def _ingredients(product: Any) -> tuple[Ingredient, ...]:
    out: list[Ingredient] = []
    for ing in product.iterfind(f"{V}ingredient"):
        role = ing.get("classCode") or ""
        substance = ing.find(f"{V}ingredientSubstance")
        name = _text(substance.find(f"{V}name")) if substance is not None else ""
        code = substance.find(f"{V}code") if substance is not None else None
        if not name:
            continue
        unii = code.get("code") if code is not None and code.get("codeSystem") == UNII_OID else None
        active = role in _ACTIVE
        out.append(
            Ingredient(
                name=name,
                unii=unii,
                active=active,
                role=role,
                strength=_strength(ing) if active else None,
            )
        )
    return tuple(out)


def _product(outer: Any, inner: Any) -> Product:
    code = inner.find(f"{V}code")
    ndc = code.get("code") if code is not None and code.get("codeSystem") == NDC_OID else None
    routes = tuple(
        c
        for c in (_coding(r) for r in outer.iterfind(f"{V}consumedIn/*/{V}routeCode"))
        if c is not None
    )
    return Product(
        name=_text(inner.find(f"{V}name")) or None,
        generic=_text(inner.find(f"{V}asEntityWithGeneric/{V}genericMedicine/{V}name")) or None,
        form=_coding(inner.find(f"{V}formCode")),
        routes=tuple(dict.fromkeys(routes)),
        ndc=(ndc,) if ndc else (),
        ingredients=_ingredients(inner),
    )


def products(root: Any) -> tuple[Product, ...]:
    """Each product of the listing data elements, in document order (kits' parts left out)."""
    out: list[Product] = []
    for outer in root.iter(f"{V}manufacturedProduct"):
        inner = outer.find(f"{V}manufacturedProduct")
        if inner is None or outer.getparent() is None or outer.getparent().tag != f"{V}subject":
            continue
        out.append(_product(outer, inner))
        if len(out) >= _MAX_PRODUCTS:
            break
    return tuple(out)


def substances(root: Any) -> tuple[str, ...]:
    """The substances an indexing file names (no product, no narrative)."""
    names = (_text(s.find(f"{V}name")) for s in root.iter(f"{V}identifiedSubstance"))
    return tuple(dict.fromkeys(n for n in names if n))


def row(label: ProductField, *values: str) -> RawBlock:
    cells = (label.value, *values)
    return RawBlock(kind=BlockKind.ROW, text=" | ".join(cells), cells=cells)


def rows(found: tuple[Product, ...], indexed: tuple[str, ...] = ()) -> list[RawBlock]:
    """The rows a product's facts point at, under one heading (nothing when there is none)."""
    out: list[RawBlock] = []
    for product in found:
        if product.name:
            out.append(row(ProductField.NAME, product.name))
        if product.generic:
            out.append(row(ProductField.GENERIC, product.generic))
        if product.form and product.form.display:
            out.append(row(ProductField.FORM, product.form.display))
        out += [row(ProductField.ROUTE, r.display) for r in product.routes if r.display]
        out += [row(ProductField.NDC, code) for code in product.ndc]
        for ing in product.ingredients:
            if ing.active:
                strength = ing.strength_text
                out.append(row(ProductField.ACTIVE, ing.name, *([strength] if strength else [])))
    out += [row(ProductField.SUBSTANCE, name) for name in indexed]
    if not out:
        return []
    return [RawBlock(kind=BlockKind.HEADING, text=HEADING, level=2), *out]
