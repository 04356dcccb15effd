"""Sending planned requests: up to N at a time in dependency order, bounded retries, and no
blind retry after a request that may have been applied.

- 429 and 503 say the server did not process the request: retried after Retry-After or the
  backoff, whatever the bundle holds; so is a 409 (the request was rolled back, e.g. a
  database lock timeout under concurrent writes) of a bundle of PUTs and DELETEs only.
- A request that got no complete answer (the deadline passed, the connection was lost after
  it was sent, an answer over the size cap, or a gateway's 502/504) may have been applied. Its
  entries are read back (one batch of GETs) before anything is re-sent: when the server holds
  every entry as sent, the request is done ("verified"); otherwise a bundle whose entries are
  all PUT (or DELETE) is sent again, which cannot write anything twice. A bundle with POST
  entries (a user's own) is never re-sent: its entries are reported "unknown".
- Requests start when every earlier request that writes what they write or refer to has
  finished (so the first writer of a shared Organization goes alone, then the rest in
  parallel); a server that cannot be reached stops new requests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

import httpx

from . import push as base
from . import push_http, push_ids
from .errors import InternalError, UsageError, unpinned
from .mapping.ids import relative_references
from .push import (
    FAILED,
    IDEMPOTENT,
    UNKNOWN,
    VERIFIED,
    EntryOutcome,
    PlannedRequest,
    PushReport,
    RequestResult,
    ServerError,
    redact,
    result_from_answer,
    retry_delay,
)

JSON = dict[str, Any]
NOT_PROCESSED = frozenset({429, 503})  # the server says it did not process the request
GATEWAY = frozenset({502, 504})  # a gateway answered: the server may have applied it
# 409 to a whole request: the server applied none of it (a transaction is all or nothing). HAPI
# answers so when concurrent writes time out on a database lock (HAPI-0550 "Timeout trying to
# lock table"), which a later attempt passes; a bundle of PUTs (and DELETEs) is sent again.
CONFLICT = 409


def _methods(planned: PlannedRequest) -> list[str]:
    return [r.split(" ", 1)[0] for r in planned.requests()]


def _normal(value: Any) -> Any:
    """A resource as compared after a read-back: scalars as text (R5 integer64 comes back as
    a number), the server's meta and generated narrative aside."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    return str(value)


def _resource_view(resource: Any) -> Any:
    if not isinstance(resource, dict):
        return None
    return _normal({k: v for k, v in resource.items() if k not in ("meta", "text")})


