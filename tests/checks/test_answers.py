"""Derived answers: per-series ratios, the cache hit share, required series, quiet comparisons."""

from __future__ import annotations

import math

import pytest

from gate_checks.answers import divided, hit_share, requiring, within
from pytest_gate.core.query import Answer, DataState, SeriesValue


def answer(*series: tuple[dict[str, str], float, float | None], query: str = "q") -> Answer:
    return Answer(
        query_text=query,
        state=DataState.OK,
        series=tuple(
            SeriesValue(tuple(sorted(labels.items())), value, samples)
            for labels, value, samples in series
        ),
        window_seconds=7200,
    )


def failed(state: DataState, message: str = "broken") -> Answer:
    return Answer(query_text="q", state=state, message=message)


PPO = {"algorithm": "ppo", "loss_type": "total_loss"}
DPO = {"algorithm": "dpo", "loss_type": "total_loss"}


def test_within_is_true_only_when_every_series_holds() -> None:
    """One series over the limit makes the comparison false."""
    assert within(answer(({"m": "a"}, 1.0, None)), "<=", 2.0)
    assert not within(answer(({"m": "a"}, 1.0, None), ({"m": "b"}, 3.0, None)), "<=", 2.0)


@pytest.mark.parametrize(
    "subject",
    [failed(DataState.NO_DATA), failed(DataState.ERROR), answer(({}, math.nan, None))],
    ids=["no_data", "error", "nan"],
)
def test_within_is_false_for_unusable_data(subject: Answer) -> None:
    """Missing, broken or NaN data never counts as within the limit."""
    assert not within(subject, "<=", 2.0)


def test_divided_joins_series_on_their_labels() -> None:
    """Each current value is divided by the baseline of the same series."""
    ratio = divided(
        answer((PPO, 0.6, None), (DPO, 1.5, None)),
        answer((DPO, 0.5, 120.0), (PPO, 0.3, 120.0)),
        what="2h baseline",
    )
    assert ratio.state is DataState.OK
    values = {s.label_map["algorithm"]: (round(s.value, 9), s.samples) for s in ratio.series}
    assert values == {"ppo": (2.0, 120.0), "dpo": (3.0, 120.0)}


def test_divided_without_a_baseline_is_no_data_naming_the_series() -> None:
    """A series with no baseline cannot be judged; the answer says which."""
    ratio = divided(
        answer((PPO, 0.6, None), (DPO, 1.5, None)), answer((PPO, 0.3, 120.0)), "2h baseline"
    )
    assert ratio.state is DataState.NO_DATA
    assert ratio.message == "no positive 2h baseline for algorithm=dpo,loss_type=total_loss: none"


def test_divided_by_a_zero_baseline_is_no_data() -> None:
    """A baseline of 0 gives no ratio, never an infinite one."""
    ratio = divided(answer((PPO, 0.6, None)), answer((PPO, 0.0, 120.0)), "2h baseline")
    assert (ratio.state, ratio.message.endswith(": 0")) == (DataState.NO_DATA, True)


@pytest.mark.parametrize("state", [DataState.NO_DATA, DataState.ERROR])
def test_divided_keeps_a_failed_part(state: DataState) -> None:
    """A failed current or baseline answer passes through with its own message."""
    ratio = divided(answer((PPO, 0.6, None)), failed(state, "HTTP 500"), "2h baseline")
    assert (ratio.state, ratio.message) == (state, "HTTP 500")


def test_hit_share_from_hits_per_miss() -> None:
    """60 hits and 40 misses: hits/misses 1.5 over 40 misses is a 60% share of 100 lookups."""
    share = hit_share(answer(({}, 1.5, 40.0)), answer(({}, 40 / 60, 60.0)))
    assert [(round(s.value, 9), s.samples) for s in share.series] == [(0.6, 100.0)]


def test_hit_share_without_misses_is_one() -> None:
    """Only hits (misses counter at 0): hits/misses has no data, misses/hits is 0, share is 1."""
    share = hit_share(failed(DataState.NO_DATA), answer(({}, 0.0, 50.0)))
    assert [(s.value, s.samples) for s in share.series] == [(1.0, 50.0)]


def test_hit_share_without_hits_is_zero() -> None:
    """Only misses: hits/misses is a real 0, so the share is 0 (a breach, not no data)."""
    share = hit_share(answer(({}, 0.0, 30.0)), failed(DataState.NO_DATA))
    assert [(s.value, s.samples) for s in share.series] == [(0.0, 30.0)]


def test_hit_share_without_lookups_is_no_data() -> None:
    """No hits and no misses: no share can be computed."""
    share = hit_share(failed(DataState.NO_DATA, "no traffic"), failed(DataState.NO_DATA))
    assert (share.state, share.message) == (DataState.NO_DATA, "no cache lookups: no traffic")


def test_hit_share_keeps_an_error() -> None:
    """A query error on either ratio stays an error."""
    share = hit_share(answer(({}, 1.5, 40.0)), failed(DataState.ERROR, "timeout"))
    assert (share.state, share.message) == (DataState.ERROR, "timeout")


def test_requiring_passes_when_every_value_has_a_series() -> None:
    """All required jobs present: the answer is unchanged."""
    up = answer(({"job": "serving"}, 1.0, None), ({"job": "worker-rl"}, 0.0, None))
    assert requiring(up, "job", ("serving", "worker-rl")) == up


def test_requiring_names_every_absent_value() -> None:
    """A job without any target is no data, named in the message."""
    up = answer(({"job": "serving"}, 1.0, None))
    result = requiring(up, "job", ("serving", "worker-rl", "gpu-exporter"))
    assert (result.state, result.message) == (
        DataState.NO_DATA,
        "no series for job worker-rl, gpu-exporter",
    )


@pytest.mark.parametrize(
    "empty",
    [answer(), failed(DataState.NO_DATA, "empty result (no series matched)")],
    ids=["ok-without-series", "source-no-data"],
)
def test_requiring_names_the_job_when_nothing_matched(empty: Answer) -> None:
    """No series at all (a job without any target) is no data naming the job, not "empty"."""
    result = requiring(empty, "job", ("gpu-exporter",))
    assert (result.state, result.message) == (DataState.NO_DATA, "no series for job gpu-exporter")


def test_requiring_keeps_an_error() -> None:
    """A failed query stays an error: nothing is known about the jobs."""
    assert requiring(failed(DataState.ERROR, "timeout"), "job", ("serving",)).message == "timeout"
