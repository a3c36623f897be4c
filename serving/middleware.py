"""ASGI middleware: ``http_requests_total`` per route template and status."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.metrics import ServingMetrics


class RequestMetrics:
    """Counts every HTTP request by method, route template (bounded) and status code.

    The count is taken as the response starts, before any byte of it is sent, so a client that
    has its answer and then scrapes ``/metrics`` always finds its request counted.
    """

    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, remembering the status the response started with."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        counted = False

        def count(status: int) -> None:
            nonlocal counted
            counted = True
            route = scope.get("route")
            self._metrics.count_request(scope["method"], getattr(route, "path", None), status)

        async def count_then_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                count(int(message["status"]))
            await send(message)

        try:
            await self._app(scope, receive, count_then_send)
        finally:
            if not counted:
                count(500)  # an exception before the response started is a server error
