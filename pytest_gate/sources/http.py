"""HTTP transport for the sources: one ``requests.Session``, the gate's deadline, auth from env.

Every call takes its timeout from the shared :class:`~pytest_gate.deadline.Deadline` and reads the
body in chunks, checking the deadline between them, so a slow or dripping server cannot outlast it.
Transport errors (connection refused, reset, dropped) are retried a bounded number of times inside
the deadline; an HTTP status or a body is never retried. Credentials (from the URL or the
environment, see :mod:`pytest_gate.sources.auth`) are sent as headers and scrubbed from every
message and every reported URL.
"""

from __future__ import annotations

import os
import socket
import ssl
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError, ProtocolError, ReadTimeoutError

from pytest_gate.deadline import Deadline, DeadlineExceeded
from pytest_gate.sources.auth import Credentials, credentials
from pytest_gate.sources.base import SourceConfigError
from pytest_gate.urls import redact

CA_BUNDLE_ENV = "GATE_PROMETHEUS_CA_BUNDLE"
TRANSPORT_RETRIES = 2
RETRY_BACKOFF_SECONDS = 0.1
MAX_BODY_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
POOL_SIZE = 32


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
            clean = redact(url.strip()).rstrip("/")
        except ValueError as error:  # e.g. a port that is not a number
            raise SourceConfigError(f"{option} is not a valid URL ({error}); {fix}") from error
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourceConfigError(f"{option} {clean!r} is not an http(s) URL; {fix}")
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(clean, user, password)


def _verify_from_env(env: Mapping[str, str]) -> bool | str:
    bundle = env.get(CA_BUNDLE_ENV)
    if not bundle:
        return True
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
        todo.extend(a for a in current.args if isinstance(a, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)


def _cause(error: Exception) -> str:
    """A short name for a transport failure (the raw text repeats URLs and pool internals)."""
    for inner in _chain(error):
        if isinstance(inner, ConnectionRefusedError):
            return "connection refused"
        if isinstance(inner, ConnectionResetError):
            return "connection reset by peer"
        if isinstance(inner, socket.gaierror):
            return "host name could not be resolved"
    text = str(error)
    if "RemoteDisconnected" in text or "closed connection without response" in text:
        return "server closed the connection without a response"
    return f"connection failed ({type(error).__name__})"


class HttpClient:
    """GETs and POSTs against one base URL within the gate's deadline."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        sent: Credentials | None = None,
        verify: bool | str = True,
        retries: int = TRANSPORT_RETRIES,
        follow_redirects: bool = True,
    ) -> None:
        self.url = endpoint.url
        self.credentials = sent if sent is not None else Credentials()
        """What this client sends (variable names, never values), for refusal messages."""
        self._secrets = self.credentials.secrets
        self._retries = retries
        self._follow_redirects = follow_redirects
        self._session = requests.Session()
        self._session.auth = self.credentials.auth
        self._session.verify = verify
        self._session.trust_env = False
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    @classmethod
    def from_env(cls, url: str, option: str, env: Mapping[str, str] | None = None) -> HttpClient:
        """A Prometheus API client for ``url``: auth and CA bundle from ``env`` (default
        ``os.environ``); redirects are not followed (a login page is a refusal, not an answer)."""
        env = os.environ if env is None else env
        endpoint = Endpoint.parse(url, option)
        sent = credentials(endpoint.user, endpoint.password, env)
        return cls(endpoint, sent=sent, verify=_verify_from_env(env), follow_redirects=False)

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
        return self._send("POST", path, deadline, data=dict(form))

    def get(self, path: str, deadline: Deadline, headers: Mapping[str, str]) -> HttpResponse:
        """GET ``base + path``."""
        return self._send("GET", path, deadline, headers=dict(headers))

    def _send(self, method: str, path: str, deadline: Deadline, **kwargs: object) -> HttpResponse:
        attempt = 0
        while True:
            try:
                return self._once(method, self.url + path, deadline, kwargs)
            except _Retryable as error:
                attempt += 1
                pause = RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1)
                if attempt > self._retries or deadline.remaining() <= pause:
                    raise TransportError(self.redact(str(error))) from error
                time.sleep(pause)

    def _once(
        self, method: str, url: str, deadline: Deadline, kwargs: Mapping[str, object]
    ) -> HttpResponse:
        timeout = deadline.timeout(deadline.seconds)
        try:
            response = self._session.request(
                method,
                url,
                timeout=timeout,
                stream=True,
                allow_redirects=self._follow_redirects,
                **kwargs,  # type: ignore[arg-type]
            )
            with response:
                body = _read_body(response, deadline)
        except requests.exceptions.SSLError as error:
            raise TransportError(
                f"TLS verification failed ({_tls_cause(error)}); set {CA_BUNDLE_ENV} to your "
                "CA's PEM file if the server uses a private CA"
            ) from error
        except (requests.Timeout, ReadTimeoutError) as error:
            raise _timed_out(deadline, self.url) from error
        except (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            ProtocolError,
        ) as error:
            if any(isinstance(e, TimeoutError | ReadTimeoutError) for e in _chain(error)):
                # a read timeout while streaming the body
                raise _timed_out(deadline, self.url) from error
            raise _Retryable(_cause(error)) from error
        except (requests.RequestException, HTTPError) as error:
            raise TransportError(self.redact(f"request failed: {error}")[:300]) from error
        return HttpResponse(
            status=response.status_code,
            reason=response.reason or "",
            content_type=response.headers.get("Content-Type", ""),
            body=body,
            location=response.headers.get("Location", ""),
        )

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()


def _tls_cause(error: BaseException) -> str:
    for inner in _chain(error):
        if isinstance(inner, ssl.SSLCertVerificationError):
            return inner.verify_message or "certificate verify failed"
        if isinstance(inner, ssl.SSLError):
            return inner.reason or type(inner).__name__
    return type(error).__name__


def _timed_out(deadline: Deadline, url: str) -> Exception:
    if deadline.remaining() <= 0.05:
        return DeadlineExceeded(
            f"the gate deadline of {deadline.seconds:g} s (--gate-deadline) passed while waiting "
            f"for {url}"
        )
    return TransportError("timed out waiting for the server")


class _Retryable(Exception):
    """A transport error worth one more try (refused, reset, dropped)."""


def _read_body(response: requests.Response, deadline: Deadline) -> bytes:
    """Read the body one socket read at a time, checking the deadline between reads.

    ``read1`` returns whatever one read gives, so a server that drips bytes cannot keep a read
    blocked past the deadline (``iter_content`` would wait for a full chunk).
    """
    raw = response.raw
    reads = (
        iter(lambda: raw.read1(CHUNK_BYTES, decode_content=True), b"")
        if hasattr(raw, "read1")
        else response.iter_content(CHUNK_BYTES)
    )
    chunks: list[bytes] = []
    size = 0
    for chunk in reads:
        if deadline.expired:
            raise DeadlineExceeded(
                f"the gate deadline of {deadline.seconds:g} s (--gate-deadline) passed while "
                "reading the response"
            )
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TransportError(f"response larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB")
        chunks.append(chunk)
    return b"".join(chunks)
