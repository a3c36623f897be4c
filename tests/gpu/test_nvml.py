"""NVML readings through the fake ``pynvml`` (and the real library on a GPU machine)."""

from __future__ import annotations

import pynvml
import pytest

from pytest_gate.gpu import nvml
from pytest_gate.gpu.nvml import NvmlUnavailable, nvml_available, read_gpus
from tests.support.fake_pynvml import GIB, MIB, FakeDevice, FakeNvml, gib, install


def test_one_gpu_reads_total_used_free_and_reserved(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory info v2 gives all four figures, with used excluding reserved."""
    install(
        monkeypatch,
        FakeNvml([FakeDevice.whole(gib(80), gib(30), reserved_bytes=512 * MIB, uuid="GPU-abc")]),
    )
    [gpu] = read_gpus()
    assert (gpu.index, gpu.uuid, gpu.name, gpu.mig_index) == (
        0,
        "GPU-abc",
        "NVIDIA H100 80GB HBM3",
        None,
    )
    assert (gpu.total_bytes, gpu.free_bytes, gpu.reserved_bytes) == (gib(80), gib(30), 512 * MIB)
    assert gpu.used_bytes == gib(80) - gib(30) - 512 * MIB


def test_four_gpus_are_all_read_and_the_low_one_is_visible(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every GPU is read, not just the first: the third one's low headroom shows."""
    install(
        monkeypatch,
        FakeNvml([FakeDevice.whole(gib(80), gib(free)) for free in (40, 38, 8, 41)]),
    )
    gpus = read_gpus()
    assert [g.index for g in gpus] == [0, 1, 2, 3]
    assert [round(g.headroom_ratio, 2) for g in gpus] == [0.5, 0.47, 0.1, 0.51]


def test_memory_info_v1_fallback_leaves_reserved_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without memory info v2, reserved is None (never 0) and used is total - free."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(24), gib(6), memory_v2=False)]))
    [gpu] = read_gpus()
    assert gpu.reserved_bytes is None
    assert gpu.used_bytes == gib(18)


def test_mig_devices_are_reported_each_with_its_own_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """With MIG on, each MIG device is a row of its own, numbered on its parent GPU."""
    migs = [
        FakeDevice.whole(gib(10), gib(9), name="NVIDIA A100 MIG 1g.10gb"),
        FakeDevice.whole(gib(20), gib(2), name="NVIDIA A100 MIG 2g.20gb"),
    ]
    install(
        monkeypatch,
        FakeNvml(
            [
                FakeDevice.whole(gib(80), gib(70), name="NVIDIA A100", mig_devices=migs),
                FakeDevice.whole(gib(80), gib(40), name="NVIDIA A100"),
            ]
        ),
    )
    gpus = read_gpus()
    assert [(g.index, g.mig_index, g.total_bytes) for g in gpus] == [
        (0, 0, gib(10)),
        (0, 1, gib(20)),
        (1, None, gib(80)),
    ]
    assert gpus[1].uuid.startswith("MIG-")


def test_values_change_between_readings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each reading asks NVML again; nothing is cached."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(80), [gib(40), gib(10), gib(30)])]))
    frees = [read_gpus()[0].free_bytes for _ in range(3)]
    assert frees == [gib(40), gib(10), gib(30)]


def test_bytes_names_from_old_bindings_are_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Older nvidia-ml-py returns bytes for names and UUIDs; readings hold text."""
    fake = install(monkeypatch, FakeNvml([FakeDevice.whole(gib(16), gib(8), uuid="GPU-x")]))
    monkeypatch.setattr(fake, "nvmlDeviceGetName", lambda handle: b"Tesla T4", raising=False)
    assert read_gpus()[0].name == "Tesla T4"


def test_shutdown_follows_every_successful_init(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each reading closes its NVML session, also when a device call fails."""
    fake = install(
        monkeypatch,
        FakeNvml(
            [
                FakeDevice.whole(
                    gib(80), gib(40), errors={"nvmlDeviceGetUUID": pynvml.NVML_ERROR_GPU_IS_LOST}
                )
            ]
        ),
    )
    with pytest.raises(NvmlUnavailable):
        read_gpus()
    assert (fake.init_calls, fake.shutdown_calls) == (1, 1)


@pytest.mark.parametrize(
    ("code", "reason", "cause", "hint"),
    [
        (pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, "library_not_found", "libnvidia-ml", "driver"),
        (pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "driver_not_loaded", "not loaded", "modprobe"),
        (
            pynvml.NVML_ERROR_LIB_RM_VERSION_MISMATCH,
            "driver_version_mismatch",
            "different versions",
            "reload the driver",
        ),
        (pynvml.NVML_ERROR_NO_PERMISSION, "no_permission", "denied", "MIG"),
        (pynvml.NVML_ERROR_GPU_IS_LOST, "gpu_lost", "fallen off the bus", "dmesg"),
        (pynvml.NVML_ERROR_UNKNOWN, "nvml_error", "NVML error 999", "nvidia-smi"),
    ],
    ids=[
        "library-not-found",
        "driver-not-loaded",
        "rm-mismatch",
        "no-permission",
        "lost",
        "unknown",
    ],
)
def test_each_init_error_names_its_cause_and_a_hint(
    monkeypatch: pytest.MonkeyPatch, code: int, reason: str, cause: str, hint: str
) -> None:
    """An NVML error from nvmlInit becomes NvmlUnavailable with the cause and a hint."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(80), gib(40))], init_error=code))
    with pytest.raises(NvmlUnavailable) as caught:
        read_gpus()
    assert caught.value.reason == reason
    assert cause in str(caught.value)
    assert hint in caught.value.hint


@pytest.mark.parametrize(
    "function",
    [
        "nvmlDeviceGetHandleByIndex",
        "nvmlDeviceGetName",
        "nvmlDeviceGetMemoryInfo",
        "nvmlDeviceGetMigMode",
    ],
)
def test_an_error_from_any_device_call_makes_the_reading_unavailable(
    monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    """A device call failing fails the whole reading; no device is silently dropped or zeroed."""
    install(
        monkeypatch,
        FakeNvml(
            [
                FakeDevice.whole(gib(80), gib(40)),
                FakeDevice.whole(
                    gib(80), gib(40), errors={function: pynvml.NVML_ERROR_NO_PERMISSION}
                ),
            ]
        ),
    )
    with pytest.raises(NvmlUnavailable, match="denied access"):
        read_gpus()


def test_mig_memory_without_permission_names_the_mig_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """A MIG device that refuses its memory query says so and points at root/MIG."""
    mig = FakeDevice.whole(
        gib(10), gib(9), errors={"nvmlDeviceGetMemoryInfo": pynvml.NVML_ERROR_NO_PERMISSION}
    )
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(80), gib(70), mig_devices=[mig])]))
    with pytest.raises(NvmlUnavailable) as caught:
        read_gpus()
    assert "MIG" in caught.value.hint


def test_zero_devices_read_as_an_empty_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """NVML with no device gives no readings (callers decide; nothing is invented)."""
    install(monkeypatch, FakeNvml([]))
    assert read_gpus() == []


def test_nvml_available_needs_at_least_one_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """auto GPU source: NVML must initialise and list a device."""
    fake = install(monkeypatch, FakeNvml([]))
    assert nvml_available() is False
    fake.devices.append(FakeDevice.whole(gib(80), gib(40)))
    assert nvml_available() is True


def test_nvml_available_is_false_when_init_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """No driver means the auto source does not pick NVML."""
    install(
        monkeypatch,
        FakeNvml(
            [FakeDevice.whole(gib(80), gib(40))], init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED
        ),
    )
    assert nvml_available() is False


@pytest.mark.skipif(nvml_available(), reason="this machine has a working NVIDIA driver")
def test_real_library_without_a_gpu_reports_library_not_found() -> None:
    """The real pynvml on a machine without the driver gives the library-not-found cause."""
    assert nvml.pynvml is pynvml
    with pytest.raises(NvmlUnavailable) as caught:
        read_gpus()
    assert caught.value.reason == "library_not_found"


@pytest.mark.gpu
@pytest.mark.skipif(not nvml_available(), reason="needs an NVIDIA GPU and driver")
def test_real_gpus_give_consistent_readings() -> None:
    """On a GPU machine the real library gives positive totals and free <= total per device."""
    gpus = read_gpus()
    assert gpus
    for gpu in gpus:
        assert gpu.total_bytes >= GIB
        assert 0 <= gpu.free_bytes <= gpu.total_bytes
