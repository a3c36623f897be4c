"""The models in memory: serialised loads through admission, unloads, and per-model status.

Loads and unloads are blocking (call them from a worker thread); reads are safe from any thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from serving.admission import AdmissionController, AdmissionRefused, Placement
from serving.integrity import LoadError
from serving.lease import Lease, ModelUsers
from serving.metrics import ServingMetrics
from serving.models import LoadedModel, ModelLoader, ModelRegistry, ModelSpec

logger = logging.getLogger(__name__)

LOADED = "loaded"
UNLOADED = "unloaded"
LOADING = "loading"
REFUSED = "refused"
FAILED = "failed"


@dataclass
class _Slot:
    spec: ModelSpec
    status: str = UNLOADED
    reason: str | None = None
    model: LoadedModel | None = None
    placement: Placement | None = None
    vram_bytes: int = 0
    users: ModelUsers | None = None


class ModelManager:
    """Owns one slot per registry model; the only place that loads or unloads weights."""

    def __init__(
        self,
        registry: ModelRegistry,
        loader: ModelLoader,
        admission: AdmissionController,
        metrics: ServingMetrics,
        drain_seconds: float = 60.0,
    ) -> None:
        self.registry = registry
        self._drain_seconds = drain_seconds
        self._loader = loader
        self._admission = admission
        self._metrics = metrics
        self._slots = {spec.name: _Slot(spec) for spec in registry.models}
        self._state_lock = threading.Lock()
        self._load_lock = threading.Lock()

    def load(self, name: str) -> dict[str, Any]:
        """Load ``name`` (no-op when loaded); raise AdmissionRefused or LoadError on failure."""
        spec = self.registry.get(name)
        with self._load_lock:
            if self._slots[name].status == LOADED:
                return self.describe(name)
            self._set(name, status=LOADING, reason=None)
            try:
                placement = self._admission.place(spec)
                model = self._loader.load(spec, placement.device)
            except AdmissionRefused as refusal:
                self._set(name, status=REFUSED, reason=str(refusal))
                raise
            except LoadError as error:
                self._set(name, status=FAILED, reason=str(error))
                raise
            except Exception as error:  # a loader bug must not leave the slot "loading"
                self._set(name, status=FAILED, reason=f"{type(error).__name__}: {error}")
                raise LoadError(f"{name}: unexpected load failure: {error}") from error
            self._admission.record_load(spec, placement, model.footprint_bytes)
            vram = model.footprint_bytes if placement.gpu is not None else 0
            self._set(
                name,
                status=LOADED,
                model=model,
                placement=placement,
                vram_bytes=vram,
                users=ModelUsers(),
            )
            self._metrics.set_loaded(name, placement.gpu_label, vram)
            logger.info("loaded %s on %s", name, placement.device)
            return self.describe(name)

    def unload(self, name: str, reason: str = "unloaded by an operator") -> dict[str, Any]:
        """Unload ``name`` (no-op when not loaded) once its accepted requests are done.

        The model stops taking new requests at once (they downshift); the weights are freed when
        every lease is back, or after ``drain_seconds`` (a request that then finds them gone is
        answered 503 with Retry-After, never failed).
        """
        self.registry.get(name)
        with self._load_lock:
            with self._state_lock:
                slot = self._slots[name]
                model, placement, users = slot.model, slot.placement, slot.users
            self._set(
                name,
                status=UNLOADED,
                reason=reason,
                model=None,
                placement=None,
                vram_bytes=0,
                users=None,
            )
            if model is not None:
                self._metrics.set_unloaded(name, placement.gpu_label if placement else None)
                if users is not None and not users.drain(self._drain_seconds):
                    logger.warning(
                        "unloading %s with %d requests still using it after %g s",
                        name,
                        users.count,
                        self._drain_seconds,
                    )
                self._admission.record_unload(name)
                model.release()
                logger.info("unloaded %s", name)
            return self.describe(name)

    def load_all(self) -> None:
        """Load every registry model; failures are recorded in the slots, not raised."""
        for name in self.registry.names:
            try:
                self.load(name)
            except (AdmissionRefused, LoadError) as error:
                logger.error("not loaded: %s", error)

    def unload_all(self) -> None:
        """Unload every model (shutdown)."""
        for name in self.registry.names:
            self.unload(name, reason="server shut down")

    def _set(self, name: str, **changes: Any) -> None:
        with self._state_lock:
            slot = self._slots[name]
            for key, value in changes.items():
                setattr(slot, key, value)

    def lease_for_mode(self, mode: str) -> Lease | None:
        """A lease on the loaded model serving ``mode``, or None when it is not loaded."""
        return self.lease(self.registry.for_mode(mode).name)

    def lease(self, name: str) -> Lease | None:
        """A lease on the loaded model called ``name``, or None when it is not loaded."""
        with self._state_lock:
            slot = self._slots[name]
            if slot.model is None or slot.users is None:
                return None
            slot.users.take()
            return Lease(slot.spec, slot.model, slot.users)

    def available_modes(self) -> set[str]:
        """Modes whose model is loaded."""
        with self._state_lock:
            return {slot.spec.mode for slot in self._slots.values() if slot.status == LOADED}

    def describe(self, name: str) -> dict[str, Any]:
        """Status of one model, as ``/health`` and the admin API show it."""
        with self._state_lock:
            slot = self._slots[name]
            return {
                "model": name,
                "mode": slot.spec.mode,
                "status": slot.status,
                "reason": slot.reason,
                "checkpoint": slot.spec.checkpoint,
                "revision": slot.spec.revision_label,
                "repair": slot.spec.repair,
                "device": slot.placement.device if slot.placement else None,
                "gpu": slot.placement.gpu_label if slot.placement else None,
                "vram_bytes": slot.vram_bytes,
            }

    def describe_all(self) -> dict[str, dict[str, Any]]:
        """Status of every model, by name."""
        return {name: self.describe(name) for name in self.registry.names}
