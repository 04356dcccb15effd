"""Article + Extraction -> the R4 resources of one article's Bundle, in a stable order."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ... import __version__
from ...identity import URI, identifier_of
from ...model import Article, Extraction, Medication
from .. import narrative as nv
from ..common import JSON, article_key, coding, ref, source_line
from ..ids import full_url, resource_id
from .knowledge import detected_issues, medication_knowledge, product_knowledge
from .questionnaire import questionnaire

LOINC = "http://loinc.org"
TOOL = "fhir-export"


@dataclass(frozen=True, slots=True, kw_only=True)
class MapContext:
    recorded: str  # Provenance.recorded, an R4 instant


def _attachment(
    data: bytes,
    content_type: str,
    language: str,
    title: str,
    creation: str | None,
    release: str = "R4",
    url: str | None = None,
) -> JSON:
    out: JSON = {
        "contentType": content_type,
        "language": language,
        "data": base64.b64encode(data).decode("ascii"),
        # R5's size is an integer64, a JSON string
        "size": len(data) if release == "R4" else str(len(data)),
        "hash": base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),  # noqa: S324
        "title": title,
    }
    if url:  # where the data was taken from: the page's canonical URL
        out["url"] = url
    if creation:
        out["creation"] = creation
    return out


def device() -> JSON:
    rid = resource_id("Device", f"{TOOL}|{__version__}")
    return {
        "resourceType": "Device",
        "id": rid,
        "text": nv.div(nv.p(f"{TOOL} {__version__}, the exporter that made these resources.")),
        "status": "active",
        "deviceName": [{"name": TOOL, "type": "user-friendly-name"}],
        "version": [{"value": __version__}],
    }


def organization(name: str) -> JSON:
    """A publisher, shared by its articles: keyed by its name, which is all an article says
    of it; its identifier is that key as a URI (urn:uuid:<id>)."""
    rid = resource_id("Organization", name.casefold())
    return {
        "resourceType": "Organization",
        "id": rid,
        "text": nv.div(nv.p(name, "Publisher")),
        "identifier": [{"system": URI, "value": full_url(rid)}],
        "name": name,
    }


def document_reference(article: Article, derived: list[JSON], release: str = "R4") -> JSON:
    """The article itself, the same in every export mode (per article, --merge, NDJSON): it
    lists nothing derived from it (R4's context.related would point at per-article or merged
    resources by mode; R5 has no such element). The Provenance lists what was made from it."""
    key = article_key(article)
    charset = article.charset or "utf-8"
    date = article.date
    headings = [s.heading for s in article.sections if s.heading]
    doc: JSON = {
        "resourceType": "DocumentReference",
        "id": resource_id("DocumentReference", key),
        "language": article.language,
        "text": nv.div(
            nv.heading(article.title),
            nv.p(article.publisher or "unknown", "Publisher"),
            nv.p(date or "not stated", "Last updated"),
            nv.p(article.date_reviewed, "Reviewed") if article.date_reviewed else "",
            nv.p(article.reviewer, "Reviewed by") if article.reviewer else "",
            *_identity_narrative(article),
            nv.items(headings, "Sections"),
            nv.p(
                f"{len(derived)} resource{'' if len(derived) == 1 else 's'} derived from "
                "this article; the Provenance lists them."
            ),
            lang=article.language,
        ),
        "status": "current",
        "docStatus": "final",
        "type": {
            "coding": [{"system": LOINC, "code": "34895-3", "display": "Education note"}],
            "text": "Patient education article",
        },
    }
    doc |= _identity(article, release)
    if date and len(date) == 10:
        doc["date"] = f"{date}T00:00:00Z"
    if article.publisher:
        doc["author"] = [ref("Organization", article.publisher.casefold(), article.publisher)]
    doc["description"] = article.title
    # a charset belongs to text only: a PDF or Word original is bytes of its own type
    original_type = (
        f"{article.media_type}; charset={charset}" if article.charset else article.media_type
    )
    doc["content"] = [
        {
            "attachment": _attachment(
                article.raw,
                original_type,
                article.language,
                article.title,
                date,
                release,
                url=identifier_of(article).url,
            )
        },
        {
            "attachment": _attachment(
                article.text.encode("utf-8"),
                "text/plain; charset=utf-8",
                article.language,
                f"{article.title} (plain text used for extraction)",
                date,
                release,
            )
        },
    ]
    return doc


def _identity(article: Article, release: str) -> JSON:
    """The article's identity (identity.py) as its identifier: canonical URL, set id or path.
    A versioned document (SPL) also has the version's own id as R4's masterIdentifier, the
    version number in R5's `version` (R4 has no element for it: the narrative states it), its
    own document type (in `category`)."""
    ident = identifier_of(article)
    out: JSON = {}
    identity = article.identity
    if identity is not None and identity.document_id and release == "R4":
        out["masterIdentifier"] = {"system": URI, "value": f"urn:uuid:{identity.document_id}"}
    out["identifier"] = [{"system": ident.system, "value": ident.value}]
    if identity is None:
        return out
    if identity.version and release != "R4":
        out["version"] = identity.version
    if identity.type is not None:
        # The SPL document type (LOINC 34391-3 "Human prescription drug label", ...) is no
        # code of `type`'s value set (R4 c80-doc-typecodes, R5 doc-typecodes): the validator
        # flags it there. It is the document's class: `category`, bound to an example set.
        out["type"] = {"text": identity.type.display or identity.type.code}
        out["category"] = [{"coding": [coding(identity.type)]}]
    return out


def _identity_narrative(article: Article) -> list[str]:
    identity = article.identity
    if identity is None:
        label, value = source_line(article)
        return [nv.p(value, label)]
    return [
        nv.p(f"urn:uuid:{identity.set_id}", "Set id"),
        nv.p(identity.version, "Version") if identity.version else "",
    ]


def _key_of(resource: JSON) -> str:
    return str(resource["@key"])


def provenance(article: Article, targets: list[JSON], context: MapContext) -> JSON:
    key = article_key(article)
    return {
        "resourceType": "Provenance",
        "id": resource_id("Provenance", key),
        "text": nv.div(
            nv.p(
                f"Made by {TOOL} {__version__} from the article '{article.title}' "
                f"({source_line(article)[1]})."
            )
        ),
        "target": [ref(r["resourceType"], _key_of(r)) for r in targets],
        "recorded": context.recorded,
        "activity": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                    "code": "CREATE",
                    "display": "create",
                }
            ]
        },
        "agent": [
            {
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                            "code": "assembler",
                            "display": "Assembler",
                        }
                    ]
                },
                "who": ref("Device", f"{TOOL}|{__version__}", f"{TOOL} {__version__}"),
            }
        ],
        "entity": [{"role": "source", "what": ref("DocumentReference", key, article.title)}],
    }


Knowledge = Callable[[Article, Medication, str], list[JSON]]
Products = Callable[[Article, Sequence[Medication], str], list[JSON]]


def r4_knowledge(article: Article, med: Medication, doc_url: str) -> list[JSON]:
    """R4: the MedicationKnowledge, then a DetectedIssue per side effect, warning and
    contraindication."""
    issues = detected_issues(article, med, doc_url)
    return [medication_knowledge(article, med, doc_url, issues), *issues]


def assemble(
    article: Article,
    extraction: Extraction,
    context: MapContext,
    *,
    knowledge: Knowledge,
    products: Products,
    document: Callable[[Article, list[JSON]], JSON],
    tool: Callable[[], JSON],
) -> list[JSON]:
    """One article's resources in a stable order: DocumentReference, Organization, per medicine
    its knowledge resources, a MedicationKnowledge per combination product (SPL), Questionnaire,
    Device, Provenance. The release decides how a
    medicine, the article and the tool are written. Keys starting with '@' are bundling hints,
    not FHIR."""
    key = article_key(article)
    doc_url = ref("DocumentReference", key)["reference"]
    derived: list[JSON] = []
    for med in extraction.medications:
        derived += knowledge(article, med, doc_url)
    derived += products(article, extraction.medications, doc_url)
    form = questionnaire(article, extraction, doc_url)
    if form is not None:
        derived.append(form)
    doc = document(article, derived) | {"@key": key, "@display": article.title}
    out: list[JSON] = [doc]
    if article.publisher:
        org = organization(article.publisher)
        out.append(org | {"@key": article.publisher.casefold(), "@display": article.publisher})
    out += derived
    dev = tool() | {"@key": f"{TOOL}|{__version__}"}
    out.append(dev)
    out.append(provenance(article, out, context) | {"@key": key})
    return out


def map_article(article: Article, extraction: Extraction, context: MapContext) -> list[JSON]:
    """All R4 resources for one article."""
    return assemble(
        article,
        extraction,
        context,
        knowledge=r4_knowledge,
        products=product_knowledge,
        document=document_reference,
        tool=device,
    )
