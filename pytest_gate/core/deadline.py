"""One wall-clock budget for the whole gate (``--gate-deadline``).

Every network call takes its timeout from the same :class:`Deadline`, so a hung or black-holed
server costs at most the budget, never the sum of per-query timeouts (the system this replaces
could take over two minutes).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class DeadlineExceeded(Exception):
    """The gate's deadline has passed; no more network calls may start."""


class Deadline:
    """A budget of ``seconds`` that starts at ``started`` (a ``clock()`` reading; default now).

    The gate starts its budget before conftests load (``pytest_load_initial_conftests``), so
    conftest imports, collection and fixture set-up count against ``--gate-deadline`` too.
    """

    def __init__(
        self,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        started: float | None = None,
    ) -> None:
        if not seconds > 0:
            raise ValueError(f"deadline {seconds!r} s is not positive; use e.g. 20")
        self.seconds = float(seconds)
        self._clock = clock
        self._end = (clock() if started is None else started) + self.seconds

    def remaining(self) -> float:
        """Seconds left (negative once expired)."""
        return self._end - self._clock()

    @property
    def expired(self) -> bool:
        """True once no time is left."""
        return self.remaining() <= 0

    def timeout(self, cap: float) -> float:
        """``min(cap, remaining)`` for one blocking call; raises :class:`DeadlineExceeded` at 0."""
        left = self.remaining()
        if left <= 0:
            raise DeadlineExceeded(f"the gate deadline of {self.seconds:g} s has passed")
        return min(cap, left)

    def __repr__(self) -> str:
        return f"Deadline(seconds={self.seconds:g}, remaining={self.remaining():.3f})"
