"""`push --id-mode conditional|auto` into a HAPI FHIR JPA server that refuses client-assigned
ids (tests/hapi-server with --no-client-ids: JpaStorageSettings client id strategy
NOT_ALLOWED, as Medplum and `hapi.fhir.client_id_strategy: NOT_ALLOWED` servers behave),
R4 and R5: the seed and every golden, pushed twice, are each held once, found by their
business identifier (or our tag), and the second push creates and changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from click.testing import CliRunner
from conftest import ARTICLES, ROOT, local_http_server
from test_hapi_server import (
    GOLDENS,
    NO_CACHE,
    SEED_GOLDEN,
    Hapi,
    _bundle,
    _fresh_ids,
    _goldens,
    _push,
    _start,
    _stop,
    _summary,
)

from fhir_export.cli import main
from fhir_export.push_ids import TAG_SYSTEM, match_url


@pytest.fixture(scope="module", params=["R4", "R5"])
def no_ids(request: pytest.FixtureRequest) -> Iterator[Hapi]:
    server = _start(request.param, "--no-client-ids")
    yield server
    _stop(server)


def _resources(release: str) -> dict[str, dict[str, Any]]:
    """Every distinct resource of the goldens (the seed among them), by Type/id."""
    out = {}
    for path in _goldens(release):
        for entry in _bundle(path)["entry"]:
            resource = entry["resource"]
            out[f"{resource['resourceType']}/{resource['id']}"] = resource
    return out


def _found(client: httpx.Client, hapi: Hapi, resource: dict[str, Any]) -> int:
    """How many resources the server holds with this resource's identifier (or our tag)."""
    kind = resource["resourceType"]
    if resource.get("identifier"):
        first = resource["identifier"][0]
        params = {"identifier": f"{first['system']}|{first['value']}"}
    else:
        params = {"_tag": f"{TAG_SYSTEM}|{resource['id']}"}
    answer = client.get(f"{hapi.url}/{kind}", params={**params, "_summary": "count"},
                        headers=NO_CACHE)
    answer.raise_for_status()
    return int(answer.json()["total"])


def test_put_is_refused_by_this_server(no_ids: Hapi) -> None:
    result = _push(str(SEED_GOLDEN[no_ids.release]), "--server", no_ids.url)
    assert result.exit_code == 1
    assert "client-assigned IDs are not enabled" in result.stderr  # HAPI-0959


def test_two_conditional_pushes_hold_each_resource_once(no_ids: Hapi) -> None:
    release = no_ids.release
    folder = str(GOLDENS[release])
    seed = str(SEED_GOLDEN[release])
    first = _push(seed, folder, "--server", no_ids.url, "--id-mode", "conditional")
    assert first.exit_code == 0, first.stderr
    assert "Error" not in first.stderr
    again = _push(seed, folder, "--server", no_ids.url, "--id-mode", "conditional")
    assert again.exit_code == 0, again.stderr
    entries = sum(len(_bundle(p)["entry"]) for p in _goldens(release)) + len(
        _bundle(SEED_GOLDEN[release])["entry"])
    assert _summary(again).endswith(
        f"{entries} entries: 0 created, 0 updated, {entries} unchanged, 0 failed")
    resources = _resources(release)
    with httpx.Client(timeout=60) as client:
        held = {key: _found(client, no_ids, r) for key, r in resources.items()}
        assert {k: n for k, n in held.items() if n != 1} == {}  # no duplicate, none lost
        per_type = Counter(key.split("/")[0] for key in resources)
        for kind, count in per_type.items():
            total = client.get(f"{no_ids.url}/{kind}", params={"_summary": "count"},
                               headers=NO_CACHE).json()["total"]
            assert total == count, kind
    # the server gave its own ids: none of ours
    some = next(iter(resources.values()))
    assert no_ids.get(some["resourceType"], _count="1")["entry"][0]["resource"]["id"] != some[
        "id"]


def test_auto_reads_the_refusal_and_goes_conditional(no_ids: Hapi) -> None:
    seed = str(SEED_GOLDEN[no_ids.release])
    assert _push(seed, "--server", no_ids.url, "--id-mode", "conditional").exit_code == 0
    result = _push(seed, "--server", no_ids.url, "--id-mode", "auto")
    assert result.exit_code == 0, result.stderr
    assert "note: ids: conditional updates, as the server refused the client-assigned ids" in (
        result.stderr)
    assert " 0 created, 0 updated, " in _summary(result)


