"""Deterministic ids: uuid5 over '<ResourceType>|<stable key>'. Same input, same ids."""

from __future__ import annotations

import uuid
from typing import Any

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:fhir-export")


def resource_id(resource_type: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{resource_type}|{key}"))


def full_url(resource_id_: str) -> str:
    return f"urn:uuid:{resource_id_}"


def relative_references(value: Any, urls: dict[str, str]) -> Any:
    """`value` with each reference to one of `urls`' keys (a Bundle's fullUrls, urn:uuid:...)
    replaced by its value (Type/id): entries of a batch, a collection sent as PUTs or NDJSON
    cannot refer to each other by fullUrl."""
    if isinstance(value, dict):
        out = {k: relative_references(v, urls) for k, v in value.items()}
        ref = out.get("reference")
        if isinstance(ref, str) and ref in urls:
            out["reference"] = urls[ref]
        return out
    if isinstance(value, list):
        return [relative_references(v, urls) for v in value]
    return value
