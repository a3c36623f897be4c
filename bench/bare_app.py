"""The reference server: a bare FastAPI endpoint returning stored JSON, under uvicorn.

``python -m bench.bare_app BODY_FILE PORT``: ``POST /v1/brief`` reads the request body and returns
``BODY_FILE``'s bytes as ``application/json``; uvicorn runs with the same defaults the serving
app's ``python -m serving`` uses. Nothing else: no validation, middleware, cache or metrics.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response


def create_app(body: bytes) -> FastAPI:
    """An app with one route answering ``body``."""
    app = FastAPI()

    @app.post("/v1/brief")
    async def brief(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    @app.get("/livez")
    async def livez() -> Response:
        return Response(b'{"status":"alive"}', media_type="application/json")

    return app


def main(argv: list[str]) -> int:
    """Serve until terminated."""
    body = Path(argv[1]).read_bytes()
    uvicorn.run(create_app(body), host="127.0.0.1", port=int(argv[2]), log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
