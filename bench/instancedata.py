"""The data of the serving-instances benchmark: N serving instances, streamed as OpenMetrics.

The healthy golden deployment (RL worker, GPUs, container resources) with N serving instances,
each with the full DESIGN §6 serving series: every counter, the latency histogram (8 buckets,
``_count``, ``_sum``) per mode, the model gauges and its ``up`` target. Every size sits under its
own ``namespace`` label; the gate selects one through ``[gate] label_selector``. 500 instances are
about 2 million samples, so the file is written family by family, never held in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from bench.datasets import T
from tests.checks.deployment import (
    BRIEFS_PER_STEP,
    BUCKETS,
    COUNTER_HISTORY_SECONDS,
    COUNTER_STEP_SECONDS,
    GAUGE_HISTORY_SECONDS,
    GAUGE_STEP_SECONDS,
    HEALTHY_LATENCY,
    LOOKUPS_PER_STEP,
    MODEL_BY_MODE,
    MODES,
    REQUESTS_PER_STEP,
    Scenario,
    write,
)
from tests.support.prometheus_server import OpenMetrics

HIT_SHARE = {"fast": 0.8, "balanced": 0.8, "creative": 0.5}
MISS_SHARE = {mode: 1.0 - share for mode, share in HIT_SHARE.items()}
MODEL_VRAM_BYTES = 20e9


FamilyWriter = Callable[[TextIO, dict[str, str]], int]
"""Writes one instance's series of one metric family; returns the samples written."""


def scenario(instances: int) -> Scenario:
    """The healthy golden deployment with ``instances`` serving targets up (its own series are
    instance 0's; :func:`write_instances` adds the others)."""
    return Scenario(f"bench-instances-{instances}", "GO", serving_up=(1.0,) * instances)


def instance_labels(namespace: str, index: int) -> dict[str, str]:
    """The target labels of serving instance ``index`` (0 is the golden one, unlabelled)."""
    return {"namespace": namespace, "job": "serving", "instance": f"serving-{index}:8000"}


def write_openmetrics(path: Path, counts: Sequence[int]) -> int:
    """Write every size's data to ``path`` (streamed: 500 instances are ~2M samples); returns
    the number of samples written."""
    base = OpenMetrics()
    for count in counts:
        write(base, scenario(count))
    written = 0
    with path.open("w") as out:
        for family in sorted(set(base.samples) | set(FAMILIES)):
            kind = base.types.get(family) or FAMILIES[family][0]
            out.write(f"# TYPE {family} {kind}\n")
            for ts, line in sorted(base.samples.get(family, []), key=lambda item: item[0]):
                out.write(f"{line} {ts:.3f}\n")
                written += 1
            if family in FAMILIES:
                writer = FAMILIES[family][1]
                written += sum(writer(out, target) for target in _each_extra(counts))
        out.write("# EOF\n")
    return written


def _times(history_seconds: int, step_seconds: int) -> list[float]:
    steps = history_seconds // step_seconds
    return [float(T - history_seconds + i * step_seconds) for i in range(steps + 1)]


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def _counter_lines(out: TextIO, name: str, labels: dict[str, str], per_step: float) -> int:
    text = name + _labels(labels)
    times = _times(COUNTER_HISTORY_SECONDS, COUNTER_STEP_SECONDS)
    for index, ts in enumerate(times):
        out.write(f"{text} {per_step * (index + 1)!r} {ts:.3f}\n")
    return len(times)


def _gauge_lines(out: TextIO, name: str, labels: dict[str, str], value: float) -> int:
    text = name + _labels(labels)
    times = _times(GAUGE_HISTORY_SECONDS, GAUGE_STEP_SECONDS)
    for ts in times:
        out.write(f"{text} {value!r} {ts:.3f}\n")
    return len(times)


def _each_extra(counts: Sequence[int]) -> Iterator[dict[str, str]]:
    """The target labels of every instance beyond the golden one, at every size."""
    for count in counts:
        for index in range(1, count):
            yield instance_labels(scenario(count).namespace, index)


def _http(out: TextIO, target: dict[str, str]) -> int:
    brief = {**target, "method": "POST", "handler": "/v1/brief"}
    probe = {**target, "method": "GET", "handler": "/health", "status": "200"}
    return (
        _counter_lines(out, "http_requests_total", {**brief, "status": "200"}, REQUESTS_PER_STEP)
        + _counter_lines(out, "http_requests_total", {**brief, "status": "500"}, 0.0)
        + _counter_lines(out, "http_requests_total", probe, 1.0)
    )


def _briefs(out: TextIO, target: dict[str, str]) -> int:
    written = 0
    for mode in MODES:
        for status, per_step in (("success", BRIEFS_PER_STEP), ("failure", 0.0)):
            labels = {**target, "mode": mode, "status": status}
            written += _counter_lines(out, "llm_brief_total", labels, per_step)
    return written


def _fixes(out: TextIO, target: dict[str, str]) -> int:
    return sum(
        _counter_lines(
            out,
            "llm_schema_fix_count_total",
            {**target, "mode": mode, "original_model": MODEL_BY_MODE[mode]},
            0.0,
        )
        for mode in MODES
    )


def _latency(out: TextIO, target: dict[str, str]) -> int:
    written = 0
    name = "llm_brief_latency_seconds"
    for mode in MODES:
        labels = {**target, "mode": mode}
        latency = HEALTHY_LATENCY[mode]
        for bound in BUCKETS:
            le = "+Inf" if bound == float("inf") else repr(bound)
            per_step = BRIEFS_PER_STEP if latency <= bound else 0.0
            written += _counter_lines(out, f"{name}_bucket", {**labels, "le": le}, per_step)
        written += _counter_lines(out, f"{name}_count", labels, BRIEFS_PER_STEP)
        written += _counter_lines(out, f"{name}_sum", labels, BRIEFS_PER_STEP * latency)
    return written


def _cache(name: str, share_of: dict[str, float]) -> FamilyWriter:
    def cache(out: TextIO, target: dict[str, str]) -> int:
        return sum(
            _counter_lines(
                out,
                name,
                {**target, "mode": mode, "cache_type": "response"},
                LOOKUPS_PER_STEP * share_of[mode],
            )
            for mode in MODES
        )

    return cache


def _models(name: str, value: float, extra: dict[str, str]) -> FamilyWriter:
    def models(out: TextIO, target: dict[str, str]) -> int:
        return sum(
            _gauge_lines(out, name, {**target, "model": model, **extra}, value)
            for model in MODEL_BY_MODE.values()
        )

    return models


FAMILIES: dict[str, tuple[str, FamilyWriter]] = {
    "http_requests": ("counter", _http),
    "llm_brief": ("counter", _briefs),
    "llm_schema_fix_count": ("counter", _fixes),
    "llm_brief_latency_seconds": ("histogram", _latency),
    "cache_hits": ("counter", _cache("cache_hits_total", HIT_SHARE)),
    "cache_misses": ("counter", _cache("cache_misses_total", MISS_SHARE)),
    "llm_model_loaded": ("gauge", _models("llm_model_loaded", 1.0, {})),
    "llm_model_vram_bytes": (
        "gauge",
        _models("llm_model_vram_bytes", MODEL_VRAM_BYTES, {"gpu": "0"}),
    ),
    "llm_model_info": ("gauge", _models("llm_model_info", 1.0, {"revision": "v1"})),
}
"""Every serving metric family of DESIGN §6: its type and the writer of one instance's series."""
