"""Admin endpoints over a real socket: bearer-token auth, model unload/load, mode, cache, downshift."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from serving.admin import ADMIN_DISABLED, MISSING_TOKEN, WRONG_TOKEN
from serving.config import Settings
from serving.models import ModelRegistry
from tests.serving.live_server import TOKEN, LiveServer, serve

ADMIN_CALLS = [
    ("POST", "/admin/model/unload", {"model": "qwen_32b"}),
    ("POST", "/admin/model/load", {"model": "qwen_32b"}),
    ("POST", "/admin/mode/set", {"mode": "fast"}),
    ("GET", "/admin/cache/stats", None),
    ("GET", "/admin/cache/config", None),
    ("POST", "/admin/cache/ttl", {"mode": "fast", "ttl_seconds": 10}),
    ("DELETE", "/admin/cache", None),
    ("GET", "/admin/downshift/stats", None),
]
CALL_IDS = [f"{method} {path}" for method, path, _ in ADMIN_CALLS]


@pytest.fixture(scope="module")
def admin_server(tiny_registry: ModelRegistry, settings: Settings) -> Iterator[LiveServer]:
    """A server of its own: these tests unload models and change settings."""
    with serve(settings, tiny_registry) as live:
        yield live


@pytest.fixture
def creative_unloaded(admin_server: LiveServer) -> Iterator[LiveServer]:
    """The creative model (qwen_32b) unloaded for one test, loaded again afterwards."""
    response = admin_server.admin("POST", "/admin/model/unload", json={"model": "qwen_32b"})
    assert response.status_code == 200, response.text
    yield admin_server
    assert admin_server.admin("POST", "/admin/model/load", json={"model": "qwen_32b"}).is_success


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS, ids=CALL_IDS)
def test_admin_call_without_token_is_401(
    admin_server: LiveServer, method: str, path: str, body: object
) -> None:
    """No Authorization header: 401 with a Bearer challenge and how to authenticate."""
    response = admin_server.client.request(method, path, json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["detail"] == MISSING_TOKEN


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_CALLS, ids=CALL_IDS)
def test_admin_call_with_wrong_token_is_403(
    admin_server: LiveServer, method: str, path: str, body: object
) -> None:
    """A wrong bearer token: 403, and nothing happens."""
    headers = {"Authorization": f"Bearer {TOKEN}-wrong"}
    response = admin_server.client.request(method, path, json=body, headers=headers)
    assert response.status_code == 403
    assert response.json()["detail"] == WRONG_TOKEN


def test_admin_is_disabled_without_a_configured_token(tiny_registry: ModelRegistry) -> None:
    """With no SERVING_ADMIN_TOKEN every admin call is 403 and says how to enable admin."""
    with serve(Settings(admin_token=None, device="cpu"), tiny_registry) as live:
        response = live.admin("GET", "/admin/cache/stats")
    assert response.status_code == 403
    assert response.json()["detail"] == ADMIN_DISABLED


def test_unload_makes_health_503_naming_the_model(creative_unloaded: LiveServer) -> None:
    """/health is 503 while a required model is unloaded, and names it."""
    response = creative_unloaded.client.get("/health")
    assert response.status_code == 503
    assert response.json()["missing"] == ["qwen_32b"]
    assert response.json()["models"]["qwen_32b"]["status"] == "unloaded"


def test_unload_sets_model_loaded_gauge_to_0(creative_unloaded: LiveServer) -> None:
    """llm_model_loaded drops to 0 for the unloaded model only."""
    assert creative_unloaded.metric("llm_model_loaded", model="qwen_32b") == 0
    assert creative_unloaded.metric("llm_model_loaded", model="llama3_8b") == 1


def test_creative_request_downshifts_when_its_model_is_unloaded(
    creative_unloaded: LiveServer,
) -> None:
    """A creative request is served by the balanced model while the creative one is away."""
    response = creative_unloaded.brief("bold oud and leather", "creative")
    assert response.status_code == 200, response.text
    assert (response.json()["mode"], response.json()["served_mode"]) == ("creative", "balanced")


def test_downshift_stats_show_the_unavailable_mode(creative_unloaded: LiveServer) -> None:
    """The downshift stats route creative to balanced and list creative as unavailable."""
    stats = creative_unloaded.admin("GET", "/admin/downshift/stats").json()
    assert stats["routes"]["creative"] == "balanced"
    assert stats["unavailable"] == ["creative"]


def test_load_brings_health_back_to_200(admin_server: LiveServer) -> None:
    """Unload then load: /health is 200 again and the gauge is back at 1."""
    admin_server.admin("POST", "/admin/model/unload", json={"model": "mistral_7b"})
    response = admin_server.admin("POST", "/admin/model/load", json={"model": "mistral_7b"})
    assert response.json()["status"] == "loaded"
    assert admin_server.client.get("/health").status_code == 200
    assert admin_server.metric("llm_model_loaded", model="mistral_7b") == 1


@pytest.mark.parametrize("path", ["/admin/model/load", "/admin/model/unload"])
def test_unknown_model_is_404_listing_known_models(admin_server: LiveServer, path: str) -> None:
    """A model name not in the registry is 404 and the message lists the known ones."""
    response = admin_server.admin("POST", path, json={"model": "gpt_5"})
    assert response.status_code == 404
    assert "qwen_32b, llama3_8b, mistral_7b" in response.json()["detail"]


def test_mode_set_changes_the_default_mode(admin_server: LiveServer) -> None:
    """After /admin/mode/set, requests without a mode use the new default."""
    response = admin_server.admin("POST", "/admin/mode/set", json={"mode": "fast"})
    try:
        assert response.json() == {"default_mode": "fast", "previous": "balanced"}
        assert admin_server.brief("soft powdery iris").json()["mode"] == "fast"
    finally:
        admin_server.admin("POST", "/admin/mode/set", json={"mode": "balanced"})


def test_cache_config_shows_the_default_ttls(admin_server: LiveServer) -> None:
    """The per-mode TTLs are fast 300 s, balanced 600 s, creative 1800 s."""
    config = admin_server.admin("GET", "/admin/cache/config").json()
    assert config["ttl_seconds"] == {"creative": 1800.0, "balanced": 600.0, "fast": 300.0}


def test_cache_ttl_change_is_reported_in_config(admin_server: LiveServer) -> None:
    """POST /admin/cache/ttl changes one mode's TTL."""
    response = admin_server.admin(
        "POST", "/admin/cache/ttl", json={"mode": "fast", "ttl_seconds": 42}
    )
    try:
        assert response.json()["ttl_seconds"]["fast"] == 42.0
    finally:
        admin_server.admin("POST", "/admin/cache/ttl", json={"mode": "fast", "ttl_seconds": 300})


