"""Downshift creative -> balanced -> fast: per-mode latency breakers and model availability.

A mode's breaker opens after ``consecutive`` requests in a row served by that mode's model took
longer than its limit (SLO + 33%: 6.0 / 4.3 / 3.3 s). Requests for an open (or unloaded) mode go
to the next mode down. Breakers open at most once per cooldown (60 s), so a downshift does not
cascade before the lower model has shown how it copes. After ``recovery`` seconds (300 s) without
a change, one open breaker closes (the lowest first), so traffic climbs back one level at a time.
Pure logic with an injectable clock; used from the event loop only.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Clock = Callable[[], float]
EVENTS_KEPT = 20


@dataclass
class _Breaker:
    limit_seconds: float
    consecutive_slow: int = 0
    open_since: float | None = None


class Downshift:
    """Routes each requested mode to the mode that serves it now."""

    def __init__(
        self,
        modes: Sequence[str],
        limit_seconds: Mapping[str, float],
        *,
        consecutive: int,
        cooldown_seconds: float,
        recovery_seconds: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self._modes = tuple(modes)
        self._breakers = {mode: _Breaker(limit_seconds[mode]) for mode in self._modes}
        self._consecutive = consecutive
        self._cooldown = cooldown_seconds
        self._recovery = recovery_seconds
        self._clock = clock
        self._last_change: float | None = None
        self._routed: Counter[str] = Counter()
        self._events: deque[dict[str, Any]] = deque(maxlen=EVENTS_KEPT)

    def route(self, requested: str, available: Collection[str], count: bool = True) -> str | None:
        """Return the mode that serves ``requested`` now, or None when no model is available.

        The first available mode at or below ``requested`` whose breaker is closed wins; when every
        such breaker is open, the first available one still serves (there is nowhere lower to go).
        """
        self._recover()
        below = self._modes[self._modes.index(requested) :]
        candidates = [mode for mode in below if mode in available]
        closed = [mode for mode in candidates if self._breakers[mode].open_since is None]
        served = next(iter(closed or candidates), None)
        if count and served is not None and served != requested:
            self._routed[f"{requested}->{served}"] += 1
        return served

    def record(self, served: str, latency_seconds: float) -> None:
        """Feed one generation latency of the ``served`` mode's model to its breaker."""
        breaker = self._breakers[served]
        if latency_seconds > breaker.limit_seconds:
            breaker.consecutive_slow += 1
        else:
            breaker.consecutive_slow = 0
        if breaker.open_since is None and breaker.consecutive_slow >= self._consecutive:
            now = self._clock()
            if self._last_change is None or now - self._last_change >= self._cooldown:
                breaker.open_since = now
                breaker.consecutive_slow = 0
                self._change(
                    now,
                    "open",
                    served,
                    f"{self._consecutive} requests in a row took "
                    f"longer than {breaker.limit_seconds} s",
                )

    def _recover(self) -> None:
        now = self._clock()
        while self._last_change is not None and now - self._last_change >= self._recovery:
            open_modes = [m for m in self._modes if self._breakers[m].open_since is not None]
            if not open_modes:
                return
            lowest = open_modes[-1]
            self._breakers[lowest].open_since = None
            self._change(
                self._last_change + self._recovery,
                "close",
                lowest,
                f"recovered after {self._recovery:.0f} s",
            )

    def _change(self, at: float, event: str, mode: str, reason: str) -> None:
        self._last_change = at
        self._events.append({"at": at, "event": event, "mode": mode, "reason": reason})

    def stats(self, available: Collection[str]) -> dict[str, Any]:
        """Breaker states, current routes, downshift counts and recent events."""
        self._recover()
        now = self._clock()
        return {
            "routes": {mode: self.route(mode, available, count=False) for mode in self._modes},
            "breakers": {
                mode: {
                    "state": "closed" if b.open_since is None else "open",
                    "limit_seconds": b.limit_seconds,
                    "consecutive_slow": b.consecutive_slow,
                    "open_for_seconds": None if b.open_since is None else now - b.open_since,
                }
                for mode, b in self._breakers.items()
            },
            "unavailable": [mode for mode in self._modes if mode not in available],
            "consecutive_to_open": self._consecutive,
            "cooldown_seconds": self._cooldown,
            "recovery_seconds": self._recovery,
            "downshifted_requests": dict(self._routed),
            "events": [
                {
                    "event": e["event"],
                    "mode": e["mode"],
                    "reason": e["reason"],
                    "seconds_ago": round(now - e["at"], 3),
                }
                for e in self._events
            ],
        }
