"""Mapping: release-neutral findings -> FHIR resources (one subpackage per FHIR release)."""
