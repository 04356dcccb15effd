"""Article + Extraction -> the R5 resources of one article's Bundle, in a stable order.

What changed from R4, and what did not:

* DocumentReference: R5 dropped `context.related` (R5 `context` references only Appointment,
  Encounter or EpisodeOfCare), and no other element lists what was derived from a document
  (`relatesTo` targets DocumentReferences only, `subject` is what the document is about). The
  links run the other way, as R5 intends: Provenance.target lists every resource made from
  the article and Provenance.entity names the article as the source; each MedicationKnowledge
  cites it as its `monograph`, and every derivation-reference points at it.
  `Attachment.size` is an R5 integer64, which FHIR JSON writes as a string.
* Device: R5 `name` (value + type) replaces R4 `deviceName` (name + type).
* Organization, Provenance and Questionnaire: the elements written are the same in R4 and R5
  (checked against the R5 StructureDefinitions, schemas and models), so they are built by the
  R4 code; the R5 tests validate them against the official R5 schemas.
"""

from __future__ import annotations

from ... import __version__
from ...model import Article, Extraction, Medication
from .. import narrative as nv
from ..common import JSON
from ..ids import resource_id
from ..r4 import article as r4_article
from ..r4.article import TOOL, MapContext
from .knowledge import clinical_use_definitions, medication_knowledge, product_knowledge

__all__ = ["MapContext", "map_article"]


def device() -> JSON:
    rid = resource_id("Device", f"{TOOL}|{__version__}")
    return {
        "resourceType": "Device",
        "id": rid,
        "text": nv.div(nv.p(f"{TOOL} {__version__}, the exporter that made these resources.")),
        "status": "active",
        "name": [{"value": TOOL, "type": "user-friendly-name"}],
        "version": [{"value": __version__}],
    }


def document_reference(article: Article, derived: list[JSON]) -> JSON:
    return r4_article.document_reference(article, derived, release="R5")


def r5_knowledge(article: Article, med: Medication, doc_url: str) -> list[JSON]:
    """R5: the MedicationKnowledge, then its ClinicalUseDefinitions."""
    uses = clinical_use_definitions(article, med, doc_url)
    return [medication_knowledge(article, med, doc_url, uses), *uses]


def map_article(article: Article, extraction: Extraction, context: MapContext) -> list[JSON]:
    """All R5 resources for one article, in R4's order (ClinicalUseDefinitions where R4 has
    DetectedIssues)."""
    return r4_article.assemble(
        article,
        extraction,
        context,
        knowledge=r5_knowledge,
        products=product_knowledge,
        document=document_reference,
        tool=device,
    )
