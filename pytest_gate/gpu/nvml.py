"""GPU memory from NVML (``nvidia-ml-py``); the only module of the project that imports ``pynvml``.

Every reading opens its own NVML session (``nvmlInit`` ... ``nvmlShutdown``), so a driver reload
between readings is picked up and no handle outlives a call. Each NVML error becomes
:class:`NvmlUnavailable` with the cause and a hint; no unreadable value is ever replaced by 0.
With MIG enabled on a GPU, each MIG device is reported on its own (a model loads into one MIG
device, so that is the memory that matters), with ``mig_index`` set.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pynvml as pynvml  # the seam: tests/support/fake_pynvml.py replaces this attribute

from pytest_gate.gpu.memory import GpuMemory

_MIG_ENABLED = 1  # NVML_DEVICE_MIG_ENABLE
_NO_MEMORY_V2 = frozenset(
    {
        pynvml.NVML_ERROR_NOT_SUPPORTED,
        pynvml.NVML_ERROR_FUNCTION_NOT_FOUND,
        getattr(pynvml, "NVML_ERROR_ARGUMENT_VERSION_MISMATCH", 25),
    }
)
_NO_MIG = frozenset({pynvml.NVML_ERROR_NOT_SUPPORTED, pynvml.NVML_ERROR_FUNCTION_NOT_FOUND})

# NVML error code -> (reason, cause, hint). ``reason`` is a stable token (exporter label, JSON).
_CAUSES: dict[int, tuple[str, str, str]] = {
    pynvml.NVML_ERROR_LIBRARY_NOT_FOUND: (
        "library_not_found",
        "the NVML library (libnvidia-ml.so.1) was not found",
        "install the NVIDIA driver, or run on a machine with an NVIDIA GPU (in a container, use "
        "the NVIDIA container runtime, e.g. `docker run --gpus all`)",
    ),
    pynvml.NVML_ERROR_DRIVER_NOT_LOADED: (
        "driver_not_loaded",
        "the NVIDIA kernel driver is not loaded",
        "load it (`sudo modprobe nvidia`) and check that `nvidia-smi` works",
    ),
    pynvml.NVML_ERROR_LIB_RM_VERSION_MISMATCH: (
        "driver_version_mismatch",
        "the NVML library and the loaded kernel driver have different versions "
        "(usually after a driver upgrade)",
        "reload the driver (`sudo rmmod nvidia_uvm nvidia_drm nvidia_modeset nvidia && "
        "sudo modprobe nvidia`) or reboot",
    ),
    pynvml.NVML_ERROR_NO_PERMISSION: (
        "no_permission",
        "NVML denied access to a GPU",
        "give this user access to /dev/nvidia* (or the container the devices); with MIG enabled, "
        "whole-GPU memory needs root: run as root or query the MIG devices",
    ),
    pynvml.NVML_ERROR_GPU_IS_LOST: (
        "gpu_lost",
        "a GPU has fallen off the bus",
        "check `dmesg` for Xid errors, then reset the GPU (`nvidia-smi -r`) or reboot",
    ),
    pynvml.NVML_ERROR_RESET_REQUIRED: (
        "reset_required",
        "a GPU needs a reset",
        "reset it (`nvidia-smi -r -i INDEX`) or reboot",
    ),
    pynvml.NVML_ERROR_FUNCTION_NOT_FOUND: (
        "driver_too_old",
        "the installed NVIDIA driver lacks an NVML function this tool needs",
        "upgrade the NVIDIA driver",
    ),
}
_UNKNOWN_HINT = "run `nvidia-smi` to see the driver's view of the GPUs"
NO_GPUS_REASON = "no_gpus"


class NvmlUnavailable(Exception):
    """NVML could not give a reading; ``str()`` names the cause and a hint.

    ``reason`` is a stable token (``library_not_found``, ``driver_not_loaded``,
    ``driver_version_mismatch``, ``no_permission``, ``gpu_lost``, ``reset_required``,
    ``driver_too_old``, ``invalid_reading``, ``no_gpus`` or ``nvml_error``); ``code`` is the NVML
    error code when there is one.
    """

    REASONS = (
        *(reason for reason, _, _ in _CAUSES.values()),
        "invalid_reading",
        NO_GPUS_REASON,
        "nvml_error",
    )

    def __init__(self, reason: str, cause: str, hint: str, code: int | None = None) -> None:
        super().__init__(reason, cause, hint, code)
        self.reason = reason
        self.cause = cause
        self.hint = hint
        self.code = code

    def __str__(self) -> str:
        return f"NVML unavailable: {self.cause}; hint: {self.hint}"

    @classmethod
    def no_gpus(cls) -> NvmlUnavailable:
        """The error for a machine where NVML works but lists no device."""
        return cls(
            NO_GPUS_REASON,
            "NVML reports no GPUs on this machine",
            "check `nvidia-smi -L`; in a container, expose the GPUs "
            "(`--gpus all` or NVIDIA_VISIBLE_DEVICES)",
        )


def _unavailable(error: Any) -> NvmlUnavailable:
    code = getattr(error, "value", None)
    known = _CAUSES.get(code) if isinstance(code, int) else None
    if known is not None:
        reason, cause, hint = known
        return NvmlUnavailable(reason, f"{cause} [{error}]", hint, code)
    return NvmlUnavailable("nvml_error", f"NVML error {code}: {error}", _UNKNOWN_HINT, code)


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _memory(lib: Any, handle: Any) -> tuple[int, int, int, int | None]:
    """Return total, used, free and reserved bytes: info v2, else v1 (reserved unknown)."""
    version = getattr(lib, "nvmlMemory_v2", None)
    if version is not None:
        try:
            info = lib.nvmlDeviceGetMemoryInfo(handle, version=version)
        except lib.NVMLError as error:
            if getattr(error, "value", None) not in _NO_MEMORY_V2:
                raise
        else:
            return int(info.total), int(info.used), int(info.free), int(info.reserved)
    info = lib.nvmlDeviceGetMemoryInfo(handle)
    return int(info.total), int(info.used), int(info.free), None


def _device(lib: Any, handle: Any, index: int, mig_index: int | None) -> GpuMemory:
    total, used, free, reserved = _memory(lib, handle)
    try:
        return GpuMemory(
            index=index,
            uuid=_text(lib.nvmlDeviceGetUUID(handle)),
            name=_text(lib.nvmlDeviceGetName(handle)),
            total_bytes=total,
            used_bytes=used,
            free_bytes=free,
            reserved_bytes=reserved,
            mig_index=mig_index,
        )
    except ValueError as error:
        raise NvmlUnavailable(
            "invalid_reading",
            f"NVML returned an impossible memory reading ({error})",
            _UNKNOWN_HINT,
        ) from error


def _mig_enabled(lib: Any, handle: Any) -> bool:
    if not hasattr(lib, "nvmlDeviceGetMigMode"):
        return False
    try:
        current, _pending = lib.nvmlDeviceGetMigMode(handle)
    except lib.NVMLError as error:
        if getattr(error, "value", None) in _NO_MIG:
            return False
        raise
    return bool(current == _MIG_ENABLED)


def _mig_devices(lib: Any, handle: Any, index: int) -> list[GpuMemory]:
    devices: list[GpuMemory] = []
    for slot in range(lib.nvmlDeviceGetMaxMigDeviceCount(handle)):
        try:
            mig_handle = lib.nvmlDeviceGetMigDeviceHandleByIndex(handle, slot)
        except lib.NVMLError as error:
            if getattr(error, "value", None) == lib.NVML_ERROR_NOT_FOUND:
                continue  # an empty MIG slot
            raise
        devices.append(_device(lib, mig_handle, index, len(devices)))
    return devices


def _read_all(lib: Any) -> list[GpuMemory]:
    gpus: list[GpuMemory] = []
    for index in range(lib.nvmlDeviceGetCount()):
        handle = lib.nvmlDeviceGetHandleByIndex(index)
        if _mig_enabled(lib, handle):
            gpus.extend(_mig_devices(lib, handle, index))
        else:
            gpus.append(_device(lib, handle, index, None))
    return gpus


def read_gpus() -> list[GpuMemory]:
    """Read every GPU's (or MIG device's) memory now; ``[]`` when NVML lists no device.

    Raises :class:`NvmlUnavailable` for every NVML error, from ``nvmlInit`` or any device call.
    """
    lib = pynvml
    try:
        lib.nvmlInit()
    except lib.NVMLError as error:
        raise _unavailable(error) from error
    try:
        return _read_all(lib)
    except lib.NVMLError as error:
        raise _unavailable(error) from error
    finally:
        # The readings are complete (or already failed); a failing shutdown changes neither.
        with contextlib.suppress(lib.NVMLError):
            lib.nvmlShutdown()


def nvml_available() -> bool:
    """Return True when NVML initialises and lists at least one GPU (``--gpu-source auto``)."""
    lib = pynvml
    try:
        lib.nvmlInit()
    except lib.NVMLError:
        return False
    try:
        return bool(lib.nvmlDeviceGetCount() >= 1)
    except lib.NVMLError:
        return False
    finally:
        with contextlib.suppress(lib.NVMLError):
            lib.nvmlShutdown()
