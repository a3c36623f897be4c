"""The vllm profile's golden scenarios: one vLLM deployment state each, and the verdict."""

from __future__ import annotations

from tests.profiles.vllm_data import MODELS, Model, OpenMetrics, VllmScenario, write

LLAMA, QWEN = MODELS
PRESENCE_GATED = (
    "test_ttft_p99",
    "test_inter_token_latency_p99",
    "test_engine_errors",
    "test_e2e_latency_p95",
    "test_queue_time_p95",
    "test_kv_cache_usage",
    "test_kv_cache_usage_average",
    "test_requests_waiting",
    "test_preemptions",
    "test_aborted_share",
)
BORN_SECONDS_AGO = 150
"""The new model's first sample: 150 s before T, inside every 5m window (6 samples)."""

SCENARIOS = (
    VllmScenario("healthy", "GO"),
    VllmScenario(
        "ttft-breach",
        "NO-GO",
        {"test_ttft_p99": "fail"},
        models={LLAMA: Model(), QWEN: Model(ttft_seconds=3.0)},
    ),
    VllmScenario(
        "itl-breach",
        "NO-GO",
        {"test_inter_token_latency_p99": "fail"},
        models={LLAMA: Model(itl_seconds=0.2), QWEN: Model()},
    ),
    VllmScenario("api-5xx", "NO-GO", {"test_api_5xx_rate": "fail"}, api_5xx_share=0.05),
    VllmScenario(
        "kv-cache-full",
        "WARNING",
        {"test_kv_cache_usage": "fail", "test_kv_cache_usage_average": "fail"},
        models={LLAMA: Model(kv_cache_usage=0.98), QWEN: Model()},
    ),
    VllmScenario(
        "preemptions",
        "WARNING",
        {"test_preemptions": "fail"},
        models={LLAMA: Model(), QWEN: Model(preemptions_per_step=3.0)},
    ),
    VllmScenario("old-vllm", "GO", {"test_engine_errors": "not_applicable"}, new_version=False),
    VllmScenario(
        "model-born-inside",
        "GO",
        models={LLAMA: Model(), QWEN: Model(born_seconds_ago=BORN_SECONDS_AGO)},
    ),
    VllmScenario(
        "engine-not-scraped",
        "NO-GO",
        {name: "no_data" for name in PRESENCE_GATED},
        engine_exported=False,
    ),
    VllmScenario("second-engine-on-gpu", "NO-GO", {"test_gpu_memory": "fail"}, gpu_used_share=0.97),
)
BY_NAME = {s.name: s for s in SCENARIOS}


def openmetrics() -> OpenMetrics:
    """Every scenario's series in one backfill file."""
    om = OpenMetrics()
    for scenario in SCENARIOS:
        write(om, scenario)
    return om
