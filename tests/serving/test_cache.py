"""The per-mode brief cache: keys, TTL expiry, LRU bound, flush and TTL changes."""

from __future__ import annotations

import pytest

from serving.cache import BriefCache, CacheKey, normalise_text

TTLS = {"fast": 300.0, "balanced": 600.0, "creative": 1800.0}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _key(text: str = "rose", mode: str = "fast", revision: str = "r1") -> CacheKey:
    return CacheKey(normalise_text(text), mode, "mistral_7b", revision)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(clock: Clock) -> BriefCache:
    return BriefCache(TTLS, max_entries=2, clock=clock)


def test_normalisation_ignores_case_width_and_spacing() -> None:
    """Case, full-width forms and runs of whitespace do not make a new key."""
    assert normalise_text("  Rose\t\uff27\uff21\uff32\uff24\uff25\uff2e  ") == normalise_text(
        "rose garden"
    )


def test_stored_value_is_a_hit_until_the_mode_ttl(cache: BriefCache, clock: Clock) -> None:
    """A fast-mode entry is served for 300 s and missed after."""
    cache.put(_key(), "brief")
    clock.now += 299
    assert cache.get(_key()) == "brief"
    clock.now += 2
    assert cache.get(_key()) is None


@pytest.mark.parametrize("mode", ["balanced", "creative"])
def test_each_mode_has_its_own_ttl(cache: BriefCache, clock: Clock, mode: str) -> None:
    """Balanced lives 600 s and creative 1800 s."""
    cache.put(_key(mode=mode), "brief")
    clock.now += TTLS[mode] - 1
    assert cache.get(_key(mode=mode)) == "brief"


def test_another_revision_is_a_miss(cache: BriefCache) -> None:
    """A new model revision never serves the old revision's answers."""
    cache.put(_key(revision="r1"), "old")
    assert cache.get(_key(revision="r2")) is None


def test_least_recently_used_entry_is_evicted(cache: BriefCache) -> None:
    """With room for two, the entry not used for longest goes first."""
    cache.put(_key("a"), 1)
    cache.put(_key("b"), 2)
    cache.get(_key("a"))
    cache.put(_key("c"), 3)
    assert (cache.get(_key("a")), cache.get(_key("b")), cache.get(_key("c"))) == (1, None, 3)
    assert cache.stats()["fast"]["evicted"] == 1


def test_stats_count_hits_misses_and_ratio(cache: BriefCache) -> None:
    """One miss and one hit give a hit ratio of 0.5; no lookups give None, not 0."""
    assert cache.get(_key()) is None
    cache.record_miss("fast")
    cache.put(_key(), "brief")
    cache.get(_key())
    stats = cache.stats()
    assert (stats["fast"]["hits"], stats["fast"]["misses"], stats["fast"]["hit_ratio"]) == (
        1,
        1,
        0.5,
    )
    assert stats["creative"]["hit_ratio"] is None


def test_clear_one_mode_keeps_the_others(cache: BriefCache) -> None:
    """Flushing fast leaves balanced entries alone."""
    cache.put(_key(mode="fast"), 1)
    cache.put(_key(mode="balanced"), 2)
    assert cache.clear("fast") == 1
    assert cache.get(_key(mode="balanced")) == 2


def test_new_ttl_applies_to_new_entries(cache: BriefCache, clock: Clock) -> None:
    """After set_ttl, a new entry expires on the new schedule."""
    cache.set_ttl("fast", 10)
    cache.put(_key(), "brief")
    clock.now += 11
    assert cache.get(_key()) is None
    assert cache.config()["ttl_seconds"]["fast"] == 10


def test_lookup_without_a_generation_is_not_a_miss(cache: BriefCache) -> None:
    """A lookup that finds nothing counts no miss until the caller records one."""
    assert cache.get(_key()) is None
    assert (cache.stats()["fast"]["misses"], cache.stats()["fast"]["hit_ratio"]) == (0, None)


def test_joined_generation_counts_as_a_hit(cache: BriefCache) -> None:
    """record_hit counts a hit for a request answered by another request's generation."""
    cache.record_hit("fast")
    assert cache.stats()["fast"]["hits"] == 1


@pytest.mark.parametrize("ttl", [0, -1, 0.5, 5e-324, 86401, float("nan"), float("inf"), True])
def test_ttl_out_of_range_is_refused(cache: BriefCache, ttl: float) -> None:
    """TTLs are 1 s to a day: not sub-second, not NaN or infinite, not a boolean."""
    with pytest.raises(ValueError, match="ttl_seconds must be in"):
        cache.set_ttl("fast", ttl)
