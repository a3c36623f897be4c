"""ASGI middleware: ``http_requests_total`` per route template, and a request-body size cap."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.metrics import ServingMetrics

MAX_BODY_BYTES = 64 * 1024


class RequestMetrics:
    """Counts every HTTP request by method, route template (bounded) and status code."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, remembering the status the response started with."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        status = 500  # an exception before the response started is a server error

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            if _body_too_large(scope):
                status = 413
                await _reject_large_body(send)
            else:
                await self._app(scope, receive, remember_status)
        finally:
            route = scope.get("route")
            self._metrics.count_request(scope["method"], getattr(route, "path", None), status)


def _body_too_large(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return value.isdigit() and int(value) > MAX_BODY_BYTES
    return False


async def _reject_large_body(send: Send) -> None:
    body = json.dumps(
        {
            "error": "body_too_large",
            "detail": f"request body over {MAX_BODY_BYTES} bytes; a brief text is at most "
            "2000 characters",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
