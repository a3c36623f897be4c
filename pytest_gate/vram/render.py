"""Readings and plans as text for people and as JSON documents for scripts (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_gate.contract.sizes import gib, mib
from pytest_gate.gpu.memory import FAIL, PASS, GpuMemory, classify_headroom, worst_status
from pytest_gate.gpu.nvml import NvmlUnavailable
from pytest_gate.vram import plan as placement
from pytest_gate.vram.exitcodes import EXIT_NVML_UNAVAILABLE, exit_code

SCHEMA_VERSION = 1
_HEADER = (
    "DEVICE",
    "NAME",
    "UUID",
    "TOTAL MiB",
    "USED MiB",
    "FREE MiB",
    "RESERVED MiB",
    "HEADROOM",
)
_STRATEGY_TEXT = {
    placement.ONE_GPU: "all on {first} (one device holds them all at or above {threshold})",
    placement.LARGEST_APART: (
        "{largest} on {first}, the rest on {second} (no single device holds them all)"
    ),
    placement.SPREAD: "spread, largest first (neither one device nor two hold them all)",
}


def percent(ratio: float) -> str:
    """Format a ratio as a percentage with one decimal: ``26.8%``."""
    return f"{ratio * 100:.1f}%"


def limit(ratio: float) -> str:
    """Format a threshold ratio without needless decimals: ``20%``, ``22.5%``."""
    return f"{round(ratio * 100, 3):g}%"


def describe(gpu: GpuMemory) -> str:
    """``GPU 2 (NVIDIA A100-SXM4-80GB, GPU-...)``: which device a line is about."""
    return f"{gpu.label} ({gpu.name}, {gpu.uuid})"


def verdict_line(
    gpu: GpuMemory, ratio: float, threshold_ratio: float, warn_ratio: float, when: str = ""
) -> str:
    """``[PASS] Sufficient VRAM headroom (26.8% >= 20%) on GPU 0 (...)`` and its WARN/FAIL forms."""
    status = classify_headroom(ratio, threshold_ratio, warn_ratio)
    suffix = f" on {describe(gpu)}"
    when = f" {when}" if when else ""
    if status == PASS:
        comparison = f"{percent(ratio)} >= {limit(threshold_ratio)}"
        return f"[PASS] Sufficient VRAM headroom{when} ({comparison}){suffix}"
    if status == FAIL:
        comparison = f"{percent(ratio)} < {limit(threshold_ratio)}"
        return f"[FAIL] Insufficient VRAM headroom{when} ({comparison}){suffix}"
    comparison = f"{percent(ratio)} < {limit(warn_ratio)}"
    return f"[WARN] Low VRAM headroom{when} ({comparison}){suffix}"


def table(gpus: Sequence[GpuMemory]) -> list[str]:
    """One aligned row per device under a header row."""
    rows = [_HEADER] + [
        (
            gpu.label,
            gpu.name,
            gpu.uuid,
            mib(gpu.total_bytes),
            mib(gpu.used_bytes),
            mib(gpu.free_bytes),
            "n/a" if gpu.reserved_bytes is None else mib(gpu.reserved_bytes),
            percent(gpu.headroom_ratio),
        )
        for gpu in gpus
    ]
    widths = [max(len(row[col]) for row in rows) for col in range(len(_HEADER))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def reading_text(gpus: Sequence[GpuMemory], threshold_ratio: float, warn_ratio: float) -> str:
    """The ``--once`` output: the table, then one verdict line per device."""
    lines = table(gpus) + [
        verdict_line(gpu, gpu.headroom_ratio, threshold_ratio, warn_ratio) for gpu in gpus
    ]
    return "\n".join(lines) + "\n"


def reading_status(gpus: Sequence[GpuMemory], threshold_ratio: float, warn_ratio: float) -> str:
    """The worst device status of a reading."""
    return worst_status(
        [classify_headroom(g.headroom_ratio, threshold_ratio, warn_ratio) for g in gpus]
    )


def _gpu_json(gpu: GpuMemory, threshold_ratio: float, warn_ratio: float) -> dict[str, Any]:
    return {
        "index": gpu.index,
        "mig_index": gpu.mig_index,
        "uuid": gpu.uuid,
        "name": gpu.name,
        "total_bytes": gpu.total_bytes,
        "used_bytes": gpu.used_bytes,
        "free_bytes": gpu.free_bytes,
        "reserved_bytes": gpu.reserved_bytes,
        "headroom_ratio": gpu.headroom_ratio,
        "status": classify_headroom(gpu.headroom_ratio, threshold_ratio, warn_ratio),
    }


def reading_json(
    gpus: Sequence[GpuMemory], threshold_ratio: float, warn_ratio: float, read_at: str
) -> dict[str, Any]:
    """The ``--json`` document of one reading."""
    status = reading_status(gpus, threshold_ratio, warn_ratio)
    return {
        "schema_version": SCHEMA_VERSION,
        "read_at": read_at,
        "threshold_ratio": threshold_ratio,
        "warn_ratio": warn_ratio,
        "gpus": [_gpu_json(gpu, threshold_ratio, warn_ratio) for gpu in gpus],
        "verdict": status,
        "exit_code": exit_code(status),
    }


def error_json(error: NvmlUnavailable) -> dict[str, Any]:
    """The ``--json`` document when NVML gave no reading."""
    return {
        "schema_version": SCHEMA_VERSION,
        "error": {"reason": error.reason, "cause": error.cause, "hint": error.hint},
        "verdict": "UNAVAILABLE",
        "exit_code": EXIT_NVML_UNAVAILABLE,
    }


def _placement_line(result: placement.Plan, threshold_ratio: float) -> str:
    if result.strategy == placement.NOTHING_TO_LOAD:
        return "Nothing to load: every model is already loaded."
    if not result.fits:
        spare = "; ".join(
            f"{p.gpu.label} can take {gib(max(placement.spare_bytes(p.gpu, threshold_ratio), 0))}"
            for p in result.projections
        )
        return (
            f"Placement: none. The models to load do not fit while keeping "
            f"{limit(threshold_ratio)} headroom on every device ({spare})."
        )
    used = [p for p in result.projections if p.models]
    largest = result.to_load[0][0]
    first = next(p for p in used if largest in p.models)
    second = next((p for p in used if p is not first), first)
    text = _STRATEGY_TEXT[result.strategy].format(
        first=first.gpu.label,
        second=second.gpu.label,
        largest=largest,
        threshold=limit(threshold_ratio),
    )
    return f"Placement: {text}."


def plan_text(result: placement.Plan, threshold_ratio: float, warn_ratio: float) -> str:
    """The ``--plan`` output: readings, models, placement, then projected verdict lines."""
    lines = table([p.gpu for p in result.projections])
    total = sum(size for _, size in result.to_load)
    lines.append(f"Models to load: {len(result.to_load)} ({gib(total)})")
    where = {name: p.gpu.label for p in result.projections for name in p.models}
    width = max((len(name) for name, _ in result.to_load), default=0)
    size_width = max((len(gib(size)) for _, size in result.to_load), default=0)
    for name, size in result.to_load:
        device = where.get(name, "no device")
        lines.append(f"  {name.ljust(width)}  {gib(size).rjust(size_width)}  -> {device}")
    if result.already_loaded:
        lines.append(f"Already loaded (not counted again): {', '.join(result.already_loaded)}")
    lines.append(_placement_line(result, threshold_ratio))
    when = "after loading" if result.fits and result.to_load else ""
    lines += [
        verdict_line(p.gpu, p.headroom_after_ratio, threshold_ratio, warn_ratio, when)
        for p in result.projections
    ]
    if not result.fits:
        lines.append(
            f"[FAIL] Cannot load {', '.join(n for n, _ in result.to_load)} here while keeping "
            f"{limit(threshold_ratio)} VRAM headroom"
        )
    return "\n".join(lines) + "\n"


def plan_json(
    result: placement.Plan, threshold_ratio: float, warn_ratio: float, read_at: str
) -> dict[str, Any]:
    """The ``--plan --json`` document."""
    where = {name: p.gpu for p in result.projections for name in p.models}
    document = reading_json(
        [p.gpu for p in result.projections], threshold_ratio, warn_ratio, read_at
    )
    document["plan"] = {
        "strategy": result.strategy,
        "fits": result.fits,
        "to_load": [
            {
                "name": name,
                "vram_bytes": size,
                "uuid": where[name].uuid if name in where else None,
            }
            for name, size in result.to_load
        ],
        "already_loaded": list(result.already_loaded),
        "projected": [
            {
                "index": p.gpu.index,
                "mig_index": p.gpu.mig_index,
                "uuid": p.gpu.uuid,
                "models": list(p.models),
                "load_bytes": p.load_bytes,
                "free_after_bytes": p.free_after_bytes,
                "headroom_after_ratio": p.headroom_after_ratio,
                "status": p.status,
            }
            for p in result.projections
        ],
    }
    document["verdict"] = result.status
    document["exit_code"] = exit_code(result.status)
    return document
