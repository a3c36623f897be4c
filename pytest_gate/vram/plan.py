"""Where to load models so that every GPU keeps its headroom (pure).

The rule is the original monitor's, made honest: all models on one GPU if one GPU holds them all
above the threshold; else the largest model on one GPU and the rest on another; else, with more
GPUs, each model (largest first) on the GPU left with the most headroom. A GPU "holds" a load when
``(free - load) / total >= threshold``. Models already loaded are not placed again: their memory
is already in the reading.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pytest_gate.gpu.memory import FAIL, GpuMemory, classify_headroom, worst_status

NOTHING_TO_LOAD = "nothing_to_load"
ONE_GPU = "one_gpu"
LARGEST_APART = "largest_apart"
SPREAD = "spread"
DOES_NOT_FIT = "does_not_fit"


@dataclass(frozen=True)
class Projection:
    """One GPU after the plan: what it receives and the headroom left."""

    gpu: GpuMemory
    models: tuple[str, ...]
    load_bytes: int
    free_after_bytes: int
    headroom_after_ratio: float
    status: str


@dataclass(frozen=True)
class Plan:
    """A placement (or the finding that none exists) and every GPU's projected headroom."""

    strategy: str
    to_load: tuple[tuple[str, int], ...]
    already_loaded: tuple[str, ...]
    projections: tuple[Projection, ...]

    @property
    def fits(self) -> bool:
        """True when every model to load has a GPU."""
        return self.strategy != DOES_NOT_FIT

    @property
    def status(self) -> str:
        """``FAIL`` when nothing fits, else the worst projected GPU status."""
        if not self.fits:
            return FAIL
        return worst_status([p.status for p in self.projections])


def spare_bytes(gpu: GpuMemory, threshold_ratio: float) -> int:
    """Bytes ``gpu`` can still take while staying at or above ``threshold_ratio`` (may be < 0)."""
    return gpu.free_bytes - math.ceil(threshold_ratio * gpu.total_bytes)


def _after_ratio(gpu: GpuMemory, load: int) -> float:
    return (gpu.free_bytes - load) / gpu.total_bytes


Assignment = dict[int, list[tuple[str, int]]]  # GPU position -> models placed there


def _one_gpu(
    gpus: Sequence[GpuMemory], models: list[tuple[str, int]], holds: Callable[[int, int], bool]
) -> Assignment | None:
    total = sum(size for _, size in models)
    fitting = [i for i in range(len(gpus)) if holds(i, total)]
    if not fitting:
        return None
    best = max(fitting, key=lambda i: (_after_ratio(gpus[i], total), -i))
    return {best: list(models)}


def _largest_apart(
    gpus: Sequence[GpuMemory], models: list[tuple[str, int]], holds: Callable[[int, int], bool]
) -> Assignment | None:
    if len(models) < 2 or len(gpus) < 2:
        return None
    largest, *rest = models
    rest_bytes = sum(size for _, size in rest)
    pairs = [
        (i, j)
        for i in range(len(gpus))
        for j in range(len(gpus))
        if i != j and holds(i, largest[1]) and holds(j, rest_bytes)
    ]
    if not pairs:
        return None
    i, j = max(
        pairs,
        key=lambda p: (
            min(_after_ratio(gpus[p[0]], largest[1]), _after_ratio(gpus[p[1]], rest_bytes)),
            -p[0],
            -p[1],
        ),
    )
    return {i: [largest], j: list(rest)}


def _spread(
    gpus: Sequence[GpuMemory], models: list[tuple[str, int]], holds: Callable[[int, int], bool]
) -> Assignment | None:
    placed: Assignment = {}
    loads = [0] * len(gpus)
    for name, size in models:
        fitting = [i for i in range(len(gpus)) if holds(i, loads[i] + size)]
        if not fitting:
            return None
        best = max(fitting, key=lambda i: (_after_ratio(gpus[i], loads[i] + size), -i))
        loads[best] += size
        placed.setdefault(best, []).append((name, size))
    return placed


def plan_placement(
    gpus: Sequence[GpuMemory],
    models: Mapping[str, int],
    loaded: Sequence[str],
    threshold_ratio: float,
    warn_ratio: float,
) -> Plan:
    """Place the models of ``models`` not in ``loaded`` on ``gpus``; see the module docstring."""
    already = tuple(sorted(name for name in models if name in set(loaded)))
    to_load = sorted(
        ((n, s) for n, s in models.items() if n not in already), key=lambda m: (-m[1], m[0])
    )

    def holds(position: int, load: int) -> bool:
        return _after_ratio(gpus[position], load) >= threshold_ratio

    strategy, assignment = NOTHING_TO_LOAD, Assignment()
    if to_load:
        strategy = DOES_NOT_FIT
        for name, rule in ((ONE_GPU, _one_gpu), (LARGEST_APART, _largest_apart), (SPREAD, _spread)):
            found = rule(gpus, to_load, holds)
            if found is not None:
                strategy, assignment = name, found
                break
    projections = []
    for position, gpu in enumerate(gpus):
        placed = assignment.get(position, [])
        load = sum(size for _, size in placed)
        ratio = _after_ratio(gpu, load)
        projections.append(
            Projection(
                gpu=gpu,
                models=tuple(name for name, _ in placed),
                load_bytes=load,
                free_after_bytes=gpu.free_bytes - load,
                headroom_after_ratio=ratio,
                status=classify_headroom(ratio, threshold_ratio, warn_ratio),
            )
        )
    return Plan(strategy, tuple(to_load), already, tuple(projections))
