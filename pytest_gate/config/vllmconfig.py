"""The config of the ``vllm`` gate profile (``profile = "vllm"`` in its ``gate.toml``).

The profile gates a vLLM deployment on vLLM's own series (labels ``model_name``, ``engine``) and
its OpenAI-compatible API. Like the default gate, every key is required and unknown keys are
rejected; the tables that both share (``[gate]``, ``[[waivers]]``, ``[custom.*]``, the GPU
exporter presets) mean the same here. A check's table is named like the check (its test
function without ``test_``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pytest_gate.config.checkconfig import (
    COUNT,
    GPUS,
    LABEL_NAME_PATTERN,
    METRIC,
    POSITIVE,
    RATIO,
    TEXT,
    ListedTargetsUp,
    SmokeCheck,
)
from pytest_gate.config.gpuexporters import EXPORTER_CHOICES, GpuExporter, chosen
from pytest_gate.config.profiles import VLLM
from pytest_gate.config.regexrules import STATUS_FIX, regex_problem, status_regex_problem
from pytest_gate.config.tomlschema import fail, rules
from pytest_gate.config.waivers import Waiver
from pytest_gate.core.query import Matcher, equal_matchers

__all__ = ["VLLM", "VllmConfig"]


GPU_MODES = ("required", "none")
CUSTOM_ENABLED = "enabled"
LABEL = {"pattern": LABEL_NAME_PATTERN, "pattern_help": "a label name like model_name"}


@dataclass(frozen=True)
class VllmGate:
    """``[gate]``: the label selector of every query, and how far back "exported" looks."""

    label_selector: dict[str, str] = field(
        metadata=rules(key_pattern=LABEL_NAME_PATTERN, pattern_help="a label name like namespace")
    )
    lookback_seconds: int = field(metadata=rules(**POSITIVE))


@dataclass(frozen=True)
class VllmDeployment:
    """``[deployment]``: the served model names and whether GPUs are gated."""

    models: tuple[str, ...] = field(metadata=rules(**TEXT))
    gpus: str = field(metadata=rules(choices=GPU_MODES))


@dataclass(frozen=True)
class VllmMetrics:
    """``[metrics]``: vLLM's series names (arrays: the first name the engine exports is read)."""

    http_requests: str = field(metadata=rules(**METRIC))
    request_success: str = field(metadata=rules(**METRIC))
    time_to_first_token: str = field(metadata=rules(**METRIC))
    inter_token_latency: tuple[str, ...] = field(metadata=rules(nonempty=True, **METRIC))
    e2e_latency: str = field(metadata=rules(**METRIC))
    queue_time: str = field(metadata=rules(**METRIC))
    kv_cache_usage: tuple[str, ...] = field(metadata=rules(nonempty=True, **METRIC))
    requests_waiting: str = field(metadata=rules(**METRIC))
    preemptions: str = field(metadata=rules(**METRIC))
    model_label: str = field(metadata=rules(**LABEL))
    finished_reason_label: str = field(metadata=rules(**LABEL))
    gpu_exporter: str = field(metadata=rules(choices=EXPORTER_CHOICES))
    gpu_memory_total: str = field(metadata=rules(**METRIC))
    gpu_memory_used: str = field(metadata=rules(**METRIC))
    gpu_memory_free: str = field(metadata=rules(**METRIC))


@dataclass(frozen=True)
class VllmSmoke:
    """``[smoke]``: how the smoke checks talk to the OpenAI-compatible API."""

    chat_model: str = field(metadata=rules(**TEXT))
    prompt: str = field(metadata=rules(**TEXT))
    max_tokens: int = field(metadata=rules(**POSITIVE))
    response_schema: str = field(metadata=rules(**TEXT))
    """A JSON Schema (as JSON text) sent as ``response_format`` and checked on the reply."""

    @property
    def schema(self) -> dict[str, Any]:
        """``response_schema`` parsed (validated at load)."""
        parsed: dict[str, Any] = json.loads(self.response_schema)
        return parsed


@dataclass(frozen=True)
class WindowedRatio:
    """A counter ratio over a window at most ``max_ratio``, with a traffic floor."""

    component: ClassVar[str | None] = None
    enabled: bool
    max_ratio: float = field(metadata=rules(**RATIO))
    window_seconds: int = field(metadata=rules(**POSITIVE))
    min_requests: float = field(metadata=rules(**COUNT))


@dataclass(frozen=True)
class ApiErrors(WindowedRatio):
    """API 5xx share; probes (health, metrics) are left out of both sides."""

    error_status_regex: str = field(default="", metadata=rules(**TEXT))
    probe_handler_regex: str = field(default="", metadata=rules(**TEXT))


@dataclass(frozen=True)
class LatencyQuantile:
    """A per-model histogram quantile over a window at most ``max_seconds``."""

    component: ClassVar[str | None] = None
    enabled: bool
    max_seconds: float = field(metadata=rules(**POSITIVE))
    window_seconds: int = field(metadata=rules(**POSITIVE))
    min_observations: float = field(metadata=rules(**COUNT))


@dataclass(frozen=True)
class GaugeNow:
    """A gauge's current value on every series at most ``max_value``."""

    component: ClassVar[str | None] = None
    enabled: bool
    max_value: float = field(metadata=rules(min=0.0))


