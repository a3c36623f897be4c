"""A healthy deployment seen through a Thanos-like partial response is never GO.

The real gate suite runs against the golden Prometheus behind a front (``tests/support/api_front.py``) that
adds Thanos' partial-response warning to every answer: the data is the healthy scenario's, but
every check that read it is an error quoting the warning, and the verdict is NO-GO.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.conftest import run_gate, scenario_config
from tests.checks.deployment import T
from tests.checks.scenarios import BY_NAME
from tests.checks.test_golden_scenarios import DEFAULT_CHECKS, UNLESS_NAMED
from tests.support.api_front import ApiFront
from tests.support.prometheus_server import PrometheusServer

pytestmark = pytest.mark.prometheus
ASKING = tuple(c for c in DEFAULT_CHECKS if c not in UNLESS_NAMED)
"""The default checks that ask the source (the targets check's ``extra`` part has no jobs)."""

THANOS_PARTIAL = "No StoreAPIs matched for this query"
"""The warning Thanos' querier adds when a store had no data for the query (its store proxy)."""


def test_partial_responses_make_a_healthy_deployment_no_go(
    golden_prometheus: PrometheusServer, tmp_path: Path
) -> None:
    """Every default check is an error naming the warning; the verdict is NO-GO, exit 2."""
    config = scenario_config(tmp_path, BY_NAME["healthy"])
    with ApiFront.before(golden_prometheus.url) as front:
        url = front.route("partial", warnings=(THANOS_PARTIAL,))
        run = run_gate(
            [
                *("--gate-config", str(config), "--gate-time", str(T)),
                *("--gpu-source", "prometheus", "--prometheus-url", url),
            ],
            tmp_path / "report.json",
        )
    checks = run.checks()
    assert (run.report["verdict"], run.exit_code) == ("NO-GO", 2), run.output
    assert {c: checks[c]["outcome"] for c in ASKING} == dict.fromkeys(ASKING, "error")
    assert all(THANOS_PARTIAL in checks[c]["message"] for c in ASKING)