def test_split_transactions_resolve_conditional_references(no_ids: Hapi) -> None:
    """A bundle sent in chunks of 3: references to earlier chunks are conditional references
    (Type?identifier=...), which HAPI resolves; pushed so again it changes nothing, and
    pushed whole it creates and updates nothing either: the one reference HAPI does not
    resolve, inside the extension of a primitive (the derivation-reference on a brand name,
    R4 `_synonym`, R5 `_name`), is a logical reference by the article's identifier, the same
    however the bundle is sent."""
    path = str(GOLDENS[no_ids.release] / "infliximab-guide.json")
    split = ["--server", no_ids.url, "--id-mode", "conditional", "--max-entries", "3"]
    first = _push(path, *split)
    assert first.exit_code == 0, first.stderr
    again = _push(path, *split)
    assert again.exit_code == 0, again.stderr
    assert " 0 created, 0 updated, " in _summary(again)
    whole = _push(path, "--server", no_ids.url, "--id-mode", "conditional")
    assert whole.exit_code == 0, whole.stderr
    assert " 0 created, 0 updated, " in _summary(whole)
    brands = [e["resource"] for e in _bundle(Path(path))["entry"]
              if e["resource"].get("_name") or e["resource"].get("_synonym")]
    assert brands
    for resource in brands:  # as sent, identifier and all: nothing for the server to resolve
        # the match URL's query, decoded: passed whole inside the path, its %7C was sent
        # encoded twice, HAPI ignored the search and the first resource of any article came back
        query = dict(parse_qsl(match_url(resource).split("?", 1)[1]))
        found = no_ids.get(resource["resourceType"], **query)
        assert found["total"] == 1, query
        held = found["entry"][0]["resource"]
        element = "_name" if "_name" in resource else "_synonym"
        assert held[element] == resource[element]


