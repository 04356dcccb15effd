"""What a server still holds of an article's previous identity, and `push --prune`.

An article's identity can change without its file changing name: it gains a canonical URL,
its URL changes, it moves below another input root. Its resources are then keyed anew, and a
server still holds the old ones beside the new. Every export records in manifest.json, per
input path, its identity and the identities earlier runs into the same folder gave it
(`previousIdentities`). For each previous identity, push asks the server for (all searches
with `Cache-Control: no-cache`):

- the DocumentReference carrying it: `DocumentReference?identifier=<system>|<value>`;
- the resources carrying the article's business identifier system, the namespace
  `urn:uuid:<uuid5(NS, "ArticleResources|<key>")>`: `<Type>?identifier=<namespace>|` for
  each type that carries one (R4: DetectedIssue, Questionnaire; R5: MedicationKnowledge,
  ClinicalUseDefinition, Questionnaire);
- the article's Provenance (by its id, `_id`, or by our tag, `_tag`, after a conditional
  push) and what it lists as `target` (R4 MedicationKnowledge has no identifier: it is found
  there);
- the article's Provenance in a `--merge` output (keyed `corpus|<key>`, mapping/merge.py),
  but not its targets: the merged MedicationKnowledge and DetectedIssue (ClinicalUseDefinition)
  are keyed by medicine, serve every article and keep their ids when an article's identity
  changes; its DocumentReference and Questionnaire are found as above.

Organization and Device are shared by many articles and are never counted or deleted. It
reports what it finds; with `prune` it deletes them in one transaction of DELETEs (so a
server that enforces referential integrity sees them go together). No printing here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from . import manifest, push_http
from .identity import URI
from .mapping.ids import full_url, resource_id
from .push import ServerError, make_client, outcome_text, redact
from .push_ids import TAG_SYSTEM

JSON = dict[str, Any]
SHARED = frozenset({"Organization", "Device"})  # shared by articles: never pruned
NAMESPACED = {"R4": ("DetectedIssue", "Questionnaire"),
              "R5": ("MedicationKnowledge", "ClinicalUseDefinition", "Questionnaire")}
MAX_PAGES = 20


@dataclass(frozen=True, slots=True)
class Previous:
    """One previous identity of an article pushed from a folder with a manifest."""

    source: str  # the folder
    article: str  # the input path the manifest names
    system: str
    value: str
    release: str

    @property
    def key(self) -> str:
        """The article key this identity gave (identity.identify)."""
        return self.value if self.system == URI else f"{self.system}|{self.value}"

    @property
    def text(self) -> str:
        return f"{self.system}|{self.value}"


@dataclass
class Held:
    previous: Previous
    resources: list[str] = field(default_factory=list)  # Type/id on the server
    deleted: bool = False
    error: str | None = None


def previous_identities(paths: list[str]) -> list[Previous]:
    """The previous identities the manifests of the folders among `paths` record."""
    out: list[Previous] = []
    for raw in paths:
        try:
            data = json.loads((Path(raw) / manifest.NAME).read_text("utf-8"))
        except (OSError, ValueError):
            continue
        run = (data.get("extension") or {}).get(manifest.KEY) if isinstance(data, dict) else None
        if not isinstance(run, dict):
            continue
        release = str(run.get("fhirVersion") or "R4")
        for row in run.get("inputs") or []:
            if isinstance(row, dict):
                for old in manifest.identities_of(row)[1:]:
                    out.append(Previous(raw, str(row.get("path")), old["system"], old["value"],
                                        release))
    return out


class _Server:
    def __init__(self, client: httpx.Client, base: str, timeout: float) -> None:
        self.client, self.base, self.timeout = client, base, timeout

    def search(self, kind: str, **params: str) -> list[JSON]:
        """Every resource a search finds (its pages followed, up to MAX_PAGES)."""
        url: str | None = str(httpx.URL(f"{self.base}/{kind}", params={**params,
                                                                        "_count": "500"}))
        found: list[JSON] = []
        for _ in range(MAX_PAGES):
            if url is None:
                break
            answer = self.get(url)
            if answer is None:
                break
            found += [e["resource"] for e in answer.get("entry") or []
                      if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
            url = next((str(link.get("url")) for link in answer.get("link") or []
                        if isinstance(link, dict) and link.get("relation") == "next"), None)
        return found

    def get(self, url: str) -> JSON | None:
        try:
            response = self.client.get(url, headers={"Cache-Control": "no-cache"},
                                       timeout=self.timeout)
        except httpx.TransportError as exc:
            raise ServerError(f"cannot search ({exc})", path=redact(self.base)) from None
        if response.status_code != 200:
            return None  # e.g. a search parameter this release does not have
        data = response.json()
        return data if isinstance(data, dict) else None


def _held(server: _Server, old: Previous) -> list[str]:
    found: dict[str, JSON] = {}

    def add(resources: list[JSON]) -> None:
        for resource in resources:
            found.setdefault(f"{resource.get('resourceType')}/{resource.get('id')}", resource)

    add(server.search("DocumentReference", identifier=old.text))
    namespace = full_url(resource_id("ArticleResources", old.key))
    for kind in NAMESPACED.get(old.release, NAMESPACED["R4"]):
        add(server.search(kind, identifier=f"{namespace}|"))
    provenance = resource_id("Provenance", old.key)
    provenances = server.search("Provenance", _id=provenance) + server.search(
        "Provenance", _tag=f"{TAG_SYSTEM}|{provenance}")
    add(provenances)
    merged = resource_id("Provenance", f"corpus|{old.key}")  # a --merge folder's (merge.py)
    add(server.search("Provenance", _id=merged) + server.search(
        "Provenance", _tag=f"{TAG_SYSTEM}|{merged}"))
    for record in provenances:  # not the merged one's: corpus resources serve every article
        for target in record.get("target") or []:
            ref = target.get("reference") if isinstance(target, dict) else None
            if isinstance(ref, str) and ref.count("/") == 1 and ref.split("/")[0] not in SHARED:
                got = server.get(f"{server.base}/{ref}")
                if got is not None:
                    add([got])
    return [key for key in found if key.split("/")[0] not in SHARED]


def check(
    paths: list[str], server: str, *, token: str | None, ca_bundle: str | None,
    timeout: float, prune: bool,
) -> list[Held]:
    """Per previous identity recorded for `paths`, what the server still holds of it; with
    `prune`, deleted (one transaction of DELETEs per identity)."""
    olds = previous_identities(paths)
    if not olds:
        return []
    base = server.rstrip("/")
    out = []
    with make_client(token, timeout=timeout, ca_bundle=ca_bundle) as client:
        remote = _Server(client, base, timeout)
        for old in olds:
            held = Held(old, _held(remote, old))
            if prune and held.resources:
                held.error = _delete(client, base, held.resources, timeout)
                held.deleted = held.error is None
            out.append(held)
    return out


def _delete(client: httpx.Client, base: str, keys: list[str], timeout: float) -> str | None:
    """DELETE every key in one transaction; the server's reason when it refuses."""
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [{"request": {"method": "DELETE", "url": key}} for key in keys]}
    body = json.dumps(bundle).encode()
    try:
        answer = push_http.exchange(client, "POST", base, body, timeout)
    except (httpx.TransportError, push_http.TooLarge) as exc:
        return f"no answer to the DELETEs ({type(exc).__name__}); push again to see"
    if 200 <= answer.status < 300:
        return None
    try:
        text = outcome_text(json.loads(answer.body))
    except ValueError:
        text = ""
    return f"HTTP {answer.status} {answer.reason}" + (f": {text}" if text else "")
