"""`fhir-export push` into a real HAPI FHIR JPA server, R4 and R5, started on 127.0.0.1.

The server is HAPI FHIR 8.4.0's JPA server (hapi-fhir-jpaserver-base, in-memory H2, Jetty 12),
assembled from Maven Central by the small project in tests/hapi-server
(scripts/build_hapi.sh, run by `make test`). It is a default HAPI server: it enforces
referential integrity and refuses client-assigned all-digit ids. Nothing here imitates it.

Against it, for every golden article (R4 and R5): the push succeeds; every resource reads back
equal to what was sent (ignoring meta; the narrative XHTML compared as XML); every coded
MedicationKnowledge is found by a code search; a second push creates and changes nothing;
XML bundles and NDJSON/collection exports load too; a broken bundle is refused and the
server's reason printed; an unreachable server, a 503-then-200 answer and a token-protected
server (through small proxies in front of HAPI) behave as the README says.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import socket
import struct
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from click.testing import CliRunner, Result
from conftest import GOLDEN, ROOT, closed_port, local_http_server
from lxml import etree
from test_spl_mapping import combination_label

from fhir_export.cli import main

PROJECT = ROOT / "tests" / "hapi-server"
CLASSPATH = PROJECT / "target" / "classpath.txt"
CLASSES = PROJECT / "target" / "classes"
GOLDENS = {"R4": GOLDEN, "R5": GOLDEN.parent / "golden-r5"}
SEED_GOLDEN = {release: folder / "immunotherapy.json" for release, folder in GOLDENS.items()}
START_TIMEOUT = 300.0  # seconds; R4 starts in ~25 s, R5 in ~45 s on 2 cores
NO_CACHE = {"Cache-Control": "no-cache", "Accept": "application/fhir+json"}


@dataclass
class Hapi:
    release: str
    url: str
    process: subprocess.Popen[str]
    log: Path
    reader: threading.Thread
    pushed: dict[str, Result] = field(default_factory=dict)

    def get(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.url}/{path}", params=params, headers=NO_CACHE, timeout=60)
        response.raise_for_status()
        return response.json()


def _need_server() -> list[str]:
    reason = ""
    if shutil.which("java") is None:
        reason = "no java on PATH"
    elif not CLASSPATH.exists() or not (CLASSES / "fhirexport" / "HapiServer.class").exists():
        reason = "HAPI server not built: run scripts/build_hapi.sh (needs Java, mvn)"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return [str(CLASSES), CLASSPATH.read_text("utf-8").strip()]


def _read_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _start(release: str, *flags: str) -> Hapi:
    """A HAPI server of `release`; `flags` as HapiServer takes them (--no-client-ids)."""
    classpath = os.pathsep.join(_need_server())
    log = PROJECT / "target" / f"server-{release}{''.join(flags)}.log"
    with log.open("w", encoding="utf-8") as err:
        process = subprocess.Popen(
            ["java", "-Xmx2g", "-cp", classpath, "fhirexport.HapiServer", release, "0",
             "--watch-stdin", *flags],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
        )
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        while True:
            line = lines.get(timeout=START_TIMEOUT)
            if line is None:
                tail = log.read_text("utf-8", errors="replace")[-3000:]
                pytest.fail(f"the HAPI {release} server stopped while starting:\n{tail}")
            if line.startswith("READY "):
                return Hapi(release, line.split()[1], process, log, reader)
    except queue.Empty:
        process.kill()
        pytest.fail(f"the HAPI {release} server did not start within {START_TIMEOUT:g} s")


def _stop(hapi: Hapi) -> None:
    assert hapi.process.stdin is not None
    hapi.process.stdin.close()  # the server exits when its stdin closes
    try:
        hapi.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        hapi.process.kill()
        hapi.process.wait()
    hapi.reader.join(timeout=10)
    assert hapi.process.stdout is not None
    hapi.process.stdout.close()


@pytest.fixture(scope="module", params=["R4", "R5"])
def hapi(request: pytest.FixtureRequest) -> Iterator[Hapi]:
    server = _start(request.param)
    yield server
    _stop(server)


def _push(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["push", *args], env=env)


@pytest.fixture(scope="module")
def loaded(hapi: Hapi) -> Hapi:
    """Every golden bundle of the release pushed once (one request per article)."""
    result = _push(str(GOLDENS[hapi.release]), "--server", hapi.url)
    hapi.pushed["first"] = result
    return hapi


def _goldens(release: str) -> list[Path]:
    return sorted(GOLDENS[release].glob("*.json"))


def _bundle(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def _summary(result: Result) -> str:
    return result.stderr.strip().splitlines()[-1]


def _entry_count(release: str) -> int:
    return sum(len(_bundle(p)["entry"]) for p in _goldens(release))


# --- comparing what we sent with what the server holds ---------------------------------------


def _xhtml(div: str) -> bytes:
    """The narrative as canonical XML: HAPI re-serialises XHTML (attribute order)."""
    return etree.tostring(etree.fromstring(div.encode("utf-8")), method="c14n")


def _normal(value: Any, urls: dict[str, str]) -> Any:
    """`value` without meta, references to fullUrls as the Type/id the server gave them,
    narrative divs canonicalised."""
    if isinstance(value, dict):
        out = {k: _normal(v, urls) for k, v in value.items() if k != "meta"}
        ref = out.get("reference")
        if isinstance(ref, str) and ref in urls:
            out["reference"] = urls[ref]
        if isinstance(out.get("div"), str):
            out["div"] = _xhtml(out["div"])
        if "contentType" in out and isinstance(out.get("size"), int | str):
            # R5 Attachment.size is an integer64, a JSON string (as we write it); HAPI 8.4.0
            # answers it as a JSON number: the same value
            out["size"] = int(out["size"])
        return out
    if isinstance(value, list):
        return [_normal(v, urls) for v in value]
    return value


def _fresh_ids(path: Path, salt: str) -> str:
    """The bundle's text with every UUID (ids, fullUrls, references) replaced by another."""
    return re.sub(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        lambda m: str(uuid.uuid5(uuid.NAMESPACE_URL, f"{salt}:{m.group(0)}")),
        path.read_text("utf-8"),
    )


