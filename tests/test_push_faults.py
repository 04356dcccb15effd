"""push against a faulty server: a small FHIR store on 127.0.0.1 (threaded http.server) that
applies what it is sent and then misbehaves as told: hostile Retry-After, 504 or a reset or a
stall after applying, a trickled answer, the Authorization header echoed, a huge body, a
certificate nobody trusts. After each, what the server holds is checked: nothing twice."""

# ruff: noqa: F811 - `sleeps`, the fixture imported from test_push, is a test's parameter
from __future__ import annotations

import gzip
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import GOLDEN, local_http_server
from test_push import sleeps  # noqa: F401 - backoff sleeps, recorded instead of slept

from fhir_export.cli import main
from fhir_export.mapping.ids import relative_references

SEED = GOLDEN / "immunotherapy.json"
TOKEN = "tok-3cr3t/valu3+x="  # noqa: S105 - a test token


@dataclass
class Store:
    """A FHIR server in memory: PUT Type/id, POST Type (a new id each time), batch GETs."""

    url: str = ""
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)  # one per POST, in order
    posts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def apply(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """As a real server does: urn:uuid references become Type/id (PUT entries)."""
        urls = {e["fullUrl"]: e["request"]["url"] for e in bundle.get("entry", [])
                if e.get("fullUrl") and e["request"]["method"] == "PUT"}
        bundle = relative_references(bundle, urls)
        out = []
        for entry in bundle.get("entry", []):
            request = entry["request"]
            if request["method"] == "GET":
                found = self.resources.get(request["url"])
                out.append({"resource": found, "response": {"status": "200 OK"}} if found
                           else {"response": {"status": "404 Not Found"}})
                continue
            resource = dict(entry["resource"])
            if request["method"] == "POST":
                self.posts += 1
                resource["id"] = f"n{self.posts}"
                key = f"{resource['resourceType']}/{resource['id']}"
            else:
                key = request["url"]
            created = key not in self.resources
            self.resources[key] = resource
            out.append({"response": {"status": "201 Created" if created else "200 OK",
                                     "etag": 'W/"1"'}})
        return {"resourceType": "Bundle", "type": f"{bundle['type']}-response", "entry": out}

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for key in self.resources:
            found[key.split("/")[0]] = found.get(key.split("/")[0], 0) + 1
        return found


def _handler(store: Store) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            for key, value in (headers or {"Content-Length": str(len(body))}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            bundle = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            reads = all(e["request"]["method"] == "GET" for e in bundle.get("entry", []))
            with store.lock:
                fault = "" if reads or not store.faults else store.faults.pop(0)
                if fault.startswith(("429", "503")):
                    status, after = fault.split(" ", 1)
                    self._send(int(status), b"{}", {"Retry-After": after, "Content-Length": "2"})
                    return
                answer = json.dumps(store.apply(bundle)).encode()
            if fault == "504-after-apply":
                self._send(504, b"gateway timeout")
            elif fault == "reset-after-apply":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.connection.close()  # RST, no answer
                self.close_connection = True
            elif fault == "stall-after-apply":
                time.sleep(3)
                self.close_connection = True
            elif fault == "trickle":
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                try:
                    for byte in answer:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    pass
                self.close_connection = True
            elif fault == "echo-auth":
                echo = json.dumps({"resourceType": "OperationOutcome", "issue": [{
                    "severity": "error", "code": "security",
                    "diagnostics": f"bad header Authorization: {self.headers['Authorization']}"
                }]}).encode()
                self._send(401, echo)
            elif fault == "gzip":  # as HAPI answers: compressed
                packed = gzip.compress(answer)
                self._send(200, packed, {"Content-Encoding": "gzip",
                                         "Content-Length": str(len(packed))})
            elif fault == "huge":
                self._send(200, b"", {"Content-Length": str(400 * 1024 * 1024)})
                self.close_connection = True
            else:
                self._send(200, answer)

    return Handler


@pytest.fixture
def store() -> Iterator[Store]:
    state = Store()
    with local_http_server(_handler(state)) as url:
        state.url = url
        yield state


def _push(*args: str) -> Result:
    return CliRunner().invoke(main, ["push", *args], env={"FHIR_EXPORT_TOKEN": TOKEN})


def _seed_counts() -> dict[str, int]:
    found: dict[str, int] = {}
    for entry in json.loads(SEED.read_text("utf-8"))["entry"]:
        kind = entry["resource"]["resourceType"]
        found[kind] = found.get(kind, 0) + 1
    return found


def _posts(tmp_path: Path) -> Path:
    bundle = json.loads(SEED.read_text("utf-8"))
    bundle["entry"] = [e for e in bundle["entry"]
                       if e["resource"]["resourceType"] in ("Organization", "Device")]
    for entry in bundle["entry"]:
        entry["request"] = {"method": "POST", "url": entry["resource"]["resourceType"]}
    path = tmp_path / "posts.json"
    path.write_text(json.dumps(bundle), "utf-8")
    return path


@pytest.mark.parametrize("value", ["\u00b2", "1.5", "soon", "-3", "Wed, 99 Foo 2025 x", "9" * 40])
def test_a_hostile_retry_after_falls_back_to_the_backoff(
    store: Store, sleeps: list[float], value: str
) -> None:
    store.faults += [f"429 {value}", f"503 {value}"]
    result = _push(str(SEED), "--server", store.url)
    assert result.exit_code == 0, result.stderr
    assert sleeps == [0.5, 1.0]
    assert "Traceback" not in result.output


def test_504_after_a_transaction_of_puts_is_read_back_not_resent(
    store: Store, sleeps: list[float]
) -> None:
    store.faults.append("504-after-apply")
    result = _push(str(SEED), "--server", store.url)
    assert result.exit_code == 0, result.stderr
    n = sum(_seed_counts().values())
    assert f"HTTP 504 Gateway Timeout from a gateway; read back: the server holds all {n} " \
           "entries as sent" in result.stderr
    assert result.stderr.splitlines()[-1].endswith(f"{n} verified")
    assert store.counts() == _seed_counts() and sleeps == []


def test_504_after_a_transaction_of_posts_is_never_resent(
    store: Store, sleeps: list[float], tmp_path: Path
) -> None:
    store.faults.append("504-after-apply")
    result = _push(str(_posts(tmp_path)), "--server", store.url)
    assert result.exit_code == 1
    assert "outcome unknown; not sent again, as its POST entries would be created twice" \
        in result.stderr
    assert store.posts == 2 and store.counts() == {"Device": 1, "Organization": 1}
    assert result.stderr.splitlines()[-1].endswith("2 unknown")


def test_reset_mid_response_is_reported_as_such_and_converges(
    store: Store, sleeps: list[float], tmp_path: Path
) -> None:
    store.faults.append("reset-after-apply")
    result = _push(str(SEED), "--server", store.url)
    assert result.exit_code == 0, result.stderr
    assert "the connection was lost after the request was sent" in result.stderr
    assert "cannot connect" not in result.stderr
    assert store.counts() == _seed_counts()
    store.faults.append("reset-after-apply")
    posts = _push(str(_posts(tmp_path)), "--server", store.url)
    assert posts.exit_code == 1 and "cannot connect" not in posts.stderr
    assert "the connection was lost after the request was sent" in posts.stderr
    assert store.posts == 2  # applied once, not sent again


def test_a_trickled_answer_is_cut_at_the_deadline(store: Store, sleeps: list[float]) -> None:
    store.faults += ["trickle"]
    started = time.monotonic()
    result = _push(str(SEED), "--server", store.url, "--timeout", "1", "--retries", "0")
    elapsed = time.monotonic() - started
    assert elapsed < 8, elapsed  # the answer would take minutes byte by byte
    assert "no complete answer within 1 s (the --timeout deadline)" in result.stderr
    assert result.exit_code == 0, result.stderr  # read back: the server applied it
    assert store.counts() == _seed_counts()


def test_a_stall_after_commit_is_checked_before_anything_is_resent(
    store: Store, sleeps: list[float]
) -> None:
    store.faults.append("stall-after-apply")
    result = _push(str(SEED), "--server", store.url, "--timeout", "1")
    assert result.exit_code == 0, result.stderr
    assert "read back: the server holds all" in result.stderr
    assert sleeps == [] and store.counts() == _seed_counts()


def test_the_token_echoed_by_the_server_is_never_printed(store: Store) -> None:
    store.faults.append("echo-auth")
    result = _push(str(SEED), "--server", store.url)
    assert result.exit_code == 1
    assert "bad header Authorization: Bearer [redacted]" in result.stderr
    assert TOKEN not in result.output and "3cr3t" not in result.output


def test_a_huge_answer_is_not_read(store: Store, sleeps: list[float]) -> None:
    store.faults.append("huge")
    result = _push(str(SEED), "--server", store.url, "--retries", "0")
    assert "the server sent an answer of 419,430,400 bytes, over the 67,108,864 read" \
        in result.stderr
    assert result.exit_code == 0, result.stderr  # read back: held
    assert store.counts() == _seed_counts()


def test_a_refused_certificate_is_not_retried(tmp_path: Path, sleeps: list[float]) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
                   check=True, capture_output=True)
    store = Store()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(store))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    handshakes = []
    real = server.get_request

    def counting() -> Any:
        handshakes.append(1)
        return real()

    server.get_request = counting  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}/fhir"
        result = _push(str(SEED), "--server", url, "--retries", "3")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert result.exit_code == 5
    assert f"Error: {url}: TLS certificate refused (" in result.stderr
    assert sleeps == [] and len(handshakes) <= 1


def test_a_compressed_answer_is_read(store: Store) -> None:
    store.faults.append("gzip")
    result = _push(str(SEED), "--server", store.url)
    assert result.exit_code == 0, result.stderr
    assert f"{sum(_seed_counts().values())} created" in result.stderr
