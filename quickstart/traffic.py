"""A realistic burst of brief requests across the three modes, repeats included (the cache works)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

MODES = ("fast", "balanced", "creative")
TEXTS = (
    "A fresh citrus scent for summer mornings, light and not too sweet.",
    "Something warm and woody for winter evenings by the fire.",
    "A clean, soapy fragrance for the office, nothing heavy.",
    "Rose and oud, luxurious, for special occasions.",
    "Green tea and bergamot for a sporty daily wear.",
    "Vanilla but not sugary, autumn, cosy sweater feeling.",
    "Sea breeze and salt, like a morning walk on the beach.",
    "Spicy pepper and leather for a bold signature scent.",
    "Soft powdery iris for spring, elegant and quiet.",
    "Fig leaf and coconut milk, summer holiday in the south.",
    "Smoky incense and amber, evening, mysterious.",
    "Lavender and cedar, relaxing, for before sleep.",
)
REQUEST_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class TrafficResult:
    """How the burst went: answers per HTTP status (``error`` for a transport failure)."""

    by_status: dict[str, int]

    @property
    def total(self) -> int:
        """All requests sent."""
        return sum(self.by_status.values())


def plan(texts_per_mode: int, repeats: int) -> list[list[tuple[str, str]]]:
    """Rounds of (mode, text): the first round misses the cache, the later rounds repeat it."""
    chosen = TEXTS[:texts_per_mode]
    first = [(mode, text) for text in chosen for mode in MODES]
    return [first] + [list(first) for _ in range(repeats - 1)]


def _send(session: requests.Session, url: str, mode: str, text: str) -> str:
    try:
        response = session.post(
            url + "/v1/brief", json={"text": text, "mode": mode}, timeout=REQUEST_TIMEOUT_SECONDS
        )
    except requests.RequestException:
        return "error"
    return str(response.status_code)


def drive(
    url: str,
    *,
    texts_per_mode: int,
    repeats: int,
    concurrency: int,
    say: Callable[[str], None],
) -> TrafficResult:
    """Send every round of the plan with ``concurrency`` clients; report progress per round."""
    counts: Counter[str] = Counter()
    rounds = plan(texts_per_mode, repeats)
    with requests.Session() as session, ThreadPoolExecutor(max_workers=concurrency) as pool:
        for number, batch in enumerate(rounds, start=1):
            statuses = list(pool.map(lambda item: _send(session, url, *item), batch))
            counts.update(statuses)
            kind = "cache misses" if number == 1 else "repeats (cache hits)"
            say(
                f"  round {number}/{len(rounds)}: {len(batch)} briefs, {kind}: "
                + ", ".join(f"{s} x{n}" for s, n in sorted(Counter(statuses).items()))
            )
    return TrafficResult(by_status=dict(counts))