class Sender:
    def __init__(
        self, client: httpx.Client, server: str, *, retries: int, timeout: float,
        sleep: Callable[[float], None], redactor: push_http.Redactor,
        on_retry: Callable[[PlannedRequest, str], None] | None = None,
    ) -> None:
        self.client, self.server, self.retries = client, server, retries
        self.timeout, self.sleep, self.redact = timeout, sleep, redactor
        self.on_retry = on_retry

    def _wait(self, planned: PlannedRequest, why: str, attempt: int, delay: float) -> None:
        """Before sending again: tell `on_retry` (`HTTP 503, retry 2/4 in 2 s`), then wait."""
        if self.on_retry is not None:
            self.on_retry(planned, f"{self.redact(why)}, retry {attempt}/{self.retries} "
                                   f"in {delay:g} s")
        self.sleep(delay)

    def _server_error(self, exc: Exception) -> ServerError:
        detail = self.redact(" ".join(str(exc).split()) or type(exc).__name__)
        where = redact(self.server)
        if push_http.certificate_failed(exc):
            return ServerError(f"TLS certificate refused ({detail})", path=where,
                               hint="Give the server's CA with --ca-bundle FILE.")
        if isinstance(exc, httpx.ConnectTimeout):
            return ServerError(f"cannot connect within {self.timeout:g} s", path=where,
                               hint="Raise --timeout or check the server.")
        return ServerError(f"cannot connect ({detail})", path=where,
                           hint="Check --server and the network.")

    def send(self, planned: PlannedRequest) -> RequestResult:
        if planned.only_absent:
            absent = self.absent(planned)
            if absent is not None and not absent.bundle.get("entry"):
                return RequestResult(planned, http_status=200, checked=(
                    f"the server holds all {planned.entry_count} already: not sent"))
            planned = absent or planned
        body = json.dumps(planned.bundle, ensure_ascii=False).encode("utf-8")
        resendable = all(m in IDEMPOTENT for m in _methods(planned))
        history: list[str] = []  # attempts that got no complete answer, and what was found
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = push_http.exchange(self.client, "POST", self.server, body, self.timeout)
            except (httpx.TransportError, push_http.TooLarge) as exc:
                if isinstance(exc, httpx.TransportError) and push_http.nothing_sent(exc):
                    if push_http.certificate_failed(exc) or attempt > self.retries:
                        raise self._server_error(exc) from None
                    self._wait(planned, f"cannot connect ({type(exc).__name__})", attempt,
                               retry_delay(attempt, None))
                    continue
                what = push_http.what_happened(exc, self.timeout)
            else:
                if attempt <= self.retries and (answer.status in NOT_PROCESSED or (
                        answer.status == CONFLICT and resendable)):
                    self._wait(planned, f"HTTP {answer.status}", attempt,
                               retry_delay(attempt, answer.headers.get("Retry-After")))
                    continue
                if answer.status not in GATEWAY:
                    done = result_from_answer(
                        planned, answer.status, answer.reason, answer.body, attempt)
                    done.checked = "; ".join(history) or None
                    return self._scrub(done)
                what = f"HTTP {answer.status} {answer.reason} from a gateway".strip()
            result = self._no_answer(planned, what, attempt, resendable, history)
            if result is not None:
                return self._scrub(result)
            self._wait(planned, what, attempt, retry_delay(attempt, None))

    def _no_answer(
        self, planned: PlannedRequest, what: str, attempt: int, resendable: bool,
        history: list[str],
    ) -> RequestResult | None:
        """After a request that may have been applied: its result, or None to send it again."""
        requests = planned.requests()
        if not resendable:
            message = (f"{what}: outcome unknown; not sent again, as its POST entries would "
                       "be created twice. Check the server before pushing it again")
            return RequestResult(planned, attempts=attempt, error=message,
                                 entries=[EntryOutcome(r, UNKNOWN, message=message)
                                          for r in requests])
        held = self.read_back(planned)
        n = len(requests)
        if held is not None and all(held):
            note = f"{what}; read back: the server holds all {n} entries as sent"
            return RequestResult(planned, attempts=attempt, checked=note,
                                 entries=[EntryOutcome(r, VERIFIED) for r in requests])
        if attempt <= self.retries:  # every entry is a PUT (or DELETE): safe to send again
            found = "the read-back failed" if held is None else (
                f"read back: {sum(held)} of {n} entries as sent")
            history.append(f"attempt {attempt}: {what}; {found}; sent again")
            return None
        if held is None:
            message = f"{what}; the read-back failed too: outcome unknown"
            outcomes = [EntryOutcome(r, UNKNOWN, message=message) for r in requests]
        else:
            message = (f"{what}; read back: {sum(held)} of {n} entries as sent, "
                       f"after {attempt} attempts")
            outcomes = [EntryOutcome(r, VERIFIED if ok else FAILED, message=message)
                        for r, ok in zip(requests, held, strict=True)]
        return RequestResult(planned, attempts=attempt, error=message, entries=outcomes)

    def get_each(self, entries: list[JSON]) -> list[JSON] | None:
        """The server's answer to a GET of each entry's request URL (one batch), in order;
        None when there is no such answer."""
        gets = [{"request": {"method": "GET", "url": (e.get("request") or {}).get("url")}}
                for e in entries]
        body = json.dumps({"resourceType": "Bundle", "type": "batch", "entry": gets}).encode()
        try:
            answer = push_http.exchange(self.client, "POST", self.server, body, self.timeout)
            data = json.loads(answer.body)
        except (httpx.TransportError, push_http.TooLarge, ValueError):
            return None
        if answer.status != 200 or not isinstance(data, dict):
            return None
        found = [e for e in data.get("entry") or [] if isinstance(e, dict)]
        return found if len(found) == len(entries) else None

    def absent(self, planned: PlannedRequest) -> PlannedRequest | None:
        """`planned` with only the entries whose target the server does not hold (one batch
        of GETs of their request URLs, Type/id or a conditional update's search); None when
        that cannot be told."""
        entries = [e for e in planned.bundle.get("entry") or [] if isinstance(e, dict)]
        found = self.get_each(entries)
        if found is None:
            return None
        keep = []
        for entry, got in zip(entries, found, strict=True):
            status = str((got.get("response") or {}).get("status", ""))
            resource = got.get("resource")
            held = status.startswith("200") and isinstance(resource, dict) and (
                resource.get("resourceType") != "Bundle" or bool(resource.get("entry")))
            if not held:
                keep.append(entry)
        return PlannedRequest(planned.source, {**planned.bundle, "entry": keep},
                              part=planned.part, parts=planned.parts, note=planned.note)

    def capabilities(self) -> Any:
        """The server's CapabilityStatement (GET [base]/metadata), or None."""
        try:
            answer = push_http.exchange(self.client, "GET", self.server + "/metadata", None,
                                        self.timeout)
            return json.loads(answer.body) if answer.status == 200 else None
        except (httpx.TransportError, push_http.TooLarge, ValueError):
            return None

    def read_back(self, planned: PlannedRequest) -> list[bool] | None:
        """Per entry, whether the server holds it as sent (PUT: read back equal, meta and
        narrative aside; DELETE: gone); None when the read-back itself fails."""
        entries = [e for e in planned.bundle.get("entry") or [] if isinstance(e, dict)]
        urls = {str(e["fullUrl"]): str((e.get("request") or {}).get("url"))
                for e in entries if e.get("fullUrl")}
        found = self.get_each(entries)
        if found is None:
            return None
        held = []
        for sent, got in zip(entries, found, strict=True):
            method = str((sent.get("request") or {}).get("method"))
            status = str((got.get("response") or {}).get("status", ""))
            if method == "DELETE":
                held.append(bool(re.match(r"\s*(404|410)", status)))
                continue
            resource = got.get("resource")
            if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
                matches = [m.get("resource") for m in resource.get("entry") or []
                           if isinstance(m, dict)]  # a conditional PUT: its search
                resource = matches[0] if len(matches) == 1 else None
            # fullUrl references as Type/id on both sides: a server rewrites them, but HAPI
            # keeps those inside the extensions of primitive elements as they were sent
            mine = relative_references(sent.get("resource"), urls)
            theirs = _resource_view(relative_references(resource, urls))
            if isinstance(theirs, dict) and isinstance(mine, dict) and "id" not in mine:
                theirs.pop("id", None)
            held.append(theirs is not None and theirs == _resource_view(mine))
        return held

    def _scrub(self, result: RequestResult) -> RequestResult:
        """No token in anything the server sent back."""
        result.error = self.redact(result.error) if result.error else result.error
        for entry in result.entries:
            entry.message, entry.status = self.redact(entry.message), self.redact(entry.status)
        return result


