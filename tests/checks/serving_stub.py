"""A loopback stand-in for the deployed service, for the smoke checks' tests.

A real HTTP server on a free port; the first path segment picks the deployment state, so one server
serves every case: ``/healthy/...`` answers like a good deploy, ``/broken/...`` like a bad one
(``/health`` 503, one model unloaded, a brief with a wrong season, a metric missing).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

MODELS = ("qwen_32b", "llama3_8b", "mistral_7b")
VALID_BRIEF = {
    "language": "en",
    "mood": ["fresh"],
    "season": ["summer"],
    "notes_preference": {"bergamot": 0.25, "neroli": 0.25},
    "forbidden_ingredients": [],
    "budget_tier": "mid",
    "target_profile": "daily_fresh",
    "constraints": {"longevity_hours": 6.0},
    "product_category": "EDT",
    "creative_hints": ["morning citrus"],
}


def exposition(broken: bool) -> bytes:
    """The service's /metrics: the contract's names (one left out and one model down if broken)."""
    registry = CollectorRegistry()
    Counter("http_requests", "", ["method", "handler", "status"], registry=registry).labels(
        "POST", "/v1/brief", "200"
    ).inc()
    Counter("llm_brief", "", ["mode", "status"], registry=registry).labels("fast", "success").inc()
    Counter("llm_schema_fix_count", "", ["mode", "original_model"], registry=registry).labels(
        "fast", "mistral_7b"
    )
    Histogram("llm_brief_latency_seconds", "", ["mode"], registry=registry).labels("fast").observe(
        0.4
    )
    Counter("cache_misses", "", ["mode", "cache_type"], registry=registry).labels(
        "fast", "response"
    )
    if not broken:
        Counter("cache_hits", "", ["mode", "cache_type"], registry=registry).labels(
            "fast", "response"
        )
    loaded = Gauge("llm_model_loaded", "", ["model"], registry=registry)
    for model in MODELS:
        loaded.labels(model).set(0 if broken and model == "qwen_32b" else 1)
    return generate_latest(registry)


class StubHandler(BaseHTTPRequestHandler):
    """``/<state>/health``, ``/<state>/metrics``, ``POST /<state>/v1/brief``."""

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def _state_and_path(self) -> tuple[bool, str]:
        _, state, rest = self.path.split("/", 2)
        return state == "broken", "/" + rest

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """Health and metrics."""
        broken, path = self._state_and_path()
        if path == "/health":
            body = json.dumps({"status": "degraded" if broken else "ok"}).encode()
            self._send(503 if broken else 200, body, "application/json")
        elif path == "/metrics":
            self._send(200, exposition(broken), "text/plain; version=0.0.4")
        else:
            self._send(404, b"not found", "text/plain")

    def do_POST(self) -> None:
        """One brief."""
        broken, path = self._state_and_path()
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length))
        if path != "/v1/brief" or "text" not in request:
            self._send(422, b'{"detail": "bad request"}', "application/json")
            return
        brief = {**VALID_BRIEF, "season": ["fall"]} if broken else VALID_BRIEF
        body = {"brief": brief, "mode": request.get("mode"), "cached": False}
        self._send(200, json.dumps(body).encode(), "application/json")


@contextmanager
def serving_stub() -> Iterator[str]:
    """Run the stub on a free loopback port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
