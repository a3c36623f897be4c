"""Bounds on the numbers a user gives the gate: instants (``--gate-time``, a recording's ``at``)
and spans of seconds (``--gate-deadline``, ``--gate-watch``, ``--gate-interval``).

Pure functions returning the problem in words (or ``None``), so every reader of such a value (the
option parser, the recording reader) refuses the same values with the same words, before a
``datetime`` or a socket timeout would overflow into a traceback.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

LATEST_INSTANT_SECONDS = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()
"""The last instant a timestamp can name (the end of year 9999)."""
MAX_SPAN_SECONDS = 7 * 24 * 3600.0
"""The longest deadline, watch or interval: a week (no gate waits longer for an answer)."""


def instant_problem(seconds: float) -> str | None:
    """Why ``seconds`` is not a usable unix time, or ``None``; says when it looks like ms."""
    if not math.isfinite(seconds) or seconds <= 0:
        return "is not a positive, finite number of unix seconds"
    if seconds > LATEST_INSTANT_SECONDS:
        if seconds / 1000 <= LATEST_INSTANT_SECONDS:
            return (
                f"is after the year 9999: it looks like milliseconds; give seconds "
                f"({seconds / 1000:.3f})"
            )
        return "is after the year 9999, not a unix time in seconds"
    return None


def span_problem(seconds: float) -> str | None:
    """Why ``seconds`` is not a usable span (deadline, watch, interval), or ``None``."""
    if not math.isfinite(seconds) or seconds <= 0:
        return "is not a positive number of seconds"
    if seconds > MAX_SPAN_SECONDS:
        return f"is more than {MAX_SPAN_SECONDS:.0f} seconds (a week)"
    return None
