"""The GPU exporters the gate knows (DESIGN §5 ``[metrics] gpu_exporter``), as plain data.

Each exporter names its memory gauges, their unit, how the total is found (its own gauge, or
free + used + reserved where it has none) and its identifying labels. Facts from the exporters'
own sources:

- ``dcgm``: NVIDIA dcgm-exporter, ``etc/default-counters.csv`` (``DCGM_FI_DEV_FB_FREE``,
  ``_USED``, ``_RESERVED``: "Framebuffer memory ... (in MiB)"; ``_RESERVED`` is a default counter
  since 4.3.1-4.4.0, and there is no total among the defaults) and
  ``internal/pkg/rendermetrics/render_metrics.go`` (labels ``gpu``, ``UUID``, ``pci_bus_id``,
  ``device``, ``modelName``, on MIG ``GPU_I_PROFILE`` and ``GPU_I_ID``, then ``Hostname``, renamed
  ``hostname`` in 2026).
- ``nvidia-smi``: utkuozdemir/nvidia_gpu_exporter, ``docs/METRICS.md`` and
  ``internal/integration/testdata/*.metrics``: ``nvidia_smi_memory_{free,used,total}_bytes``
  (bytes, converted from nvidia-smi's MiB) carry only ``uuid``; the name and index are labels of
  ``nvidia_smi_gpu_info{uuid, name, index, ...}``.
- ``pytest-gate``: this project's ``gate-vram --serve`` (``nvidia_gpu_memory_*_bytes``).
"""

from __future__ import annotations

from dataclasses import dataclass

MIB_BYTES = 1024 * 1024


@dataclass(frozen=True)
class GpuExporter:
    """Where one exporter keeps GPU memory, and how it names a GPU."""

    name: str
    free: str
    used: str
    total: str | None
    """The total-memory gauge; ``None`` where total = free + used + reserved."""
    reserved: str | None
    """The reserved-memory gauge, read only where there is no total gauge."""
    bytes_per_unit: int
    uuid_label: str
    index_label: str | None
    model_label: str
    job: str
    """The Prometheus job that usually scrapes it (``[checks.scrape_targets_up] gpu_exporter_job
    = "auto"``): the gate checks that every target of this job is up."""
    info: str | None = None
    """An info metric (value 1) whose labels, joined on the UUID, name each GPU."""
    info_labels: tuple[str, ...] = ()
    """The labels taken from ``info`` onto each GPU's series."""
    label_keys: tuple[str, ...] = ()
    """The labels that name a GPU in messages, in order (those present are shown)."""

    @property
    def gauges(self) -> tuple[str, ...]:
        """Every metric read for the headroom, in reading order (info last)."""
        sized = (self.total,) if self.total is not None else (self.reserved,)
        names = (*sized, self.free, self.used)
        return tuple(n for n in (*names, self.info) if n is not None)

    @property
    def unit_text(self) -> str:
        """``bytes`` or ``MiB``, for messages."""
        return "MiB" if self.bytes_per_unit == MIB_BYTES else "bytes"


PYTEST_GATE = GpuExporter(
    name="pytest-gate",
    free="nvidia_gpu_memory_free_bytes",
    used="nvidia_gpu_memory_used_bytes",
    total="nvidia_gpu_memory_total_bytes",
    reserved=None,
    bytes_per_unit=1,
    uuid_label="uuid",
    index_label="gpu",
    model_label="name",
    job="gpu-exporter",
    label_keys=("instance", "gpu", "uuid", "name"),
)
DCGM = GpuExporter(
    name="dcgm",
    free="DCGM_FI_DEV_FB_FREE",
    used="DCGM_FI_DEV_FB_USED",
    total=None,
    reserved="DCGM_FI_DEV_FB_RESERVED",
    bytes_per_unit=MIB_BYTES,
    uuid_label="UUID",
    index_label="gpu",
    model_label="modelName",
    job="dcgm-exporter",
    label_keys=("Hostname", "hostname", "instance", "gpu", "GPU_I_ID", "UUID", "modelName"),
)
NVIDIA_SMI = GpuExporter(
    name="nvidia-smi",
    free="nvidia_smi_memory_free_bytes",
    used="nvidia_smi_memory_used_bytes",
    total="nvidia_smi_memory_total_bytes",
    reserved=None,
    bytes_per_unit=1,
    uuid_label="uuid",
    index_label="index",
    model_label="name",
    job="nvidia-smi-exporter",
    info="nvidia_smi_gpu_info",
    info_labels=("name", "index"),
    label_keys=("instance", "index", "uuid", "name"),
)
CUSTOM = "custom"
PRESETS = {e.name: e for e in (PYTEST_GATE, DCGM, NVIDIA_SMI)}
EXPORTER_CHOICES = (*PRESETS, CUSTOM)


def custom(total: str, used: str, free: str) -> GpuExporter:
    """An exporter named by the three ``gpu_memory_*`` keys (bytes, labels as ``pytest-gate``)."""
    return GpuExporter(
        name=CUSTOM,
        free=free,
        used=used,
        total=total,
        reserved=None,
        bytes_per_unit=1,
        uuid_label="uuid",
        index_label="gpu",
        model_label="name",
        job=PYTEST_GATE.job,
        label_keys=PYTEST_GATE.label_keys,
    )


def chosen(name: str, total: str, used: str, free: str) -> GpuExporter:
    """The exporter ``[metrics] gpu_exporter`` names: a preset, or with ``custom`` the three
    ``gpu_memory_*`` names (both the default gate and the engine profiles read it this way)."""
    return custom(total, used, free) if name == CUSTOM else PRESETS[name]
