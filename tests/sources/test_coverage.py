"""Window coverage from raw traffic samples and their bases (pure): what was bridged or born."""

from __future__ import annotations

from pytest_gate.core.query import Coverage, Labels
from pytest_gate.sources.coverage import measure

AT = 10_000.0
WINDOW = 300
OLD: Labels = (("instance", "old"),)
NEW: Labels = (("instance", "new"),)


def steady(first: float, last: float) -> tuple[tuple[float, float], ...]:
    """Samples every 30 s from ``first`` to ``last`` (unix seconds)."""
    return tuple((first + 30.0 * i, float(i)) for i in range(int((last - first) // 30) + 1))


def test_a_gap_across_the_start_is_bridged_from_the_base() -> None:
    """A base 7m before T and samples from 1m before T: bridged, not partial, nothing born."""
    coverage = measure({OLD: steady(AT - 60, AT)}, {OLD: AT - 420}, AT, WINDOW)
    assert (coverage.longest_gap_seconds, coverage.base_age_seconds) == (360.0, 420.0)
    assert coverage.bridged and not coverage.partial
    assert coverage.born_inside == () and coverage.sparse == ()
    assert "6m gap in scrapes bridged" in coverage.summary()


def test_regular_scrapes_bridge_nothing() -> None:
    """A base one interval before the window and steady scrapes: no gap to speak of."""
    coverage = measure({OLD: steady(AT - 270, AT)}, {OLD: AT - 300}, AT, WINDOW)
    assert coverage.longest_gap_seconds == 30.0
    assert not coverage.bridged and coverage.summary() == ""


def test_a_series_without_a_base_is_born_and_sparse_with_one_sample() -> None:
    """No base and one sample: born inside and sparse (no data); with a base, one sample is enough."""
    samples = {OLD: ((AT - 10, 5.0),), NEW: ((AT - 10, 5.0),)}
    coverage = measure(samples, {OLD: AT - 320}, AT, WINDOW)
    assert coverage.born_inside == (NEW,)
    assert coverage.sparse == (NEW,)
    assert "no sample in the look-back" in coverage.summary()


def test_samples_at_the_window_start_belong_to_the_base() -> None:
    """Prometheus 2.x returns a sample at exactly T - w in x[w]; it is not in the window."""
    coverage = measure({OLD: steady(AT - 300, AT)}, {OLD: AT - 300}, AT, WINDOW)
    assert coverage.samples == 10 and coverage.oldest_age_seconds == 270.0


def test_coverage_json_round_trips_and_reads_version_2() -> None:
    """The new fields survive JSON; a version-2 coverage without them reads as unknown."""
    coverage = measure({OLD: steady(AT - 60, AT)}, {OLD: AT - 420}, AT, WINDOW)
    assert Coverage.from_json(coverage.to_json()) == coverage
    old = coverage.to_json()
    del old["longest_gap_seconds"], old["base_age_seconds"]
    assert Coverage.from_json(old).longest_gap_seconds is None
