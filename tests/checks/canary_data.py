"""Canary golden scenarios: a baseline (revision v1) and a canary (revision v2) of one service.

Each :class:`CanaryScenario` writes, under its own ``namespace``, the series the canary checks
read: requests by status, briefs, schema repairs and the latency histogram, for both revisions.
The baseline has the whole history; the canary started 20 minutes before T, inside the 30m schema
window (its series are counted from zero) but before the 10m windows. Counts are chosen so each
window holds exactly the numbers named in the scenario (samples fall on the window's edges).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.checks.deployment import BUCKETS, COUNTER_STEP_SECONDS, HEALTHY_LATENCY, MODES, T
from tests.support.prometheus_server import OpenMetrics

CANARY_REVISION, BASELINE_REVISION = "v2", "v1"
CANARY_ARGS = ("--gate-canary", f'revision="{CANARY_REVISION}"')
BASELINE_ARGS = ("--gate-baseline", f'revision="{BASELINE_REVISION}"')
WINDOW_STEPS = 600 // COUNTER_STEP_SECONDS  # the 10m windows of the 5xx and p95 checks
BASELINE_HISTORY_SECONDS = 35 * 60
CANARY_AGE_SECONDS = 20 * 60
BASELINE_REQUESTS_PER_STEP = 400.0  # 8000 in 10m
BASELINE_BRIEFS_PER_STEP = 20.0  # per mode
MODEL_BY_MODE = {"fast": "mistral_7b", "balanced": "llama3_8b", "creative": "qwen_32b"}


@dataclass(frozen=True)
class CanaryScenario:
    """A canary against its baseline, and what the canary checks must say.

    ``failing`` maps a check id to its expected outcome; every other canary check must pass.
    Errors are the counts inside the 10m window.
    """

    name: str
    verdict: str
    failing: dict[str, str] = field(default_factory=dict)
    canary_requests_per_step: float = 200.0  # 4000 in 10m
    canary_errors: float = 2.0
    baseline_errors: float = 4.0
    canary_briefs_per_step: float = 10.0  # per mode
    canary_fixes: float = 0.0
    canary_latency: dict[str, float] = field(default_factory=lambda: dict(HEALTHY_LATENCY))

    @property
    def namespace(self) -> str:
        """The label value that selects this scenario."""
        return f"golden-{self.name}"


CANARY_SCENARIOS = (
    # 0.30% against 0.04%: well within the 0.5% limit, yet significantly worse.
    CanaryScenario(
        "canary-worse",
        "NO-GO",
        {"test_canary_5xx_rate": "fail"},
        canary_errors=12.0,
        baseline_errors=3.0,
    ),
    CanaryScenario("canary-equal", "GO", canary_errors=2.0, baseline_errors=4.0),
    # 0.15% against 0.075%: twice the ratio, but six errors are not enough to tell (p = 0.18).
    CanaryScenario("canary-slightly-worse", "GO", canary_errors=6.0, baseline_errors=6.0),
    CanaryScenario(
        "canary-too-few",
        "NO-GO",
        {
            "test_canary_5xx_rate": "no_data",
            "test_canary_p95_latency[fast]": "no_data",
            "test_canary_p95_latency[balanced]": "no_data",
            "test_canary_p95_latency[creative]": "no_data",
        },
        canary_requests_per_step=5.0,
        canary_errors=0.0,
        canary_briefs_per_step=1.0,
    ),
    CanaryScenario("canary-better", "GO", canary_errors=0.0, baseline_errors=16.0),
    # 1% on both sides: not worse than the baseline, but over the absolute 0.5% limit.
    CanaryScenario(
        "canary-over-limit",
        "NO-GO",
        {"test_canary_5xx_rate": "fail"},
        canary_errors=40.0,
        baseline_errors=80.0,
    ),
    CanaryScenario(
        "canary-repairs", "NO-GO", {"test_canary_schema_repairs": "fail"}, canary_fixes=2.0
    ),
    CanaryScenario(
        "canary-slow-fast",
        "WARNING",
        {"test_canary_p95_latency[fast]": "fail"},
        canary_latency={**HEALTHY_LATENCY, "fast": 2.0},
    ),
)
CANARY_BY_NAME = {s.name: s for s in CANARY_SCENARIOS}


def _steps(age_seconds: int) -> Iterator[float]:
    for index in range(age_seconds // COUNTER_STEP_SECONDS + 1):
        yield float(T - age_seconds + index * COUNTER_STEP_SECONDS)


def _counter(
    om: OpenMetrics, name: str, labels: dict[str, str], per_step: float, age: int, kind: str
) -> None:
    """A counter from 0 at its first sample, rising by ``per_step`` every step up to T."""
    for index, ts in enumerate(_steps(age)):
        om.sample(name, labels, index * per_step, ts, kind=kind)


def _side(
    om: OpenMetrics,
    labels: dict[str, str],
    *,
    age: int,
    requests: float,
    errors: float,
    briefs: float,
    fixes: float,
    latency: dict[str, float],
) -> None:
    http = {**labels, "method": "POST", "handler": "/v1/brief"}
    error_rate = errors / WINDOW_STEPS
    _counter(
        om, "http_requests_total", {**http, "status": "200"}, requests - error_rate, age, "counter"
    )
    _counter(om, "http_requests_total", {**http, "status": "500"}, error_rate, age, "counter")
    steps = age // COUNTER_STEP_SECONDS
    for mode in MODES:
        mode_labels = {**labels, "mode": mode}
        brief = {**mode_labels, "status": "success"}
        _counter(om, "llm_brief_total", brief, briefs, age, "counter")
        fix = {**mode_labels, "original_model": MODEL_BY_MODE[mode]}
        fixes_per_step = fixes / steps if mode == "fast" else 0.0
        _counter(om, "llm_schema_fix_count_total", fix, fixes_per_step, age, "counter")
        for bound in BUCKETS:
            le = "+Inf" if math.isinf(bound) else repr(bound)
            inside = briefs if latency[mode] <= bound else 0.0
            bucket = {**mode_labels, "le": le}
            _counter(om, "llm_brief_latency_seconds_bucket", bucket, inside, age, "histogram")
        _counter(om, "llm_brief_latency_seconds_count", mode_labels, briefs, age, "histogram")
        total = briefs * latency[mode]
        _counter(om, "llm_brief_latency_seconds_sum", mode_labels, total, age, "histogram")


def write_canary(om: OpenMetrics, s: CanaryScenario) -> None:
    """Add the baseline's and the canary's series of scenario ``s`` to ``om``."""
    base = {"namespace": s.namespace, "job": "serving"}
    _side(
        om,
        {**base, "revision": BASELINE_REVISION, "instance": "serving-v1:8000"},
        age=BASELINE_HISTORY_SECONDS,
        requests=BASELINE_REQUESTS_PER_STEP,
        errors=s.baseline_errors,
        briefs=BASELINE_BRIEFS_PER_STEP,
        fixes=0.0,
        latency=dict(HEALTHY_LATENCY),
    )
    _side(
        om,
        {**base, "revision": CANARY_REVISION, "instance": "serving-v2:8000"},
        age=CANARY_AGE_SECONDS,
        requests=s.canary_requests_per_step,
        errors=s.canary_errors,
        briefs=s.canary_briefs_per_step,
        fixes=s.canary_fixes,
        latency=s.canary_latency,
    )
