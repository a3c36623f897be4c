"""ASGI middleware that bounds every request body while it is read: size, time, client presence.

The bounds live in ``receive``, so they hold for a ``Content-Length`` body and a chunked one alike,
and nothing past the limit is ever buffered. Their errors are :class:`~serving.errors.ApiError`s
raised inside the route, so they are answered by the app's handlers and counted under the route
template: 413 past :data:`MAX_BODY_BYTES` (at once when ``Content-Length`` already says so), 408
when the body is not complete ``timeout_seconds`` after the request head, and 499 (nginx's "client
closed request"; never sent, only counted) when the client goes away mid-body. 413 and 408 close
the connection, so the server does not go on reading the rest of a body it refused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.errors import ApiError

MAX_BODY_BYTES = 64 * 1024
"""A brief request is at most 2,000 characters; 64 KiB leaves room for any valid body."""

CLIENT_CLOSED_REQUEST = 499
CLOSE = {"Connection": "close"}


def too_large() -> ApiError:
    """413: the body is over :data:`MAX_BODY_BYTES`."""
    return ApiError(
        413,
        "body_too_large",
        f"request body over {MAX_BODY_BYTES} bytes; a brief text is at most 2000 characters",
        CLOSE,
    )


def too_slow(timeout_seconds: float) -> ApiError:
    """408: the body did not arrive within the body timeout."""
    return ApiError(
        408,
        "body_timeout",
        f"the request body was not complete {timeout_seconds:g} s after the request head; "
        "send the whole body at once (SERVING_BODY_TIMEOUT_SECONDS)",
        CLOSE,
    )


def client_gone() -> ApiError:
    """499: the client disconnected before its body was complete."""
    return ApiError(CLIENT_CLOSED_REQUEST, "client_closed_request", "client disconnected")


def declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length``, or None when it has none (chunked, or no body)."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BoundedBody:
    """Wraps ``receive`` so a body over the size limit or the time limit is refused as it arrives."""

    def __init__(
        self,
        app: ASGIApp,
        timeout_seconds: float,
        max_bytes: int = MAX_BODY_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app = app
        self._timeout_seconds = timeout_seconds
        self._max_bytes = max_bytes
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a bounded ``receive``."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = declared_length(scope)
        deadline = self._clock() + self._timeout_seconds
        received = 0
        complete = False

        async def bounded_receive() -> Message:
            nonlocal received, complete
            if complete:
                return await receive()
            if declared is not None and declared > self._max_bytes:
                raise too_large()
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise too_slow(self._timeout_seconds)
            try:
                message = await asyncio.wait_for(receive(), remaining)
            except TimeoutError:
                raise too_slow(self._timeout_seconds) from None
            if message["type"] == "http.disconnect":
                raise client_gone()
            received += len(message.get("body", b""))
            if received > self._max_bytes:
                raise too_large()
            complete = not message.get("more_body", False)
            return message

        await self._app(scope, bounded_receive, send)
