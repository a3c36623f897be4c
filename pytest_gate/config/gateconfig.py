"""Load and validate the gate config (``gate.toml``) into typed, frozen dataclasses.

Every threshold, window, sample floor and metric name of the default gate lives in one TOML file.
Every key is required and unknown keys are rejected, so a typo can never silently fall back to a
default: a bad file raises :class:`ConfigError` with ``"<path>: <dotted.key>: <problem>; <fix>"``.
The per-check tables are in :mod:`pytest_gate.config.checkconfig`, the validation rules in
:mod:`pytest_gate.config.tomlschema`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any

from pytest_gate.config.canaryconfig import CanarySettings
from pytest_gate.config.canaryconfig import parse as parse_canary
from pytest_gate.config.checkconfig import (
    GPUS,
    LABEL_NAME_PATTERN,
    METRIC,
    MODES,
    POSITIVE,
    SERVING,
    TEXT,
    WORKER_RL,
    Checks,
)
from pytest_gate.config.gpuexporters import (
    CUSTOM,
    EXPORTER_CHOICES,
    PYTEST_GATE,
    GpuExporter,
    chosen,
)
from pytest_gate.config.regexrules import STATUS_FIX, regex_problem, status_regex_problem
from pytest_gate.config.tomlfile import read_toml
from pytest_gate.config.tomlschema import ConfigError, build, fail, rules, toml_type
from pytest_gate.config.waivers import Waiver
from pytest_gate.config.waivers import parse as parse_waivers
from pytest_gate.core.query import LOOKBACK_SECONDS, Matcher, equal_matchers

__all__ = ["ConfigError", "GateConfig", "load_config"]

COMPONENTS = (SERVING, WORKER_RL)
GPU_MODES = ("required", "none")
CUSTOM_ENABLED = "enabled"
AUTO_JOB = "auto"


@dataclass(frozen=True)
class GateSection:
    """``[gate]``: settings that apply to every query."""

    label_selector: dict[str, str] = field(
        metadata=rules(key_pattern=LABEL_NAME_PATTERN, pattern_help="a label name like namespace")
    )
    lookback_seconds: int = field(default=LOOKBACK_SECONDS, metadata=rules(gt=0.0))
    """How far before a counter window's start its base sample is looked up (optional key)."""


@dataclass(frozen=True)
class Deployment:
    """``[deployment]``: which parts of the stack exist here."""

    components: tuple[str, ...] = field(metadata=rules(choices=COMPONENTS))
    gpus: str = field(metadata=rules(choices=GPU_MODES))


@dataclass(frozen=True)
class MetricNames:
    """``[metrics]``: the metric names the checks read (map another exporter's names here)."""

    http_requests: str = field(metadata=rules(**METRIC))
    briefs: str = field(metadata=rules(**METRIC))
    schema_fixes: str = field(metadata=rules(**METRIC))
    brief_latency: str = field(metadata=rules(**METRIC))
    cache_hits: str = field(metadata=rules(**METRIC))
    cache_misses: str = field(metadata=rules(**METRIC))
    model_loaded: str = field(metadata=rules(**METRIC))
    rl_loss: str = field(metadata=rules(**METRIC))
    rl_reward: str = field(metadata=rules(**METRIC))
    gpu_exporter: str = field(metadata=rules(choices=EXPORTER_CHOICES))
    gpu_memory_total: str = field(metadata=rules(**METRIC))
    gpu_memory_used: str = field(metadata=rules(**METRIC))
    gpu_memory_free: str = field(metadata=rules(**METRIC))

    def serving_names(self) -> tuple[str, ...]:
        """The names the serving ``/metrics`` endpoint itself must expose."""
        return (
            self.http_requests,
            self.briefs,
            self.schema_fixes,
            self.brief_latency,
            self.cache_hits,
            self.cache_misses,
            self.model_loaded,
        )


@dataclass(frozen=True)
class Smoke:
    """``[smoke]``: how the post-deploy smoke checks talk to the live service."""

    timeout_seconds: float = field(metadata=rules(**POSITIVE))
    brief_mode: str = field(metadata=rules(choices=MODES))
    brief_text: str = field(metadata=rules(**TEXT))


@dataclass(frozen=True)
class ConfigFile:
    """The whole file, as validated (without ``[custom]``)."""

    gate: GateSection
    deployment: Deployment
    metrics: MetricNames
    smoke: Smoke
    checks: Checks


