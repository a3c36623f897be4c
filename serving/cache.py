"""Per-mode brief cache: bounded LRU with a TTL per mode, keyed on normalised text + mode + model.

Used from the event loop only (no locking). Only successful briefs are stored.
"""

from __future__ import annotations

import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Clock = Callable[[], float]
MIN_TTL_SECONDS = 1.0
MAX_TTL_SECONDS = 86400.0


@dataclass(frozen=True)
class CacheKey:
    """What makes two brief requests the same: text (normalised), mode, and the serving model."""

    text: str
    mode: str
    model: str
    revision: str


def normalise_text(text: str) -> str:
    """NFKC, case-folded, with runs of whitespace collapsed to one space and the ends trimmed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass
class _ModeStats:
    hits: int = 0
    misses: int = 0
    expired: int = 0
    evicted: int = 0


class BriefCache:
    """One LRU per mode, each holding at most ``max_entries`` unexpired entries."""

    def __init__(
        self, ttl_seconds: Mapping[str, float], max_entries: int, clock: Clock = time.monotonic
    ) -> None:
        self._ttl = dict(ttl_seconds)
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, OrderedDict[CacheKey, tuple[float, Any]]] = {
            mode: OrderedDict() for mode in self._ttl
        }
        self._stats = {mode: _ModeStats() for mode in self._ttl}

    def get(self, key: CacheKey) -> Any | None:
        """Return the cached value for ``key`` (a hit), or None; a miss is counted apart.

        The caller counts a miss with :meth:`record_miss` once a generation really starts, so a
        lookup that ends in a refusal (queue full) is neither a hit nor a miss.
        """
        entries, stats = self._entries[key.mode], self._stats[key.mode]
        found = entries.get(key)
        if found is not None:
            expires_at, value = found
            if self._clock() < expires_at:
                entries.move_to_end(key)
                stats.hits += 1
                return value
            del entries[key]
            stats.expired += 1
        return None

    def record_miss(self, mode: str) -> None:
        """Count a miss: a generation started for a ``mode`` request."""
        self._stats[mode].misses += 1

    def record_hit(self, mode: str) -> None:
        """Count a hit that did not come from :meth:`get` (a request that joined a generation)."""
        self._stats[mode].hits += 1

    def put(self, key: CacheKey, value: Any) -> None:
        """Store ``value`` for the mode's TTL, evicting the least recently used when full."""
        entries = self._entries[key.mode]
        entries[key] = (self._clock() + self._ttl[key.mode], value)
        entries.move_to_end(key)
        while len(entries) > self._max_entries:
            entries.popitem(last=False)
            self._stats[key.mode].evicted += 1

    def clear(self, mode: str | None = None) -> int:
        """Drop every entry (of one mode, or all); return how many were dropped."""
        modes = [mode] if mode is not None else list(self._entries)
        dropped = 0
        for name in modes:
            dropped += len(self._entries[name])
            self._entries[name].clear()
        return dropped

    def set_ttl(self, mode: str, ttl_seconds: float) -> None:
        """Change a mode's TTL for entries stored from now on."""
        if isinstance(ttl_seconds, bool) or not MIN_TTL_SECONDS <= ttl_seconds <= MAX_TTL_SECONDS:
            raise ValueError(
                f"ttl_seconds must be in [{MIN_TTL_SECONDS:g}, {MAX_TTL_SECONDS:g}], "
                f"got {ttl_seconds!r}"
            )
        self._ttl[mode] = ttl_seconds

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per mode: size, hits, misses, hit ratio (None before any lookup), expired, evicted."""
        result = {}
        for mode, stats in self._stats.items():
            lookups = stats.hits + stats.misses
            result[mode] = {
                "size": len(self._entries[mode]),
                "hits": stats.hits,
                "misses": stats.misses,
                "hit_ratio": stats.hits / lookups if lookups else None,
                "expired": stats.expired,
                "evicted": stats.evicted,
            }
        return result

    def config(self) -> dict[str, Any]:
        """TTL per mode and the per-mode capacity."""
        return {"ttl_seconds": dict(self._ttl), "max_entries_per_mode": self._max_entries}
