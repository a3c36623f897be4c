"""Generated gate suites for the scale benchmark: the default checks plus N custom checks.

A suite is a copy of ``gate_checks/`` with a ``custom/`` package holding N generated checks, each
asking the metric snapshot one question and comparing it, the way a team's own check does. Its
``conftest.py`` lists the questions through ``pytest_gate_plan`` (the documented way), so they are
prefetched concurrently. ``shared=True`` makes every check ask the same question (one request in
all: the per-check cost of pytest and the plugin alone); otherwise each asks its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.customq import custom_query
from bench.gate import GATE_DIR
from pytest_gate.core.query import Gauge

QUERIES = '''"""The questions of the generated checks (defined once, in bench.customq)."""

from functools import partial

from bench.customq import custom_query as _query

custom_query = partial(_query, shared={shared})
'''
CONFTEST = '''"""Lists every generated check's question for the prefetch."""

from .queries import custom_query

COUNT = {count}


def pytest_gate_plan(gate_config):
    """The generated checks' questions."""
    return [custom_query(index) for index in range(COUNT)]
'''
HEADER = '''"""Generated custom checks ({count})."""

import pytest

from .queries import custom_query
'''
CHECK = '''

@pytest.mark.warning
def test_custom_{index:04d}(metrics, gate):
    """Custom check {index}: every serving target is up."""
    gate.expect(metrics.ask(custom_query({index})), ">=", 1.0, what="custom {index} up", unit="")
'''


def custom_queries(count: int, shared: bool) -> list[Gauge]:
    """The distinct questions of ``count`` generated checks."""
    return list(dict.fromkeys(custom_query(index, shared) for index in range(count)))


def suite(directory: Path, count: int, shared: bool) -> Path:
    """A gate directory with the default checks and ``count`` generated ones; returns it."""
    name = f"suite-{count}-{'shared' if shared else 'own'}"
    gate_dir = directory / name / "gate_checks"
    if gate_dir.exists():
        shutil.rmtree(gate_dir)
    shutil.copytree(GATE_DIR, gate_dir, ignore=shutil.ignore_patterns("__pycache__"))
    if count:
        custom = gate_dir / "custom"
        custom.mkdir()
        (custom / "__init__.py").write_text('"""Generated custom checks."""\n')
        (custom / "queries.py").write_text(QUERIES.format(shared=shared))
        (custom / "conftest.py").write_text(CONFTEST.format(count=count))
        body = HEADER.format(count=count) + "".join(CHECK.format(index=i) for i in range(count))
        (custom / "test_custom.py").write_text(body)
    return gate_dir
