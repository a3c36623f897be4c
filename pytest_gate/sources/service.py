"""The live service the smoke checks talk to, through the gate's own HTTP client and deadline.

Each request waits at most for its own cap (``[smoke] timeout_seconds``) and never past the gate's
deadline (``--gate-deadline``), which started before conftests loaded: a service that hangs or
drips its body cannot keep the gate from deciding. A transport failure, a deadline or a bad URL is
a :class:`Fetched` with ``error`` set, never an exception: the smoke checks turn it into an
``error`` answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_gate.core.deadline import Deadline, DeadlineExceeded
from pytest_gate.sources.base import SourceConfigError
from pytest_gate.sources.http import HttpClient, HttpResponse, TransportError

SERVING_OPTION = "--serving-url"
CAPPED = "no answer within {cap:g} s ([smoke] timeout_seconds)"
PAST_DEADLINE = "the gate deadline of {seconds:g} s (--gate-deadline) passed"


@dataclass(frozen=True)
class Fetched:
    """One HTTP exchange: the status, body and content type, or the transport error."""

    method: str
    url: str
    status: int | None
    body: str
    error: str = ""
    content_type: str = ""

    @property
    def what(self) -> str:
        """``GET http://host/health`` for messages."""
        return f"{self.method} {self.url}"


class ServiceClient:
    """GETs and JSON POSTs against the deployed service's base URL, within the gate's deadline."""

    def __init__(self, url: str, deadline: Deadline) -> None:
        self.url = url.rstrip("/")
        self._deadline = deadline
        self._client: HttpClient | None = None
        self._problem = ""
        try:
            self._client = HttpClient.plain(self.url, SERVING_OPTION)
        except SourceConfigError as exc:
            self._problem = str(exc)

    def get(self, path: str, cap_seconds: float) -> Fetched:
        """``GET base + path``, waiting at most ``cap_seconds`` (and never past the deadline)."""
        return self._exchange("GET", path, cap_seconds, None)

    def post_json(self, path: str, payload: object, cap_seconds: float) -> Fetched:
        """``POST base + path`` with a JSON body, like :meth:`get`."""
        return self._exchange("POST", path, cap_seconds, payload)

    def close(self) -> None:
        """Close pooled connections."""
        if self._client is not None:
            self._client.close()

    def _exchange(self, method: str, path: str, cap: float, payload: object) -> Fetched:
        url = self.url + path
        if self._client is None:
            return Fetched(method, url, None, "", self._problem)
        left = self._deadline.remaining()
        if left <= 0:
            return Fetched(
                method, url, None, "", PAST_DEADLINE.format(seconds=self._deadline.seconds)
            )
        request_deadline = Deadline(min(cap, left))
        try:
            response = self._send(method, path, payload, request_deadline)
        except DeadlineExceeded:
            capped = cap < left
            cause = (
                CAPPED.format(cap=cap)
                if capped
                else PAST_DEADLINE.format(seconds=self._deadline.seconds)
            )
            return Fetched(method, url, None, "", cause)
        except TransportError as exc:
            return Fetched(method, url, None, "", str(exc))
        body = response.body.decode("utf-8", errors="replace")
        return Fetched(method, url, response.status, body, "", response.content_type)

    def _send(self, method: str, path: str, payload: object, deadline: Deadline) -> HttpResponse:
        assert self._client is not None
        if method == "POST":
            return self._client.post_json(path, payload, deadline)
        return self._client.get(path, deadline, {})
