"""The question each generated custom check asks (imported by the generated suites; light).

Kept apart from :mod:`bench.checkgen` so a generated check module imports only this and
``pytest_gate.core.query``, as a team's own check would, and the floor builds the same queries.
"""

from __future__ import annotations

from pytest_gate.core.query import Gauge, Matcher, Selector


def custom_query(index: int, shared: bool) -> Gauge:
    """Check ``index``'s question: ``up`` of the serving targets (the same text for all if shared)."""
    instance = "bench-shared" if shared else f"bench-{index}"
    matchers = (Matcher("job", "=", "serving"), Matcher("instance", "!=", instance))
    return Gauge(Selector("up", matchers))
