"""`fhir-export push`: send bundles to a FHIR server and read back what happened to each entry.

A transaction Bundle is POSTed to the base URL as it is (never split: that would break its
atomicity). NDJSON files (Bulk Data, e.g. `export --format ndjson`), collection Bundles, batch
Bundles of PUTs and single resources become Bundles of `PUT Type/id` of the `send_as` type,
in dependency order (what an entry refers to is written first) and chunked, never splitting a
reference cycle: our articles hold one (DocumentReference.context.related <->
MedicationKnowledge.monograph), and a server that enforces referential integrity (HAPI's
default, HAPI-1094) takes a cycle only inside one transaction. So chunks are transactions by
default; `send_as="batch"` sends batches (and batch Bundles as exported), for servers that
take no transactions. Each response entry's status, OperationOutcome and etag tell created /
updated / unchanged / failed.

Retries with exponential backoff on 429, 502, 503, 504 and connection errors (honouring
Retry-After); TLS verification is always on (a private CA comes in as a CA bundle file); the
bearer token is sent as a header and never kept in anything this module returns.

No printing and no exits here: the command line prints the PushReport.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from . import convert, manifest, push_http
from .errors import (
    ExitCode,
    ExportError,
    InternalError,
    NoInputError,
    SourceError,
    UsageError,
    unpinned,
)
from .manifest import ManifestError
from .mapping.ids import relative_references

JSON = dict[str, Any]
FHIR_JSON = "application/fhir+json"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BASE_DELAY = 0.5
MAX_DELAY = 30.0  # cap of the exponential backoff
MAX_RETRY_AFTER = 300.0  # a server's Retry-After is honoured up to this many seconds
DEFAULT_MAX_ENTRIES = 500  # entries per request (Azure's limit for a bundle)
IDEMPOTENT = frozenset({"PUT", "DELETE", "GET", "HEAD"})


class ServerError(ExportError):
    """The FHIR server cannot be reached (refused, unresolvable, TLS failure, no answer)."""

    exit_code = ExitCode.SERVER_FAILED
    stage = "push"


def default_sleep(seconds: float) -> None:
    """The backoff sleeper; tests replace it."""
    time.sleep(seconds)


# --- what to send --------------------------------------------------------------------------


@dataclass
class PlannedRequest:
    """One HTTP request: a Bundle POSTed to the base URL."""

    source: str  # the input file (or folder) it came from
    bundle: JSON
    part: int = 1  # chunk number within the source
    parts: int = 1
    note: str | None = None  # e.g. why a large transaction is sent whole
    only_absent: bool = False  # send only the entries the server does not hold (push_batch)

    @property
    def bundle_type(self) -> str:
        return str(self.bundle.get("type"))

    @property
    def entry_count(self) -> int:
        return len(self.bundle.get("entry") or [])

    @property
    def label(self) -> str:
        return self.source + (f" [{self.part}/{self.parts}]" if self.parts > 1 else "")

    def requests(self) -> list[str]:
        """'METHOD url' of every entry, in order."""
        out = []
        for entry in self.bundle.get("entry") or []:
            request = entry.get("request") or {}
            out.append(f"{request.get('method', '?')} {request.get('url', '?')}")
        return out


SEND_AS = ("transaction", "batch")


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may carry: entries, and bytes of JSON (None: no byte limit)."""

    entries: int = DEFAULT_MAX_ENTRIES
    bytes: int | None = None

    def over(self, entries: list[JSON], size: int | None = None) -> bool:
        if len(entries) > self.entries:
            return True
        if self.bytes is None:
            return False
        return (size if size is not None else sum(map(_size, entries))) > self.bytes

    def text(self) -> str:
        limit = f"{self.entries} entries"
        return limit + (f" or {self.bytes:,} bytes" if self.bytes is not None else "")


def _size(entry: JSON) -> int:
    """An entry's size in a request body (compact JSON, UTF-8), plus its separator."""
    return len(json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()) + 1
_LOCAL_REFERENCE = re.compile(r"([A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?")


