"""`push --id-mode`: conditional updates on business identifiers, and `auto`'s choice.

Against a real server with client ids not allowed: tests/test_hapi_ids.py."""

from __future__ import annotations

import json
from typing import Any

import test_push
from test_push import _golden

from fhir_export import push as push_module
from fhir_export.push_ids import (
    TAG_SYSTEM,
    capability_mode,
    conditional,
    match_url,
    refused_client_ids,
)

REFUSED = test_push.REFUSED


def _plan(path: str, *, max_entries: int = 500, send_as: str = "transaction"
          ) -> list[push_module.PlannedRequest]:
    requests, errors = push_module.plan([path], max_entries, send_as)
    assert not errors
    return requests


def _references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            found.add(value["reference"])
        for item in value.values():
            found |= _references(item)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item)
    return found


def test_match_url_escapes_the_identifier() -> None:
    resource = {"resourceType": "DocumentReference", "id": "a",
                "identifier": [{"system": "urn:ietf:rfc:3986",
                                "value": "https://example.org/a,b|c$d\\e?f=1&g"}]}
    assert match_url(resource) == (
        "DocumentReference?identifier=urn:ietf:rfc:3986%7Chttps://example.org/"
        "a%5C%2Cb%5C%7Cc%5C%24d%5C%5Ce%3Ff%3D1%26g")
    assert match_url({"resourceType": "Provenance", "id": "p-1"}) == (
        f"Provenance?_tag={TAG_SYSTEM}%7Cp-1")


def test_a_transaction_becomes_conditional_updates_with_urn_uuid_references() -> None:
    sent = json.loads(_golden().read_text("utf-8"))
    (planned,) = conditional(_plan(str(_golden())))
    entries = planned.bundle["entry"]
    assert len(entries) == len(sent["entry"])
    full_urls = {e["fullUrl"] for e in sent["entry"]}
    for mine, theirs in zip(entries, sent["entry"], strict=True):
        resource = mine["resource"]
        assert mine["fullUrl"] == theirs["fullUrl"]
        assert "id" not in resource  # the server assigns it
        assert mine["request"]["method"] == "PUT"
        kind = theirs["resource"]["resourceType"]
        if theirs["resource"].get("identifier"):
            system = theirs["resource"]["identifier"][0]["system"]
            assert mine["request"]["url"].startswith(f"{kind}?identifier={system}%7C")
            assert "meta" not in resource
        else:  # R4 MedicationKnowledge, Device, Provenance: found by our tag
            rid = theirs["resource"]["id"]
            assert mine["request"]["url"] == f"{kind}?_tag={TAG_SYSTEM}%7C{rid}"
            assert resource["meta"]["tag"] == [{"system": TAG_SYSTEM,
                                                "code": theirs["resource"]["id"]}]
        # references between entries stay urn:uuid fullUrls: the server resolves them
        assert _references(resource) <= full_urls
    assert any(_references(e["resource"]) for e in entries)


def test_split_requests_refer_to_each_other_conditionally() -> None:
    requests = conditional(_plan(str(_golden()), max_entries=3))
    assert len(requests) > 1
    written: set[str] = set()
    for planned in requests:
        mine = {e["fullUrl"] for e in planned.bundle["entry"]}
        for entry in planned.bundle["entry"]:
            for ref in _references(entry["resource"]):
                # in this request: its fullUrl; in an earlier one: a conditional reference
                assert ref in mine or ref in written, ref
        written |= {e["request"]["url"] for e in planned.bundle["entry"]}


def test_batch_entries_refer_by_conditional_references(tmp_path: Any) -> None:
    bundle = json.loads(_golden().read_text("utf-8"))
    bundle["type"] = "collection"
    for entry in bundle["entry"]:
        del entry["request"]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(bundle), "utf-8")
    requests = conditional(_plan(str(path), send_as="batch", max_entries=3))
    urls = {e["request"]["url"] for p in requests for e in p.bundle["entry"]}
    for planned in requests:
        assert planned.bundle["type"] == "batch"
        for entry in planned.bundle["entry"]:
            assert "fullUrl" not in entry
            assert _references(entry["resource"]) <= urls


def test_capability_mode() -> None:
    def statement(**flags: Any) -> dict[str, Any]:
        return {"resourceType": "CapabilityStatement", "rest": [{"mode": "server", "resource": [
            {"type": "Organization", **flags}, {"type": "Provenance", **flags}]}]}

    types = {"Organization", "Provenance"}
    assert capability_mode(statement(updateCreate=False, conditionalUpdate=True),
                           types) == "conditional"
    assert capability_mode(statement(updateCreate=True), types) == "put"
    assert capability_mode(statement(updateCreate=True), types | {"Device"}) is None
    assert capability_mode(statement(conditionalUpdate=True), types) is None  # HAPI's
    assert capability_mode(None, types) is None
    assert refused_client_ids(REFUSED["issue"][0]["diagnostics"])
    assert not refused_client_ids("HAPI-1094: Resource Organization/1 not found")
