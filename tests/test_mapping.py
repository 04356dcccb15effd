"""Mapping details: ids, Provenance.recorded precedence, DocumentReference attachments."""

from __future__ import annotations

import base64
import uuid
from dataclasses import replace

from conftest import SEED

from fhir_export.mapping.ids import NAMESPACE, full_url, resource_id
from fhir_export.options import ExportOptions
from fhir_export.pipeline import recorded_time
from fhir_export.segmentation import segment
from fhir_export.sources import read_article


def test_ids_are_uuid5_over_type_and_key() -> None:
    assert NAMESPACE == uuid.uuid5(uuid.NAMESPACE_URL, "urn:fhir-export")
    rid = resource_id("MedicationKnowledge", "a.txt|rituximab")
    assert rid == str(uuid.uuid5(NAMESPACE, "MedicationKnowledge|a.txt|rituximab"))
    assert full_url(rid) == f"urn:uuid:{rid}"
    assert resource_id("Questionnaire", "a.txt") != resource_id("Provenance", "a.txt")


def test_recorded_precedence() -> None:
    article = segment(read_article(SEED, max_bytes=10**7))
    assert recorded_time(article, ExportOptions()) == "2024-01-02T00:00:00Z"
    assert recorded_time(article, ExportOptions(source_date_epoch=86400)) == (
        "1970-01-02T00:00:00Z")
    assert recorded_time(article, ExportOptions(recorded="2025-05-05T10:00:00Z",
                                                source_date_epoch=0)) == "2025-05-05T10:00:00Z"
    undated = replace(article, date_updated=None, date_reviewed=None)
    assert recorded_time(undated, ExportOptions()) == "1970-01-01T00:00:00Z"


def test_rendition_is_the_text_offsets_point_into() -> None:
    from fhir_export.extraction import extract
    from fhir_export.mapping.r4 import map_article
    from fhir_export.mapping.r4.article import MapContext
    from fhir_export.terminology import default_lexicon

    article = segment(read_article(SEED, max_bytes=10**7))
    resources = map_article(article, extract(article, default_lexicon()),
                            MapContext(recorded="2024-01-02T00:00:00Z"))
    doc = resources[0]
    rendition = doc["content"][1]["attachment"]
    assert base64.b64decode(rendition["data"]).decode("utf-8") == article.text
    assert rendition["contentType"] == "text/plain; charset=utf-8"
    assert [r["resourceType"] for r in resources][-2:] == ["Device", "Provenance"]


def test_a_screening_form_speaks_its_articles_language() -> None:
    """A Spanish article's form: its groups, follow-ups and title in Spanish, and
    Questionnaire.language says so; a language with no words of its own gets English."""
    from fhir_export.mapping.r4.questionnaire import words_for

    assert words_for("es")["group"].format(name="gabapentina") == (
        "Antes del tratamiento con gabapentina")
    assert words_for("fr-FR")["asked"] == "Si oui, veuillez préciser"
    assert words_for("de")["title"].startswith("Fragen vor der Behandlung")
    assert words_for("it") == words_for("en")
