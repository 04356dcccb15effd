"""Deterministic ids: uuid5 over '<ResourceType>|<stable key>'. Same input, same ids."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:fhir-export")


def resource_id(resource_type: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{resource_type}|{key}"))


def full_url(resource_id_: str) -> str:
    return f"urn:uuid:{resource_id_}"
