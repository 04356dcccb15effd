"""Resources -> one Bundle (transaction | batch | collection), checked against the models.

transaction and collection: fullUrl urn:uuid:<id>, references between entries use fullUrls.
batch: a server does not resolve urn:uuid references inside a batch, so references become
relative ('MedicationKnowledge/<id>'); every entry is still a PUT of a deterministic id.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from . import bundle_check
from .mapping.ids import full_url, relative_references, resource_id
from .options import BundleType

JSON = dict[str, Any]


def _strip_hints(resource: JSON) -> JSON:
    return {k: v for k, v in resource.items() if not k.startswith("@")}


@cache
def bundle_model(fhir_version: str) -> Any:
    """The Bundle model class of a release: R4B's for R4 (identical for what is written), the
    R5 one (fhir.resources' top-level package) for R5. Imported on first use."""
    if fhir_version == "R4":
        return Bundle
    if fhir_version == "R5":
        from fhir.resources.bundle import Bundle as R5Bundle

        return R5Bundle
    raise ValueError(f"unknown FHIR version {fhir_version!r} (R4 or R5)")


def build(
    resources: list[JSON], *, bundle_type: BundleType, key: str, fhir_version: str = "R4"
) -> JSON:
    """The Bundle as FHIR JSON in specification order, checked against the models of
    `fhir_version` (R4: fhir.resources' R4B models; R5: its R5 models) by bundle_check, which
    rejects what their validation rejects at a tenth of its cost (BundleCheckError)."""
    clean = [_strip_hints(r) for r in resources]
    if bundle_type is BundleType.BATCH:
        urls = {full_url(r["id"]): f"{r['resourceType']}/{r['id']}" for r in clean}
        clean = [relative_references(r, urls) for r in clean]
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
    return bundle_check.check(bundle_model(fhir_version), data)


@cache
def _plan(cls: Any) -> tuple[tuple[str, str], ...]:
    """(JSON key, model attribute) in specification order, for one model class."""
    alias = {(f.alias or n): n for n, f in cls.model_fields.items()}
    return tuple((key, alias.get(key, key)) for key in cls.elements_sequence())


def in_spec_order(model: Any, data: JSON) -> JSON:
    """`data` with every object's keys in specification order, read off the validated model
    (a tenth of the cost of model_dump, and the values stay exactly as built): for a model
    validated anyway (convert); bundle_check orders what it checks by itself."""
    out: JSON = {}
    if "resourceType" in data:
        out["resourceType"] = data["resourceType"]
    kind: Any = type(model)
    for key, attr in _plan(kind):
        if key in data:
            out[key] = _ordered(getattr(model, attr), data[key])
        if "_" + key in data:
            out["_" + key] = _ordered(getattr(model, attr + "__ext", None), data["_" + key])
    if len(out) != len(data):
        raise ValueError(f"elements the model does not know: {sorted(set(data) - set(out))}")
    return out


def _ordered(model: Any, value: Any) -> Any:
    if isinstance(value, dict):
        return in_spec_order(model, value)
    if isinstance(value, list):
        return [_ordered(m, v) for m, v in zip(model, value, strict=True)]
    return value
