"""The observer's comparisons: worst series, NaN, infinity, empty answers, sample floors, value text."""

from __future__ import annotations

import math

import pytest

from pytest_gate.checks.observe import (
    UNKNOWN_COMPARISON,
    GateDataError,
    GateNoData,
    Observer,
    format_value,
)
from pytest_gate.core.query import Answer, DataState, SeriesValue


def _answer(
    *values: float, state: DataState = DataState.OK, samples: float | None = None
) -> Answer:
    series = tuple(SeriesValue((("i", str(i)),), v, samples) for i, v in enumerate(values))
    return Answer("q", state, series, 300, message="boom" if state is not DataState.OK else "")


def test_observer_worst_series_decides() -> None:
    """One bad series among good ones fails the comparison and is named."""
    observer = Observer()
    with pytest.raises(AssertionError, match=r"lat 5\.00 s > 4\.50 s \(i=1\)"):
        observer.expect(_answer(1.0, 5.0, 2.0), "<=", 4.5, what="lat", unit="s")
    observation = observer.findings.observation
    assert observation is not None and observation.value == 5.0


@pytest.mark.parametrize("value", [math.nan])
def test_observer_nan_is_no_data(value: float) -> None:
    """NaN never passes: it is no_data."""
    with pytest.raises(GateNoData, match="NaN"):
        Observer().expect(_answer(value), "<=", 1.0, what="x", unit="s")


def test_observer_infinity_is_error() -> None:
    """+Inf is a data error."""
    with pytest.raises(GateDataError, match="infinite"):
        Observer().expect(_answer(math.inf), "<=", 1.0, what="x", unit="s")


def test_observer_empty_answer_is_no_data() -> None:
    """An empty result is no_data, never a pass."""
    with pytest.raises(GateNoData, match="empty result"):
        Observer().expect(_answer(), ">=", 0.0, what="x", unit="s")


def test_observer_error_state_is_error_naming_the_query() -> None:
    """An ERROR answer raises GateDataError with the query text."""
    with pytest.raises(GateDataError, match=r"x: boom \[query: q\]"):
        Observer().expect(_answer(1.0, state=DataState.ERROR), "<=", 2.0, what="x", unit="s")


def test_observer_sample_floor_is_no_data() -> None:
    """Fewer samples than the floor is no_data even when the value would pass."""
    with pytest.raises(GateNoData, match="fewer samples than the floor of 50"):
        Observer().expect(_answer(0.1, samples=3), "<=", 1.0, what="x", unit="s", min_samples=50)


def test_observer_rejects_unknown_comparison() -> None:
    """A typo in the operator is a clear error."""
    with pytest.raises(
        ValueError, match=UNKNOWN_COMPARISON.format(op="=<").replace("(", r"\(").replace(")", r"\)")
    ):
        Observer().expect(1.0, "=<", 2.0, what="x", unit="s")


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(503, "", "503"), (0.5, "", "0.50"), (2.5, "s", "2.50 s"), (0.125, "ratio", "12.50%")],
)
def test_format_value(value: float, unit: str, text: str) -> None:
    """Counts and codes print as integers, other values with two decimals and their unit."""
    assert format_value(value, unit) == text