def test_a_push_killed_after_its_first_request_converges(no_ids: Hapi, tmp_path: Path) -> None:
    """kill -9 of a conditional push right after the server committed its first request
    (the answer held back by a proxy): a re-run completes it, and every resource is held
    exactly once, found by its identifier (or tag): nothing twice, nothing lost."""
    folder = tmp_path / "bundles"
    folder.mkdir()
    for path in _goldens(no_ids.release)[:8]:
        (folder / path.name).write_text(_fresh_ids(path, "kill"), "utf-8")
    committed, release = threading.Event(), threading.Event()
    posts: list[int] = []

    class Proxy(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            posts.append(len(body))
            httpx.post(no_ids.url, content=body, timeout=120, headers={
                "Content-Type": "application/fhir+json"}).raise_for_status()
            committed.set()  # the server has applied it; the client never hears back
            release.wait(60)
            self.close_connection = True

        def do_GET(self) -> None:
            self.send_error(503)

        def log_message(self, *args: Any) -> None:
            pass

    with local_http_server(Proxy) as url:
        process = subprocess.Popen(
            [sys.executable, "-m", "fhir_export", "push", str(folder), "--server", url,
             "--id-mode", "conditional", "--concurrency", "1"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert committed.wait(120), "the first request never reached the server"
            process.kill()  # SIGKILL: no cleanup, no last words
            assert process.wait(30) == -9
        finally:
            release.set()
            if process.poll() is None:
                process.kill()
                process.wait()
    assert len(posts) == 1
    again = _push(str(folder), "--server", no_ids.url, "--id-mode", "conditional")
    assert again.exit_code == 0, again.stderr
    resources = {}
    for path in folder.glob("*.json"):
        for entry in _bundle(path)["entry"]:
            resources[entry["request"]["url"]] = entry["resource"]
    with httpx.Client(timeout=60) as client:
        held = {key: _found(client, no_ids, r) for key, r in resources.items()}
    assert {k: n for k, n in held.items() if n != 1} == {}
    first = sorted(folder.glob("*.json"))[0]
    assert f"{first}: transaction of " in again.stderr
    assert " 0 created, 0 updated, " not in _summary(again)  # the rest was still to do


# a few articles that share medicines (infliximab, etanercept, trastuzumab), so that --merge
# merges
SHARED = ("biologics-brand-table.html", "biologics-injection-clinic.md", "infliximab-guide.md",
          "atorvastatin-encyclopedia.md", "statins-comparison-chart.txt", "trastuzumab-faq.html")


def _export(articles: Path, out: Path, release: str, *extra: str) -> Path:
    result = CliRunner().invoke(main, ["export", str(articles), "--out", str(out),
                                       "--fhir-version", release, *extra])
    assert result.exit_code == 0, result.stderr
    return out


def _conditional(no_ids: Hapi, path: Path, *extra: str) -> str:
    """A conditional push of `path`; its summary line."""
    result = _push(str(path), "--server", no_ids.url, "--id-mode", "conditional", *extra)
    assert result.exit_code == 0, result.stderr
    assert "Error" not in result.stderr
    return _summary(result)


def _held_once(no_ids: Hapi, resources: dict[str, dict[str, Any]]) -> None:
    with httpx.Client(timeout=60) as client:
        held = {key: _found(client, no_ids, r) for key, r in resources.items()}
    assert {k: n for k, n in held.items() if n != 1} == {}  # no duplicate, none lost


def test_ndjson_per_article_and_merged_outputs_conditionally(
    no_ids: Hapi, tmp_path: Path
) -> None:
    """Conditional mode on the no-client-id server with every output kind of one set of
    articles (their paths below the input root are their own, so nothing of the goldens is
    touched): the NDJSON folder pushed twice (the second 0 created, 0 updated), the
    per-article bundles (the same resources: 0 created, 0 updated), the `--merge` corpus twice
    (the first creates only its own resources, updates nothing; the second 0 created, 0
    updated), the per-article bundles again (no resource flips between the two contents).
    Every resource of both outputs is then held exactly once, found by its identifier (or
    tag): per-article and merged MedicationKnowledge have ids and identifiers of their own,
    none is written twice."""
    release = no_ids.release
    articles = tmp_path / "in"
    for name in SHARED:
        target = articles / "ids13" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ARTICLES / name).read_bytes())
    ndjson = _export(articles, tmp_path / "ndjson", release, "--format", "ndjson")
    per = _export(articles, tmp_path / "per", release)
    merged = _export(articles, tmp_path / "merged", release, "--merge")

    resources = {}
    for line in (x for f in sorted(ndjson.glob("*.ndjson"))
                 for x in f.read_text("utf-8").splitlines()):
        resource = json.loads(line)
        resources[f"{resource['resourceType']}/{resource['id']}"] = resource
    n = len(resources)
    first = _conditional(no_ids, ndjson)
    assert " 0 updated, " in first and first.endswith(" 0 failed")
    assert _conditional(no_ids, ndjson).endswith(
        f"{n} entries: 0 created, 0 updated, {n} unchanged, 0 failed")
    assert " 0 created, 0 updated, " in _conditional(no_ids, per)

    corpus = _bundle(merged / "corpus.bundle.json")
    own = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
           for e in corpus["entry"]}
    new = {k for k in own if k not in resources}
    assert {k.split("/")[0] for k in new} >= {"MedicationKnowledge", "Provenance"}
    once = _conditional(no_ids, merged)
    assert once.endswith(f"{len(own)} entries: {len(new)} created, 0 updated, "
                         f"{len(own) - len(new)} unchanged, 0 failed"), once
    assert _conditional(no_ids, merged).endswith(
        f"{len(own)} entries: 0 created, 0 updated, {len(own)} unchanged, 0 failed")
    assert " 0 created, 0 updated, " in _conditional(no_ids, per)
    _held_once(no_ids, resources | own)
    merged_mks = [r for k, r in own.items() if k in new and k.startswith("MedicationKnowledge/")]
    assert any(len(mk["monograph"]) > 1 for mk in merged_mks)  # merging merged


def test_renamed_article_with_a_canonical_url_changes_nothing(
    no_ids: Hapi, tmp_path: Path
) -> None:
    """An article that states its canonical URL, pushed conditionally, renamed, exported
    again into the same folder and pushed again: 0 created, 0 updated, each resource held
    once."""
    articles = tmp_path / "in"
    articles.mkdir()
    source = (ARTICLES / "atorvastatin-encyclopedia.md").read_text("utf-8")
    first = articles / "atorvastatin.md"
    first.write_text("---\ncanonical: https://example.org/ids13/atorvastatin\n---\n" + source,
                     "utf-8")
    out = _export(articles, tmp_path / "out", no_ids.release)
    before = _bundle(out / "atorvastatin.bundle.json")
    n = len(before["entry"])
    assert " 0 updated, " in _conditional(no_ids, out)
    first.rename(articles / "statin-page.md")
    _export(articles, out, no_ids.release)
    assert not (out / "atorvastatin.bundle.json").exists()  # the clean run removed it
    after = _bundle(out / "statin-page.bundle.json")
    assert after == before
    assert _conditional(no_ids, out).endswith(
        f"{n} entries: 0 created, 0 updated, {n} unchanged, 0 failed")
    _held_once(no_ids, {e["request"]["url"]: e["resource"] for e in after["entry"]})
