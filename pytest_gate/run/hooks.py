"""Hook specifications that pytest-gate adds to pytest."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_gate.config.profiles import AnyGateConfig
    from pytest_gate.core.query import Query


@pytest.hookspec
def pytest_gate_plan(gate_config: AnyGateConfig) -> Iterable[Query]:  # type: ignore[empty-body]
    """Return the queries the gate checks will ask, so they are fetched concurrently up front.

    Implement it in the gate-checks ``conftest.py``. Every implementation's queries are fetched
    in one concurrent batch before the first check runs; checks then read them from the session
    cache. A query a check asks that no plan listed is still fetched, on demand.
    """
