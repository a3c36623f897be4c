"""Text and JSON rendering of readings and plans (pure)."""

from __future__ import annotations

import json

import pytest

from pytest_gate.gpu.memory import GpuMemory
from pytest_gate.gpu.nvml import NvmlUnavailable
from pytest_gate.vram import render
from pytest_gate.vram.plan import plan_placement

GIB = 1024**3
MIB = 1024**2


def gpu(index: int, ratio: float, reserved: int | None = 0) -> GpuMemory:
    total = 24576 * MIB
    free = round(total * ratio)
    return GpuMemory(index, f"GPU-{index}", "NVIDIA RTX 4090", total, total - free, free, reserved)


@pytest.mark.parametrize(
    ("ratio", "line"),
    [
        (0.268, "[PASS] Sufficient VRAM headroom (26.8% >= 20%)"),
        (0.22, "[WARN] Low VRAM headroom (22.0% < 25%)"),
        (0.12, "[FAIL] Insufficient VRAM headroom (12.0% < 20%)"),
    ],
    ids=["pass", "warn", "fail"],
)
def test_verdict_lines_keep_the_original_form(ratio: float, line: str) -> None:
    """Each verdict line starts in the original monitor's form."""
    text = render.verdict_line(gpu(0, ratio), ratio, 0.20, 0.25)
    assert text.startswith(line)


def test_verdict_line_names_the_device() -> None:
    """Which GPU is short: index, name and UUID on the line."""
    text = render.verdict_line(gpu(2, 0.12), 0.12, 0.20, 0.25)
    assert text.endswith("on GPU 2 (NVIDIA RTX 4090, GPU-2)")


def test_limits_print_without_needless_decimals() -> None:
    """0.20 prints as 20%, 0.225 as 22.5%."""
    assert (render.limit(0.20), render.limit(0.225)) == ("20%", "22.5%")


def test_table_has_one_row_per_device_with_mib_and_headroom() -> None:
    """The table lists total/used/free/reserved MiB and headroom per device."""
    rows = render.table([gpu(0, 0.268), gpu(1, 0.5, reserved=None)])
    assert rows[0].split()[:3] == ["DEVICE", "NAME", "UUID"]
    assert "24576" in rows[1] and "26.8%" in rows[1]
    assert "n/a" in rows[2]


def test_reading_json_carries_per_gpu_status_and_the_worst_verdict() -> None:
    """The JSON verdict is the worst device; every device is listed."""
    document = render.reading_json([gpu(0, 0.5), gpu(1, 0.22)], 0.20, 0.25, "2025-01-01T00:00:00Z")
    assert [g["status"] for g in document["gpus"]] == ["PASS", "WARN"]
    assert (document["verdict"], document["exit_code"]) == ("WARN", 1)


def test_reading_json_keeps_unknown_reserved_as_null() -> None:
    """Unknown reserved memory is null in JSON, never 0."""
    document = render.reading_json([gpu(0, 0.5, reserved=None)], 0.20, 0.25, "t")
    assert json.loads(json.dumps(document))["gpus"][0]["reserved_bytes"] is None


def test_error_json_has_reason_cause_and_hint() -> None:
    """A script reading --json learns why NVML gave nothing."""
    document = render.error_json(NvmlUnavailable("driver_not_loaded", "cause", "hint"))
    assert document["error"] == {"reason": "driver_not_loaded", "cause": "cause", "hint": "hint"}
    assert document["exit_code"] == 3


def test_plan_text_says_where_each_model_goes() -> None:
    """The plan lists each model with its device and the placement rule used."""
    gpus = [gpu(0, 0.98), gpu(1, 0.98)]
    plan = plan_placement(
        gpus, {"qwen": 16 * GIB, "llama": 5 * GIB, "mistral": 4 * GIB}, [], 0.2, 0.25
    )
    text = render.plan_text(plan, 0.20, 0.25)
    assert "qwen on GPU" in text and "the rest on GPU" in text
    assert "  mistral   4.0 GiB  -> GPU" in text
    assert "  qwen     16.0 GiB  -> GPU" in text


def test_plan_text_names_what_cannot_be_loaded() -> None:
    """A plan that does not fit ends in a FAIL line naming the models."""
    plan = plan_placement([gpu(0, 0.4)], {"qwen": 16 * GIB}, [], 0.20, 0.25)
    assert "[FAIL] Cannot load qwen here while keeping 20% VRAM headroom" in render.plan_text(
        plan, 0.20, 0.25
    )


def test_plan_json_is_strict_json_with_the_placement() -> None:
    """--plan --json: placement per model, projections per device, verdict and exit code."""
    plan = plan_placement([gpu(0, 0.9)], {"a": 2 * GIB, "b": GIB}, ["b"], 0.20, 0.25)
    document = json.loads(json.dumps(render.plan_json(plan, 0.2, 0.25, "t"), allow_nan=False))
    assert document["plan"]["to_load"] == [{"name": "a", "vram_bytes": 2 * GIB, "uuid": "GPU-0"}]
    assert document["plan"]["already_loaded"] == ["b"]
    assert (document["verdict"], document["exit_code"]) == ("PASS", 0)


def test_plan_that_does_not_fit_shows_current_headroom_not_after_loading() -> None:
    """Nothing is placed, so the verdict lines describe the devices as they are."""
    plan = plan_placement([gpu(0, 0.4)], {"qwen": 16 * GIB}, [], 0.20, 0.25)
    verdicts = [line for line in render.plan_text(plan, 0.20, 0.25).splitlines() if line[0] == "["]
    assert verdicts[0].startswith("[PASS] Sufficient VRAM headroom (40.0% >= 20%)")
