"""A fake ``pynvml`` for machines without a GPU: the only fake at the NVML boundary.

It implements the handful of ``pynvml`` functions ``pytest_gate.gpu.nvml`` calls and reuses the real
package's error classes and constants, so ``pynvml.NVMLError(code)`` gives the same subclass
(``NVMLError_LibraryNotFound`` ...) the real library raises. It keeps NVML's memory invariants:
info v2 splits ``total = reserved + used + free``; info v1 has no reserved figure and reports
``used = total - free``.

Example (pytest)::

    from tests.support.fake_pynvml import FakeDevice, FakeNvml, install, gib

    def test_one_low_gpu(monkeypatch):
        fake = install(monkeypatch, FakeNvml([
            FakeDevice.whole(total_bytes=gib(80), free_bytes=gib(40)),
            FakeDevice.whole(total_bytes=gib(80), free_bytes=gib(8), name="NVIDIA A100"),
        ]))
        gpus = pytest_gate.gpu.nvml.read_gpus()   # goes through the fake
        assert fake.init_calls == fake.shutdown_calls == 1

Errors: ``FakeNvml(devices, init_error=pynvml.NVML_ERROR_DRIVER_NOT_LOADED)`` makes ``nvmlInit``
raise; ``FakeDevice(..., errors={"nvmlDeviceGetUUID": pynvml.NVML_ERROR_GPU_IS_LOST})`` makes one
device call raise. ``free_bytes`` is a list: reading ``n`` (the ``n``-th ``nvmlInit``) sees item
``n`` (the last one repeats), so values change between readings. ``mig_devices`` (a list) turns
MIG on for a device. In a subprocess, write ``FakeNvml.to_json()`` to a file and call
``install_from_json(path)`` before running the code under test, e.g.::

    python -c "import sys, tests.support.fake_pynvml as f; f.install_from_json(sys.argv[1]);
               from pytest_gate.vram.cli import main; raise SystemExit(main(sys.argv[2:]))"
               spec.json --once
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pynvml

import pytest_gate.gpu.nvml

if TYPE_CHECKING:  # pytest stays out of subprocesses that only install the fake
    import pytest

MIB = 1024**2
GIB = 1024**3

NVMLError = pynvml.NVMLError
ERROR_CODES = {
    name.removeprefix("NVML_ERROR_"): getattr(pynvml, name)
    for name in dir(pynvml)
    if name.startswith("NVML_ERROR_")
}
"""``"LIBRARY_NOT_FOUND" -> 12`` and so on, for JSON specs and parametrised tests."""


def gib(value: float) -> int:
    """Return ``value`` GiB in bytes."""
    return int(value * GIB)


@dataclass
class FakeDevice:
    """One GPU (or MIG device) as the fake NVML reports it."""

    name: str
    uuid: str
    total_bytes: int
    free_bytes: list[int]
    reserved_bytes: int = 0
    memory_v2: bool = True
    mig_devices: list[FakeDevice] | None = None
    errors: dict[str, int] = field(default_factory=dict)

    @classmethod
    def whole(
        cls,
        total_bytes: int,
        free_bytes: int | list[int],
        *,
        name: str = "NVIDIA H100 80GB HBM3",
        uuid: str = "",
        reserved_bytes: int = 512 * MIB,
        **kwargs: Any,
    ) -> FakeDevice:
        """A device with one (int) or successive (list) free figures.

        An empty ``uuid`` is filled in by :class:`FakeNvml` from the device's position.
        """
        frees = [free_bytes] if isinstance(free_bytes, int) else list(free_bytes)
        return cls(name, uuid, total_bytes, frees, reserved_bytes, **kwargs)

    def free_at(self, reading: int) -> int:
        """Free bytes seen by reading number ``reading`` (1-based; the last value repeats)."""
        return self.free_bytes[min(reading, len(self.free_bytes)) - 1]


@dataclass
class _Memory:
    total: int
    used: int
    free: int
    reserved: int


@dataclass
class _Handle:
    device: FakeDevice


class FakeNvml:
    """The fake ``pynvml`` module: assign it to ``pytest_gate.gpu.nvml.pynvml``."""

    NVMLError = pynvml.NVMLError
    nvmlMemory_v2 = pynvml.nvmlMemory_v2
    NVML_ERROR_NOT_FOUND = pynvml.NVML_ERROR_NOT_FOUND

    def __init__(self, devices: list[FakeDevice], init_error: int | None = None) -> None:
        for index, device in enumerate(devices):
            device.uuid = device.uuid or f"GPU-00000000-0000-0000-0000-{index:012d}"
            for slot, mig in enumerate(device.mig_devices or []):
                mig.uuid = mig.uuid or f"MIG-00000000-0000-0000-{index:04d}-{slot:012d}"
        self.devices = devices
        self.init_error = init_error
        self.init_calls = 0
        self.shutdown_calls = 0

    def __getattr__(self, name: str) -> Any:
        if name.startswith(("NVMLError_", "NVML_ERROR_")):
            return getattr(pynvml, name)
        raise AttributeError(f"the fake pynvml does not implement {name}")

    def _check(self, device: FakeDevice, function: str) -> None:
        if function in device.errors:
            raise pynvml.NVMLError(device.errors[function])

    def nvmlInit(self) -> None:
        """Start a session; raises ``init_error`` when set."""
        if self.init_error is not None:
            raise pynvml.NVMLError(self.init_error)
        self.init_calls += 1

    def nvmlShutdown(self) -> None:
        """End a session."""
        self.shutdown_calls += 1

    def nvmlDeviceGetCount(self) -> int:
        """Number of physical GPUs."""
        return len(self.devices)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> _Handle:
        """Handle of GPU ``index``."""
        if not 0 <= index < len(self.devices):
            raise pynvml.NVMLError(pynvml.NVML_ERROR_INVALID_ARGUMENT)
        device = self.devices[index]
        self._check(device, "nvmlDeviceGetHandleByIndex")
        return _Handle(device)

    def nvmlDeviceGetName(self, handle: _Handle) -> str:
        """Product name."""
        self._check(handle.device, "nvmlDeviceGetName")
        return handle.device.name

    def nvmlDeviceGetUUID(self, handle: _Handle) -> str:
        """UUID (``GPU-...`` or ``MIG-...``)."""
        self._check(handle.device, "nvmlDeviceGetUUID")
        return handle.device.uuid

    def nvmlDeviceGetMemoryInfo(self, handle: _Handle, version: int | None = None) -> _Memory:
        """Memory info v1 (no ``version``) or v2, keeping NVML's invariants."""
        device = handle.device
        self._check(device, "nvmlDeviceGetMemoryInfo")
        free = device.free_at(max(self.init_calls, 1))
        if version:
            if not device.memory_v2:
                raise pynvml.NVMLError(pynvml.NVML_ERROR_FUNCTION_NOT_FOUND)
            used = device.total_bytes - device.reserved_bytes - free
            return _Memory(device.total_bytes, used, free, device.reserved_bytes)
        return _Memory(device.total_bytes, device.total_bytes - free, free, 0)

    def nvmlDeviceGetMigMode(self, handle: _Handle) -> list[int]:
        """``[current, pending]``; not supported on a device without MIG devices."""
        self._check(handle.device, "nvmlDeviceGetMigMode")
        if handle.device.mig_devices is None:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        return [1, 1]

    def nvmlDeviceGetMaxMigDeviceCount(self, handle: _Handle) -> int:
        """Seven slots, as on an A100/H100."""
        return 7

    def nvmlDeviceGetMigDeviceHandleByIndex(self, handle: _Handle, index: int) -> _Handle:
        """Handle of MIG device ``index``; NOT_FOUND for an empty slot."""
        self._check(handle.device, "nvmlDeviceGetMigDeviceHandleByIndex")
        migs = handle.device.mig_devices or []
        if index >= len(migs):
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_FOUND)
        return _Handle(migs[index])

    def to_json(self) -> str:
        """Serialise this fake for :func:`install_from_json` in a subprocess."""
        return json.dumps(
            {"init_error": self.init_error, "devices": [asdict(d) for d in self.devices]}
        )


def _device_from_dict(data: dict[str, Any]) -> FakeDevice:
    migs = data.get("mig_devices")
    fields = dict(data, mig_devices=None if migs is None else [_device_from_dict(m) for m in migs])
    return FakeDevice(**fields)


def from_json(text: str) -> FakeNvml:
    """Build a fake from :meth:`FakeNvml.to_json` output."""
    data = json.loads(text)
    return FakeNvml([_device_from_dict(d) for d in data["devices"]], data.get("init_error"))


def install(monkeypatch: pytest.MonkeyPatch, fake: FakeNvml) -> FakeNvml:
    """Make ``pytest_gate.gpu.nvml`` use ``fake`` for the rest of the test; returns ``fake``."""
    monkeypatch.setattr(pytest_gate.gpu.nvml, "pynvml", fake)
    return fake


def install_from_json(path: str | Path) -> FakeNvml:
    """Install a fake read from ``path`` for the rest of this process (for subprocess tests)."""
    fake = from_json(Path(path).read_text())
    setattr(pytest_gate.gpu.nvml, "pynvml", fake)  # noqa: B010 (a module attribute, by design)
    return fake