def _full_urls(bundle: dict[str, Any]) -> dict[str, str]:
    return {e["fullUrl"]: e["request"]["url"] for e in bundle["entry"] if e.get("fullUrl")}


# --- the tests ------------------------------------------------------------------------------


def test_every_golden_article_loads(loaded: Hapi) -> None:
    result = loaded.pushed["first"]
    assert result.exit_code == 0, result.stderr
    files = _goldens(loaded.release)
    for path in files:
        assert f"{path}: transaction of " in result.stderr
    assert "Error" not in result.stderr
    summary = _summary(result)
    assert summary.startswith(f"{len(files)} requests to {loaded.url}, "
                              f"{_entry_count(loaded.release)} entries: ")
    assert summary.endswith(" 0 failed")
    metadata = loaded.get("metadata")
    assert metadata["fhirVersion"] == {"R4": "4.0.1", "R5": "5.0.0"}[loaded.release]
    assert metadata["software"]["name"] == "HAPI FHIR Server"


@pytest.mark.parametrize("name", [p.stem for p in _goldens("R4")])
def test_every_resource_reads_back_equal(loaded: Hapi, name: str) -> None:
    assert loaded.pushed["first"].exit_code == 0
    bundle = _bundle(GOLDENS[loaded.release] / f"{name}.json")
    urls = _full_urls(bundle)
    for entry in bundle["entry"]:
        where = entry["request"]["url"]
        stored = loaded.get(where)
        assert stored["meta"]["versionId"] == "1", where  # written once, never changed
        assert _normal(stored, urls) == _normal(entry["resource"], urls), where


@pytest.mark.parametrize("name", [p.stem for p in _goldens("R4")])
def test_medication_knowledge_found_by_code(loaded: Hapi, name: str) -> None:
    bundle = _bundle(GOLDENS[loaded.release] / f"{name}.json")
    searched = 0
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] != "MedicationKnowledge":
            continue
        for coding in resource.get("code", {}).get("coding", []):
            found = loaded.get("MedicationKnowledge",
                               code=f"{coding['system']}|{coding['code']}")
            ids = [e["resource"]["id"] for e in found.get("entry", [])]
            assert resource["id"] in ids, (coding, ids)
            searched += 1
    coded = [e for e in bundle["entry"]
             if e["resource"]["resourceType"] == "MedicationKnowledge"
             and e["resource"].get("code", {}).get("coding")]
    assert searched >= len(coded)


