"""HTTP transport for the sources: pooled ``http.client`` connections, the deadline, auth from env.

Why ``http.client`` and not ``requests``: measured on this project's 2-core machine (README,
"Metric sources"), ``import requests`` costs about 40 ms and 42 concurrent queries on loopback
take 45 ms through a ``requests.Session`` (15.8 ms through ``urllib3`` alone) but 9 ms through
``http.client``; the gate needs none of what ``requests`` adds (no cookies, no proxies from the
environment beyond the standard proxy variables, no redirects for API calls, no content
negotiation).

Every call takes its timeout from the shared :class:`~pytest_gate.core.deadline.Deadline` and reads the
body one socket read at a time, checking the deadline between reads, so a slow or dripping server
cannot outlast it. Transport errors (connection refused, reset, dropped) are retried a bounded
number of times inside the deadline; an HTTP status or a body is never retried. Credentials (from
the URL or the environment, see :mod:`pytest_gate.sources.auth`) are sent as a header and scrubbed
from every message and every reported URL. ``ssl`` is imported only for an ``https`` URL.

Credentials and extra headers go only to the origin (scheme, host, port) they were given for: a
redirect elsewhere drops them, and a redirect from https to http is refused (DESIGN §5). Requests
go through the proxy the standard variables name (:mod:`pytest_gate.sources.proxy`).
"""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import queue
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlencode, urljoin, urlsplit

from pytest_gate.config.transport import CA_BUNDLE_ENV
from pytest_gate.core.deadline import Deadline, DeadlineExceeded
from pytest_gate.core.urls import origin, redact
from pytest_gate.sources.auth import REDIRECT_STATUSES, Credentials, credentials
from pytest_gate.sources.base import SourceConfigError
from pytest_gate.sources.causes import (
    UNRESOLVED,
    cause,
    is_tls_error,
    proxy_refusal,
    unresolved_hint,
    via,
)
from pytest_gate.sources.proxy import Proxy, proxy_for, proxy_secrets
from pytest_gate.sources.transport import Transport, tls_failure, transport_from_env

if TYPE_CHECKING:
    import ssl

__all__ = ["CA_BUNDLE_ENV", "Endpoint", "HttpClient", "HttpResponse", "TransportError"]

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


class _Retryable(Exception):
    """A transport error worth one more try (refused, reset, dropped)."""


