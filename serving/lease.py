"""Leases on a loaded model: an unload waits until the requests already accepted for it are done.

A request takes a :class:`Lease` when it is routed to a model and gives it back when its
generation has finished (or was dropped from the queue). :meth:`ModelUsers.drain` lets the
operator's unload wait for those leases, so a request accepted while the model was loaded is not
failed by the unload. Thread-safe: leases are taken on the event loop and returned by workers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from serving.models import LoadedModel, ModelSpec


class ModelUsers:
    """How many leases one loaded model has out; :meth:`drain` waits for none."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @property
    def count(self) -> int:
        """Leases out now."""
        with self._changed:
            return self._count

    def take(self) -> None:
        """Count one more user."""
        with self._changed:
            self._count += 1

    def give_back(self) -> None:
        """Count one user fewer, waking a waiting :meth:`drain` at zero."""
        with self._changed:
            self._count -= 1
            if self._count == 0:
                self._changed.notify_all()

    def drain(self, timeout_seconds: float) -> bool:
        """Block until no lease is out or ``timeout_seconds`` passed; True when drained."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout_seconds)


@dataclass
class Lease:
    """One request's hold on a loaded model; :meth:`release` exactly once (later calls no-op)."""

    spec: ModelSpec
    model: LoadedModel
    users: ModelUsers
    _released: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def release(self) -> None:
        """Give the lease back."""
        with self._lock:
            if self._released:
                return
            self._released = True
        self.users.give_back()
