"""A sample floor that cannot be checked fails closed: a missing or NaN count is no_data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from pytest_gate.checks.observe import GateNoData, Observer
from pytest_gate.core.deadline import Deadline
from pytest_gate.core.query import Answer, DataState, SeriesValue
from pytest_gate.sources.joins import join_quantile
from pytest_gate.sources.recorder import read
from pytest_gate.sources.replay import ReplaySource

RECORDING = Path(__file__).resolve().parents[1] / "data" / "recording_v1.json"
FAST = (("mode", "fast"),)


def expect_p95(answer: Answer, floor: float = 10) -> None:
    Observer([]).expect(answer, "<=", 4.5, what="p95", unit="s", min_samples=floor)


def test_a_histogram_without_count_does_not_pass_p95_on_its_buckets_alone() -> None:
    """Buckets but no ``_count`` series: the floor of 10 cannot be checked, so no_data."""
    joined = join_quantile({FAST: 2.85}, {})
    answer = Answer("q", DataState.OK, joined.series, 300)
    with pytest.raises(GateNoData, match=r"the sample count is missing \(mode=fast\)"):
        expect_p95(answer)


@pytest.mark.parametrize("samples", [None, math.nan, math.inf])
def test_an_uncounted_series_is_no_data_under_a_floor(samples: float | None) -> None:
    """None, NaN or infinite counts never clear a floor."""
    answer = Answer("q", DataState.OK, (SeriesValue(FAST, 2.85, samples),), 300)
    with pytest.raises(GateNoData, match="so the floor of 10 cannot be checked"):
        expect_p95(answer)


def test_a_counted_series_above_the_floor_still_passes() -> None:
    """The rule takes nothing from a real count."""
    expect_p95(Answer("q", DataState.OK, (SeriesValue(FAST, 2.85, 3000.0),), 300))


@pytest.mark.parametrize("recorded", [None, "nan"])
def test_a_replay_whose_samples_are_null_or_nan_is_not_go(
    tmp_path: Path, recorded: str | None
) -> None:
    """A recording edited to ``"samples": null`` used to say GO; now the check has no data."""
    document = json.loads(RECORDING.read_text())
    entry = document["entries"][0]
    assert entry["answer"]["series"][0]["samples"] == "3000.0"
    entry["answer"]["series"][0]["samples"] = recorded
    path = tmp_path / "recording.json"
    path.write_text(json.dumps(document))
    recording, sha = read(path)
    query, _ = recording.entries[0]
    answer = ReplaySource(recording, path, sha).answer(query, recording.at, Deadline(5))
    with pytest.raises(GateNoData, match="the sample count is missing"):
        expect_p95(answer)
