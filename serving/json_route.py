"""FastAPI routes whose JSON bodies are parsed by :mod:`serving.strict_json`.

FastAPI reads a body with ``await request.json()``; a route class that hands the endpoint a
:class:`StrictJsonRequest` is FastAPI's documented way to change that parser. A route that takes a
body also documents the 408 and 413 the body bounds (:mod:`serving.request_body`) answer.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from serving import strict_json
from serving.errors import error_responses

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class StrictJsonRequest(Request):
    """A request whose :meth:`json` refuses what RFC 8259 refuses (see :mod:`serving.strict_json`)."""

    async def json(self) -> Any:
        """The body parsed strictly; ``json.JSONDecodeError`` for anything that is not JSON."""
        if not hasattr(self, "_json"):
            self._json = strict_json.loads(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """An ``APIRoute`` whose endpoint sees a :class:`StrictJsonRequest`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.body_field is not None:
            self.responses = {**error_responses(408, 413), **self.responses}

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, called with the strict request."""
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler
