"""What one comparison saw, as one typed value from ``gate.expect`` to every output.

Pure (no pytest): the observation, its series, the comparison operators and how values are written.
The check helper (:mod:`pytest_gate.checks.observe`) builds it; the report and the terminal read it
without importing the fixture module.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from pytest_gate.core.query import Coverage, DataState, Labels, labels_from_json
from pytest_gate.stats.comparison import CanaryComparison
from pytest_gate.stats.exact import format_p

COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
    "==": operator.eq,
}
NEGATIONS = {"<=": ">", ">=": "<", "<": ">=", ">": "<=", "==": "!="}
P_VALUE = "p"
"""The unit of a p-value (shown as ``0.00028``, not as a percentage)."""


@dataclass(frozen=True)
class ObservedSeries:
    """One series as a check compared it: labels, value, samples, and its margin and result."""

    labels: Labels
    value: float
    samples: float | None = None
    margin: float | None = None
    """Distance to the limit (positive inside); ``None`` where nothing was compared."""
    passed: bool | None = None
    errors: float | None = None
    """A canary side's error count (canary checks only)."""

    @property
    def label_map(self) -> dict[str, str]:
        """The labels as a dict."""
        return dict(self.labels)

    def to_json(self) -> dict[str, Any]:
        """The report's ``series[]`` entry (absent fields left out)."""
        data: dict[str, Any] = {"labels": dict(self.labels), "value": self.value}
        data["samples"] = self.samples
        for name in ("margin", "passed", "errors"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ObservedSeries:
        """The series of :meth:`to_json`."""
        return cls(
            labels=labels_from_json(data["labels"]),
            value=float(data["value"]),
            samples=None if data.get("samples") is None else float(data["samples"]),
            margin=None if data.get("margin") is None else float(data["margin"]),
            passed=None if data.get("passed") is None else bool(data["passed"]),
            errors=None if data.get("errors") is None else float(data["errors"]),
        )


@dataclass(frozen=True)
class Observation:
    """What one comparison saw: the one typed result from ``gate.expect`` to every output.

    It crosses a process boundary once, inside the check's phase record (xdist serialises the
    report): :meth:`to_json` on the worker, :meth:`from_json` on the controller.
    """

    what: str
    value: float | None
    threshold: float
    comparison: str
    unit: str
    margin: float | None
    series: tuple[ObservedSeries, ...]
    query: str | None
    window_seconds: int | None
    samples: float | None
    passed: bool
    state: DataState
    deadline_exceeded: bool = False
    coverage: Coverage | None = None
    canary: CanaryComparison | None = None
    """The canary comparison (canary 5xx check only); its ``to_json`` is the report's section."""
    summary: str | None = None
    """The comparison in one line where the value alone does not say it (canary checks)."""
    cause: str | None = None
    """Why there is no value (no_data, error), without the query: the terminal's one line."""

    def to_json(self) -> dict[str, Any]:
        """JSON for the process boundary (NaN is never stored: values are checked before).

        Shallow on purpose: ``dataclasses.asdict`` deep-copies every series (slow for 1,000 GPUs).
        """
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["series"] = [s.to_json() for s in self.series]
        data["state"] = self.state.value
        data["coverage"] = None if self.coverage is None else self.coverage.to_json()
        data["canary"] = None if self.canary is None else self.canary.to_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Observation:
        """The observation of :meth:`to_json` (raises ``KeyError``/``TypeError``/``ValueError``)."""
        coverage = data.get("coverage")
        canary = data.get("canary")
        return cls(
            what=str(data["what"]),
            value=None if data["value"] is None else float(data["value"]),
            threshold=float(data["threshold"]),
            comparison=str(data["comparison"]),
            unit=str(data["unit"]),
            margin=None if data["margin"] is None else float(data["margin"]),
            series=tuple(ObservedSeries.from_json(s) for s in data["series"]),
            query=None if data["query"] is None else str(data["query"]),
            window_seconds=None if data["window_seconds"] is None else int(data["window_seconds"]),
            samples=None if data["samples"] is None else float(data["samples"]),
            passed=bool(data["passed"]),
            state=DataState(data["state"]),
            deadline_exceeded=bool(data.get("deadline_exceeded", False)),
            coverage=None if coverage is None else Coverage.from_json(coverage),
            canary=None if canary is None else CanaryComparison.from_json(canary),
            summary=None if data.get("summary") is None else str(data["summary"]),
            cause=None if data.get("cause") is None else str(data["cause"]),
        )

    def worst_series(self) -> ObservedSeries | None:
        """The failing series with the least margin, else any series with the least margin."""
        failing = [s for s in self.series if s.passed is False]
        pool = failing or list(self.series)
        if not pool:
            return None
        return min(pool, key=lambda s: s.margin if s.margin is not None else 0.0)


def format_value(value: float, unit: str) -> str:
    """Format a value with its unit; ``ratio`` is shown as a percentage."""
    if unit == "ratio":
        return f"{value * 100:.2f}%"
    if unit == P_VALUE:
        return format_p(value)
    if not unit and float(value).is_integer():
        return str(int(value))  # counts and codes: "HTTP status 503 != 200"
    return f"{value:.2f} {unit}".rstrip()


def margin_of(value: float, op: str, threshold: float) -> float:
    """Distance from the limit, positive when inside it (``==`` gives minus the difference)."""
    if op in ("<=", "<"):
        return threshold - value
    if op in (">=", ">"):
        return value - threshold
    return 0.0 - abs(value - threshold)