@dataclass(frozen=True)
class GateConfig:
    """The validated gate config of one run."""

    path: Path
    sha256: str
    gate: GateSection
    deployment: Deployment
    metrics: MetricNames
    smoke: Smoke
    checks: Checks
    custom: dict[str, dict[str, Any]]
    waivers: tuple[Waiver, ...] = ()
    """``[[waivers]]``, validated except for their distance from T (see :mod:`pytest_gate.config.waivers`)."""
    canary: CanarySettings = field(default_factory=CanarySettings)
    """``[canary]`` (optional): the intended traffic split."""

    @property
    def label_matchers(self) -> tuple[Matcher, ...]:
        """The ``[gate] label_selector`` as ``=`` matchers, applied to every query."""
        return equal_matchers(self.gate.label_selector)

    @property
    def gpu_exporter(self) -> GpuExporter:
        """The exporter of ``[metrics] gpu_exporter`` (``custom``: the ``gpu_memory_*`` names)."""
        m = self.metrics
        return chosen(m.gpu_exporter, m.gpu_memory_total, m.gpu_memory_used, m.gpu_memory_free)

    @property
    def gpu_exporter_job(self) -> str:
        """The job scraping the GPU exporter: ``[checks.scrape_targets_up] gpu_exporter_job``, or
        with ``"auto"`` the preset's usual job (``gpu-exporter``, ``dcgm-exporter``,
        ``nvidia-smi-exporter``)."""
        job = self.checks.scrape_targets_up.gpu_exporter_job
        return self.gpu_exporter.job if job == AUTO_JOB else job

    def check_enablement(self, name: str) -> str | None:
        """``None`` when check ``name`` applies here, else the reason it is not applicable."""
        section = getattr(self.checks, name, None)
        if section is None:
            custom = self.custom.get(name, {})
            if custom.get(CUSTOM_ENABLED, True) is False:
                return f"disabled in {self.path.name} [custom.{name}] enabled = false"
            return None
        if not section.enabled:
            return f"disabled in {self.path.name} [checks.{name}] enabled = false"
        needs = section.component
        if needs == GPUS:
            if self.deployment.gpus == "none":
                return 'no GPUs in this deployment ([deployment] gpus = "none")'
        elif needs is not None and needs not in self.deployment.components:
            return f"component {needs} is not deployed ([deployment] components)"
        return None


def load_config(path: Path) -> GateConfig:
    """Read and validate ``path``; raise :class:`ConfigError` naming the key and the fix."""
    where = str(path)
    document, raw = read_toml(path)
    custom = document.pop("custom", {})
    waivers = parse_waivers(document.pop("waivers", []), where)
    canary = parse_canary(document.pop("canary", {}), where)
    parsed = build(ConfigFile, document, where, "")
    _check_consistency(parsed, where)
    return GateConfig(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        gate=parsed.gate,
        deployment=parsed.deployment,
        metrics=parsed.metrics,
        smoke=parsed.smoke,
        checks=parsed.checks,
        custom=_custom(custom, where),
        waivers=waivers,
        canary=canary,
    )


def _check_consistency(parsed: ConfigFile, where: str) -> None:
    _check_gpu_names(parsed.metrics, where)
    for name in ("cpu_usage", "memory_usage"):
        query = getattr(parsed.checks, name).query
        try:
            Template(query).substitute(selector="")
        except (KeyError, ValueError) as exc:
            fail(
                where,
                f"checks.{name}.query",
                f"bad placeholder ({exc})",
                "use only ${selector} (the [gate] label selector) and write $$ for a literal $",
            )
    api = parsed.checks.api_5xx_rate
    if (problem := status_regex_problem(api.error_status_regex)) is not None:
        fail(where, "checks.api_5xx_rate.error_status_regex", problem, STATUS_FIX)
    if (problem := regex_problem(api.probe_handler_regex)) is not None:
        fail(
            where,
            "checks.api_5xx_rate.probe_handler_regex",
            problem,
            'write a regex like "/health|/livez|/metrics"',
        )
    sustained = parsed.checks.creative_p95_sustained
    if sustained.inner_window_seconds > sustained.sustained_seconds:
        fail(
            where,
            "checks.creative_p95_sustained.inner_window_seconds",
            "is longer than sustained_seconds",
            "make it shorter (e.g. 60 for a 300 s window)",
        )
    if sustained.step_seconds > sustained.sustained_seconds:
        fail(
            where,
            "checks.creative_p95_sustained.step_seconds",
            "is longer than sustained_seconds",
            "make it shorter (e.g. 30)",
        )
    critical = parsed.checks.vram_headroom.min_free_ratio
    if parsed.checks.vram_headroom_margin.min_free_ratio < critical:
        fail(
            where,
            "checks.vram_headroom_margin.min_free_ratio",
            f"is below checks.vram_headroom.min_free_ratio ({critical:g})",
            "the warning line must be at or above the NO-GO line (e.g. 0.25 vs 0.20)",
        )


def _check_gpu_names(metrics: MetricNames, where: str) -> None:
    """With a preset exporter the ``gpu_memory_*`` keys must keep their shipped names: a renamed
    key would be silently ignored (the preset reads its own names)."""
    if metrics.gpu_exporter == CUSTOM:
        return
    shipped = {
        "gpu_memory_total": PYTEST_GATE.total,
        "gpu_memory_used": PYTEST_GATE.used,
        "gpu_memory_free": PYTEST_GATE.free,
    }
    for key, name in shipped.items():
        if getattr(metrics, key) != name:
            fail(
                where,
                f"metrics.{key}",
                f"is {getattr(metrics, key)!r}, but gpu_exporter = {metrics.gpu_exporter!r} "
                "reads its own metric names",
                f'set gpu_exporter = "custom" to read your names, or keep {name!r}',
            )


def _custom(table: object, where: str) -> dict[str, dict[str, Any]]:
    if not isinstance(table, dict):
        fail(
            where,
            "custom",
            f"expected a table, got {toml_type(table)}",
            "write one [custom.<check>] table per custom check",
        )
    result: dict[str, dict[str, Any]] = {}
    for name, section in table.items():
        if not isinstance(section, dict):
            fail(
                where,
                f"custom.{name}",
                f"expected a table, got {toml_type(section)}",
                f"write it as [custom.{name}]",
            )
        enabled = section.get(CUSTOM_ENABLED, True)
        if not isinstance(enabled, bool):
            fail(
                where,
                f"custom.{name}.enabled",
                f"expected true or false, got {toml_type(enabled)}",
                "write true or false (no quotes)",
            )
        result[name] = dict(section)
    return result