class HttpClient:
    """GETs, POSTs and PUTs against one base URL within the gate's deadline (thread-safe)."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        sent: Credentials | None = None,
        transport: Transport | None = None,
        env: Mapping[str, str] | None = None,
        retries: int = TRANSPORT_RETRIES,
        follow_redirects: bool = True,
    ) -> None:
        self.url = endpoint.url
        self.credentials = sent if sent is not None else Credentials()
        """What this client sends (variable names, never values), for refusal messages."""
        self.transport = transport if transport is not None else Transport()
        """CA bundle, client certificate and extra headers (values never shown)."""
        self._env = dict(os.environ if env is None else env)
        self._origin = origin(self.url)
        scheme, host, port = self._origin
        self.proxy = proxy_for(scheme, host, port, self._env)  # a bad proxy variable fails here
        """The proxy requests to this client's origin go through, or ``None``."""
        self._secrets = tuple(
            s
            for s in (*self.credentials.secrets, *self.transport.secrets, *proxy_secrets(self._env))
            if s
        )
        self._retries = retries
        self._follow_redirects = follow_redirects
        self._tls: dict[bool, ssl.SSLContext] = {}
        self._idle: queue.SimpleQueue[http.client.HTTPConnection] = queue.SimpleQueue()
        self._closed = False

    @classmethod
    def from_env(cls, url: str, option: str, env: Mapping[str, str] | None = None) -> HttpClient:
        """A Prometheus API client for ``url``: auth, TLS files and extra headers from ``env``
        (default ``os.environ``); redirects are not followed (a login page is a refusal)."""
        env = os.environ if env is None else env
        endpoint = Endpoint.parse(url, option)
        sent = credentials(endpoint.user, endpoint.password, env)
        transport = transport_from_env(env)
        return cls(endpoint, sent=sent, transport=transport, env=env, follow_redirects=False)

    @classmethod
    def plain(cls, url: str, option: str, env: Mapping[str, str] | None = None) -> HttpClient:
        """A client using only the credentials in ``url`` itself (basic auth), if any, and the
        proxy variables of ``env``."""
        endpoint = Endpoint.parse(url, option)
        sent = credentials(endpoint.user, endpoint.password, {})  # no environment: the URL's own
        return cls(endpoint, sent=sent, env=env)

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

    def put(self, path: str, body: bytes, content_type: str, deadline: Deadline) -> HttpResponse:
        """PUT ``body`` to ``base + path``."""
        headers = {"Content-Type": content_type}
        return self._send(_Request("PUT", self.url + path, headers, body), deadline)

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
            target = urljoin(request.url, response.location)
            if urlsplit(request.url).scheme == "https" and urlsplit(target).scheme != "https":
                raise TransportError(
                    f"refused a redirect from https to {redact(target)}: it would leave TLS; "
                    "point the URL at the address that answers over https"
                )
            request = dataclasses.replace(request, url=target)
        raise TransportError(f"more than {MAX_REDIRECTS} redirects")

    def _retrying(self, request: _Request, deadline: Deadline) -> HttpResponse:
        attempt = 0
        while True:
            try:
                # a retry opens a fresh connection: the pooled one may have been closed under us
                return self._once(request, deadline, fresh=attempt > 0)
            except _Retryable as error:
                attempt += 1
                pause = RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1)
                if attempt > self._retries or deadline.remaining() <= pause:
                    raise TransportError(self.redact(str(error))) from error
                time.sleep(pause)

    def _headers(self, request: _Request, home: bool, proxy: Proxy | None) -> dict[str, str]:
        """What one request carries: credentials and extra headers only to this client's origin."""
        sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if home:
            sent.update(self.transport.headers)
        sent.update(request.headers)
        if home and self.credentials.authorization:
            sent["Authorization"] = self.credentials.authorization
        if proxy is not None and proxy.authorization and not request.url.startswith("https:"):
            sent["Proxy-Authorization"] = proxy.authorization  # https: in the CONNECT instead
        return sent

    def _once(self, request: _Request, deadline: Deadline, fresh: bool = False) -> HttpResponse:
        parts = urlsplit(request.url)
        here = origin(request.url)
        home = here == self._origin
        try:
            proxy = self.proxy if home else proxy_for(*here, self._env)
        except SourceConfigError as error:
            raise TransportError(str(error)) from error
        connection = self._connection(here, proxy, home=home, pooled=home and not fresh)
        timeout = deadline.timeout(deadline.seconds)
        sent = self._headers(request, home, proxy)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        if proxy is not None and here[0] == "http":  # absolute-form through a forward proxy
            target = f"http://{parts.netloc.rpartition('@')[2]}{target}"
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
            raise self._failure(error, proxy, here[0]) from error
        if home and not response.will_close and not self._closed:
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

    def _failure(self, error: BaseException, proxy: Proxy | None, scheme: str) -> Exception:
        """The exception to raise for a request that got no response."""
        if is_tls_error(error):
            return TransportError(tls_failure(error, self.transport))
        if proxy is not None and (refused := proxy_refusal(error, proxy)) is not None:
            return TransportError(refused)
        if isinstance(error, OSError | http.client.IncompleteRead):
            said = cause(error)
            if proxy is None and said == UNRESOLVED:
                return _Retryable(said + unresolved_hint(scheme))
            return _Retryable(said + via(proxy))
        return TransportError(self.redact(f"request failed: {error}")[:300])

    def _connection(
        self, here: tuple[str, str, int], proxy: Proxy | None, *, home: bool, pooled: bool
    ) -> http.client.HTTPConnection:
        if pooled:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
        scheme, host, port = here
        if proxy is None:
            if scheme == "https":
                return http.client.HTTPSConnection(host, port, context=self._tls_context(home))
            return http.client.HTTPConnection(host, port)
        if scheme == "http":
            return http.client.HTTPConnection(proxy.host, proxy.port)
        tunnel = http.client.HTTPSConnection(
            proxy.host, proxy.port, context=self._tls_context(home)
        )
        auth = {"Proxy-Authorization": proxy.authorization} if proxy.authorization else None
        tunnel.set_tunnel(host, port, headers=auth)
        return tunnel

    def _tls_context(self, home: bool) -> ssl.SSLContext:
        """The verifying TLS context; the client certificate is offered only to this origin."""
        if home not in self._tls:
            transport = self.transport if home else Transport(ca_bundle=self.transport.ca_bundle)
            self._tls[home] = transport.tls_context()
        return self._tls[home]


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
