"""The ``[checks.<name>]`` tables of the default gate: one frozen dataclass per check.

The table name is the check's name (its test function without ``test_``). Every table has
``enabled``; ``component`` says which part of the deployment the check needs (``[deployment]``),
so a check of an absent part is ``not_applicable``. Field metadata carries the bounds that
:mod:`pytest_gate.config.tomlschema` enforces; units are in the key names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from pytest_gate.config.tomlschema import rules

SERVING = "serving"
WORKER_RL = "worker-rl"
GPUS = "gpus"
MODES = ("fast", "balanced", "creative")
METRIC_NAME_PATTERN = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_NAME_PATTERN = r"[a-zA-Z_][a-zA-Z0-9_]*"


RATIO = {"min": 0.0, "max": 1.0}
POSITIVE = {"gt": 0.0}
COUNT = {"min": 0.0}
METRIC = {"pattern": METRIC_NAME_PATTERN, "pattern_help": "a metric name like http_requests_total"}
TEXT = {"nonempty": True}
JOB = {"pattern": r".*\S.*", "pattern_help": 'a job label value like "serving"'}


@dataclass(frozen=True)
class Api5xxRate:
    """5xx responses / all API responses over a window (critical).

    Requests to the handlers of ``probe_handler_regex`` (health probes, scrapes) are not API
    traffic: a pod that answers its readiness probe 503 while its models load is not failing users.
    """

    component: ClassVar[str | None] = SERVING
    enabled: bool
    max_ratio: float = field(metadata=rules(**RATIO))
    window_seconds: int = field(metadata=rules(**POSITIVE))
    min_requests: float = field(metadata=rules(**COUNT))
    error_status_regex: str = field(metadata=rules(**TEXT))
    probe_handler_regex: str = field(metadata=rules(**TEXT))


@dataclass(frozen=True)
class SchemaFailureRate:
    """Schema repairs / briefs over a window, zero tolerance by default (critical)."""

    component: ClassVar[str | None] = SERVING
    enabled: bool
    max_ratio: float = field(metadata=rules(**RATIO))
    window_seconds: int = field(metadata=rules(**POSITIVE))
    min_briefs: float = field(metadata=rules(**COUNT))


@dataclass(frozen=True)
class P95Latency:
    """p95 brief latency per mode over a window (warning)."""

    component: ClassVar[str | None] = SERVING
    enabled: bool
    p95_max_seconds: dict[str, float] = field(metadata=rules(keys=MODES, **POSITIVE))
    window_seconds: int = field(metadata=rules(**POSITIVE))
    min_requests: float = field(metadata=rules(**COUNT))


@dataclass(frozen=True)
class CreativeP95Sustained:
    """Creative p95 above its limit throughout a window (critical); the limit is p95_latency's."""

    component: ClassVar[str | None] = SERVING
    enabled: bool
    sustained_seconds: int = field(metadata=rules(**POSITIVE))
    inner_window_seconds: int = field(metadata=rules(**POSITIVE))
    step_seconds: int = field(metadata=rules(**POSITIVE))
    min_requests: float = field(metadata=rules(**COUNT))


@dataclass(frozen=True)
class RlLossCeiling:
    """Current RL loss per algorithm and loss series at most a fixed value (critical)."""

    component: ClassVar[str | None] = WORKER_RL
    enabled: bool
    max_loss: float = field(metadata=rules(**POSITIVE))
    loss_types: tuple[str, ...] = field(metadata=rules(**TEXT))


@dataclass(frozen=True)
class RlLossVsBaseline:
    """Current RL loss at most a multiple of its own average over a baseline window (critical)."""

    component: ClassVar[str | None] = WORKER_RL
    enabled: bool
    max_baseline_ratio: float = field(metadata=rules(**POSITIVE))
    baseline_window_seconds: int = field(metadata=rules(**POSITIVE))
    min_baseline_samples: float = field(metadata=rules(**COUNT))
    loss_types: tuple[str, ...] = field(metadata=rules(**TEXT))


@dataclass(frozen=True)
class RlRewardTrend:
    """Robust slope of the reward moving average over a window (warning)."""

    component: ClassVar[str | None] = WORKER_RL
    enabled: bool
    min_slope_per_hour: float = field(metadata=rules())
    window_seconds: int = field(metadata=rules(**POSITIVE))
    step_seconds: int = field(metadata=rules(**POSITIVE))
    min_points: int = field(metadata=rules(min=3))
    reward_ma_window: str = field(metadata=rules(**TEXT))


