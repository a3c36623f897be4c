"""GPU memory series shaped exactly like the real exporters' output, for backfilled Prometheus data.

Where each shape comes from:

- **dcgm-exporter** (github.com/NVIDIA/dcgm-exporter):
  ``etc/default-counters.csv`` lists ``DCGM_FI_DEV_FB_FREE``, ``DCGM_FI_DEV_FB_USED`` and
  ``DCGM_FI_DEV_FB_RESERVED`` as gauges "Framebuffer memory free / used / reserved (in MiB)" and
  no total (``_RESERVED`` joined the defaults in "DCGM-Exporter 4.3.1-4.4.0", #535).
  ``internal/pkg/rendermetrics/render_metrics.go`` renders each GPU's line as
  ``{gpu, UUID, pci_bus_id, device, modelName, Hostname}`` then its extra labels
  (``DCGM_FI_DRIVER_VERSION``; with Kubernetes pod mapping ``container``, ``namespace``, ``pod``);
  ``internal/pkg/server/server_test.go`` shows a real line:
  ``{gpu="0",UUID="GPU-00000000-...",pci_bus_id="",device="nvidia0",modelName="NVIDIA T400 4GB",
  Hostname="testhost"}``. Prometheus adds ``instance`` and ``job`` when it scrapes port 9400.
- **nvidia_gpu_exporter** (github.com/utkuozdemir/nvidia_gpu_exporter): ``docs/METRICS.md`` and
  ``internal/integration/testdata/linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.metrics``:
  ``nvidia_smi_memory_{free,used,reserved,total}_bytes{uuid="..."}`` (bytes, from nvidia-smi's
  MiB) carry only ``uuid``; ``nvidia_smi_gpu_info{uuid, name, index, driver_version, ...} 1``
  carries the name and index. The H100 numbers below are that capture's (total 85520809984 B).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tests.support.prometheus_server import OpenMetrics

MIB = 1024 * 1024
H100_DCGM_TOTAL_MIB = 81559.0
"""An H100 80GB HBM3's framebuffer as DCGM reports it (free + used + reserved), MiB."""
H100_RESERVED_MIB = 479.0
"""Its reserved framebuffer (502267904 B in the nvidia_gpu_exporter capture), MiB."""
H100_SMI_TOTAL_BYTES = 85520809984.0
"""``nvidia_smi_memory_total_bytes`` of the H100 capture."""
H100_MODEL = "NVIDIA H100 80GB HBM3"
SMI_INSTANCE = "gpu-node-2:9835"
"""The nvidia_gpu_exporter target (its default port) of :func:`write_nvidia_smi`."""


@dataclass(frozen=True)
class DcgmGpu:
    """One GPU as dcgm-exporter sees it: index, UUID and framebuffer use in MiB."""

    index: int
    uuid: str
    used_mib: float
    reserved_mib: float = H100_RESERVED_MIB
    total_mib: float = H100_DCGM_TOTAL_MIB

    @property
    def free_mib(self) -> float:
        """Free framebuffer, MiB."""
        return self.total_mib - self.used_mib - self.reserved_mib

    @property
    def headroom_ratio(self) -> float:
        """The headroom the gate must compute: free / (free + used + reserved)."""
        return self.free_mib / self.total_mib


@dataclass(frozen=True)
class SmiGpu:
    """One GPU as nvidia_gpu_exporter sees it: index, uuid and memory in bytes."""

    index: int
    uuid: str
    free_bytes: float
    total_bytes: float = H100_SMI_TOTAL_BYTES
    reserved_bytes: float = H100_RESERVED_MIB * MIB

    @property
    def used_bytes(self) -> float:
        """Used memory, bytes."""
        return self.total_bytes - self.free_bytes - self.reserved_bytes

    @property
    def headroom_ratio(self) -> float:
        """The headroom the gate must compute: free / total."""
        return self.free_bytes / self.total_bytes


def dcgm_labels(gpu: DcgmGpu, hostname: str) -> dict[str, str]:
    """dcgm-exporter's labels of one GPU, in render_metrics.go's order, plus its extra labels
    (its empty ``container``/``namespace``/``pod`` of a GPU no pod holds are left out, as
    Prometheus drops empty labels when it scrapes)."""
    return {
        "gpu": str(gpu.index),
        "UUID": gpu.uuid,
        "pci_bus_id": f"00000000:{0x18 + gpu.index:02X}:00.0",
        "device": f"nvidia{gpu.index}",
        "modelName": H100_MODEL,
        "Hostname": hostname,
        "DCGM_FI_DRIVER_VERSION": "550.54.15",
        "instance": f"{hostname}:9400",
        "job": "dcgm-exporter",
    }


def write_dcgm(
    om: OpenMetrics,
    base: dict[str, str],
    gpus: Sequence[DcgmGpu],
    times: Sequence[float],
    *,
    hostname: str = "gpu-node-1",
    reserved: bool = True,
) -> None:
    """dcgm-exporter's framebuffer gauges (MiB) of ``gpus`` at ``times``; ``reserved=False`` is
    an exporter older than 4.3.1-4.4.0 with the default counters (no ``_RESERVED``)."""
    for gpu in gpus:
        labels = {**dcgm_labels(gpu, hostname), **base}
        om.series("DCGM_FI_DEV_FB_FREE", labels, [(t, gpu.free_mib) for t in times])
        om.series("DCGM_FI_DEV_FB_USED", labels, [(t, gpu.used_mib) for t in times])
        if reserved:
            om.series("DCGM_FI_DEV_FB_RESERVED", labels, [(t, gpu.reserved_mib) for t in times])


def write_nvidia_smi(
    om: OpenMetrics,
    base: dict[str, str],
    gpus: Sequence[SmiGpu],
    times: Sequence[float],
    *,
    info: bool = True,
) -> None:
    """nvidia_gpu_exporter's memory gauges (bytes, label ``uuid``) and ``nvidia_smi_gpu_info``."""
    target = {"instance": SMI_INSTANCE, "job": "nvidia-smi-exporter"}
    for gpu in gpus:
        labels = {"uuid": gpu.uuid, **target, **base}
        for name, value in (
            ("nvidia_smi_memory_free_bytes", gpu.free_bytes),
            ("nvidia_smi_memory_used_bytes", gpu.used_bytes),
            ("nvidia_smi_memory_reserved_bytes", gpu.reserved_bytes),
            ("nvidia_smi_memory_total_bytes", gpu.total_bytes),
        ):
            om.series(name, labels, [(t, value) for t in times])
        if info:
            identity = {
                "compute_cap": "9.0",
                "cuda_version": "13.1",
                "driver_version": "590.48.01",
                "index": str(gpu.index),
                "name": H100_MODEL,
                "pci_bus_id": f"00000000:00:{9 + gpu.index:02X}.0",
            }
            om.series("nvidia_smi_gpu_info", {**labels, **identity}, [(t, 1.0) for t in times])
