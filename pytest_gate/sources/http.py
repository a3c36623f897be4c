"""HTTP transport for the sources: pooled ``http.client`` connections, the deadline, auth from env.

Why ``http.client`` and not ``requests``: measured on this project's 2-core machine (README,
"Metric sources"), ``import requests`` costs about 40 ms and 42 concurrent queries on loopback
take 45 ms through a ``requests.Session`` (15.8 ms through ``urllib3`` alone) but 9 ms through
``http.client``; the gate needs none of what ``requests`` adds (no cookies, no proxies from the
environment, no redirects for API calls, no content negotiation).

Every call takes its timeout from the shared :class:`~pytest_gate.core.deadline.Deadline` and reads the
body one socket read at a time, checking the deadline between reads, so a slow or dripping server
cannot outlast it. Transport errors (connection refused, reset, dropped) are retried a bounded
number of times inside the deadline; an HTTP status or a body is never retried. Credentials (from
the URL or the environment, see :mod:`pytest_gate.sources.auth`) are sent as a header and scrubbed
from every message and every reported URL. ``ssl`` is imported only for an ``https`` URL.
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import queue
import socket
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlencode, urljoin, urlsplit

from pytest_gate.core.deadline import Deadline, DeadlineExceeded
from pytest_gate.core.urls import redact
from pytest_gate.sources.auth import REDIRECT_STATUSES, Credentials, credentials
from pytest_gate.sources.base import SourceConfigError

if TYPE_CHECKING:
    import ssl

CA_BUNDLE_ENV = "GATE_PROMETHEUS_CA_BUNDLE"
TRANSPORT_RETRIES = 2
RETRY_BACKOFF_SECONDS = 0.1
MAX_BODY_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "pytest-gate"
FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"


class TransportError(Exception):
    """The request got no HTTP response: the message is a short, credential-free cause."""


@dataclass(frozen=True)
class HttpResponse:
    """A complete HTTP response: status, reason, content type and body."""

    status: int
    reason: str
    content_type: str
    body: bytes
    location: str = ""
    """The ``Location`` header of a redirect (not followed where the client says so)."""


@dataclass(frozen=True)
class _Request:
    """One request as sent: method, absolute URL, headers and body."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None = None


@dataclass(frozen=True)
class Endpoint:
    """A base URL split into its credential-free form and the credentials it carried."""

    url: str
    user: str | None
    password: str | None

    @classmethod
    def parse(cls, url: str, option: str) -> Endpoint:
        """Split ``http(s)://user:pass@host:port/path``; raises :class:`SourceConfigError`."""
        fix = "give e.g. http://prometheus:9090"
        try:
            parts = urlsplit(url.strip())
            _ = parts.port  # raises ValueError for a port that is not a number
            clean = redact(url.strip()).rstrip("/")
        except ValueError as error:
            raise SourceConfigError(f"{option} is not a valid URL ({error}); {fix}") from error
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceConfigError(f"{option} {clean!r} is not an http(s) URL; {fix}")
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(clean, user, password)


def _ca_bundle_from_env(env: Mapping[str, str]) -> str | None:
    bundle = env.get(CA_BUNDLE_ENV)
    if not bundle:
        return None
    if not Path(bundle).is_file():
        raise SourceConfigError(
            f"{CA_BUNDLE_ENV}={bundle!r} is not a readable file; point it at your CA's PEM file"
        )
    return bundle


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _cause(error: BaseException) -> str:
    """A short name for a transport failure."""
    for inner in _chain(error):
        if isinstance(inner, ConnectionRefusedError):
            return "connection refused"
        if isinstance(inner, ConnectionResetError | BrokenPipeError):
            return "connection reset by peer"
        if isinstance(inner, socket.gaierror):
            return "host name could not be resolved"
        if isinstance(inner, http.client.RemoteDisconnected | http.client.IncompleteRead):
            return "server closed the connection without a response"
    return f"connection failed ({type(error).__name__})"


def _is_tls_error(error: BaseException) -> bool:
    """An ``ssl.SSLError`` (only possible once an https connection imported ``ssl``)."""
    tls = sys.modules.get("ssl")
    return tls is not None and isinstance(error, tls.SSLError)


def _tls_cause(error: BaseException) -> str:
    verify_message = getattr(error, "verify_message", None)
    if verify_message:
        return str(verify_message)
    reason = getattr(error, "reason", None)
    return str(reason) if reason else type(error).__name__


class _Retryable(Exception):
    """A transport error worth one more try (refused, reset, dropped)."""