@dataclass(frozen=True)
class CacheHitRate:
    """hits / (hits + misses) per cached mode over a window (warning)."""

    component: ClassVar[str | None] = SERVING
    enabled: bool
    min_hit_ratio: float = field(metadata=rules(**RATIO))
    window_seconds: int = field(metadata=rules(**POSITIVE))
    min_lookups: float = field(metadata=rules(**COUNT))


@dataclass(frozen=True)
class ResourceUsage:
    """Usage / limit per pod and container from a PromQL query (warning)."""

    component: ClassVar[str | None] = None
    enabled: bool
    max_limit_ratio: float = field(metadata=rules(**POSITIVE))
    query: str = field(metadata=rules(**TEXT))


@dataclass(frozen=True)
class VramHeadroom:
    """free / total memory on every GPU at least a ratio."""

    component: ClassVar[str | None] = GPUS
    enabled: bool
    min_free_ratio: float = field(metadata=rules(**RATIO))


@dataclass(frozen=True)
class ScrapeTargetsUp:
    """Every scrape target of the jobs the enabled checks read is up, per part (critical).

    The parts: the serving job, the RL worker's (when deployed), the GPU exporter's (when the
    VRAM checks read its metrics; ``"auto"`` is the ``gpu_exporter`` preset's usual job) and
    ``extra_jobs``.
    """

    component: ClassVar[str | None] = None
    enabled: bool
    serving_job: str = field(metadata=rules(**JOB))
    worker_rl_job: str = field(metadata=rules(**JOB))
    gpu_exporter_job: str = field(metadata=rules(**JOB))
    extra_jobs: tuple[str, ...] = field(metadata=rules(**JOB))


@dataclass(frozen=True)
class ListedTargetsUp:
    """Every scrape target of the listed jobs up (critical; the vLLM profile's targets check)."""

    component: ClassVar[str | None] = None
    enabled: bool
    jobs: tuple[str, ...] = field(metadata=rules(**TEXT))


@dataclass(frozen=True)
class SmokeCheck:
    """A post-deploy smoke check against the live service (``-m smoke``)."""

    component: ClassVar[str | None] = SERVING
    enabled: bool


@dataclass(frozen=True)
class ModelsLoaded:
    """Every listed model reports loaded on the live service (smoke, critical)."""

    component: ClassVar[str | None] = SERVING
    enabled: bool
    models: tuple[str, ...] = field(metadata=rules(**TEXT))


@dataclass(frozen=True)
class Canary5xxRate:
    """Canary 5xx ratio vs the baseline's: not significantly above (one-sided exact test at
    ``alpha``) and within ``api_5xx_rate.max_ratio`` (``-m canary``, critical)."""

    component: ClassVar[str | None] = SERVING
    enabled: bool
    alpha: float = field(metadata=rules(gt=0.0, max=0.5))
    window_seconds: int = field(metadata=rules(**POSITIVE))
    min_requests: float = field(metadata=rules(**COUNT))


@dataclass(frozen=True)
class CanarySchemaRepairs:
    """Schema repairs among the canary's briefs at most ``schema_failure_rate.max_ratio``
    (``-m canary``, critical)."""

    component: ClassVar[str | None] = SERVING
    enabled: bool
    window_seconds: int = field(metadata=rules(**POSITIVE))
    min_briefs: float = field(metadata=rules(**COUNT))


@dataclass(frozen=True)
class CanaryP95Latency:
    """Canary p95 per mode at most a multiple of the baseline's p95 (``-m canary``, warning)."""

    component: ClassVar[str | None] = SERVING
    enabled: bool
    max_baseline_ratio: float = field(metadata=rules(**POSITIVE))
    window_seconds: int = field(metadata=rules(**POSITIVE))
    min_requests: float = field(metadata=rules(**COUNT))


@dataclass(frozen=True)
class Checks:
    """``[checks]``: one table per default check, named like the check."""

    api_5xx_rate: Api5xxRate
    schema_failure_rate: SchemaFailureRate
    p95_latency: P95Latency
    creative_p95_sustained: CreativeP95Sustained
    rl_loss_ceiling: RlLossCeiling
    rl_loss_vs_baseline: RlLossVsBaseline
    rl_reward_trend: RlRewardTrend
    cache_hit_rate: CacheHitRate
    cpu_usage: ResourceUsage
    memory_usage: ResourceUsage
    vram_headroom: VramHeadroom
    vram_headroom_margin: VramHeadroom
    scrape_targets_up: ScrapeTargetsUp
    serving_health: SmokeCheck
    models_loaded: ModelsLoaded
    brief_valid: SmokeCheck
    metrics_exposed: SmokeCheck
    canary_5xx_rate: Canary5xxRate
    canary_schema_repairs: CanarySchemaRepairs
    canary_p95_latency: CanaryP95Latency
