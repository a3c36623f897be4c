"""Server lifecycle: liveness, readiness while loading, graceful shutdown of in-flight requests."""

from __future__ import annotations

import threading

import httpx
import pytest

from serving.config import Settings
from serving.models import ModelRegistry
from tests.serving.live_server import LiveServer, serve


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
