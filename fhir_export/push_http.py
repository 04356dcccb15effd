"""The HTTP side of push, made safe against a faulty or hostile server.

- A deadline per request: `--timeout` bounds the whole exchange (connect, send, every read),
  not each read, so a server that trickles its answer byte by byte cannot hold a request
  open (httpx's timeouts are per operation; our network backend cuts every socket operation
  to the time left).
- Responses are read up to a cap, never whole into memory whatever their size.
- What went wrong is told apart: nothing sent (cannot connect; a certificate refused, never
  retried) from sent but no complete answer (timeout, connection reset mid-response, an answer
  over the cap), after which the request may or may not have been applied.
- The bearer token is scrubbed from every text that comes back from the server.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # a transaction-response or a read-back, well under
REDACTED = "[redacted]"

_local = threading.local()  # the current request's deadline (time.monotonic()), per thread


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every socket operation of this thread inside the block ends by now + seconds."""
    _local.end = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.end = None


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    end: float | None = getattr(_local, "end", None)
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise error("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(
            ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(super().connect_tcp(
            host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options))


def transport(verify: bool | ssl.SSLContext, connections: int) -> httpx.HTTPTransport:
    """httpx's transport with the deadline backend (httpx has no parameter for a network
    backend, so it is set on its connection pool, an attribute stable since httpx 0.23)."""
    made = httpx.HTTPTransport(verify=verify, limits=httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections))
    made._pool._network_backend = _DeadlineBackend()
    return made


class TooLarge(Exception):
    """A response body over the cap: not read further."""


@dataclass
class Answer:
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes


def exchange(client: httpx.Client, method: str, url: str, body: bytes | None,
             timeout: float, cap: int = MAX_RESPONSE_BYTES) -> Answer:
    """One request, bounded by a deadline of `timeout` seconds and `cap` bytes of answer."""
    with deadline(timeout), client.stream(method, url, content=body) as response:
        declared = response.headers.get("Content-Length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > cap:
            raise TooLarge(f"an answer of {int(declared):,} bytes, over the {cap:,} read")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():  # decoded (gzip): the cap bounds what we hold
            size += len(chunk)
            if size > cap:
                raise TooLarge(f"an answer over the {cap:,} bytes read")
            chunks.append(chunk)
        return Answer(response.status_code, response.reason_phrase, response.headers,
                      b"".join(chunks))


def nothing_sent(exc: Exception) -> bool:
    """The request never reached the server (so resending it cannot apply it twice)."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


def certificate_failed(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            seen
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def what_happened(exc: Exception, timeout: float) -> str:
    """A sent request that got no complete answer, said as what happened."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, TooLarge):
        return f"the server sent {detail}"
    if isinstance(exc, httpx.TimeoutException):
        return f"no complete answer within {timeout:g} s (the --timeout deadline)"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return f"the connection was lost after the request was sent ({detail})"
    if isinstance(exc, httpx.WriteError):
        return f"the connection was lost while sending the request ({detail})"
    return f"{type(exc).__name__}: {detail}"


class Redactor:
    """Scrubs a bearer token (as is, and as JSON or a URL might escape it) from text."""

    def __init__(self, token: str | None) -> None:
        forms = {token, token.replace("/", "\\/"), token.replace("+", "%2B").replace(
            "/", "%2F").replace("=", "%3D")} if token else set()
        self._forms = sorted((f for f in forms if f), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, REDACTED)
        return text