def _bundle(kind: str, entries: list[JSON]) -> JSON:
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def _references(value: Any, found: set[str]) -> set[str]:
    """Every relative 'Type/id' reference inside `value` (version-specific ones too)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("reference")
            if isinstance(ref, str):
                match = _LOCAL_REFERENCE.fullmatch(ref)
                if match:
                    found.add(match.group(1))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def dependency_groups(entries: list[JSON]) -> list[list[JSON]]:
    """`entries` (PUT Type/id) as groups that can be written one after another: a group's
    references to other entries point into itself or into earlier groups. A group is one
    strongly connected component of the reference graph (Tarjan, iterative): a cycle such as
    DocumentReference.context.related <-> MedicationKnowledge.monograph stays together, since
    a server that enforces referential integrity (HAPI's default) can only take it in one
    transaction. Ties keep the input order, so the plan is deterministic."""
    keys = [str((e.get("request") or {}).get("url", "")) for e in entries]
    index_of = {key: i for i, key in enumerate(keys)}
    edges = [
        sorted(index_of[r] for r in _references(e.get("resource"), set()) if r in index_of)
        for e in entries
    ]
    order: list[list[int]] = []
    number = [-1] * len(entries)
    low = [0] * len(entries)
    on_stack = [False] * len(entries)
    stack: list[int] = []
    counter = 0
    for root in range(len(entries)):
        if number[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                number[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            if child < len(edges[node]):
                work.append((node, child + 1))
                target = edges[node][child]
                if number[target] == -1:
                    work.append((target, 0))
                elif on_stack[target]:
                    low[node] = min(low[node], number[target])
                continue
            if work:  # returning to the parent: carry the low-link up
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == number[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    group.append(member)
                    if member == node:
                        break
                order.append(sorted(group))
    return [[entries[i] for i in group] for group in order]


def _put_entry(resource: JSON, where: str) -> JSON:
    kind, rid = resource.get("resourceType"), resource.get("id")
    if not isinstance(kind, str) or not isinstance(rid, str) or not rid:
        raise SourceError(
            f"{where}: a resource without resourceType and id cannot be sent as PUT Type/id"
        )
    return {"resource": resource, "request": {"method": "PUT", "url": f"{kind}/{rid}"}}


def _as_puts(resources: list[JSON], full_urls: list[str | None], source: str) -> list[JSON]:
    urls = {
        url: f"{r.get('resourceType')}/{r.get('id')}"
        for url, r in zip(full_urls, resources, strict=True)
        if url and r.get("id")
    }
    return [
        _put_entry(relative_references(r, urls) if urls else r, f"entry {i + 1}")
        for i, r in enumerate(resources)
    ]


def _plan_bundle(bundle: JSON, source: str, limits: Limits, send_as: str) -> list[PlannedRequest]:
    kind = bundle.get("type")
    entries = [e for e in bundle.get("entry") or [] if isinstance(e, dict)]
    if kind == "transaction":
        for i, entry in enumerate(entries):
            if not isinstance(entry.get("request"), dict):
                raise SourceError(f"entry {i + 1} of a transaction has no request", path=source)
        if send_as != "batch" and not limits.over(entries):
            return [PlannedRequest(source, bundle)]
        plain_puts = all(
            (e.get("request") or {}).get("method") == "PUT"
            and isinstance(e.get("resource"), dict)
            and (e.get("request") or {}).get("url")
            == f"{e['resource'].get('resourceType')}/{e['resource'].get('id')}"
            for e in entries
        )
        if not plain_puts:
            why = f"over {limits.text()}" if limits.over(entries) else "not as a batch"
            note = (
                f"transaction of {len(entries)} entries sent whole, {why}: "
                "its entries are not all PUT Type/id, so splitting it could change its meaning"
            )
            return [PlannedRequest(source, bundle, note=note)]
        puts = _as_puts([e["resource"] for e in entries], [e.get("fullUrl") for e in entries],
                        source)
        if send_as == "batch":
            return _plan_entries(puts, source, limits, "batch")
        planned = _plan_entries(puts, source, limits, "transaction")
        if len(planned) > 1:
            planned[0].note = planned[0].note or (
                f"transaction of {len(entries)} entries over {limits.text()}: sent as "
                f"{len(planned)} transactions in dependency order (each atomic; every entry "
                "is a PUT of its id, so a re-push completes an interrupted one)"
            )
        return planned
    if kind == "batch":
        for i, entry in enumerate(entries):
            if not isinstance(entry.get("request"), dict):
                raise SourceError(f"entry {i + 1} of a batch has no request", path=source)
        all_puts = all(
            (e.get("request") or {}).get("method") == "PUT" and isinstance(e.get("resource"), dict)
            and (e.get("request") or {}).get("url")
            == f"{e['resource'].get('resourceType')}/{e['resource'].get('id')}"
            for e in entries
        )
        if not all_puts:
            # As exported: entries of a batch are independent of each other (FHIR 3.3.1).
            if not limits.over(entries):
                return [PlannedRequest(source, bundle)]
            return _plan_entries(entries, source, limits, "batch")
        return _plan_entries(entries, source, limits, send_as)
    if kind == "collection":
        resources = [e.get("resource") for e in entries]
        if not all(isinstance(r, dict) for r in resources):
            raise SourceError("a collection entry without a resource", path=source)
        try:
            puts = _as_puts(
                [r for r in resources if isinstance(r, dict)],
                [e.get("fullUrl") for e in entries],
                source,
            )
        except SourceError as exc:
            raise SourceError(exc.message, path=source) from None
        return _plan_entries(puts, source, limits, send_as)
    raise SourceError(
        f"a Bundle of type {kind!r} cannot be pushed (transaction, batch or collection)",
        path=source,
    )


def _plan_entries(
    entries: list[JSON], source: str, limits: Limits, send_as: str
) -> list[PlannedRequest]:
    """PUT entries as Bundles of `send_as` type, in dependency order, each within the limits
    (entries and bytes), never splitting a reference cycle (a larger cycle goes whole, with a
    note)."""
    if send_as == "batch":
        from .push_batch import plan_batches

        return plan_batches(entries, source, limits)
    parts: list[list[JSON]] = []
    notes: list[str | None] = []
    sizes: list[int] = []
    for group in dependency_groups(entries):
        size = sum(_size(e) for e in group)
        if limits.over(group, size):
            parts.append(group)
            sizes.append(size)
            notes.append(
                f"{len(group)} entries that refer to each other in a cycle are sent together, "
                f"over {limits.text()}"
            )
        elif parts and notes[-1] is None and not limits.over(
            parts[-1] + group, sizes[-1] + size
        ):
            parts[-1].extend(group)
            sizes[-1] += size
        else:
            parts.append(list(group))
            sizes.append(size)
            notes.append(None)
    return [
        PlannedRequest(source, _bundle(send_as, part), part=n, parts=len(parts), note=note)
        for n, (part, note) in enumerate(zip(parts, notes, strict=True), 1)
    ]


def _read_ndjson(path: Path) -> list[JSON]:
    resources = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceError(f"cannot read file ({exc.strerror})", path=str(path)) from None
    except UnicodeDecodeError:
        raise SourceError("not UTF-8 NDJSON", path=str(path)) from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            resource = json.loads(line)
        except ValueError as exc:
            raise SourceError(f"line {number}: not JSON ({exc})", path=str(path)) from None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise SourceError(f"line {number}: not a FHIR resource", path=str(path))
        resources.append(resource)
    return resources


def _listed(files: list[Path], source: str, limits: Limits, send_as: str
            ) -> tuple[list[PlannedRequest], list[ExportError]]:
    """The files a folder's manifest lists, checked, in its order: its NDJSON files as one
    input, else its bundles (of `--format both`, the JSON file of each pair, not the XML
    one, which holds the same bundle)."""
    ndjson = [p for p in files if p.suffix == ".ndjson"]
    if ndjson:
        return _plan_ndjson(ndjson, source, limits, send_as), []
    names = {p.as_posix() for p in files}
    bundles = [p for p in files if not (p.name.endswith(".bundle.xml") and (
        p.as_posix().removesuffix(".xml") + ".json" in names))]
    return _plan_files(bundles, limits, send_as)


def _plan_files(files: list[Path], limits: Limits, send_as: str
                ) -> tuple[list[PlannedRequest], list[ExportError]]:
    """Each file's requests; a file that cannot be sent is an error, the others still go."""
    requests: list[PlannedRequest] = []
    errors: list[ExportError] = []
    for file in files:
        try:
            requests += _plan_file(file, limits, send_as)
        except ExportError as exc:
            errors.append(unpinned(exc))
        except Exception as exc:
            errors.append(InternalError(exc, path=str(file), stage="push"))
    return requests, errors


def _plan_ndjson(
    files: list[Path], source: str, limits: Limits, send_as: str
) -> list[PlannedRequest]:
    entries: list[JSON] = []
    for path in files:
        for n, resource in enumerate(_read_ndjson(path), 1):
            try:
                entries.append(_put_entry(resource, f"line {n}"))
            except SourceError as exc:
                raise SourceError(exc.message, path=str(path)) from None
    return _plan_entries(entries, source, limits, send_as) if entries else []


def _plan_file(path: Path, limits: Limits, send_as: str) -> list[PlannedRequest]:
    source = str(path)
    if path.suffix == ".ndjson":
        return _plan_ndjson([path], source, limits, send_as)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read file ({exc.strerror})", path=source) from None
    if data.lstrip().startswith(b"<"):
        resource, _ = convert.read(data, path=source)  # XML -> FHIR JSON, safely parsed
    else:
        try:
            resource = json.loads(data)
        except ValueError as exc:
            raise SourceError(f"not FHIR JSON ({exc})", path=source) from None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise SourceError("JSON without a 'resourceType'", path=source)
    if resource["resourceType"] == "Bundle":
        return _plan_bundle(resource, source, limits, send_as)
    try:
        return _plan_entries([_put_entry(resource, "the resource")], source, limits, send_as)
    except SourceError as exc:
        raise SourceError(exc.message, path=source) from None


def _below(folder: Path, pattern: str) -> list[Path]:
    """Files matching `pattern` in `folder` and its subfolders, hidden ones aside, sorted."""
    return sorted(
        p
        for p in folder.rglob(pattern)
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def plan(
    paths: Iterable[str],
    max_entries: int = DEFAULT_MAX_ENTRIES,
    send_as: str = "transaction",
    max_bytes: int | None = None,
) -> tuple[list[PlannedRequest], list[ExportError]]:
    """The requests that pushing `paths` makes, and the inputs that cannot be sent.

    A folder with a manifest.json (every export writes one) gives exactly the files it
    lists, in its order, once each is checked against it: a listed file missing or changed
    raises ManifestError, and nothing is sent. A folder without one: its *.ndjson files as
    one NDJSON input, else its *.json Bundles, or its *.xml ones when it has no JSON, from
    its subfolders too (export mirrors the input's folders), hidden ones aside."""
    if max_entries < 1 or (max_bytes is not None and max_bytes < 1):
        raise UsageError("--max-entries and --max-bytes must be at least 1")
    limits = Limits(max_entries, max_bytes)
    if send_as not in SEND_AS:
        raise UsageError(f"cannot send as {send_as!r} (transaction or batch)")
    requests: list[PlannedRequest] = []
    errors: list[ExportError] = []
    seen = False
    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                listed = manifest.verified_files(path)
                if listed is not None:
                    seen = True
                    planned, failed = _listed(listed, raw, limits, send_as)
                    requests += planned
                    errors += failed
                    continue
                ndjson = sorted(path.glob("*.ndjson"))
                if ndjson:
                    seen = True
                    requests += _plan_ndjson(ndjson, raw, limits, send_as)
                    continue
                files = [p for p in _below(path, "*.json") if p.name != "manifest.json"]
                files = files or _below(path, "*.xml")
                seen = seen or bool(files)
                planned, failed = _plan_files(files, limits, send_as)
                requests += planned
                errors += failed
            elif path.is_file():
                seen = True
                requests += _plan_file(path, limits, send_as)
            else:
                seen = True
                errors.append(SourceError("no such file or folder", path=raw))
        except ManifestError:
            raise  # the folder disagrees with its manifest: nothing of the run is sent
        except ExportError as exc:
            errors.append(unpinned(exc))
        except Exception as exc:
            errors.append(InternalError(exc, path=raw, stage="push"))
    if not seen:
        raise NoInputError(
            "no bundle or NDJSON file found (.json, .xml, .ndjson)", path=", ".join(paths)
        )
    return requests, errors


# --- what came back ------------------------------------------------------------------------

CREATED, UPDATED, UNCHANGED, FAILED = "created", "updated", "unchanged", "failed"
# after a request got no complete answer: read back equal to what was sent, or not known
VERIFIED, UNKNOWN = "verified", "unknown"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, FAILED, VERIFIED, UNKNOWN)
_NO_CHANGE = re.compile(r"no[ _-]?changes?|unchanged|NO_CHANGE", re.IGNORECASE)


@dataclass
class EntryOutcome:
    request: str  # 'PUT Patient/1'
    outcome: str  # created | updated | unchanged | failed
    status: str = ""  # the response entry's status, e.g. '201 Created'
    message: str = ""  # the OperationOutcome's text, for a failure
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class RequestResult:
    planned: PlannedRequest
    http_status: int | None = None
    attempts: int = 0
    entries: list[EntryOutcome] = field(default_factory=list)
    error: str | None = None  # the whole request failed (e.g. a transaction rolled back)
    checked: str | None = None  # what happened and what a read-back found (no answer)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for entry in self.entries:
            counts[entry.outcome] += 1
        return counts

    @property
    def failed(self) -> bool:
        return self.error is not None or any(
            e.outcome in (FAILED, UNKNOWN) for e in self.entries)


@dataclass
class PushReport:
    server: str  # without any credentials
    results: list[RequestResult] = field(default_factory=list)
    errors: list[ExportError] = field(default_factory=list)  # inputs not sent, server lost

    def counts(self) -> dict[str, int]:
        total = dict.fromkeys(OUTCOMES, 0)
        for result in self.results:
            for key, value in result.counts().items():
                total[key] += value
        return total

    @property
    def exit_code(self) -> ExitCode:
        if any(e.exit_code is ExitCode.INTERNAL_ERROR for e in self.errors):
            return ExitCode.INTERNAL_ERROR
        if any(e.exit_code is ExitCode.SERVER_FAILED for e in self.errors):
            return ExitCode.SERVER_FAILED
        if self.errors or any(r.failed for r in self.results):
            return ExitCode.INPUT_FAILED
        return ExitCode.OK


def outcome_text(outcome: Any) -> str:
    """An OperationOutcome as one line: 'severity code: diagnostics' per issue, '; '-joined."""
    if not isinstance(outcome, dict):
        return ""
    parts = []
    for issue in outcome.get("issue") or []:
        if not isinstance(issue, dict):
            continue
        details = issue.get("details") or {}
        text = issue.get("diagnostics") or (
            details.get("text") if isinstance(details, dict) else ""
        )
        if not text and isinstance(details, dict):
            codings = details.get("coding") or []
            text = ", ".join(str(c.get("display") or c.get("code")) for c in codings if c)
        head = " ".join(str(issue[k]) for k in ("severity", "code") if issue.get(k))
        where = issue.get("expression") or issue.get("location")
        at = f" at {', '.join(map(str, where))}" if isinstance(where, list) and where else ""
        parts.append(f"{head}{at}: {text}" if text else head + at)
    text = outcome.get("text")
    if not parts and isinstance(text, dict) and text.get("div"):
        parts.append(re.sub(r"<[^>]+>", " ", str(text["div"])))
    return re.sub(r"\s+", " ", "; ".join(parts)).strip()


def _outcome_codes(outcome: Any) -> str:
    """Every text and code of an OperationOutcome, for spotting HAPI's 'no change' notes."""
    return json.dumps(outcome) if isinstance(outcome, dict) else ""


def _version(etag: Any) -> str | None:
    if not isinstance(etag, str):
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?([^"]*)"?\s*', etag)
    return match.group(1) if match else None


def classify(request: str, response: Any) -> EntryOutcome:
    """One response entry's `response` element -> its outcome.

    201 is created; a 2xx whose outcome says "no changes" (HAPI) or whose etag is version 1
    on a 200 to a PUT (the resource existed and was not versioned) is unchanged; any other
    2xx is updated; anything else failed, with the OperationOutcome's text."""
    if not isinstance(response, dict):
        return EntryOutcome(request, FAILED, message="the server gave no response entry")
    status = str(response.get("status") or "")
    outcome = response.get("outcome")
    etag = response.get("etag")
    modified = response.get("lastModified")
    code_match = re.match(r"\s*(\d{3})", status)
    code = int(code_match.group(1)) if code_match else 0
    result = EntryOutcome(
        request,
        UPDATED,
        status=status,
        etag=etag if isinstance(etag, str) else None,
        last_modified=modified if isinstance(modified, str) else None,
    )
    if code == 201:
        result.outcome = CREATED
    elif 200 <= code < 300:
        if _NO_CHANGE.search(_outcome_codes(outcome)) or (
            code == 200 and request.startswith("PUT ") and _version(etag) == "1"
        ):
            result.outcome = UNCHANGED
    else:
        result.outcome = FAILED
        result.message = outcome_text(outcome) or status or "no status"
    return result


def result_from_answer(
    planned: PlannedRequest, status: int, reason: str, data: bytes, attempts: int
) -> RequestResult:
    """A request's result from the server's answer (status and body)."""
    result = RequestResult(planned, http_status=status, attempts=attempts)
    try:
        body = json.loads(data)
    except ValueError:
        body = None
    requests = planned.requests()
    if not 200 <= status < 300:
        text = outcome_text(body) if isinstance(body, dict) else ""
        shown = f"HTTP {status} {reason}".strip()
        if status in RETRY_STATUSES and attempts > 1:
            shown += f" after {attempts} attempts"
        result.error = f"{shown}: {text}" if text else shown
        result.entries = [EntryOutcome(r, FAILED, message=result.error) for r in requests]
        return result
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        result.error = f"HTTP {status}, but the answer is not a FHIR Bundle"
        result.entries = [EntryOutcome(r, FAILED, message=result.error) for r in requests]
        return result
    answers = [e for e in body.get("entry") or [] if isinstance(e, dict)]
    for i, request in enumerate(requests):
        answer = answers[i].get("response") if i < len(answers) else None
        result.entries.append(classify(request, answer))
    return result


def redact(url: str) -> str:
    """`url` without user name, password, query or fragment, to show."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def retry_delay(attempt: int, retry_after: str | None, now: datetime | None = None) -> float:
    """Seconds to wait before retry number `attempt` (1-based): the server's Retry-After,
    delta-seconds (ASCII digits only) or an HTTP date, else 0.5 s doubling per attempt,
    capped. Anything else in Retry-After (a superscript digit, a word) is the backoff."""
    backoff = float(min(BASE_DELAY * 2 ** (attempt - 1), MAX_DELAY))
    value = (retry_after or "").strip()
    if not value:
        return backoff
    if re.fullmatch(r"[0-9]{1,12}", value):
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = (when - (now or datetime.now(UTC))).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return backoff
    return min(max(wait, 0.0), MAX_RETRY_AFTER)


def verify_setting(ca_bundle: str | None) -> bool | ssl.SSLContext:
    """TLS verification: always on; with a CA bundle file, against that CA (and no other)."""
    if ca_bundle is None:
        return True
    try:
        return ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise UsageError(f"cannot load the CA bundle ({exc})", path=ca_bundle) from None


def headers(token: str | None) -> dict[str, str]:
    out = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
    if token:
        out["Authorization"] = f"Bearer {token}"
    return out


def make_client(
    token: str | None, *, timeout: float, ca_bundle: str | None, connections: int = 1
) -> httpx.Client:
    verify = verify_setting(ca_bundle)
    return httpx.Client(
        headers=headers(token),
        timeout=timeout,
        verify=verify,
        transport=push_http.transport(verify, max(connections, 1)),
        follow_redirects=False,  # never carry the token to another host
    )


def one_line(text: str) -> str:
    """Server-supplied text made safe to print: no control characters or terminal escapes."""
    return re.sub(r"\s+", " ", re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", text)).strip()
