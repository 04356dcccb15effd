"""Resources -> one Bundle (transaction | batch | collection), validated through the models.

transaction and collection: fullUrl urn:uuid:<id>, references between entries use fullUrls.
batch: a server does not resolve urn:uuid references inside a batch, so references become
relative ('MedicationKnowledge/<id>'); every entry is still a PUT of a deterministic id.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.bundle import Bundle

from .mapping.ids import full_url, resource_id
from .options import BundleType

JSON = dict[str, Any]


def _strip_hints(resource: JSON) -> JSON:
    return {k: v for k, v in resource.items() if not k.startswith("@")}


def _relative(value: Any, urls: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: _relative(v, urls) for k, v in value.items()}
        ref = out.get("reference")
        if isinstance(ref, str) and ref in urls:
            out["reference"] = urls[ref]
        return out
    if isinstance(value, list):
        return [_relative(v, urls) for v in value]
    return value


def build(resources: list[JSON], *, bundle_type: BundleType, key: str) -> JSON:
    """The Bundle as FHIR JSON in specification order, validated against the R4(B) models."""
    clean = [_strip_hints(r) for r in resources]
    if bundle_type is BundleType.BATCH:
        urls = {full_url(r["id"]): f"{r['resourceType']}/{r['id']}" for r in clean}
        clean = [_relative(r, urls) for r in clean]
    entries = []
    for r in clean:
        entry: JSON = {"fullUrl": full_url(r["id"]), "resource": r}
        if bundle_type is not BundleType.COLLECTION:
            entry["request"] = {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}
        entries.append(entry)
    data = {
        "resourceType": "Bundle",
        "id": resource_id("Bundle", key),
        "type": bundle_type.value,
        "entry": entries,
    }
    model = Bundle.model_validate(data)
    dumped: JSON = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped
