"""What a review page shows, read back from an exported Bundle (R4 or R5, parsed JSON).

The Bundle alone is enough: the plain-text rendition is DocumentReference.content[n] (the
index named by each derivation-reference's `path`), and every fact is a
derivation-reference extension (offset and length into that text) somewhere inside a
resource. A fact's kind comes from where it sits in its resource (MedicationKnowledge.code is
the medicine, `synonym`/`name` its names, ...; a DetectedIssue or ClinicalUseDefinition says
its own kind); nothing here re-runs extraction.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import html as lxml_html

from ..mapping.common import DERIVATION

JSON = dict[str, Any]

# every kind a highlight can have, in the order the legend and the index show them
KINDS = (
    "medicine",
    "brand",
    "other-name",
    "drug-class",
    "indication",
    "side-effect",
    "warning",
    "contraindication",
    "route",
    "monitoring",
    "product",
    "screening",
)
LABELS = {
    "medicine": "medicine",
    "brand": "brand name",
    "other-name": "other name",
    "drug-class": "drug class",
    "indication": "indication",
    "side-effect": "side effect",
    "warning": "warning",
    "contraindication": "contraindication",
    "route": "route",
    "monitoring": "monitoring",
    "product": "product data",
    "screening": "screening question",
}
# resources whose cards the page shows, in page order; a highlight links to the first
CARD_TYPES = ("ClinicalUseDefinition", "DetectedIssue", "MedicationKnowledge", "Questionnaire")
_ISSUE_KINDS = (  # DetectedIssue.code.text (mapping/r4/knowledge.py) -> kind
    ("Side effect", "side-effect"),
    ("Warning", "warning"),
    ("Contraindication", "contraindication"),
)
USE_KINDS = {  # ClinicalUseDefinition.type -> kind
    "indication": "indication",
    "undesirable-effect": "side-effect",
    "warning": "warning",
    "contraindication": "contraindication",
}
_MK_KINDS = {  # MedicationKnowledge element -> kind of the facts inside it
    "medicineClassification": "drug-class",
    "administrationGuidelines": "indication",
    "indicationGuideline": "indication",
    "intendedRoute": "route",
    "monitoringProgram": "monitoring",
    "code": "product",  # inside code: a label's NDC codings (the medicine is the top level)
    "doseForm": "product",
    "ingredient": "product",
    "definitional": "product",
    "identifier": "product",
    "packaging": "product",
}
_INDEX = re.compile(r"content\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Fact:
    """One derivation-reference: `kind` read at text[start:end], carried by `card`."""

    kind: str
    start: int
    end: int
    card: str  # the id of the resource's card: "<ResourceType>-<id>"


@dataclass(frozen=True, slots=True)
class Card:
    """A resource the page shows, with what it points back at."""

    anchor: str
    resource: JSON

    @property
    def resource_type(self) -> str:
        return str(self.resource.get("resourceType", ""))


@dataclass(frozen=True, slots=True)
class ArticleView:
    file: str  # the bundle's path, relative to the folder read
    fhir_version: str
    title: str
    doc_id: str
    text: str | None  # the plain-text rendition; None when the bundle has none
    facts: tuple[Fact, ...]
    misplaced: tuple[Fact, ...]  # offsets outside the text: shown as a list, not highlighted
    cards: tuple[Card, ...]

    def of_type(self, resource_type: str) -> list[Card]:
        return [c for c in self.cards if c.resource_type == resource_type]

    @property
    def medicines(self) -> list[Card]:
        return self.of_type("MedicationKnowledge")

    def count(self, kind: str) -> int:
        """Facts of a kind, a span counted once however many resources carry it."""
        return len({(f.start, f.end) for f in self.facts if f.kind == kind})

    @property
    def coded(self) -> int:
        return sum(bool(c.resource.get("code", {}).get("coding")) for c in self.medicines)

    @property
    def screening(self) -> int:
        return self.count("screening")

    @property
    def flags(self) -> tuple[str, ...]:
        out = []
        if not self.medicines:
            out.append("no medicine")
        if not any(f.kind not in ("medicine", "screening") for f in self.facts):
            out.append("no fact")
        if not self.screening:
            out.append("no screening")
        if self.text is None:
            out.append("no text")
        if self.misplaced:
            out.append("misplaced facts")
        return tuple(out)


def anchor(resource: JSON) -> str:
    return f"{resource.get('resourceType', 'Resource')}-{resource.get('id', '')}"


def read_bundle(bundle: JSON, file: str, fhir_version: str) -> ArticleView:
    resources = [e.get("resource") or {} for e in bundle.get("entry", [])]
    doc = next((r for r in resources if r.get("resourceType") == "DocumentReference"), {})
    cards = tuple(Card(anchor(r), r) for t in CARD_TYPES for r in resources
                  if r.get("resourceType") == t)
    found: list[Fact] = []
    index = None
    for card in cards:
        for kind, extension in _facts(card.resource):
            values = {e.get("url"): e for e in extension.get("extension", [])}
            offset = values.get("offset", {}).get("valueInteger")
            length = values.get("length", {}).get("valueInteger")
            if not isinstance(offset, int) or not isinstance(length, int):
                continue  # a derivation without offsets names the article, not a sentence
            match = _INDEX.search(str(values.get("path", {}).get("valueString", "")))
            if match and index is None:
                index = int(match.group(1))
            found.append(Fact(kind, offset, offset + length, card.anchor))
    text = _rendition(doc, 1 if index is None else index)
    placed = tuple(f for f in found if text is not None and 0 <= f.start < f.end <= len(text))
    return ArticleView(
        file=file,
        fhir_version=fhir_version,
        title=str(doc.get("description") or _title(doc) or file),
        doc_id=str(doc.get("id", "")),
        text=text,
        facts=placed,
        misplaced=tuple(f for f in found if f not in placed),
        cards=cards,
    )


def _title(doc: JSON) -> str | None:
    for content in doc.get("content", []):
        title = content.get("attachment", {}).get("title")
        if title:
            return str(title)
    return None


def _rendition(doc: JSON, index: int) -> str | None:
    contents = doc.get("content", [])
    if not 0 <= index < len(contents):
        return None
    attachment = contents[index].get("attachment", {})
    charset = re.search(r"charset=([\w.-]+)", str(attachment.get("contentType", "")))
    try:
        data = base64.b64decode(attachment.get("data", ""), validate=True)
        return data.decode(charset.group(1) if charset else "utf-8")
    except (binascii.Error, UnicodeDecodeError, LookupError, ValueError):
        return None


def _facts(resource: JSON) -> Iterator[tuple[str, JSON]]:
    """(kind, derivation-reference) for every fact a resource carries."""
    kind_of = resource.get("resourceType")
    if kind_of == "DetectedIssue":
        label = str(resource.get("code", {}).get("text", ""))
        kind = next((k for word, k in _ISSUE_KINDS if label.startswith(word)), "warning")
        yield from ((kind, e) for e in _derivations(resource))
    elif kind_of == "ClinicalUseDefinition":
        kind = USE_KINDS.get(str(resource.get("type", "")), "warning")
        yield from ((kind, e) for e in _derivations(resource))
    elif kind_of == "Questionnaire":
        for item in resource.get("item", []):
            yield from (("screening", e) for e in _derivations(item))
    elif kind_of == "MedicationKnowledge":
        yield from (("medicine", e) for e in _own(resource))
        brands = _brand_names(resource)
        for element in ("synonym", "name"):
            names = resource.get(element, [])
            for n, extra in enumerate(resource.get("_" + element) or []):
                name = names[n] if n < len(names) else None
                kind = "brand" if name in brands else "other-name"
                yield from ((kind, e) for e in _derivations(extra or {}))
        for element, kind in _MK_KINDS.items():
            if element in resource:
                yield from ((kind, e) for e in _derivations(resource[element]))


def own_spans(value: JSON) -> list[tuple[int, int]]:
    """(start, end) of the derivation-references on a value itself (a Questionnaire item)."""
    out = []
    for extension in _own(value):
        values = {e.get("url"): e for e in extension.get("extension", [])}
        offset = values.get("offset", {}).get("valueInteger")
        length = values.get("length", {}).get("valueInteger")
        if isinstance(offset, int) and isinstance(length, int) and length > 0 and offset >= 0:
            out.append((offset, offset + length))
    return out


def _own(value: JSON) -> list[JSON]:
    return [e for e in value.get("extension", []) if e.get("url") == DERIVATION]


def _derivations(value: Any) -> Iterator[JSON]:
    """Every derivation-reference inside a value, depth first, in document order."""
    if isinstance(value, dict):
        yield from _own(value)
        for key, inner in value.items():
            if key != "extension":
                yield from _derivations(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _derivations(inner)


def _brand_names(mk: JSON) -> set[str]:
    """The names the MedicationKnowledge's own narrative lists under "Brand names": the one
    place the Bundle tells a brand from another name (both are `synonym` / `name`)."""
    div = mk.get("text", {}).get("div")
    if not div:
        return set()
    try:
        tree = lxml_html.fragment_fromstring(div)
    except Exception:  # an unreadable narrative: every name is "other"
        return set()
    names: set[str] = set()
    for p in tree.iter("{*}p", "p"):
        if (p.text_content() or "").strip() == "Brand names":
            listed = p.getnext()
            if listed is not None:
                names.update(li.text_content() for li in listed.iter("{*}li", "li"))
    return names
