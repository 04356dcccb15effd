"""FHIR R4 (4.0.1) mapping. Resources are built as FHIR JSON dicts in R4 shape; bundling
validates them through fhir.resources' R4B models, which are identical to R4 for every
element written here (proven in the tests against the official R4 JSON schema and XSDs)."""

from .article import map_article

__all__ = ["map_article"]