def _counts(hapi: Hapi, types: set[str]) -> dict[str, int]:
    return {t: int(hapi.get(t, _summary="count")["total"]) for t in sorted(types)}


def _versions(hapi: Hapi, release: str) -> dict[str, str]:
    out = {}
    for path in _goldens(release):
        for entry in _bundle(path)["entry"]:
            where = entry["request"]["url"]
            out[where] = hapi.get(where)["meta"]["versionId"]
    return out


def test_second_push_changes_nothing(loaded: Hapi) -> None:
    assert loaded.pushed["first"].exit_code == 0
    types = {e["resource"]["resourceType"] for p in _goldens(loaded.release)
             for e in _bundle(p)["entry"]}
    before, versions = _counts(loaded, types), _versions(loaded, loaded.release)
    assert sum(before.values()) >= len(versions)
    result = _push(str(GOLDENS[loaded.release]), "--server", loaded.url)
    assert result.exit_code == 0, result.stderr
    n = _entry_count(loaded.release)
    assert _summary(result).endswith(
        f"{n} entries: 0 created, 0 updated, {n} unchanged, 0 failed")
    assert _counts(loaded, types) == before
    assert _versions(loaded, loaded.release) == versions


def test_xml_bundles_load_as_the_same_resources(loaded: Hapi) -> None:
    assert loaded.pushed["first"].exit_code == 0
    xml = sorted(GOLDENS[loaded.release].glob("*.xml"))
    result = _push(*map(str, xml), "--server", loaded.url)
    assert result.exit_code == 0, result.stderr
    n = _entry_count(loaded.release)
    assert _summary(result).endswith(f"0 created, 0 updated, {n} unchanged, 0 failed")


def _export(tmp_path: Path, release: str, *extra: str) -> Path:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(ROOT / "tests" / "data" / "articles"),
                                       "--out", str(out), "--fhir-version", release, *extra])
    assert result.exit_code == 0, result.stderr
    return out


def test_ndjson_export_loads_and_reads_back(hapi: Hapi, tmp_path: Path) -> None:
    """Every article as Bulk Data NDJSON: chunks of PUTs in dependency order, each reference
    cycle kept inside one transaction."""
    out = _export(tmp_path, hapi.release, "--format", "ndjson")
    sent = [json.loads(line) for f in sorted(out.glob("*.ndjson"))
            for line in f.read_text("utf-8").splitlines()]
    result = _push(str(out), "--server", hapi.url, "--chunk-size", "50")
    assert result.exit_code == 0, result.stderr
    assert _summary(result).endswith(" 0 failed")
    assert f"{len(sent)} entries" in _summary(result)
    for resource in sent:
        where = f"{resource['resourceType']}/{resource['id']}"
        assert _normal(hapi.get(where), {}) == _normal(resource, {}), where


def test_merged_corpus_loads_and_reads_back(hapi: Hapi, tmp_path: Path) -> None:
    """The corpus export (--merge: one MedicationKnowledge per medicine, every article a
    monograph) as one transaction."""
    out = _export(tmp_path, hapi.release, "--merge")
    bundle = _bundle(out / "corpus.bundle.json")
    result = _push(str(out / "corpus.bundle.json"), "--server", hapi.url)
    assert result.exit_code == 0, result.stderr
    assert _summary(result).endswith(" 0 failed")
    urls = _full_urls(bundle)
    for entry in bundle["entry"]:
        where = entry["request"]["url"]
        assert _normal(hapi.get(where), urls) == _normal(entry["resource"], urls), where


def test_combination_product_label_loads_and_reads_back(hapi: Hapi, tmp_path: Path) -> None:
    """An SPL label with a combination product (no golden article has one): the product's
    MedicationKnowledge, with its links to its actives' MedicationKnowledge, is stored as sent."""
    source, out = tmp_path / "source", tmp_path / "out"
    source.mkdir()
    combination_label(source)
    result = CliRunner().invoke(
        main, ["export", str(source), "--out", str(out), "--fhir-version", hapi.release]
    )
    assert result.exit_code == 0, result.stderr
    bundle = _bundle(out / "combo.bundle.json")
    result = _push(str(out / "combo.bundle.json"), "--server", hapi.url)
    assert result.exit_code == 0, result.stderr
    assert _summary(result).endswith(" 0 failed")
    urls = _full_urls(bundle)
    linked = [e for e in bundle["entry"] if "relatedMedicationKnowledge" in e["resource"]]
    assert len(linked) == 1
    for entry in bundle["entry"]:
        where = entry["request"]["url"]
        assert _normal(hapi.get(where), urls) == _normal(entry["resource"], urls), where


