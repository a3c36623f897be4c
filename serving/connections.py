"""uvicorn's h11 protocol with a connection cap and a request-head timeout.

uvicorn holds every connection it accepts until the client closes it: a connection that trickles
its request head a byte at a time (slow-loris), or sends nothing at all, is held forever, and
``limit_concurrency`` only answers once a complete head arrived. Here:

- a connection must deliver a complete request head ``header_timeout_seconds`` after it opened or
  after its previous response; else it is closed (with a 408 when part of a head had arrived);
- at ``max_connections`` open connections, a new one first evicts the connection that has waited
  longest for a head (idle keep-alive or slow-loris); when every connection is busy with a
  request, the new one is answered 503 with Retry-After and closed. So an attacker holding the
  cap with half-sent heads cannot lock out ``/health`` or real clients.

Connections refused or evicted here never reach the app, so ``http_requests_total`` does not
count them.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

_REFUSED_BODY = json.dumps(
    {
        "error": "too_many_connections",
        "detail": "every connection slot is busy with a request (SERVING_MAX_CONNECTIONS); retry",
    }
).encode()
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


def _refusal(retry_after_seconds: int) -> bytes:
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        f"Retry-After: {retry_after_seconds}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(_REFUSED_BODY)}\r\n\r\n"
    )
    return head.encode() + _REFUSED_BODY


class WaitingConnections:
    """One server's connections waiting for a request head, longest-waiting first.

    Kept in insertion order so finding the one to evict is O(1), not a scan of every connection
    (with 2,000 connections arriving at once the scan made each accept cost ~0.2 ms).
    """

    def __init__(self) -> None:
        self._order: dict[GuardedH11Protocol, None] = {}

    def add(self, connection: GuardedH11Protocol) -> None:
        """``connection`` starts waiting now (it moves to the back)."""
        self._order.pop(connection, None)
        self._order[connection] = None

    def discard(self, connection: GuardedH11Protocol) -> None:
        """``connection`` no longer waits."""
        self._order.pop(connection, None)

    def pop_oldest(self) -> GuardedH11Protocol | None:
        """The connection waiting longest (removed from the line), or None when none waits."""
        while self._order:
            connection = next(iter(self._order))
            del self._order[connection]
            if connection.waiting_for_head:
                return connection
        return None


class GuardedH11Protocol(H11Protocol):
    """The h11 protocol, capped and timed; build a configured subclass with :func:`guarded`."""

    max_connections: ClassVar[int]
    header_timeout_seconds: ClassVar[float]
    retry_after_seconds: ClassVar[int]
    waiting: ClassVar[WaitingConnections]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    @property
    def waiting_for_head(self) -> bool:
        """True between requests: open, no request in progress, no complete head yet."""
        return (
            self.transport is not None
            and not self.transport.is_closing()
            and self.conn.their_state is h11.IDLE
            and (self.cycle is None or self.cycle.response_complete)
        )

    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        """Take the connection (evicting the longest-waiting one at the cap) or refuse it."""
        if len(self.connections) >= self.max_connections and not self._evict_one():
            self.transport = transport
            transport.write(_refusal(self.retry_after_seconds))
            transport.close()
            return
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the head timer, then uvicorn's clean-up."""
        self._stop_head_timer()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        """uvicorn's event handling; a complete head stops the head timer."""
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._stop_head_timer()

    def on_response_complete(self) -> None:
        """uvicorn's keep-alive handling; the next request head is timed again."""
        super().on_response_complete()
        if self.waiting_for_head:
            self._await_head()

    def _await_head(self) -> None:
        self._stop_head_timer()
        self.waiting.add(self)
        self._head_timer = self.loop.call_later(self.header_timeout_seconds, self._head_overdue)

    def _stop_head_timer(self) -> None:
        self.waiting.discard(self)
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        if self.waiting_for_head:
            self._close(answer=bool(self.conn.trailing_data[0]))

    def _close(self, answer: bool) -> None:
        """Close a connection waiting for a head; a 408 first when part of one had arrived."""
        if answer:
            self.transport.write(_TIMED_OUT)
        self.transport.close()

    def _evict_one(self) -> bool:
        """Close the connection that has waited longest for a head; False when none waits."""
        oldest = self.waiting.pop_oldest()
        if oldest is None:
            return False
        oldest._close(answer=bool(oldest.conn.trailing_data[0]))
        return True


def guarded(
    max_connections: int, header_timeout_seconds: float, retry_after_seconds: int
) -> type[GuardedH11Protocol]:
    """A :class:`GuardedH11Protocol` subclass with these limits, for ``uvicorn.Config(http=...)``.

    uvicorn builds one protocol object per connection from the class it is given, so the limits
    and the server's line of waiting connections travel as class attributes of a subclass made
    for one server (never module state): call this once per server.
    """
    limits = {
        "max_connections": max_connections,
        "header_timeout_seconds": header_timeout_seconds,
        "retry_after_seconds": retry_after_seconds,
        "waiting": WaitingConnections(),
    }
    return type("ConfiguredH11Protocol", (GuardedH11Protocol,), limits)
