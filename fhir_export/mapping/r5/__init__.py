"""FHIR R5 (5.0.0) mapping. Resources are built as FHIR JSON dicts in R5 shape from the same
Extraction as R4 (nothing added, nothing left out); bundling validates them through
fhir.resources' R5 models, and the tests prove each output against the official R5 JSON
schema and XSDs (hl7.fhir.r5.core 5.0.0)."""

from .article import map_article

__all__ = ["map_article"]