def test_collection_export_loads(hapi: Hapi, tmp_path: Path) -> None:
    out = _export(tmp_path, hapi.release, "--bundle-type", "collection")
    result = _push(str(out), "--server", hapi.url, "--chunk-size", "10")
    assert result.exit_code == 0, result.stderr
    assert _summary(result).endswith(" 0 failed")


def test_batches_are_sent_so_that_every_reference_exists_first(
    hapi: Hapi, tmp_path: Path
) -> None:
    """--send-as batch (servers without transactions): HAPI checks each batch entry's
    references on their own (HAPI-1094), so entries go level by level, and a reference cycle
    (R4 MedicationKnowledge <-> DetectedIssue) is broken by writing one member reduced first.
    A batch Bundle and a transaction Bundle (sent as batches) load, nothing fails, and a second
    push changes nothing."""
    fresh = _fresh_ids(SEED_GOLDEN[hapi.release], "batch")
    batch_file = tmp_path / "batch.json"
    batch = json.loads(fresh)
    batch["type"] = "batch"
    for entry in batch["entry"]:
        entry.pop("fullUrl")
    text = json.dumps(batch)
    for full, relative in _full_urls(json.loads(fresh)).items():
        text = text.replace(f'"{full}"', f'"{relative}"')
    batch_file.write_text(text, "utf-8")
    cycle = tmp_path / "cycle.json"  # R4: two reference cycles
    cycle.write_text(_fresh_ids(GOLDENS[hapi.release] / "statins-comparison-chart.json",
                                "batch"), "utf-8")
    for path in (batch_file, cycle):
        result = _push(str(path), "--server", hapi.url, "--send-as", "batch")
        assert result.exit_code == 0, result.stderr
        assert "Error" not in result.stderr
        assert "transaction of" not in result.stderr
        again = _push(str(path), "--server", hapi.url, "--send-as", "batch")
        assert again.exit_code == 0, again.stderr
        assert " 0 created, 0 updated, " in _summary(again)
    if hapi.release == "R4":
        assert "first written without their references into the cycle" in result.stderr
    sent = json.loads(cycle.read_text("utf-8"))
    for entry in sent["entry"]:  # each one held, in full
        stored = hapi.get(entry["request"]["url"])
        mine = entry["resource"]
        assert _normal(stored, _full_urls(sent)).keys() == _normal(mine, {}).keys()


def test_invalid_bundle_is_refused_with_the_servers_reason(hapi: Hapi, tmp_path: Path) -> None:
    # 1. it refers to an Organization it does not carry (and the server does not hold);
    # fresh ids, so nothing in it can pass as already stored
    dangling = json.loads(_fresh_ids(SEED_GOLDEN[hapi.release], "dangling"))
    organization = next(e["fullUrl"] for e in dangling["entry"]
                        if e["resource"]["resourceType"] == "Organization")
    dangling["entry"] = [e for e in dangling["entry"]
                         if e["resource"]["resourceType"] != "Organization"]
    path = tmp_path / "dangling.json"
    path.write_text(json.dumps(dangling), "utf-8")
    result = _push(str(path), "--server", hapi.url)
    assert result.exit_code == 1
    error = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(error) == 1 and "HTTP 400" in error[0]
    assert "HAPI-0541: Unable to satisfy placeholder ID" in error[0], error
    assert f"{organization} found in element named 'author'" in error[0]
    assert _summary(result).endswith(f"0 created, 0 updated, 0 unchanged, "
                                     f"{len(dangling['entry'])} failed")
    # the transaction was rolled back: none of its resources exists
    first = dangling["entry"][0]["request"]["url"]
    assert httpx.get(f"{hapi.url}/{first}", headers=NO_CACHE).status_code == 404

    # 2. an all-digit client-assigned id, which a default HAPI server refuses
    digits = _bundle(SEED_GOLDEN[hapi.release])
    for entry in digits["entry"]:
        if entry["resource"]["resourceType"] == "Device":
            entry["resource"]["id"] = "12345"
            entry["request"]["url"] = "Device/12345"
    path = tmp_path / "digits.json"
    path.write_text(json.dumps(digits), "utf-8")
    result = _push(str(path), "--server", hapi.url)
    assert result.exit_code == 1
    assert "HAPI-0960" in result.stderr, result.stderr