@dataclass(frozen=True)
class GaugeAverage:
    """A gauge's average over a window on every series at most ``max_value``."""

    component: ClassVar[str | None] = None
    enabled: bool
    max_value: float = field(metadata=rules(min=0.0))
    window_seconds: int = field(metadata=rules(**POSITIVE))
    min_samples: float = field(metadata=rules(**COUNT))


@dataclass(frozen=True)
class Preemptions:
    """Preemptions per 1,000 finished requests, per model, over a window."""

    component: ClassVar[str | None] = None
    enabled: bool
    max_per_1000_requests: float = field(metadata=rules(min=0.0))
    window_seconds: int = field(metadata=rules(**POSITIVE))
    min_requests: float = field(metadata=rules(**COUNT))


@dataclass(frozen=True)
class GpuMemory:
    """What each GPU holds against what vLLM was configured to take (critical)."""

    component: ClassVar[str | None] = GPUS
    enabled: bool
    gpu_memory_utilization: float = field(metadata=rules(gt=0.0, max=1.0))
    margin_ratio: float = field(metadata=rules(**RATIO))

    @property
    def min_free_ratio(self) -> float:
        """The free share each GPU must keep: 1 - gpu_memory_utilization - margin_ratio."""
        return 1.0 - self.gpu_memory_utilization - self.margin_ratio


@dataclass(frozen=True)
class VllmChecks:
    """``[checks.*]`` of the vllm profile."""

    api_5xx_rate: ApiErrors
    ttft_p99: LatencyQuantile
    inter_token_latency_p99: LatencyQuantile
    engine_errors: WindowedRatio
    e2e_latency_p95: LatencyQuantile
    queue_time_p95: LatencyQuantile
    kv_cache_usage: GaugeNow
    kv_cache_usage_average: GaugeAverage
    requests_waiting: GaugeAverage
    preemptions: Preemptions
    aborted_share: WindowedRatio
    scrape_targets_up: ListedTargetsUp
    gpu_memory: GpuMemory
    models_listed: SmokeCheck
    chat_json_schema: SmokeCheck


@dataclass(frozen=True)
class VllmConfigFile:
    """The whole profile file, as validated (without ``profile``, ``[custom]``, waivers)."""

    gate: VllmGate
    deployment: VllmDeployment
    metrics: VllmMetrics
    smoke: VllmSmoke
    checks: VllmChecks


@dataclass(frozen=True)
class VllmConfig:
    """The validated config of a ``vllm`` profile run."""

    path: Path
    sha256: str
    gate: VllmGate
    deployment: VllmDeployment
    metrics: VllmMetrics
    smoke: VllmSmoke
    checks: VllmChecks
    custom: dict[str, dict[str, Any]]
    waivers: tuple[Waiver, ...] = ()
    profile: ClassVar[str] = VLLM

    @property
    def label_matchers(self) -> tuple[Matcher, ...]:
        """The ``[gate] label_selector`` as ``=`` matchers, applied to every query."""
        return equal_matchers(self.gate.label_selector)

    @property
    def gpu_exporter(self) -> GpuExporter:
        """The exporter of ``[metrics] gpu_exporter`` (``custom``: the ``gpu_memory_*`` names)."""
        m = self.metrics
        return chosen(m.gpu_exporter, m.gpu_memory_total, m.gpu_memory_used, m.gpu_memory_free)

    def check_enablement(self, name: str) -> str | None:
        """``None`` when check ``name`` applies here, else the reason it is not applicable."""
        section = getattr(self.checks, name, None)
        if section is None:
            if self.custom.get(name, {}).get(CUSTOM_ENABLED, True) is False:
                return f"disabled in {self.path.name} [custom.{name}] enabled = false"
            return None
        if not section.enabled:
            return f"disabled in {self.path.name} [checks.{name}] enabled = false"
        if section.component == GPUS and self.deployment.gpus == "none":
            return 'no GPUs in this deployment ([deployment] gpus = "none")'
        return None


def check_consistency(parsed: VllmConfigFile, where: str) -> None:
    """Cross-key rules: the chat model is served, the schema is JSON, the regexes compile."""

    if parsed.smoke.chat_model not in parsed.deployment.models:
        fail(
            where,
            "smoke.chat_model",
            f"{parsed.smoke.chat_model!r} is not in [deployment] models",
            "name one of the served models (vLLM --served-model-name)",
        )
    try:
        schema = json.loads(parsed.smoke.response_schema)
    except (ValueError, RecursionError) as exc:
        fail(where, "smoke.response_schema", f"not JSON ({exc})", "write a JSON Schema object")
    if not isinstance(schema, dict):
        fail(
            where, "smoke.response_schema", "is not a JSON object", 'write e.g. {"type": "object"}'
        )
    api = parsed.checks.api_5xx_rate
    if (problem := status_regex_problem(api.error_status_regex)) is not None:
        fail(where, "checks.api_5xx_rate.error_status_regex", problem, STATUS_FIX)
    if (problem := regex_problem(api.probe_handler_regex)) is not None:
        fail(where, "checks.api_5xx_rate.probe_handler_regex", problem, "fix it")
    gpu = parsed.checks.gpu_memory
    if gpu.min_free_ratio < 0:
        fail(
            where,
            "checks.gpu_memory.margin_ratio",
            f"with gpu_memory_utilization {gpu.gpu_memory_utilization:g} leaves no free share",
            "keep gpu_memory_utilization + margin_ratio at or below 1",
        )
