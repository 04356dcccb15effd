"""Building blocks shared by the mappers: codings, concepts, references, derivation links."""

from __future__ import annotations

from typing import Any

from ..identity import PATH_SYSTEM, identifier_of
from ..model import Article, Concept, Finding
from .ids import full_url, resource_id

DERIVATION = "http://hl7.org/fhir/StructureDefinition/derivation-reference"
RENDITION_INDEX = 1  # DocumentReference.content[1] holds the text every offset points into
RENDITION_PATH = f"DocumentReference.content[{RENDITION_INDEX}].attachment.data"

JSON = dict[str, Any]


def coding(c: Any) -> JSON:
    out: JSON = {"system": c.system}
    if c.version:
        out["version"] = c.version
    out["code"] = c.code
    if c.display:
        out["display"] = c.display
    return out


def concept(text: str, known: Concept | None, sources: list[JSON] | None = None) -> JSON:
    """A CodeableConcept: the article's wording, plus confirmed codings when the lexicon has
    them. With `sources`, the concept carries its derivation-references."""
    out: JSON = {}
    if sources:
        out["extension"] = sources
    if known is not None and known.codings:
        out["coding"] = [coding(c) for c in known.codings]
    out["text"] = text
    return out


def finding_concept(finding: Finding, doc_ref: str) -> JSON:
    return concept(finding.text, finding.concept, derivations(doc_ref, finding))


def derivation(doc_ref: str | JSON, finding: Finding) -> JSON:
    """Where in the article the fact was read: offset and length into the text rendition."""
    return derivation_at(doc_ref, finding.span.start, finding.span.end)


def derivations(doc_ref: str | JSON, finding: Finding) -> list[JSON]:
    """Where each of the fact's words were read: the lead it shares with the uses before it
    ("lower the risk for"), if any, then its own ("stroke"), in the order of its text."""
    lead = finding.lead
    own = derivation(doc_ref, finding)
    return [derivation_at(doc_ref, lead.start, lead.end), own] if lead else [own]


def derivation_at(doc_ref: str | JSON, start: int, end: int) -> JSON:
    """`doc_ref`: the DocumentReference's fullUrl, or a Reference (`article_reference`)."""
    target = {"reference": doc_ref} if isinstance(doc_ref, str) else doc_ref
    return {
        "extension": [
            {"url": "reference", "valueReference": target},
            {"url": "path", "valueString": RENDITION_PATH},
            {"url": "offset", "valueInteger": start},
            {"url": "length", "valueInteger": end - start},
        ],
        "url": DERIVATION,
    }


def article_reference(article: Article) -> JSON:
    """The article's DocumentReference as a logical reference, by its identifier (FHIR
    Reference.identifier), for the derivation-reference on a primitive element (brand names:
    R4 `_synonym`, R5 `_name`). Servers resolve the `urn:uuid` fullUrls of a transaction in
    References of complex elements, but HAPI leaves those in the extension of a primitive as
    sent (a `urn:uuid` that resolves to nothing, or differs between a whole and a split
    push); an identifier needs no resolution and is the same in every mode and on every
    server (put or conditional ids), found by `DocumentReference?identifier=system|value`."""
    found = identifier_of(article)
    return {"type": "DocumentReference",
            "identifier": {"system": found.system, "value": found.value}}


def ref(resource_type: str, key: str, display: str | None = None) -> JSON:
    out: JSON = {"reference": full_url(resource_id(resource_type, key))}
    if display:
        out["display"] = display
    return out


def article_key(article: Article) -> str:
    """What every id of the article derives from: its identity (identity.py), the canonical
    URL, a versioned document's set id (SPL: a new version of the label updates the same
    resources), else its path below the input root."""
    return identifier_of(article).key


def article_namespace(article: Article) -> str:
    """The identifier system of the resources made from one article, so that
    `Type?identifier=<namespace>|` finds them on a server: a URN of its own, uuid5 over the
    article's key, never the DocumentReference's fullUrl (a server resolving a transaction
    replaces every occurrence of an entry's urn:uuid, identifier systems included)."""
    return full_url(resource_id("ArticleResources", article_key(article)))


def derived_identifier(article: Article, rid: str) -> list[JSON]:
    """The business identifier of a resource made from the article: its id, in the article's
    namespace."""
    return [{"system": article_namespace(article), "value": rid}]


def source_line(article: Article) -> tuple[str, str]:
    """(label, value) naming the article in narratives: its URL, set id or path, never a file
    name that a rename would change."""
    ident = identifier_of(article)
    return ("Source file" if ident.system == PATH_SYSTEM else "Source", ident.value)


# the most of a sentence quoted (DetectedIssue.detail, a warning's description, narratives):
# a 70 KB "sentence" with 400 facts in it must not be written 800 times
MAX_QUOTE = 1000


def sentence(article: Article, finding: Finding) -> str:
    """The sentence a fact was read from; a very long one only around the fact (MAX_QUOTE
    characters, an ellipsis where it is cut). The derivation-reference gives the exact place."""
    start, end = finding.sentence.start, finding.sentence.end
    if end - start <= MAX_QUOTE:
        return article.text[start:end].strip()
    room = max(0, MAX_QUOTE - (finding.span.end - finding.span.start)) // 2
    low = max(start, finding.span.start - room)
    high = min(end, max(finding.span.end + room, low + MAX_QUOTE))
    quoted = article.text[low:high].strip()
    return ("… " if low > start else "") + quoted + (" …" if high < end else "")