class HttpClient:
    """GETs and POSTs against one base URL within the gate's deadline (thread-safe)."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        sent: Credentials | None = None,
        ca_bundle: str | None = None,
        retries: int = TRANSPORT_RETRIES,
        follow_redirects: bool = True,
    ) -> None:
        self.url = endpoint.url
        self.credentials = sent if sent is not None else Credentials()
        """What this client sends (variable names, never values), for refusal messages."""
        self._secrets = self.credentials.secrets
        self._retries = retries
        self._follow_redirects = follow_redirects
        self._ca_bundle = ca_bundle
        self._tls: ssl.SSLContext | None = None
        self._idle: queue.SimpleQueue[http.client.HTTPConnection] = queue.SimpleQueue()
        self._closed = False

    @classmethod
    def from_env(cls, url: str, option: str, env: Mapping[str, str] | None = None) -> HttpClient:
        """A Prometheus API client for ``url``: auth and CA bundle from ``env`` (default
        ``os.environ``); redirects are not followed (a login page is a refusal, not an answer)."""
        env = os.environ if env is None else env
        endpoint = Endpoint.parse(url, option)
        sent = credentials(endpoint.user, endpoint.password, env)
        return cls(endpoint, sent=sent, ca_bundle=_ca_bundle_from_env(env), follow_redirects=False)

    @classmethod
    def plain(cls, url: str, option: str) -> HttpClient:
        """A client using only the credentials in ``url`` itself (basic auth), if any."""
        endpoint = Endpoint.parse(url, option)
        sent = credentials(endpoint.user, endpoint.password, {})  # no environment: the URL's own
        return cls(endpoint, sent=sent)

    def redact(self, text: str) -> str:
        """``text`` with every credential replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def post_form(self, path: str, form: Mapping[str, str], deadline: Deadline) -> HttpResponse:
        """POST ``form`` (url-encoded) to ``base + path``."""
        body = urlencode(dict(form)).encode("ascii")
        return self._send(
            _Request("POST", self.url + path, {"Content-Type": FORM_TYPE}, body), deadline
        )

    def post_json(self, path: str, payload: object, deadline: Deadline) -> HttpResponse:
        """POST ``payload`` as JSON to ``base + path`` (an API call of a smoke check)."""
        body = json.dumps(payload).encode("utf-8")
        headers = {"Content-Type": JSON_TYPE, "Accept": JSON_TYPE}
        return self._send(_Request("POST", self.url + path, headers, body), deadline)

    def get(self, path: str, deadline: Deadline, headers: Mapping[str, str]) -> HttpResponse:
        """GET ``base + path``."""
        return self._send(_Request("GET", self.url + path, dict(headers)), deadline)

    def close(self) -> None:
        """Close pooled connections."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def _send(self, request: _Request, deadline: Deadline) -> HttpResponse:
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._retrying(request, deadline)
            if not (
                self._follow_redirects
                and response.status in REDIRECT_STATUSES
                and response.location
                and request.method == "GET"
            ):
                return response
            request = dataclasses.replace(request, url=urljoin(request.url, response.location))
        raise TransportError(f"more than {MAX_REDIRECTS} redirects")

    def _retrying(self, request: _Request, deadline: Deadline) -> HttpResponse:
        attempt = 0
        while True:
            try:
                return self._once(request, deadline)
            except _Retryable as error:
                attempt += 1
                pause = RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1)
                if attempt > self._retries or deadline.remaining() <= pause:
                    raise TransportError(self.redact(str(error))) from error
                time.sleep(pause)

    def _once(self, request: _Request, deadline: Deadline) -> HttpResponse:
        parts = urlsplit(request.url)
        same_origin = request.url.startswith(self.url)
        connection = self._connection(parts.scheme, parts.hostname or "", parts.port, same_origin)
        timeout = deadline.timeout(deadline.seconds)
        sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **request.headers}
        if self.credentials.authorization and same_origin:
            sent["Authorization"] = self.credentials.authorization
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            connection.timeout = timeout
            if connection.sock is not None:
                connection.sock.settimeout(timeout)
            connection.request(request.method, target, body=request.body, headers=sent)
            response = connection.getresponse()
            data = _read_body(response, deadline, connection)
        except (DeadlineExceeded, TransportError):
            connection.close()
            raise
        except TimeoutError as error:
            connection.close()
            raise _timed_out(deadline, self.url) from error
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            if _is_tls_error(error):
                raise TransportError(
                    f"TLS verification failed ({_tls_cause(error)}); set {CA_BUNDLE_ENV} to "
                    "your CA's PEM file if the server uses a private CA"
                ) from error
            if isinstance(error, OSError | http.client.IncompleteRead):
                raise _Retryable(_cause(error)) from error
            raise TransportError(self.redact(f"request failed: {error}")[:300]) from error
        if same_origin and not response.will_close and not self._closed:
            self._idle.put(connection)
        else:
            connection.close()
        return HttpResponse(
            status=response.status,
            reason=response.reason or "",
            content_type=response.getheader("Content-Type", "") or "",
            body=data,
            location=response.getheader("Location", "") or "",
        )

    def _connection(
        self, scheme: str, host: str, port: int | None, pooled: bool
    ) -> http.client.HTTPConnection:
        if pooled:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, context=self._tls_context())
        return http.client.HTTPConnection(host, port)

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            import ssl

            self._tls = ssl.create_default_context(cafile=self._ca_bundle)
        return self._tls


def _timed_out(deadline: Deadline, url: str) -> Exception:
    if deadline.remaining() <= 0.05:
        return DeadlineExceeded(
            f"the gate deadline of {deadline.seconds:g} s (--gate-deadline) passed while waiting "
            f"for {url}"
        )
    return TransportError("timed out waiting for the server")


def _read_body(
    response: http.client.HTTPResponse, deadline: Deadline, connection: http.client.HTTPConnection
) -> bytes:
    """Read the body one socket read at a time, checking the deadline between reads.

    ``read1`` returns whatever one read gives, so a server that drips bytes cannot keep a read
    blocked past the deadline; each read waits at most for what is left of it.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        if deadline.expired:
            raise DeadlineExceeded(
                f"the gate deadline of {deadline.seconds:g} s (--gate-deadline) passed while "
                "reading the response"
            )
        if connection.sock is not None:
            connection.sock.settimeout(deadline.timeout(deadline.seconds))
        chunk = response.read1(CHUNK_BYTES)
        if not chunk:
            response.close()  # done: the connection may carry the next request
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TransportError(f"response larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB")
        chunks.append(chunk)
