"""ASGI middleware: a request still running when the shutdown grace is over is answered 503.

On SIGTERM uvicorn stops accepting, lets in-flight requests run for
``SERVING_SHUTDOWN_GRACE_SECONDS``, then cancels what is left; the cancelled request got
uvicorn's plain-text 500 and a traceback. Here it gets a 503 with Retry-After (another replica, or
this one restarted, can answer it) and the server log one line from uvicorn saying how many
requests were cancelled.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SHUTTING_DOWN = (
    "the server is shutting down and this request did not finish within "
    "SERVING_SHUTDOWN_GRACE_SECONDS; retry it"
)


class CancelledAtShutdown:
    """Turns the server's cancellation of an unanswered request into a 503 with Retry-After."""

    def __init__(self, app: ASGIApp, retry_after_seconds: int) -> None:
        self._app = app
        self._retry_after = str(retry_after_seconds).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; answer 503 if it is cancelled before its response started."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, receive, watch)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if started or task is None:
                raise
            task.uncancel()
            await self._unavailable(send)

    async def _unavailable(self, send: Send) -> None:
        body = json.dumps({"error": "shutting_down", "detail": SHUTTING_DOWN}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", self._retry_after),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
