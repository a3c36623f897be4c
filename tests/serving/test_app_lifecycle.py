"""Server lifecycle: liveness, readiness while loading, graceful shutdown of in-flight requests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from serving.app import create_app
from serving.config import Settings
from serving.loader import TransformersLoader
from serving.models import ModelRegistry
from serving.server import uvicorn_config
from tests.serving.live_server import LiveServer, serve
from tests.support.prometheus_server import free_port

EXIT_TIMEOUT_SECONDS = 120.0


def test_livez_answers_200(server: LiveServer) -> None:
    """The liveness endpoint answers while the process serves."""
    assert server.client.get("/livez").json() == {"status": "alive"}


def test_health_is_200_with_every_model_loaded(server: LiveServer) -> None:
    """Readiness: 200, nothing missing, each model loaded with its revision and device."""
    response = server.client.get("/health")
    assert response.status_code == 200
    models = response.json()["models"]
    assert {name: info["status"] for name, info in models.items()} == {
        "qwen_32b": "loaded",
        "llama3_8b": "loaded",
        "mistral_7b": "loaded",
    }
    assert models["qwen_32b"]["revision"].startswith("tiny-")


def test_health_says_models_run_on_cpu_and_why(server: LiveServer) -> None:
    """Without a GPU, the admission status says the models run on CPU and why."""
    admission = server.client.get("/health").json()["admission"]
    assert admission["mode"] == "cpu"
    assert "SERVING_DEVICE=cpu" in admission["detail"]


def test_shutdown_finishes_the_in_flight_request(tiny_registry: ModelRegistry) -> None:
    """A graceful shutdown lets a running brief finish with 200, then stops accepting."""
    results: list[int] = []
    with serve(Settings(device="cpu", fault_slow_seconds={"fast": 1.0}), tiny_registry) as live:

        def last_request() -> None:
            with httpx.Client(base_url=live.url, timeout=60) as client:
                body = {"text": "one last request", "mode": "fast"}
                results.append(client.post("/v1/brief", json=body).status_code)

        in_flight = threading.Thread(target=last_request)
        in_flight.start()
        live.wait_until_pending(1)
        live.stop()
        in_flight.join()
        url = live.url
    assert results == [200]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/livez")


def test_request_past_the_shutdown_grace_is_503_with_retry_after(
    tiny_registry: ModelRegistry,
) -> None:
    """A brief still running when a 0.2 s grace is over is answered 503 + Retry-After, not 500."""
    settings = Settings(device="cpu", fault_slow_seconds={"fast": 2.0}, shutdown_grace_seconds=0.2)
    results: list[httpx.Response] = []
    with serve(settings, tiny_registry) as live:

        def last_request() -> None:
            with httpx.Client(base_url=live.url, timeout=60) as client:
                body = {"text": "a request longer than the grace", "mode": "fast"}
                results.append(client.post("/v1/brief", json=body))

        in_flight = threading.Thread(target=last_request)
        in_flight.start()
        live.wait_until_pending(1)
        live.stop()
        in_flight.join()
    [response] = results
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"] == "shutting_down"


def test_fractional_shutdown_grace_reaches_uvicorn_unrounded(tiny_registry: ModelRegistry) -> None:
    """SERVING_SHUTDOWN_GRACE_SECONDS=0.5 is a 0.5 s grace (int() used to make it 0)."""
    settings = Settings.from_env({"SERVING_SHUTDOWN_GRACE_SECONDS": "0.5"}, device="cpu")
    app = create_app(settings, tiny_registry, TransformersLoader())
    config = uvicorn_config(app, settings, "127.0.0.1", 0, "warning")
    assert config.timeout_graceful_shutdown == 0.5


def test_sigterm_exits_0_after_a_clean_shutdown(tiny_registry_path: Path) -> None:
    """``python -m serving`` stopped by SIGTERM with nothing in flight exits with status 0."""
    port = free_port()
    env = {**os.environ, "SERVING_DEVICE": "cpu", "SERVING_TORCH_THREADS": "1"}
    command = [sys.executable, "-m", "serving", "--registry", str(tiny_registry_path)]
    command += ["--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/health", process)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=EXIT_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output.decode()[-2000:]


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + EXIT_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited before it was healthy"
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never answered 200")