def test_unreachable_server(hapi: Hapi) -> None:
    url = f"http://127.0.0.1:{closed_port()}/fhir"
    result = _push(str(SEED_GOLDEN[hapi.release]), "--server", url, "--retries", "1")
    assert result.exit_code == 5
    assert f"Error: {url}: cannot connect" in result.stderr


# --- small proxies in front of the real server ---------------------------------------------


@dataclass
class Proxy:
    upstream: str
    fail_first: int = 0  # answer this many POSTs with 503 + Retry-After before forwarding
    token: str | None = None  # require this bearer token
    drop_after_forward: int = 0  # forward this many POSTs, then reset without an answer
    seen: list[tuple[str, bytes, str | None]] = field(default_factory=list)
    url: str = ""


def _proxy_handler(proxy: Proxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep pytest's output clean
            pass

        def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            auth = self.headers.get("Authorization")
            proxy.seen.append((method, body, auth))
            if proxy.token and auth != f"Bearer {proxy.token}":
                outcome = {"resourceType": "OperationOutcome", "issue": [{
                    "severity": "error", "code": "login",
                    "diagnostics": "a valid bearer token is required"}]}
                self._answer(401, {"Content-Type": "application/fhir+json",
                                   "WWW-Authenticate": "Bearer"},
                             json.dumps(outcome).encode())
                return
            if method == "POST" and proxy.fail_first > 0:
                proxy.fail_first -= 1
                self._answer(503, {"Retry-After": "1", "Content-Type": "text/plain"},
                             b"busy")
                return
            upstream = httpx.request(
                method, proxy.upstream + self.path.removeprefix("/fhir"), content=body,
                headers={"Content-Type": "application/fhir+json",
                         "Accept": "application/fhir+json"}, timeout=120)
            if method == "POST" and proxy.drop_after_forward > 0:  # the server committed
                proxy.drop_after_forward -= 1
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()  # a reset, no answer
                self.close_connection = True
                return
            self._answer(upstream.status_code,
                         {"Content-Type": upstream.headers.get("Content-Type", "")},
                         upstream.content)

        def do_POST(self) -> None:
            self._forward("POST")

        def do_GET(self) -> None:
            self._forward("GET")

    return Handler


@pytest.fixture
def proxy(hapi: Hapi) -> Iterator[Proxy]:
    state = Proxy(upstream=hapi.url)
    with local_http_server(_proxy_handler(state)) as url:
        state.url = url
        yield state


def test_503_then_200_is_retried_after_the_servers_delay(proxy: Proxy, hapi: Hapi) -> None:
    proxy.fail_first = 1
    seed = SEED_GOLDEN[hapi.release]
    result = _push(str(seed), "--server", proxy.url)
    assert result.exit_code == 0, result.stderr
    assert "HTTP 200, 2 attempts" in result.stderr
    assert [m for m, _, _ in proxy.seen] == ["POST", "POST"]
    assert proxy.seen[0][1] == proxy.seen[1][1]  # the same bundle, sent again whole
    assert _summary(result).endswith(" 0 failed")
    # the retried transaction wrote each resource once: PUTs of deterministic ids
    for entry in _bundle(seed)["entry"]:
        assert hapi.get(entry["request"]["url"])["meta"]["versionId"] == "1"


def test_token_protected_server(proxy: Proxy, hapi: Hapi) -> None:
    proxy.token = "t0k3n-for-the-test"  # noqa: S105 - a test token
    seed = str(SEED_GOLDEN[hapi.release])
    refused = _push(seed, "--server", proxy.url, env={"FHIR_EXPORT_TOKEN": ""})
    assert refused.exit_code == 1
    assert "HTTP 401" in refused.stderr and "a valid bearer token is required" in refused.stderr
    accepted = _push(seed, "--server", proxy.url, "--token-env", "HAPI_TOKEN",
                     env={"HAPI_TOKEN": proxy.token})
    assert accepted.exit_code == 0, accepted.stderr
    assert proxy.seen[-1][2] == f"Bearer {proxy.token}"
    assert proxy.token not in accepted.stderr + accepted.stdout


def _tagged(text: str, code: str) -> dict[str, Any]:
    """A bundle whose every resource carries the tag `code`, to count what the server holds."""
    bundle: dict[str, Any] = json.loads(text)
    for entry in bundle["entry"]:
        entry["resource"]["meta"] = {"tag": [{"system": "urn:fhir-export:test", "code": code}]}
    return bundle


def _held(hapi: Hapi, bundle: dict[str, Any], code: str) -> tuple[dict[str, int], dict[str, int]]:
    """Per resource type: how many the bundle holds, and how many the server holds tagged."""
    sent: dict[str, int] = {}
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        sent[kind] = sent.get(kind, 0) + 1
    held = {kind: int(hapi.get(kind, _tag=f"urn:fhir-export:test|{code}",
                               _summary="count")["total"]) for kind in sent}
    return sent, held


def test_connection_dropped_after_commit_then_clean_repush_holds_each_resource_once(
    proxy: Proxy, hapi: Hapi, tmp_path: Path
) -> None:
    code = f"dropped-{hapi.release}"
    bundle = _tagged(_fresh_ids(SEED_GOLDEN[hapi.release], code), code)
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(bundle), "utf-8")
    proxy.drop_after_forward = 1
    dropped = _push(str(seed), "--server", proxy.url)
    assert dropped.exit_code == 0, dropped.stderr
    assert "the connection was lost after the request was sent" in dropped.stderr
    assert "cannot connect" not in dropped.stderr
    n = len(bundle["entry"])
    assert f"read back: the server holds all {n} entries as sent" in dropped.stderr
    assert len(proxy.seen) == 2  # the transaction once, then one batch of reads: no re-send
    again = _push(str(seed), "--server", hapi.url)
    assert again.exit_code == 0, again.stderr
    assert f"0 created, 0 updated, {n} unchanged, 0 failed" in _summary(again)
    sent, held = _held(hapi, bundle, code)
    assert held == sent


