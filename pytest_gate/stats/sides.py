"""One side of a canary comparison: whole errors and requests. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CANARY, BASELINE = "canary", "baseline"


@dataclass(frozen=True)
class Side:
    """One side's whole errors and requests over the window (integers, DESIGN §2)."""

    name: str
    errors: int
    requests: int

    @property
    def ratio(self) -> float:
        """errors / requests (requests is never 0 once a sample floor was applied)."""
        return self.errors / self.requests if self.requests else 0.0

    def to_json(self) -> dict[str, Any]:
        """The report's view of one side."""
        return {"errors": self.errors, "requests": self.requests, "ratio": self.ratio}
