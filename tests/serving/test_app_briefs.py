"""Briefs over a real socket: schema-valid in every mode, cached on repeat, bad input is a 4xx."""

from __future__ import annotations

import pytest

from serving.brief import Brief
from serving.config import MODES
from tests.serving.live_server import LiveServer


@pytest.mark.parametrize("mode", MODES)
def test_brief_in_each_mode_is_schema_valid(server: LiveServer, mode: str) -> None:
    """A tiny random model, guided by the grammar, still returns a brief the schema accepts."""
    response = server.brief(f"a calm {mode} scent with cedar for autumn evenings", mode)
    assert response.status_code == 200, response.text
    body = response.json()
    Brief.model_validate(body["brief"])
    assert (body["mode"], body["served_mode"], body["repaired"]) == (mode, mode, False)


def test_korean_request_gets_a_valid_brief(server: LiveServer) -> None:
    """Non-ASCII request text is served like any other."""
    response = server.brief("따뜻하고 포근한 겨울 향수", "fast")
    assert response.status_code == 200, response.text
    Brief.model_validate(response.json()["brief"])


def test_request_without_mode_uses_the_default_mode(server: LiveServer) -> None:
    """Omitting ``mode`` serves the settings' default mode (balanced)."""
    response = server.brief("something light for the office")
    assert response.json()["mode"] == "balanced"


def test_repeated_request_is_a_cache_hit(server: LiveServer) -> None:
    """The same text (up to case and spacing) in the same mode is answered from the cache."""
    hits_before = server.metric("cache_hits_total", mode="fast", cache_type="llm")
    first = server.brief("A vanilla musk perfume for winter", "fast").json()
    again = server.brief("  a VANILLA musk   perfume for winter ", "fast").json()
    assert (first["cached"], again["cached"]) == (False, True)
    assert again["brief"] == first["brief"]
    assert server.metric("cache_hits_total", mode="fast", cache_type="llm") == hits_before + 1


def test_cache_is_separate_per_mode(server: LiveServer) -> None:
    """The same text in another mode is a miss: modes never share answers."""
    server.brief("rose and amber for a wedding", "fast")
    other = server.brief("rose and amber for a wedding", "balanced").json()
    assert other["cached"] is False


def test_successful_brief_counts_success_and_latency(server: LiveServer) -> None:
    """A generated brief adds one success and one latency observation for its mode."""
    success = server.metric("llm_brief_total", mode="creative", status="success")
    observed = server.metric("llm_brief_latency_seconds_count", mode="creative")
    server.brief("green tea and fig, bright and clean", "creative")
    assert server.metric("llm_brief_total", mode="creative", status="success") == success + 1
    assert server.metric("llm_brief_latency_seconds_count", mode="creative") == observed + 1


BAD_BODIES = {
    "text over 2000 characters": {"text": "x" * 2001},
    "unknown mode": {"text": "hello", "mode": "turbo"},
    "missing text": {"mode": "fast"},
    "empty text": {"text": ""},
    "whitespace-only text": {"text": "   \n\t"},
    "extra field": {"text": "hello", "model": "qwen_32b"},
    "text not a string": {"text": 42},
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_brief_request_is_422_with_a_message(server: LiveServer, body: object) -> None:
    """Invalid bodies are refused with 422 and a message naming the field."""
    response = server.client.post("/v1/brief", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"]


def test_malformed_json_is_422_with_a_message(server: LiveServer) -> None:
    """A body that is not JSON is refused with 422 saying so."""
    response = server.client.post(
        "/v1/brief", content=b'{"text": "unterminated', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"][0]["msg"]


def test_oversized_body_is_413(server: LiveServer) -> None:
    """A body far beyond any valid request is refused before it is parsed."""
    response = server.client.post("/v1/brief", json={"text": "x" * 100_000})
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


def test_unknown_path_is_404(server: LiveServer) -> None:
    """Unknown routes are 404 and counted under a bounded handler label."""
    before = server.metric("http_requests_total", handler="unmatched", status="404")
    assert server.client.get("/v2/nothing-here").status_code == 404
    assert server.metric("http_requests_total", handler="unmatched", status="404") == before + 1
