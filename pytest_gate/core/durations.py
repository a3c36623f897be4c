"""Durations as text, once for PromQL, the report and every message: ``30m``, ``2h``, ``3m5s``."""

from __future__ import annotations

UNITS = (("h", 3600), ("m", 60))


def duration(seconds: float) -> str:
    """``1800 -> "30m"``, ``7200 -> "2h"``, ``45 -> "45s"``, ``185 -> "3m5s"``, ``0 -> "0s"``.

    Whole multiples of an hour or a minute use that unit alone; anything else is minutes and
    seconds. Every form is valid PromQL duration syntax (Prometheus 2.x, VictoriaMetrics).
    Fractions of a second are rounded.
    """
    whole = round(seconds)
    if whole < 0:
        raise ValueError(f"duration of {seconds} s is negative")
    for unit, size in UNITS:
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    if whole < 60:
        return f"{whole}s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes}m{rest}s"
