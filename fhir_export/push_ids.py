"""How push names what it writes: `--id-mode put|conditional|auto`.

- put (the default): `PUT Type/id`, our deterministic ids (a server that allows client ids).
- conditional: for servers that assign every id themselves (Medplum, HAPI with
  `client_id_strategy: NOT_ALLOWED`), each entry is a conditional update on its business
  identifier, `PUT Type?identifier=system|value` (FHIR http.html#cond-update): no match
  creates the resource with an id of the server's, one match updates it, so a second push
  creates nothing. A resource without an identifier in FHIR (R4 MedicationKnowledge,
  Provenance) or in our output (Device) gets a tag, `meta.tag` {TAG_SYSTEM, <our id>}, and is
  matched by `_tag`. Inside a transaction, entries refer to each other by their `urn:uuid`
  fullUrls, which the server replaces by the ids it assigns (FHIR transaction processing
  rules); a reference to an entry of another request (a split transaction, a batch) becomes
  a conditional reference, `Type?identifier=system|value`, which the server resolves to the
  one resource that matches.
- auto: the server's CapabilityStatement decides (`updateCreate` false for a type we send and
  conditional updates supported: conditional; `updateCreate` true for all: put); when it does
  not say (HAPI does not), put, and requests refused for their client ids (HAPI-0959 "...
  client-assigned IDs are not enabled") are sent again as conditional updates.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any
from urllib.parse import quote

from .mapping.ids import NAMESPACE
from .push import PlannedRequest

JSON = dict[str, Any]
ID_MODES = ("put", "conditional", "auto")
# The tag system of resources without an identifier: uuid5(NS, "resource-id"), a urn:uuid
# as the article-path system is; the tag's code is the resource's own (deterministic) id.
TAG_SYSTEM = f"urn:uuid:{uuid.uuid5(NAMESPACE, 'resource-id')}"
_TYPE_ID = re.compile(r"([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?")
# what a server says when it refuses a client-assigned id (HAPI-0959; HAPI's wording)
CLIENT_ID_REFUSED = re.compile(
    r"HAPI-0959|client[- _]assigned ids? (?:are|is) not (?:enabled|allowed)|client_id_strategy",
    re.IGNORECASE)


def _escape(text: str) -> str:
    """A token part escaped as FHIR search requires (\\, |, $ and , are special), then
    percent-encoded for the URL (':' and '/' kept readable)."""
    for char in ("\\", "|", "$", ","):
        text = text.replace(char, "\\" + char)
    return quote(text, safe=":/")


def business_identifier(resource: JSON) -> tuple[str, str] | None:
    """The first identifier with a system and a value: (system, value)."""
    identifiers = resource.get("identifier")
    if isinstance(identifiers, dict):  # 0..1 in a few types
        identifiers = [identifiers]
    for identifier in identifiers if isinstance(identifiers, list) else []:
        if isinstance(identifier, dict):
            system, value = identifier.get("system"), identifier.get("value")
            if isinstance(system, str) and system and isinstance(value, str) and value:
                return system, value
    return None


def match_url(resource: JSON) -> str:
    """`Type?identifier=system|value`, else `Type?_tag=TAG_SYSTEM|id` (see `tagged`)."""
    kind = str(resource.get("resourceType"))
    found = business_identifier(resource)
    if found is not None:
        return f"{kind}?identifier={_escape(found[0])}%7C{_escape(found[1])}"
    return f"{kind}?_tag={_escape(TAG_SYSTEM)}%7C{_escape(str(resource.get('id')))}"


def tagged(resource: JSON) -> JSON:
    """A copy of `resource` without its id (the server gives it one), carrying our id as
    `meta.tag` when it has no business identifier to be found by."""
    out = {k: v for k, v in resource.items() if k != "id"}
    if business_identifier(resource) is None:
        meta = dict(out.get("meta") or {})
        tag = {"system": TAG_SYSTEM, "code": str(resource.get("id"))}
        meta["tag"] = [*[t for t in meta.get("tag") or [] if t != tag], tag]
        out["meta"] = meta
    return out


def _put_key(entry: JSON) -> str | None:
    """'Type/id' of an entry that is a PUT of its own resource, else None."""
    request, resource = entry.get("request") or {}, entry.get("resource")
    if request.get("method") != "PUT" or not isinstance(resource, dict):
        return None
    key = f"{resource.get('resourceType')}/{resource.get('id')}"
    return key if request.get("url") == key and resource.get("id") else None


def _placeholder(entry: JSON, key: str) -> str:
    full = entry.get("fullUrl")
    if isinstance(full, str) and full.startswith("urn:uuid:"):
        return full
    rid = key.split("/", 1)[1]
    try:
        return f"urn:uuid:{uuid.UUID(rid)}"
    except ValueError:
        return f"urn:uuid:{uuid.uuid5(NAMESPACE, key)}"


def _rewrite(value: Any, resolve: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {k: _rewrite(v, resolve) for k, v in value.items()}
        ref = out.get("reference")
        if isinstance(ref, str):
            match = _TYPE_ID.fullmatch(ref)
            key = match.group(1) + "/" + match.group(2) if match else ref
            if key in resolve:
                out["reference"] = resolve[key]
        return out
    if isinstance(value, list):
        return [_rewrite(v, resolve) for v in value]
    return value


def conditional(requests: list[PlannedRequest]) -> list[PlannedRequest]:
    """`requests` with every `PUT Type/id` entry made a conditional update (see the module's
    doc); other entries (a user's own POSTs, DELETEs) are left as they are."""
    matches: dict[str, str] = {}  # Type/id -> match URL, over every request
    for planned in requests:
        for entry in planned.bundle.get("entry") or []:
            key = _put_key(entry) if isinstance(entry, dict) else None
            if key is not None:
                matches[key] = match_url(entry["resource"])
    return [_conditional(planned, matches) for planned in requests]


def _conditional(planned: PlannedRequest, matches: dict[str, str]) -> PlannedRequest:
    bundle = copy.copy(planned.bundle)
    entries = [e for e in bundle.get("entry") or [] if isinstance(e, dict)]
    keys = [_put_key(e) for e in entries]
    resolve = dict(matches)  # by default: a conditional reference
    if planned.bundle_type == "transaction":  # inside a transaction: the urn:uuid fullUrl
        for entry, key in zip(entries, keys, strict=True):
            if key is not None:
                resolve[key] = _placeholder(entry, key)
    for entry, key in zip(entries, keys, strict=True):
        full = entry.get("fullUrl")
        if key is not None and isinstance(full, str):
            resolve[full] = resolve[key]
    out = []
    for entry, key in zip(entries, keys, strict=True):
        if key is None:
            out.append(_rewrite(entry, resolve))
            continue
        made: JSON = {"resource": _rewrite(tagged(entry["resource"]), resolve),
                      "request": {"method": "PUT", "url": matches[key]}}
        if planned.bundle_type == "transaction":
            made = {"fullUrl": _placeholder(entry, key), **made}
        out.append(made)
    bundle["entry"] = out
    return PlannedRequest(planned.source, bundle, part=planned.part, parts=planned.parts,
                          note=planned.note, only_absent=planned.only_absent)


def refused_client_ids(text: str) -> bool:
    return bool(CLIENT_ID_REFUSED.search(text))


def capability_mode(statement: Any, types: set[str]) -> str | None:
    """What a CapabilityStatement says about `types`: 'conditional' when a server that
    updates conditionally refuses to create by a client's id (updateCreate false), 'put'
    when it allows that for every type, None when it does not say."""
    if not isinstance(statement, dict):
        return None
    said: dict[str, JSON] = {}
    for rest in statement.get("rest") or []:
        if isinstance(rest, dict) and rest.get("mode", "server") == "server":
            for resource in rest.get("resource") or []:
                if isinstance(resource, dict) and isinstance(resource.get("type"), str):
                    said[resource["type"]] = resource
    ours = [said.get(t) for t in sorted(types)]
    if any(r is not None and r.get("updateCreate") is False and r.get("conditionalUpdate")
           for r in ours):
        return "conditional"
    if ours and all(r is not None and r.get("updateCreate") is True for r in ours):
        return "put"
    return None


def written_types(requests: list[PlannedRequest]) -> set[str]:
    return {str(e["resource"].get("resourceType"))
            for p in requests for e in p.bundle.get("entry") or []
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)}
