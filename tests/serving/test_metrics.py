"""The /metrics exposition: exactly the DESIGN §6 serving names, counters starting at 0."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from serving.config import MODES
from serving.metrics import CONTRACT_NAMES, ServingMetrics, render
from tests.serving.live_server import LiveServer

DESIGN_SECTION_6_SERVING = {
    "http_requests_total",
    "llm_brief_total",
    "llm_schema_fix_count_total",
    "llm_brief_latency_seconds",
    "cache_hits_total",
    "cache_misses_total",
    "llm_model_loaded",
    "llm_model_vram_bytes",
    "llm_model_info",
}
MODELS = {"qwen_32b": "r1", "llama3_8b": "r2", "mistral_7b": "r3"}


def _sample_names(text: str) -> set[str]:
    return {
        sample.name for family in text_string_to_metric_families(text) for sample in family.samples
    }


def _fresh() -> str:
    metrics = ServingMetrics(CollectorRegistry(), MODES, MODELS)
    return render(metrics.registry).decode()


def test_contract_names_are_those_of_design_section_6() -> None:
    """The module's contract constant matches DESIGN §6 (serving rows)."""
    assert CONTRACT_NAMES == DESIGN_SECTION_6_SERVING


def test_live_exposition_has_exactly_the_contract_families(server: LiveServer) -> None:
    """A real scrape exposes the contract's families and nothing else (no _created series)."""
    text = server.client.get("/metrics").text
    families = {family.name for family in text_string_to_metric_families(text)}
    counters = {name.removesuffix("_total") for name in DESIGN_SECTION_6_SERVING}
    assert families == {name for name in counters}
    assert not any(name.endswith("_created") for name in _sample_names(text))


def test_labelled_counters_start_at_zero_for_every_mode() -> None:
    """Before any traffic: brief success/failure, cache hits/misses per mode are present at 0."""
    text = _fresh()
    for mode in MODES:
        for name, labels in (
            ("llm_brief_total", f'mode="{mode}",status="failure"'),
            ("cache_hits_total", f'cache_type="llm",mode="{mode}"'),
            ("cache_misses_total", f'cache_type="llm",mode="{mode}"'),
        ):
            assert f"{name}{{{labels}}} 0.0" in text


def test_schema_fix_counter_starts_at_zero_per_mode_and_model() -> None:
    """Every (mode, original_model) pair of the fix counter exists at 0."""
    text = _fresh()
    pairs = [(mode, model) for mode in MODES for model in MODELS]
    for mode, model in pairs:
        assert f'llm_schema_fix_count_total{{mode="{mode}",original_model="{model}"}} 0.0' in text


def test_model_gauges_start_unloaded_with_their_revision() -> None:
    """Each model is llm_model_loaded 0 and llm_model_info 1 with its revision before loading."""
    text = _fresh()
    for model, revision in MODELS.items():
        assert f'llm_model_loaded{{model="{model}"}} 0.0' in text
        assert f'llm_model_info{{model="{model}",revision="{revision}"}} 1.0' in text


def test_latency_histogram_has_the_slo_bounds(server: LiveServer) -> None:
    """llm_brief_latency_seconds has buckets at 2.5, 3.2 and 4.5 s for each mode."""
    text = server.client.get("/metrics").text
    for mode in MODES:
        for bound in ("2.5", "3.2", "4.5"):
            assert f'llm_brief_latency_seconds_bucket{{le="{bound}",mode="{mode}"}}' in text


def test_http_requests_use_route_templates_and_status_codes(server: LiveServer) -> None:
    """Requests are counted by method, route template and status code string."""
    before = server.metric("http_requests_total", method="GET", handler="/livez", status="200")
    server.client.get("/livez")
    after = server.metric("http_requests_total", method="GET", handler="/livez", status="200")
    assert after == before + 1


def test_unknown_method_is_counted_as_other() -> None:
    """A made-up HTTP method does not create a new label value."""
    metrics = ServingMetrics(CollectorRegistry(), MODES, MODELS)
    metrics.count_request("BREW", None, 405)
    assert 'http_requests_total{handler="unmatched",method="other",status="405"} 1.0' in (
        render(metrics.registry).decode()
    )