def test_a_bundle_of_posts_is_not_sent_again_after_a_dropped_answer(
    proxy: Proxy, hapi: Hapi, tmp_path: Path
) -> None:
    code = f"posts-{hapi.release}"
    bundle = _tagged(_fresh_ids(SEED_GOLDEN[hapi.release], code), code)
    for entry in bundle["entry"]:  # a user's own bundle: the server assigns the ids
        entry["request"] = {"method": "POST", "url": entry["resource"]["resourceType"]}
        del entry["resource"]["id"]
    posts = tmp_path / "posts.json"
    posts.write_text(json.dumps(bundle), "utf-8")
    proxy.drop_after_forward = 1
    result = _push(str(posts), "--server", proxy.url)
    assert result.exit_code == 1
    assert "outcome unknown; not sent again, as its POST entries would be created twice" \
        in result.stderr
    assert len(proxy.seen) == 1
    sent, held = _held(hapi, bundle, code)
    assert held == sent  # applied once by the server, never twice


def test_previous_identity_is_reported_then_pruned(hapi: Hapi, tmp_path: Path) -> None:
    """An article gains a canonical URL (same file name): its resources are keyed anew, and
    push lists what the server still holds of the old identity (recorded in the folder's
    manifest) without deleting it; --prune deletes exactly those, never the shared
    Organization and Device, and leaves the new ones."""
    articles, out = tmp_path / "articles", tmp_path / "out"
    articles.mkdir()
    source = ROOT / "tests" / "data" / "articles" / "atorvastatin-encyclopedia.md"
    article = articles / "atorvastatin.md"
    article.write_text(source.read_text("utf-8"), "utf-8")

    def export() -> dict[str, Any]:
        result = CliRunner().invoke(main, ["export", str(articles), "--out", str(out),
                                           "--fhir-version", hapi.release])
        assert result.exit_code == 0, result.stderr
        return _bundle(out / "atorvastatin.bundle.json")

    old = export()
    assert _push(str(out), "--server", hapi.url).exit_code == 0
    article.write_text("---\ncanonical: https://example.org/atorvastatin-pruned\n---\n"
                       + source.read_text("utf-8"), "utf-8")
    new = export()
    shared = {"Organization", "Device"}
    stale = [e["request"]["url"] for e in old["entry"]
             if e["resource"]["resourceType"] not in shared]
    kept = [e["request"]["url"] for e in old["entry"]
            if e["resource"]["resourceType"] in shared]
    assert kept and not set(stale) & {e["request"]["url"] for e in new["entry"]}

    def status(url: str) -> int:
        return httpx.get(f"{hapi.url}/{url}", headers=NO_CACHE, timeout=60).status_code

    listed = _push(str(out), "--server", hapi.url)
    assert listed.exit_code == 0, listed.stderr
    assert (f"previous identity urn:uuid:d30eb587-a42c-53b6-9425-5c3233160b53|atorvastatin.md: "
            f"the server still holds {len(stale)} resources of it") in listed.stderr
    assert "push --prune deletes them" in listed.stderr
    assert {status(url) for url in stale} == {200}  # listed, not deleted

    pruned = _push(str(out), "--server", hapi.url, "--prune")
    assert pruned.exit_code == 0, pruned.stderr
    assert f"deleted {len(stale)} resources" in pruned.stderr
    assert {status(url) for url in stale} == {410}  # HAPI: deleted
    assert {status(url) for url in kept} == {200}
    assert {status(e["request"]["url"]) for e in new["entry"]} == {200}

    again = _push(str(out), "--server", hapi.url, "--prune")
    assert again.exit_code == 0, again.stderr
    assert "the server holds nothing of it" in again.stderr
    assert " 0 created, 0 updated, " in _summary(again)


