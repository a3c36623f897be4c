"""ASGI middleware: ``http_requests_total`` per route template and status."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.metrics import ServingMetrics


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
            await self._app(scope, receive, remember_status)
        finally:
            route = scope.get("route")
            self._metrics.count_request(scope["method"], getattr(route, "path", None), status)
