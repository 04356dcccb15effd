"""`fhir-export push` against a real HTTP server on 127.0.0.1 that imitates a FHIR server."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import certifi
import httpx
import pytest
from click.testing import CliRunner
from conftest import SEED, closed_port, local_http_server

from fhir_export import push as push_module
from fhir_export.cli import main

GOLDEN = Path(__file__).parent / "data" / "golden"
TOKEN = "s3cr3t-t0ken-value"  # noqa: S105 - a test token


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeFhir:
    """A FHIR server in memory: PUT creates (201, version 1), repeats unchanged content
    (200, same version), or updates (200, next version). `script` answers come first."""

    url: str = ""
    store: dict[str, tuple[int, str]] = field(default_factory=dict)
    script: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    fail_ids: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, bundle: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if self.script:
            return self.script.pop(0)
        kind = bundle.get("type")
        entries = []
        for entry in bundle.get("entry", []):
            url = entry["request"]["url"]
            resource = entry["resource"]
            if resource.get("id") in self.fail_ids:
                outcome = {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "error", "code": "processing",
                               "diagnostics": f"{url}: Unknown code 'xyz' in the test"}],
                }
                if kind == "transaction":
                    return 400, {}, outcome
                entries.append({"response": {"status": "422 Unprocessable Entity",
                                             "outcome": outcome}})
                continue
            content = json.dumps(resource, sort_keys=True)
            version, old = self.store.get(url, (0, ""))
            status = "201 Created" if version == 0 else "200 OK"
            if content != old:
                version += 1
                self.store[url] = (version, content)
            entries.append({"response": {"status": status, "etag": f'W/"{version}"',
                                         "lastModified": "2025-01-01T00:00:00Z",
                                         "location": f"{url}/_history/{version}"}})
        return 200, {}, {"resourceType": "Bundle", "type": f"{kind}-response", "entry": entries}


def _handler(fake: FakeFhir) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            with fake.lock:
                fake.seen.append(Seen("POST", self.path, dict(self.headers.items()), body))
                status, headers, answer = fake.answer(body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler


@pytest.fixture
def fhir() -> Iterator[FakeFhir]:
    fake = FakeFhir()
    with local_http_server(_handler(fake)) as url:
        fake.url = url
        yield fake


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff sleeps, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(push_module, "default_sleep", recorded.append)
    return recorded


def _push(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, ["push", *args], env=env or {})


def _golden(name: str = "immunotherapy") -> Path:
    return GOLDEN / f"{name}.json"


def _entries(name: str = "immunotherapy") -> int:
    return len(json.loads(_golden(name).read_text("utf-8"))["entry"])


def test_transaction_created_then_unchanged(fhir: FakeFhir, sleeps: list[float]) -> None:
    n = _entries()
    first = _push(str(_golden()), "--server", fhir.url)
    assert first.exit_code == 0, first.stderr
    assert f"{n} created, 0 updated, 0 unchanged, 0 failed" in first.stderr
    again = _push(str(_golden()), "--server", fhir.url)
    assert again.exit_code == 0, again.stderr
    assert f"0 created, 0 updated, {n} unchanged, 0 failed" in again.stderr
    assert len(fhir.seen) == 2 and sleeps == []
    request = fhir.seen[0]
    assert request.path == "/fhir"
    assert request.headers["Content-Type"] == "application/fhir+json"
    assert request.headers["Accept"] == "application/fhir+json"
    assert "Authorization" not in request.headers
    assert request.body == json.loads(_golden().read_text("utf-8"))  # sent as exported
    assert first.stderr.strip().splitlines()[-1].startswith(f"1 request to {fhir.url}, {n}")


def test_changed_content_is_updated(fhir: FakeFhir, tmp_path: Path) -> None:
    bundle = json.loads(_golden().read_text("utf-8"))
    assert _push(str(_golden()), "--server", fhir.url).exit_code == 0
    bundle["entry"][0]["resource"]["language"] = "en-GB"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(bundle), "utf-8")
    result = _push(str(changed), "--server", fhir.url)
    assert result.exit_code == 0, result.stderr
    assert f"0 created, 1 updated, {_entries() - 1} unchanged, 0 failed" in result.stderr


def test_classify_outcomes() -> None:
    classify = push_module.classify
    assert classify("PUT A/1", {"status": "201 Created"}).outcome == "created"
    assert classify("PUT A/1", {"status": "200 OK", "etag": 'W/"1"'}).outcome == "unchanged"
    assert classify("PUT A/1", {"status": "200 OK", "etag": 'W/"3"'}).outcome == "updated"
    assert classify("PUT A/1", {"status": "200"}).outcome == "updated"
    hapi = {"resourceType": "OperationOutcome", "issue": [{
        "severity": "information", "code": "informational",
        "details": {"coding": [{"code": "SUCCESSFUL_UPDATE_NO_CHANGE"}]},
        "diagnostics": 'Successfully updated resource "A/1/_history/4". No changes detected.'}]}
    assert classify("PUT A/1", {"status": "200 OK", "etag": 'W/"4"',
                                "outcome": hapi}).outcome == "unchanged"
    failed = classify("PUT A/1", {"status": "412 Precondition Failed", "outcome": {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "conflict", "diagnostics": "version clash"}]}})
    assert failed.outcome == "failed" and failed.message == "error conflict: version clash"
    assert classify("PUT A/1", None).outcome == "failed"


def test_503_then_200_is_retried(fhir: FakeFhir, sleeps: list[float]) -> None:
    busy = {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "transient"}]}
    fhir.script.append((503, {"Retry-After": "0"}, busy))
    result = _push(str(_golden()), "--server", fhir.url)
    assert result.exit_code == 0, result.stderr
    assert len(fhir.seen) == 2 and sleeps == [0.0]
    assert "2 attempts" in result.stderr and f"{_entries()} created" in result.stderr


def test_429_backs_off_then_succeeds(fhir: FakeFhir, sleeps: list[float]) -> None:
    fhir.script += [(429, {}, {}), (429, {}, {}), (503, {"Retry-After": "2"}, {})]
    result = _push(str(_golden()), "--server", fhir.url)
    assert result.exit_code == 0, result.stderr
    assert sleeps == [0.5, 1.0, 2.0]  # doubling backoff, then the server's Retry-After
    assert len(fhir.seen) == 4
    # each retry is told when it happens, before its wait
    label = str(_golden())
    assert [line for line in result.stderr.splitlines() if "retry" in line] == [
        f"{label}: HTTP 429, retry 1/4 in 0.5 s",
        f"{label}: HTTP 429, retry 2/4 in 1 s",
        f"{label}: HTTP 503, retry 3/4 in 2 s",
    ]


def test_push_progress_json_lines_and_quiet(fhir: FakeFhir, sleeps: list[float]) -> None:
    fhir.script.append((503, {"Retry-After": "0"}, {}))
    result = _push(str(_golden()), "--server", fhir.url, "--log-format", "json")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert records[0] == {"message": f"{_golden()}: HTTP 503, retry 1/4 in 0 s"}
    assert records[1]["request"] == str(_golden()) and records[1]["http_status"] == 200
    assert records[1]["attempts"] == 2 and records[1]["outcomes"]["created"] == _entries()
    assert records[-1]["message"].startswith("1 request to ")
    quiet = _push(str(_golden()), "--server", fhir.url, "-q")
    assert (quiet.exit_code, quiet.stderr, quiet.stdout) == (0, "", "")
    bar = _push(str(_golden()), "--server", fhir.url, env={"FHIR_EXPORT_PROGRESS": "always"})
    assert "\r\x1b[K[####################]  1/1 request  " in bar.stderr


def test_409_of_a_bundle_of_puts_is_retried(
    fhir: FakeFhir, sleeps: list[float], tmp_path: Path
) -> None:
    """A 409 to the whole request (HAPI: a database lock timed out under concurrent writes;
    the transaction was rolled back): a bundle of PUTs is sent again after the backoff; one
    with a POST entry is not (its 409 is reported as it is)."""
    lock = {"resourceType": "OperationOutcome", "issue": [{
        "severity": "error", "code": "conflict", "diagnostics": "HAPI-0550: JDBC exception "
        "executing SQL [...] [Timeout trying to lock table \"HFJ_RES_SEARCH_URL\"]"}]}
    fhir.script.append((409, {}, lock))
    result = _push(str(_golden()), "--server", fhir.url)
    assert result.exit_code == 0, result.stderr
    assert len(fhir.seen) == 2 and sleeps == [0.5]
    assert f"{_golden()}: HTTP 409, retry 1/4 in 0.5 s" in result.stderr
    assert f"{_entries()} created" in result.stderr.strip().splitlines()[-1]
    posts = tmp_path / "posts.json"
    bundle = json.loads(_golden().read_text("utf-8"))
    bundle["entry"][0]["request"] = {"method": "POST", "url": "DocumentReference"}
    posts.write_text(json.dumps(bundle), "utf-8")
    fhir.script.append((409, {}, lock))
    refused = _push(str(posts), "--server", fhir.url)
    assert refused.exit_code == 1
    assert "HTTP 409 Conflict: error conflict: HAPI-0550" in refused.stderr
    assert len(fhir.seen) == 3 and sleeps == [0.5]


def test_retries_exhausted_fail_with_exit_1(fhir: FakeFhir, sleeps: list[float]) -> None:
    fhir.script += [(503, {"Retry-After": "0"}, {})] * 3
    result = _push(str(_golden()), "--server", fhir.url, "--retries", "2")
    assert result.exit_code == 1
    assert "HTTP 503 Service Unavailable after 3 attempts" in result.stderr
    assert len(fhir.seen) == 3 and len(sleeps) == 2


def test_retry_delay() -> None:
    delay = push_module.retry_delay
    assert [delay(n, None) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert delay(20, None) == push_module.MAX_DELAY
    assert delay(1, "7") == 7.0
    assert delay(1, "100000") == push_module.MAX_RETRY_AFTER
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert delay(1, "Wed, 01 Jan 2025 12:00:03 GMT", now) == 3.0
    assert delay(1, "Wed, 01 Jan 2025 11:00:00 GMT", now) == 0.0  # in the past
    assert delay(2, "soon", now) == 1.0  # unreadable: the backoff


def test_entry_failure_prints_operation_outcome(fhir: FakeFhir, tmp_path: Path) -> None:
    bundle = json.loads(_golden().read_text("utf-8"))
    bad = bundle["entry"][1]["resource"]["id"]
    fhir.fail_ids.add(bad)
    batch = tmp_path / "batch.json"
    bundle["type"] = "batch"
    batch.write_text(json.dumps(bundle), "utf-8")
    result = _push(str(batch), "--server", fhir.url, "--send-as", "batch")
    assert result.exit_code == 1
    assert f"{_entries() - 1} created, 0 updated, 0 unchanged, 1 failed" in result.stderr
    error = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(error) == 1
    assert "entry 2" in error[0] and "422 Unprocessable Entity" in error[0]
    assert "error processing" in error[0] and "Unknown code 'xyz' in the test" in error[0]


def test_transaction_rolled_back(fhir: FakeFhir) -> None:
    bundle = json.loads(_golden().read_text("utf-8"))
    fhir.fail_ids.add(bundle["entry"][0]["resource"]["id"])
    result = _push(str(_golden()), "--server", fhir.url)
    assert result.exit_code == 1
    assert f"0 unchanged, {_entries()} failed" in result.stderr
    assert "HTTP 400 Bad Request: error processing" in result.stderr


def test_unreachable_server_exit_5(sleeps: list[float]) -> None:
    url = f"http://127.0.0.1:{closed_port()}/fhir"
    result = _push(str(_golden()), str(_golden("warfarin-hospital-guide")), "--server", url,
                   "--retries", "2", env={"FHIR_EXPORT_TOKEN": TOKEN})
    assert result.exit_code == 5
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {url}: cannot connect (")
    assert len(sleeps) == 2  # connection errors are retried too, then the run stops
    assert TOKEN not in result.output


def test_bearer_token_from_env_never_printed(fhir: FakeFhir, tmp_path: Path) -> None:
    result = _push(str(_golden()), "--server", fhir.url, "--token-env", "MY_TOKEN",
                   env={"MY_TOKEN": TOKEN})
    assert result.exit_code == 0, result.stderr
    assert fhir.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in result.output
    dry = _push(str(_golden()), "--server", fhir.url, "--token-env", "MY_TOKEN", "--dry-run",
                env={"MY_TOKEN": TOKEN})
    assert TOKEN not in dry.output and "bearer token from $MY_TOKEN" in dry.output
    assert "--token" not in [p.opts[0] for p in main.commands["push"].params if p.opts]


def test_credentials_in_url_not_printed(sleeps: list[float]) -> None:
    url = f"http://user:pa55word@127.0.0.1:{closed_port()}/fhir?key=abc"
    result = _push(str(_golden()), "--server", url, "--retries", "0")
    assert result.exit_code == 5
    assert "pa55word" not in result.output and "key=abc" not in result.output


def test_dry_run_sends_nothing(fhir: FakeFhir) -> None:
    result = _push(str(_golden()), str(GOLDEN / "warfarin-hospital-guide.xml"),
                   "--server", fhir.url, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert fhir.seen == []
    lines = result.stdout.splitlines()
    assert lines[0] == (f"POST {fhir.url} application/fhir+json transaction {_entries()} "
                        f"entries ({_golden()})")
    sent = json.loads(_golden().read_text("utf-8"))["entry"]
    assert lines[1 : 1 + len(sent)] == [f"  PUT {e['request']['url']}" for e in sent]
    assert lines[1 + len(sent)].startswith(f"POST {fhir.url} application/fhir+json transaction")
    assert "no token ($FHIR_EXPORT_TOKEN unset)" in result.stderr


def test_dry_run_shows_the_conditional_updates(fhir: FakeFhir) -> None:
    """--id-mode conditional: each entry as the conditional update push would send, on its
    business identifier (or our tag), never PUT Type/id."""
    from fhir_export.push_ids import match_url

    path = GOLDEN.parent / "golden-r5" / "infliximab-guide.json"
    result = _push(str(path), "--server", fhir.url, "--dry-run", "--id-mode", "conditional")
    assert result.exit_code == 0, result.stderr
    assert fhir.seen == []
    sent = [e["resource"] for e in json.loads(path.read_text("utf-8"))["entry"]]
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"POST {fhir.url} application/fhir+json transaction ")
    assert lines[1:] == [f"  PUT {match_url(r)}" for r in sent]
    assert "  PUT DocumentReference?identifier=urn:uuid:d30eb587-a42c-53b6-9425-5c3233160b53" \
           "%7Cinfliximab-guide.md" in lines
    assert not [line for line in lines[1:] if "?" not in line]  # no PUT Type/id
    r4 = _push(str(_golden()), "--server", fhir.url, "--dry-run", "--id-mode", "conditional")
    assert any(line.startswith("  PUT MedicationKnowledge?_tag=urn:uuid:")  # no identifier in R4
               for line in r4.stdout.splitlines())
    split = _push(str(path), "--server", fhir.url, "--dry-run", "--id-mode", "conditional",
                  "--max-entries", "3")
    assert split.exit_code == 0, split.stderr
    shown = [line for line in split.stdout.splitlines() if line.startswith("  PUT ")]
    assert sorted(shown) == sorted(f"  PUT {match_url(r)}" for r in sent)  # in 3s, reordered
    auto = _push(str(_golden()), "--server", fhir.url, "--dry-run", "--id-mode", "auto")
    assert "  note: ids: --id-mode auto decides when it pushes" in auto.stdout
    assert fhir.seen == []


def test_dry_run_to_unreachable_server_connects_to_nothing() -> None:
    url = f"http://127.0.0.1:{closed_port()}/fhir"
    assert _push(str(_golden()), "--server", url, "--dry-run").exit_code == 0


def test_xml_bundle_is_sent_as_json(fhir: FakeFhir) -> None:
    result = _push(str(GOLDEN / "immunotherapy.xml"), "--server", fhir.url)
    assert result.exit_code == 0, result.stderr
    assert fhir.seen[0].body == json.loads(_golden().read_text("utf-8"))


def test_large_transaction_of_puts_is_split_in_dependency_order(fhir: FakeFhir) -> None:
    result = _push(str(_golden()), "--server", fhir.url, "--max-entries", "5",
                   "--concurrency", "1")
    assert result.exit_code == 0, result.stderr
    bodies = [seen.body for seen in fhir.seen]
    assert len(bodies) > 1 and all(len(b["entry"]) <= 5 for b in bodies)
    assert all(b["type"] == "transaction" for b in bodies)
    assert sum(len(b["entry"]) for b in bodies) == _entries()
    assert '"reference": "urn:uuid:' not in json.dumps(bodies)  # made Type/id across chunks
    _written_before_referenced(bodies)
    assert f"sent as {len(bodies)} transactions in dependency order" in result.stderr


def test_transaction_with_post_entries_is_sent_whole(fhir: FakeFhir, tmp_path: Path) -> None:
    bundle = json.loads(_golden().read_text("utf-8"))
    for entry in bundle["entry"]:
        entry["request"] = {"method": "POST", "url": entry["resource"]["resourceType"]}
    posts = tmp_path / "posts.json"
    posts.write_text(json.dumps(bundle), "utf-8")
    fhir.script.append((200, {}, {"resourceType": "Bundle", "type": "transaction-response",
                                  "entry": [{"response": {"status": "201 Created"}}] * len(
                                      bundle["entry"])}))
    result = _push(str(posts), "--server", fhir.url, "--max-entries", "5")
    assert result.exit_code == 0, result.stderr
    assert len(fhir.seen) == 1 and len(fhir.seen[0].body["entry"]) == _entries()
    assert "splitting it could change its meaning" in result.stderr


def _export(tmp_path: Path, *extra: str) -> Path:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(SEED), "--out", str(out), *extra])
    assert result.exit_code == 0, result.stderr
    return out


def _written_before_referenced(bodies: list[dict[str, Any]]) -> None:
    """Every reference between sent entries points into its own chunk or an earlier one."""
    chunk_of = {e["request"]["url"]: n for n, body in enumerate(bodies) for e in body["entry"]}
    for n, body in enumerate(bodies):
        for entry in body["entry"]:
            for ref in push_module._references(entry["resource"], set()):
                if ref in chunk_of:
                    assert chunk_of[ref] <= n, (entry["request"]["url"], ref)


def test_ndjson_folder_becomes_chunked_transactions_in_dependency_order(
    fhir: FakeFhir, tmp_path: Path
) -> None:
    out = _export(tmp_path, "--format", "ndjson", "--bundle-type", "batch")
    lines = [json.loads(line) for f in out.glob("*.ndjson")
             for line in f.read_text("utf-8").splitlines()]
    result = _push(str(out), "--server", fhir.url, "--chunk-size", "4")
    assert result.exit_code == 0, result.stderr
    bodies = [seen.body for seen in fhir.seen]
    sent = [e for body in bodies for e in body["entry"]]
    assert all(body["type"] == "transaction" for body in bodies)
    assert sorted(e["request"]["url"] for e in sent) == sorted(
        f"{r['resourceType']}/{r['id']}" for r in lines)
    assert all(e["request"]["method"] == "PUT" for e in sent)
    _written_before_referenced(bodies)
    # no DocumentReference <-> MedicationKnowledge cycle any more (the DocumentReference lists
    # nothing made from it: the Provenance does) and this article states no contraindication
    # (MedicationKnowledge <-> DetectedIssue), so every chunk keeps to the size asked for;
    # cycles are tested on their own below
    assert all(len(body["entry"]) <= 4 for body in bodies)
    assert f"{len(lines)} created" in result.stderr.splitlines()[-1]
    assert f"[1/{len(fhir.seen)}]" in result.stderr
    # a single NDJSON file works too
    one = next(out.glob("DocumentReference.ndjson"))
    assert _push(str(one), "--server", fhir.url).exit_code == 0


def _written_before_sent(bodies: list[dict[str, Any]]) -> None:
    """Every reference between sent entries points into an earlier request (the entries of
    a batch are independent): to a version written before, reduced or in full."""
    first = {}
    for n, body in enumerate(bodies):
        for entry in body["entry"]:
            first.setdefault(entry["request"]["url"], n)
    for n, body in enumerate(bodies):
        for entry in body["entry"]:
            for ref in push_module._references(entry["resource"], set()):
                if ref in first:
                    assert first[ref] < n, (entry["request"]["url"], ref)


def test_send_as_batch(fhir: FakeFhir, tmp_path: Path) -> None:
    out = _export(tmp_path, "--format", "ndjson")
    result = _push(str(out), "--server", fhir.url, "--send-as", "batch")
    assert result.exit_code == 0, result.stderr
    assert {seen.body["type"] for seen in fhir.seen} == {"batch"}
    _written_before_sent([seen.body for seen in fhir.seen])


def test_a_transaction_sent_as_batches_breaks_its_reference_cycle() -> None:
    """R4 MedicationKnowledge.contraindication <-> DetectedIssue.implicated: the
    MedicationKnowledge goes first without its contraindications (only if the server does
    not hold it), then the DetectedIssues, then the MedicationKnowledge in full."""
    path = _golden("ibuprofen-paracetamol-nhs-style")
    requests, errors = push_module.plan([str(path)], 500, "batch")
    assert not errors
    assert {p.bundle_type for p in requests} == {"batch"}
    bodies = [p.bundle for p in requests]
    _written_before_sent(bodies)
    (short,) = [p for p in requests if p.only_absent]
    (entry,) = short.bundle["entry"]
    assert entry["request"]["url"].startswith("MedicationKnowledge/")
    assert "contraindication" not in entry["resource"]
    full = [e for p in requests if not p.only_absent for e in p.bundle["entry"]
            if e["request"]["url"] == entry["request"]["url"]]
    assert len(full) == 1 and full[0]["resource"]["contraindication"]
    sent = json.loads(path.read_text("utf-8"))["entry"]
    assert sum(len(b["entry"]) for b in bodies) == len(sent) + 1


def test_reduced_drops_references_into_a_cycle() -> None:
    from fhir_export.push_batch import reduced

    resource = {
        "resourceType": "MedicationKnowledge", "id": "m",
        "contraindication": [{"reference": "DetectedIssue/d"}],
        "monograph": [{"type": {"text": "x"}, "source": {"reference": "DocumentReference/a"}}],
        "_synonym": [{"extension": [{"url": "u", "valueReference": {
            "reference": "DetectedIssue/d"}}, {"url": "v", "valueString": "kept"}]}],
        "relatedMedicationKnowledge": [{"type": {"text": "t"}, "reference": [
            {"reference": "MedicationKnowledge/m"}, {"reference": "DetectedIssue/d"}]}],
    }
    assert reduced(resource, {"DetectedIssue/d", "MedicationKnowledge/m"}) == {
        "resourceType": "MedicationKnowledge", "id": "m",
        "monograph": resource["monograph"],
        "_synonym": [{"extension": [{"url": "v", "valueString": "kept"}]}],
        "relatedMedicationKnowledge": [{"type": {"text": "t"}}],
    }


def test_collection_bundle_becomes_transactions_with_relative_references(
    fhir: FakeFhir, tmp_path: Path
) -> None:
    out = _export(tmp_path, "--bundle-type", "collection")
    bundle_file = next(out.glob("*.bundle.json"))
    collection = json.loads(bundle_file.read_text("utf-8"))
    assert collection["type"] == "collection"
    result = _push(str(bundle_file), "--server", fhir.url, "--chunk-size", "5")
    assert result.exit_code == 0, result.stderr
    n = len(collection["entry"])
    assert all(seen.body["type"] == "transaction" for seen in fhir.seen)
    _written_before_referenced([seen.body for seen in fhir.seen])
    text = json.dumps([seen.body for seen in fhir.seen])
    assert '"reference": "urn:uuid:' not in text  # made Type/id: the chunks have no fullUrls
    assert '"fullUrl"' not in text
    assert f"{n} created" in result.stderr


def _put(kind: str, rid: str, *refs: str) -> dict[str, Any]:
    resource = {"resourceType": kind, "id": rid,
                "x": [{"reference": r} for r in refs]}
    return {"resource": resource, "request": {"method": "PUT", "url": f"{kind}/{rid}"}}


def test_dependency_groups() -> None:
    entries = [
        _put("Provenance", "p", "DocumentReference/d", "MedicationKnowledge/m", "Device/v"),
        _put("DocumentReference", "d", "MedicationKnowledge/m", "Organization/o"),
        _put("MedicationKnowledge", "m", "DocumentReference/d/_history/1"),
        _put("Device", "v"),
        _put("Organization", "o", "Organization/o", "Patient/elsewhere"),  # self, outside
        _put("Basic", "lonely"),
    ]
    groups = push_module.dependency_groups(entries)
    urls = [[e["request"]["url"] for e in g] for g in groups]
    assert urls == [
        ["Organization/o"],
        ["DocumentReference/d", "MedicationKnowledge/m"],  # the cycle, in input order
        ["Device/v"],
        ["Provenance/p"],
        ["Basic/lonely"],
    ]
    assert push_module.dependency_groups(entries) == groups  # deterministic
    # a long chain needs no recursion
    chain = [_put("Basic", f"b{i}", f"Basic/b{i + 1}") for i in range(5000)]
    assert [g[0]["resource"]["id"] for g in push_module.dependency_groups(chain)][:2] == [
        "b4999", "b4998"]
    ring = [_put("Basic", f"r{i}", f"Basic/r{(i + 1) % 3000}") for i in range(3000)]
    assert [len(g) for g in push_module.dependency_groups(ring)] == [3000]


def test_tls_verification_on_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[dict[str, Any]] = []
    real = httpx.Client

    def spy(**kwargs: Any) -> httpx.Client:
        made.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(push_module.httpx, "Client", spy)
    monkeypatch.setattr(push_module, "default_sleep", lambda _: None)
    url = f"https://127.0.0.1:{closed_port()}/fhir"
    assert _push(str(_golden()), "--server", url, "--retries", "0").exit_code == 5
    assert made[-1]["verify"] is True and made[-1]["follow_redirects"] is False
    assert made[-1]["timeout"] == 30.0
    ca = certifi.where()
    result = _push(str(_golden()), "--server", url, "--retries", "0", "--ca-bundle", ca,
                   "--timeout", "2.5")
    assert result.exit_code == 5
    context = made[-1]["verify"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs()  # loaded from the given file
    assert made[-1]["timeout"] == 2.5


def test_bad_inputs(fhir: FakeFhir, tmp_path: Path) -> None:
    missing = _push(str(tmp_path / "nope.json"), "--server", fhir.url)
    assert missing.exit_code == 1 and "no such file or folder" in missing.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _push(str(empty), "--server", fhir.url).exit_code == 3
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Bundle", "type": "searchset"}', "utf-8")
    result = _push(str(bad), str(_golden()), "--server", fhir.url)
    assert result.exit_code == 1 and "'searchset' cannot be pushed" in result.stderr
    assert len(fhir.seen) == 1  # the good bundle was still sent
    assert _push(str(_golden()), "--server", "ftp://x").exit_code == 2


# --- --id-mode (more in test_push_ids.py) ---

REFUSED = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "error", "code": "processing", "diagnostics":
               "HAPI-0959: No resource exists on this server resource with ID[x], and "
               "client-assigned IDs are not enabled."}],
}


def test_conditional_mode_sends_conditional_updates(fhir: FakeFhir) -> None:
    result = _push(str(_golden()), "--server", fhir.url, "--id-mode", "conditional")
    assert result.exit_code == 0, result.stderr
    (seen,) = fhir.seen
    assert all("?" in e["request"]["url"] for e in seen.body["entry"])


def test_auto_falls_back_on_a_refused_client_id(fhir: FakeFhir, sleeps: list[float]) -> None:
    fhir.script.append((404, {}, REFUSED))
    result = _push(str(_golden()), "--server", fhir.url, "--id-mode", "auto")
    assert result.exit_code == 0, result.stderr
    first, second = fhir.seen
    assert first.body["entry"][0]["request"]["url"].startswith("DocumentReference/")
    assert second.body["entry"][0]["request"]["url"].startswith(
        "DocumentReference?identifier=")
    assert "note: ids: conditional updates, as the server refused the client-assigned ids" in (
        result.stderr)
    assert "Error" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith("0 failed")


def test_put_mode_does_not_fall_back(fhir: FakeFhir) -> None:
    fhir.script.append((404, {}, REFUSED))
    result = _push(str(_golden()), "--server", fhir.url)
    assert result.exit_code == 1
    assert "HAPI-0959" in result.stderr
    assert len(fhir.seen) == 1
