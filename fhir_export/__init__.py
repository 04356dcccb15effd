"""fhir-export: offline export of patient-education health articles to FHIR Bundles."""

from __future__ import annotations

__version__ = "0.1.0"
