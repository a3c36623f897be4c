"""A real uvicorn server on loopback running a serving app, for the serving tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from serving.app import create_app
from serving.config import Settings
from serving.loader import TransformersLoader
from serving.models import ModelRegistry
from serving.server import Server, uvicorn_config
from serving.state import ServingState
from tests.support.prometheus_server import free_port

START_TIMEOUT_SECONDS = 30.0
LOAD_TIMEOUT_SECONDS = 60.0
TOKEN = "test-admin-token"


class LiveServer:
    """One app served in a thread as ``python -m serving`` serves it (``serving.server``)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = self.state.settings
        self.server = Server(uvicorn_config(app, settings, "127.0.0.1", self.port, "warning"))
        self._thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)
        self.client = httpx.Client(base_url=self.url, timeout=60.0)

    @property
    def state(self) -> ServingState:
        """The app's parts, for waiting on in-process events (never for asserting on)."""
        state: ServingState = self.app.state.serving
        return state

    def start(self) -> None:
        """Start serving and wait until the socket accepts and the initial loads finished."""
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.02)
        job = self.state.load_job
        assert job is not None
        job.result(timeout=LOAD_TIMEOUT_SECONDS)

    def stop(self) -> None:
        """Graceful shutdown, as on SIGTERM: in-flight requests finish first."""
        self.server.should_exit = True
        self._thread.join(timeout=START_TIMEOUT_SECONDS)
        self.client.close()

    def admin(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """An admin request with the right bearer token (and any other ``headers``)."""
        headers = {**(headers or {}), "Authorization": f"Bearer {TOKEN}"}
        return self.client.request(method, path, headers=headers, **kwargs)

    def brief(self, text: str, mode: str | None = None) -> httpx.Response:
        """POST /v1/brief."""
        body: dict[str, Any] = {"text": text}
        if mode is not None:
            body["mode"] = mode
        return self.client.post("/v1/brief", json=body)

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples of ``name`` with ``labels``, from a real scrape of /metrics."""
        from prometheus_client.parser import text_string_to_metric_families

        text = self.client.get("/metrics").text
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )

    def wait_until_pending(self, count: int) -> None:
        """Block until ``count`` inference jobs are in the pool (running or waiting)."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while self.state.pool.stats()["pending"] < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"never saw {count} pending inference jobs")
            time.sleep(0.01)


@contextmanager
def serve(settings: Settings, registry: ModelRegistry, **parts: Any) -> Iterator[LiveServer]:
    """Run ``create_app(settings, registry, TransformersLoader(...))`` on loopback."""
    loader = TransformersLoader(settings.max_prompt_tokens)
    server = LiveServer(create_app(settings, registry, loader, **parts))
    server.start()
    try:
        yield server
    finally:
        server.stop()
