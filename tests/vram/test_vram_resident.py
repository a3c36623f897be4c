"""Loaded models read from the serving stack's /metrics over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pytest_gate.vram.cli import main
from pytest_gate.vram.resident import ResidentError, fetch_loaded_models, loaded_models
from tests.support.fake_pynvml import FakeDevice, FakeNvml, gib, install

SERVING_METRICS = """\
# HELP llm_model_loaded 1 when the model is loaded
# TYPE llm_model_loaded gauge
llm_model_loaded{model="qwen_32b"} 1.0
llm_model_loaded{model="llama3_8b"} 0.0
llm_model_loaded{model="mistral_7b"} 1.0
"""


class _Handler(BaseHTTPRequestHandler):
    body = b""
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def serving() -> Iterator[tuple[ThreadingHTTPServer, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"body": SERVING_METRICS.encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()


def test_loaded_models_are_those_with_gauge_one() -> None:
    """llm_model_loaded == 1 means resident; 0 means not."""
    assert loaded_models(SERVING_METRICS) == {"qwen_32b", "mistral_7b"}


def test_metrics_without_the_gauge_are_an_error() -> None:
    """No llm_model_loaded gauge: not the serving /metrics, say so."""
    with pytest.raises(ResidentError, match="no llm_model_loaded"):
        loaded_models("# TYPE up gauge\nup 1\n")


def test_fetch_reads_the_gauge_over_http(
    serving: tuple[ThreadingHTTPServer, type[_Handler]],
) -> None:
    """A real /metrics endpoint on loopback answers which models are loaded."""
    server, _ = serving
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    assert fetch_loaded_models(url) == {"qwen_32b", "mistral_7b"}


def test_http_error_from_serving_names_the_url(
    serving: tuple[ThreadingHTTPServer, type[_Handler]],
) -> None:
    """A 503 from /metrics is an error naming the URL, not an empty set."""
    server, handler = serving
    handler.status = 503
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    with pytest.raises(ResidentError, match=f"cannot read loaded models from {url}"):
        fetch_loaded_models(url)


def test_refused_connection_is_an_error() -> None:
    """Nothing listening: an error, never 'nothing loaded'."""
    with pytest.raises(ResidentError, match="--loaded"):
        fetch_loaded_models("http://127.0.0.1:9/metrics")


def test_plan_loaded_from_serving_metrics_skips_resident_models(
    serving: tuple[ThreadingHTTPServer, type[_Handler]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--loaded-from: models the serving stack reports loaded are not placed again."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(48), gib(22))]))
    url = f"http://127.0.0.1:{serving[0].server_port}/metrics"
    models = [
        "--model",
        "qwen_32b=16GiB",
        "--model",
        "llama3_8b=5GiB",
        "--model",
        "mistral_7b=4GiB",
    ]
    assert main(["--plan", *models, "--loaded-from", url]) == 0
    out = capsys.readouterr().out
    assert "Already loaded (not counted again): mistral_7b, qwen_32b" in out
    assert "Models to load: 1 (5.0 GiB)" in out


def test_plan_with_unreachable_serving_metrics_exits_64(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown residency is never guessed: exit 64 naming the URL."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(48), gib(22))]))
    url = "http://127.0.0.1:9/metrics"
    assert main(["--plan", "--model", "a=1GiB", "--loaded-from", url]) == 64
    assert f"cannot read loaded models from {url}" in capsys.readouterr().err