@pytest.mark.parametrize("ttl", [0, -5, 0.5, 5e-324, 86400.5, 10**9, "300", True, None, [300]])
def test_cache_ttl_that_is_not_seconds_in_range_is_422(
    admin_server: LiveServer, ttl: object
) -> None:
    """A TTL must be a JSON number from 1 s to a day: not tiny, not a string, not a boolean."""
    response = admin_server.admin(
        "POST", "/admin/cache/ttl", json={"mode": "fast", "ttl_seconds": ttl}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "ttl_seconds"]
    assert admin_server.admin("GET", "/admin/cache/config").json()["ttl_seconds"]["fast"] == 300


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_cache_ttl_that_is_not_finite_is_422(admin_server: LiveServer, literal: bytes) -> None:
    """NaN, the infinities and an overflowing exponent are refused as invalid JSON, not a 500."""
    response = admin_server.admin(
        "POST",
        "/admin/cache/ttl",
        content=b'{"mode": "fast", "ttl_seconds": ' + literal + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_cache_stats_count_hits_and_misses(admin_server: LiveServer) -> None:
    """A miss then a hit on the same text show up in the fast mode's stats."""
    before = admin_server.admin("GET", "/admin/cache/stats").json()["fast"]
    admin_server.brief("clean linen and white musk", "fast")
    admin_server.brief("clean linen and white musk", "fast")
    after = admin_server.admin("GET", "/admin/cache/stats").json()["fast"]
    assert (after["misses"] - before["misses"], after["hits"] - before["hits"]) == (1, 1)


def test_cache_flush_empties_it_and_the_next_request_misses(admin_server: LiveServer) -> None:
    """DELETE /admin/cache drops the entries; the same request is generated again."""
    admin_server.brief("smoky vetiver in the rain", "fast")
    cleared = admin_server.admin("DELETE", "/admin/cache").json()
    assert cleared["cleared"] >= 1
    assert admin_server.brief("smoky vetiver in the rain", "fast").json()["cached"] is False
