"""Computing answers from one ``/metrics`` exposition (pure)."""

from __future__ import annotations

import math

import pytest

from pytest_gate.core.query import Selector
from pytest_gate.sources import exposition

INF = math.inf
TEXT = """# TYPE up gauge
up{job="a",instance="x"} 1
up{job="b",instance="y"} 0
"""


@pytest.mark.parametrize(
    ("q", "buckets", "expected"),
    [
        (0.95, [(0.5, 2), (1.0, 5), (2.5, 9), (3.2, 10), (INF, 10)], 2.85),
        (0.5, [(1.0, 0), (2.0, 10), (INF, 10)], 1.5),
        (0.99, [(1.0, 5), (2.0, 5), (INF, 10)], 2.0),
        (0.5, [(2.0, 10), (1.0, 0), (INF, 10)], 1.5),
    ],
    ids=["interpolates", "skips-an-empty-bucket", "inf-bucket-gives-last-bound", "unsorted"],
)
def test_bucket_quantile_matches_histogram_quantile(
    q: float, buckets: list[tuple[float, float]], expected: float
) -> None:
    """Interpolation follows Prometheus' histogram_quantile."""
    assert exposition.bucket_quantile(q, buckets) == pytest.approx(expected)


@pytest.mark.parametrize(
    "buckets",
    [[(1.0, 5), (2.0, 7)], [(1.0, 0), (INF, 0)], [(INF, 4)]],
    ids=["no-inf-bucket", "no-observations", "single-bucket"],
)
def test_bucket_quantile_without_usable_buckets_is_nan(buckets: list[tuple[float, float]]) -> None:
    """Missing +Inf bucket, no observations or one bucket give NaN (later: no data)."""
    assert math.isnan(exposition.bucket_quantile(0.95, buckets))


def test_regex_matchers_are_fully_anchored() -> None:
    """``=~"a"`` matches ``a`` only, not ``ab`` (PromQL semantics)."""
    samples = exposition.parse(TEXT + 'up{job="ab",instance="z"} 1\n', "text/plain")
    selected = exposition.select(samples, Selector("up").where("job", "=~", "a"))
    assert [dict(s.labels)["instance"] for s in selected] == ["x"]


def test_negative_matcher_treats_missing_label_as_empty() -> None:
    """``!=`` keeps series without the label, as PromQL does."""
    samples = exposition.parse(TEXT + "up 1\n", "text/plain")
    selected = exposition.select(samples, Selector("up").where("job", "!=", "a"))
    assert len(selected) == 2


def test_instance_label_is_added_and_an_existing_one_kept_as_exported() -> None:
    """With several targets, ``instance`` is the target; the exposed one becomes exported_."""
    samples = exposition.parse(TEXT, "text/plain", instance="host:9100")
    assert dict(samples[0].labels)["instance"] == "host:9100"
    assert dict(samples[0].labels)["exported_instance"] == "x"


def test_openmetrics_body_is_parsed_by_content_type() -> None:
    """An OpenMetrics exposition (with ``# EOF``) is parsed by the OpenMetrics parser."""
    text = "# TYPE jobs counter\njobs_total 3\n# EOF\n"
    samples = exposition.parse(text, "application/openmetrics-text; version=1.0.0")
    assert [(s.name, s.value) for s in samples if s.name == "jobs_total"] == [("jobs_total", 3.0)]