def _conditional_references(value: Any) -> set[str]:
    """Every conditional reference ('Type?identifier=...') inside `value`."""
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("reference")
            if isinstance(ref, str) and "?" in ref:
                found.add(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def dependencies(requests: list[PlannedRequest]) -> list[set[int]]:
    """Per request, the earlier requests it waits for: the first writer of each resource it
    writes or refers to (Type/id)."""
    first: dict[str, int] = {}
    waits: list[set[int]] = []
    for i, planned in enumerate(requests):
        entries = [e for e in planned.bundle.get("entry") or [] if isinstance(e, dict)]
        written = {str((e.get("request") or {}).get("url")) for e in entries}
        resources = [e.get("resource") for e in entries]
        referred = base._references(resources, set()) | _conditional_references(resources)
        waits.append({first[k] for k in written | referred if k in first})
        for key in written:
            first.setdefault(key, i)
    return waits


def push(
    requests: list[PlannedRequest],
    server: str,
    *,
    token: str | None = None,
    retries: int = 4,
    timeout: float = 30.0,
    ca_bundle: str | None = None,
    sleep: Callable[[float], None] | None = None,
    concurrency: int = 1,
    on_result: Callable[[RequestResult], None] | None = None,
    id_mode: str = "put",
    on_retry: Callable[[PlannedRequest, str], None] | None = None,
) -> PushReport:
    """Send every planned request, up to `concurrency` at a time, each after the requests it
    depends on; `on_result` hears of each as it finishes, `on_retry` (from the sending
    thread) of each retry before its wait. A server that cannot be reached
    stops the run (one ServerError in the report); a failed request or entry does not. The
    report lists the results in plan order. `id_mode`: see push_ids."""
    if not re.match(r"https?://", server, re.IGNORECASE):
        raise UsageError("the server must be an http:// or https:// URL", path=redact(server))
    if concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if id_mode not in push_ids.ID_MODES:
        raise UsageError(f"no id mode {id_mode!r} (put, conditional or auto)")
    base_url = server.rstrip("/")
    report = PushReport(server=redact(base_url))
    if id_mode == "conditional":
        requests = push_ids.conditional(requests)
    results: dict[int, RequestResult] = {}
    finished: set[int] = set()
    pending = list(range(len(requests)))
    running: dict[Future[RequestResult], int] = {}
    stopped = False
    with base.make_client(token, timeout=timeout, ca_bundle=ca_bundle,
                          connections=concurrency) as client, ThreadPoolExecutor(
                              concurrency, thread_name_prefix="push") as pool:
        sender = Sender(client, base_url, retries=retries, timeout=timeout,
                        sleep=sleep or base.default_sleep, redactor=push_http.Redactor(token),
                        on_retry=on_retry)
        probing = False  # auto, and the server did not say: the first request finds out
        if id_mode == "auto" and requests:
            said = push_ids.capability_mode(sender.capabilities(),
                                            push_ids.written_types(requests))
            probing = said is None
            if said == "conditional":
                requests = push_ids.conditional(requests)
            requests[0].note = _joined(requests[0].note, (
                "ids: conditional updates, as the server's CapabilityStatement refuses "
                "client-assigned ids (updateCreate false)") if said == "conditional" else (
                "ids: PUT Type/id, as the server's CapabilityStatement allows client-assigned "
                "ids (updateCreate true)") if said == "put" else None)
        waits = dependencies(requests)
        while pending or running:
            for i in [] if stopped else list(pending):
                if len(running) >= (1 if probing else concurrency):
                    break
                if waits[i] <= finished:
                    running[pool.submit(sender.send, requests[i])] = i
                    pending.remove(i)
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=running.__getitem__):
                i = running.pop(future)
                finished.add(i)
                try:
                    result = future.result()
                except ServerError as exc:
                    report.errors.append(unpinned(exc))
                    stopped = True
                    continue
                except Exception as exc:  # a bug: this request is reported, the others go on
                    report.errors.append(InternalError(exc, path=requests[i].label,
                                                       stage="push"))
                    continue
                if probing:
                    probing = False
                    if push_ids.refused_client_ids(_said(result)):
                        requests = push_ids.conditional(requests)
                        requests[i].note = _joined(requests[i].note, (
                            "ids: conditional updates, as the server refused the client-assigned "
                            f"ids of PUT Type/id ({_said(result)[:200]})"))
                        waits = dependencies(requests)
                        finished.discard(i)
                        pending.insert(0, i)
                        continue
                results[i] = result
                if on_result is not None:
                    on_result(result)
    report.results = [results[i] for i in sorted(results)]
    return report


def _joined(note: str | None, more: str | None) -> str | None:
    return "; ".join(n for n in (note, more) if n) or None


def _said(result: RequestResult) -> str:
    """What the server said about a request: its error, else its entries' messages."""
    return result.error or " ".join(dict.fromkeys(e.message for e in result.entries
                                                  if e.message))