def test_previous_identity_of_a_merged_article_is_pruned(hapi: Hapi, tmp_path: Path) -> None:
    """The same in a --merge folder: an article gains a canonical URL, the corpus is exported
    again into the same folder and pushed with --prune. What the old identity alone held goes
    (its DocumentReference, Questionnaire and the merged Provenance that listed them, keyed
    'corpus|<old key>'); the merged resources it shared with the corpus (one
    MedicationKnowledge per medicine, keyed by medicine, so the same ids after the change)
    stay, as do Organization and Device."""
    articles, out = tmp_path / "articles", tmp_path / "merged"
    articles.mkdir()
    source = ROOT / "tests" / "data" / "articles" / "atorvastatin-encyclopedia.md"
    article = articles / "atorvastatin.md"
    article.write_text(source.read_text("utf-8"), "utf-8")
    shutil.copy(ROOT / "source" / "immunotherapy.txt", articles / "immunotherapy.txt")

    def export() -> dict[str, str]:
        """Type/id -> resource type, of the merged export."""
        result = CliRunner().invoke(main, ["export", str(articles), "--out", str(out),
                                           "--merge", "--fhir-version", hapi.release])
        assert result.exit_code == 0, result.stderr
        (corpus,) = [p for p in out.glob("*.json") if p.name != "manifest.json"]
        return {e["request"]["url"]: e["resource"]["resourceType"]
                for e in _bundle(corpus)["entry"]}

    old = export()
    assert _push(str(out), "--server", hapi.url).exit_code == 0
    article.write_text("---\ncanonical: https://example.org/atorvastatin-merged-pruned\n---\n"
                       + source.read_text("utf-8"), "utf-8")
    new = export()
    stale = sorted(set(old) - set(new))
    kept = sorted(set(old) & set(new))
    # the old identity's own resources, the merged Provenance among them
    assert {"DocumentReference", "Provenance"} <= {old[url] for url in stale}
    assert "MedicationKnowledge" not in {old[url] for url in stale}
    assert "MedicationKnowledge" in {old[url] for url in kept}

    def status(url: str) -> int:
        return httpx.get(f"{hapi.url}/{url}", headers=NO_CACHE, timeout=60).status_code

    listed = _push(str(out), "--server", hapi.url)
    assert listed.exit_code == 0, listed.stderr
    assert f"the server still holds {len(stale)} resources of it" in listed.stderr

    pruned = _push(str(out), "--server", hapi.url, "--prune")
    assert pruned.exit_code == 0, pruned.stderr
    assert f"deleted {len(stale)} resources" in pruned.stderr
    assert {status(url) for url in stale} == {410}
    assert {status(url) for url in kept} == {200}
    assert {status(url) for url in new} == {200}
