"""Model placement across GPUs (pure)."""

from __future__ import annotations

from pytest_gate.gpu.memory import FAIL, PASS, WARN, GpuMemory
from pytest_gate.vram.plan import (
    DOES_NOT_FIT,
    LARGEST_APART,
    NOTHING_TO_LOAD,
    ONE_GPU,
    SPREAD,
    Plan,
    plan_placement,
    spare_bytes,
)

GIB = 1024**3
MODELS = {"qwen_32b": 16 * GIB, "llama3_8b": 5 * GIB, "mistral_7b": 4 * GIB}


def gpu(index: int, total_gib: float, free_gib: float) -> GpuMemory:
    total, free = int(total_gib * GIB), int(free_gib * GIB)
    return GpuMemory(index, f"GPU-{index}", "NVIDIA", total, total - free, free, 0)


def placed(plan: Plan) -> dict[str, int]:
    return {name: p.gpu.index for p in plan.projections for name in p.models}


def test_all_models_go_on_one_gpu_when_it_holds_them() -> None:
    """48 GB class GPU: 25 GiB of models leave it above 20%."""
    plan = plan_placement([gpu(0, 48, 46)], MODELS, [], 0.20, 0.25)
    assert plan.strategy == ONE_GPU
    assert placed(plan) == {"qwen_32b": 0, "llama3_8b": 0, "mistral_7b": 0}
    assert plan.status == PASS


def test_one_gpu_choice_prefers_the_gpu_left_with_most_headroom() -> None:
    """Of two GPUs that each hold everything, the roomier one gets the models."""
    plan = plan_placement([gpu(0, 80, 40), gpu(1, 80, 70)], MODELS, [], 0.20, 0.25)
    assert set(placed(plan).values()) == {1}


def test_two_24gb_gpus_take_the_largest_apart_from_the_rest() -> None:
    """The original's rule: Qwen on one 24 GB GPU, Mistral and Llama on the other."""
    plan = plan_placement([gpu(0, 24, 23.5), gpu(1, 24, 23.5)], MODELS, [], 0.20, 0.25)
    assert plan.strategy == LARGEST_APART
    mapping = placed(plan)
    assert mapping["llama3_8b"] == mapping["mistral_7b"] != mapping["qwen_32b"]


def test_more_gpus_spread_models_when_two_cannot_hold_them() -> None:
    """Three small GPUs: each model on its own GPU, largest first."""
    plan = plan_placement(
        [gpu(0, 24, 23.5), gpu(1, 12, 11), gpu(2, 12, 11)], MODELS, [], 0.20, 0.25
    )
    assert plan.strategy == SPREAD
    assert placed(plan)["qwen_32b"] == 0
    assert placed(plan)["llama3_8b"] != placed(plan)["mistral_7b"]


def test_models_that_fit_nowhere_make_the_plan_fail() -> None:
    """A 24 GB GPU cannot hold Qwen 32B above 20% next to anything."""
    plan = plan_placement([gpu(0, 24, 10)], MODELS, [], 0.20, 0.25)
    assert plan.strategy == DOES_NOT_FIT
    assert not plan.fits
    assert plan.status == FAIL
    assert placed(plan) == {}


def test_already_loaded_models_are_not_counted_twice() -> None:
    """Qwen is resident (its 16 GiB is already in 'used'); only the others are placed."""
    plan = plan_placement([gpu(0, 48, 20)], MODELS, ["qwen_32b"], 0.20, 0.25)
    assert plan.already_loaded == ("qwen_32b",)
    assert [name for name, _ in plan.to_load] == ["llama3_8b", "mistral_7b"]
    assert plan.projections[0].load_bytes == 9 * GIB
    assert plan.fits


def test_counting_a_loaded_model_again_would_have_refused_the_load() -> None:
    """The same GPU without the loaded hint cannot take all three: the hint matters."""
    plan = plan_placement([gpu(0, 48, 20)], MODELS, [], 0.20, 0.25)
    assert not plan.fits


def test_nothing_to_load_when_every_model_is_resident() -> None:
    """All models loaded: the plan is the current headroom."""
    plan = plan_placement([gpu(0, 48, 20)], MODELS, list(MODELS), 0.20, 0.25)
    assert plan.strategy == NOTHING_TO_LOAD
    assert plan.status == PASS


def test_projected_headroom_in_the_warning_band_warns() -> None:
    """A placement that leaves 22% warns rather than passes."""
    plan = plan_placement([gpu(0, 100, 47)], {"m": 25 * GIB}, [], 0.20, 0.25)
    assert plan.projections[0].headroom_after_ratio == 0.22
    assert plan.status == WARN


def test_a_gpu_already_below_threshold_fails_the_plan_even_if_unused() -> None:
    """Every GPU must stay at or above the threshold, including one that gets nothing."""
    plan = plan_placement([gpu(0, 80, 60), gpu(1, 80, 8)], {"m": 4 * GIB}, [], 0.20, 0.25)
    assert plan.fits
    assert placed(plan) == {"m": 0}
    assert plan.status == FAIL


def test_a_load_ending_exactly_on_the_threshold_fits() -> None:
    """free - load == 20% of total is allowed (the line is inclusive)."""
    plan = plan_placement([gpu(0, 100, 45)], {"m": 25 * GIB}, [], 0.20, 0.25)
    assert plan.fits


def test_spare_bytes_is_what_a_gpu_takes_before_crossing_the_threshold() -> None:
    """80 GiB with 40 GiB free keeps 16 GiB: 24 GiB spare."""
    assert spare_bytes(gpu(0, 80, 40), 0.20) == 24 * GIB
