"""The vllm profile from one ``/metrics`` scrape of a vLLM-shaped ``prometheus_client`` registry
(vLLM serves its metrics with ``prometheus_client``; names, labels and buckets as in
``tests/profiles/vllm_data.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from tests.profiles.conftest import GateRun, copy_profile, profile_config, run_profile
from tests.profiles.vllm_data import ITL_BUCKETS, MODELS, REQUEST_BUCKETS, TTFT_BUCKETS
from tests.profiles.vllm_scenarios import LLAMA, QWEN

SHIPPED_MODEL = "meta-llama/Llama-3.1-8B-Instruct"
LABELS = ["model_name", "engine"]
REQUESTS = 100
HISTORY_CHECKS = ("test_kv_cache_usage_average", "test_requests_waiting")


def vllm_registry(slow_model: str) -> CollectorRegistry:
    """Two models' lifetime metrics; ``slow_model``'s first tokens take 3 s."""
    registry = CollectorRegistry()
    success = Counter(
        "vllm:request_success", "Finished.", [*LABELS, "finished_reason"], registry=registry
    )
    preemptions = Counter("vllm:num_preemptions", "Preemptions.", LABELS, registry=registry)
    ttft = Histogram(
        "vllm:time_to_first_token_seconds", "TTFT.", LABELS, buckets=TTFT_BUCKETS, registry=registry
    )
    itl = Histogram(
        "vllm:inter_token_latency_seconds", "ITL.", LABELS, buckets=ITL_BUCKETS, registry=registry
    )
    e2e = Histogram(
        "vllm:e2e_request_latency_seconds",
        "E2E.",
        LABELS,
        buckets=REQUEST_BUCKETS,
        registry=registry,
    )
    queue = Histogram(
        "vllm:request_queue_time_seconds",
        "Queue.",
        LABELS,
        buckets=REQUEST_BUCKETS,
        registry=registry,
    )
    kv = Gauge("vllm:kv_cache_usage_perc", "KV.", LABELS, registry=registry)
    waiting = Gauge("vllm:num_requests_waiting", "Waiting.", LABELS, registry=registry)
    http = Counter("http_requests", "Requests.", ["handler", "method", "status"], registry=registry)
    http.labels("/v1/chat/completions", "POST", "2xx").inc(2 * REQUESTS)
    for model in MODELS:
        series = (model, "0")
        for reason in ("stop", "length", "abort", "error", "repetition"):
            success.labels(*series, reason)
        success.labels(*series, "stop").inc(REQUESTS)
        preemptions.labels(*series)
        for _ in range(REQUESTS):
            ttft.labels(*series).observe(3.0 if model == slow_model else 0.3)
            e2e.labels(*series).observe(4.0)
            queue.labels(*series).observe(0.05)
            for _ in range(10):
                itl.labels(*series).observe(0.03)
        kv.labels(*series).set(0.4)
        waiting.labels(*series).set(1.0)
    return registry


@pytest.fixture
def vllm_metrics_url() -> Iterator[str]:
    """A vLLM-shaped /metrics on loopback, QWEN slow to first token."""
    server, thread = start_http_server(0, addr="127.0.0.1", registry=vllm_registry(QWEN))
    yield f"http://127.0.0.1:{server.server_port}/metrics"
    server.shutdown()
    server.server_close()
    thread.join()


def scrape_run(tmp_path: Path, url: str) -> GateRun:
    gate_dir = copy_profile(tmp_path)
    models = ", ".join(f'"{m}"' for m in MODELS)
    config = profile_config(
        tmp_path,
        "scrape.toml",
        (
            (f'models = ["{SHIPPED_MODEL}"]', f"models = [{models}]"),
            (f'chat_model = "{SHIPPED_MODEL}"', f'chat_model = "{LLAMA}"'),
            ('gpus = "required"', 'gpus = "none"'),
            ('enabled = true\njobs = ["vllm"]', 'enabled = false\njobs = ["vllm"]'),
        ),
    )
    return run_profile(
        gate_dir, ["--gate-config", str(config), "--metrics-url", url], tmp_path / "r.json"
    )


def test_one_scrape_judges_ttft_per_model_and_says_what_needs_history(
    tmp_path: Path, vllm_metrics_url: str
) -> None:
    """From lifetime totals: the slow model's p99 TTFT is NO-GO, named; the averaged checks say
    a scrape has no history (no_data); the others pass."""
    run = scrape_run(tmp_path, vllm_metrics_url)
    checks = run.checks()
    ttft = checks["test_ttft_p99"]
    assert (run.report["verdict"], ttft["outcome"]) == ("NO-GO", "fail"), run.output
    assert f"model_name={QWEN}" in ttft["message"]
    assert {c: checks[c]["outcome"] for c in HISTORY_CHECKS} == {
        c: "no_data" for c in HISTORY_CHECKS
    }
    others = set(checks) - {"test_ttft_p99", *HISTORY_CHECKS}
    assert {c: checks[c]["outcome"] for c in others} == {
        c: "not_applicable" if c in ("test_scrape_targets_up", "test_gpu_memory") else "pass"
        for c in others
    }
