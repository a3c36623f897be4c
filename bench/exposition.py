"""A ``/metrics`` endpoint for the scrape benchmark: the serving contract plus many label sets.

The exposition is rendered once by the serving app's own metric set (``serving.metrics``) with
some traffic, the three GPU exporter gauges, and ``extra_series`` more ``http_requests_total``
series (one per route), then served as static bytes from a loopback HTTP server thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client import Gauge as PromGauge

from serving.metrics import ServingMetrics, render

MODES = ("fast", "balanced", "creative")
MODELS = {"mistral_7b": "r1", "llama3_8b": "r1", "qwen_32b": "r1"}
GPU_TOTAL_BYTES = 80e9
GPU_FREE_RATIO = 0.4
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def exposition(extra_series: int) -> bytes:
    """The text exposition with ``extra_series`` additional label combinations."""
    registry = CollectorRegistry()
    metrics = ServingMetrics(registry, MODES, MODELS)
    metrics.init_routes([("POST", "/v1/brief"), ("GET", "/health")])
    for mode in MODES:
        metrics.briefs.labels(mode=mode, status="success").inc(500)
        metrics.cache_hits.labels(mode=mode, cache_type="llm").inc(400)
        metrics.cache_misses.labels(mode=mode, cache_type="llm").inc(100)
        for _ in range(50):
            metrics.brief_latency.labels(mode=mode).observe(1.0)
    for model in MODELS:
        metrics.set_loaded(model, "0", 2**30)
    metrics.http_requests.labels(method="POST", handler="/v1/brief", status="200").inc(1500)
    for index in range(extra_series):
        labels = {"method": "GET", "handler": f"/bench/route/{index}", "status": "200"}
        metrics.http_requests.labels(**labels).inc(index % 7 + 1)
    names = ("total", "used", "free")
    gauges = {
        n: PromGauge(f"nvidia_gpu_memory_{n}_bytes", n, ["gpu", "uuid", "name"], registry=registry)
        for n in names
    }
    for gpu in ("0", "1"):
        labels = {"gpu": gpu, "uuid": f"GPU-{gpu}", "name": "NVIDIA A100 80GB"}
        gauges["total"].labels(**labels).set(GPU_TOTAL_BYTES)
        gauges["free"].labels(**labels).set(GPU_TOTAL_BYTES * GPU_FREE_RATIO)
        gauges["used"].labels(**labels).set(GPU_TOTAL_BYTES * (1 - GPU_FREE_RATIO))
    return render(registry)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        body = self.server.body
        self.send_response(200)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, body: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.body = body


@contextmanager
def serve(body: bytes) -> Iterator[str]:
    """Serve ``body`` at ``/metrics`` on loopback; yields the URL."""
    server = _Server(body)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    finally:
        server.shutdown()
        server.server_close()
