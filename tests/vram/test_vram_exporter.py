"""The exporter scraped over real HTTP (loopback socket), NVML faked at the pynvml boundary."""

from __future__ import annotations

from collections.abc import Iterator

import pynvml
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from pytest_gate.vram import exporter
from tests.support.fake_pynvml import FakeDevice, FakeNvml, gib, install

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """One exporter on a free loopback port for the module; each test installs its own fake."""
    server, thread = exporter.serve("127.0.0.1", 0, exporter.build_registry(0.20, 0.25))
    yield f"http://127.0.0.1:{server.server_port}/metrics"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def scrape(monkeypatch: pytest.MonkeyPatch, url: str) -> tuple[FakeNvml, str]:
    """The exporter reading a fake with two GPUs (the second offers only memory info v1)."""
    fake = install(
        monkeypatch,
        FakeNvml(
            [
                FakeDevice.whole(gib(80), [gib(40), gib(10)], uuid="GPU-a"),
                FakeDevice.whole(gib(24), gib(6), uuid="GPU-b", name="RTX 4090", memory_v2=False),
            ]
        ),
    )
    return fake, url


def samples(url: str) -> Samples:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


GPU_A = frozenset({("gpu", "0"), ("uuid", "GPU-a"), ("name", "NVIDIA H100 80GB HBM3")})
GPU_B = frozenset({("gpu", "1"), ("uuid", "GPU-b"), ("name", "RTX 4090")})
NONE: frozenset[tuple[str, str]] = frozenset()


def test_memory_gauges_carry_gpu_uuid_and_name_labels(scrape: tuple[FakeNvml, str]) -> None:
    """Total, used, free and reserved bytes per GPU with the contract's labels."""
    got = samples(scrape[1])
    assert got[("nvidia_gpu_memory_total_bytes", GPU_A)] == gib(80)
    assert got[("nvidia_gpu_memory_free_bytes", GPU_A)] == gib(40)
    assert got[("nvidia_gpu_memory_used_bytes", GPU_A)] == gib(40) - 512 * 2**20
    assert got[("nvidia_gpu_memory_reserved_bytes", GPU_A)] == 512 * 2**20


def test_reserved_is_absent_rather_than_zero_without_memory_info_v2(
    scrape: tuple[FakeNvml, str],
) -> None:
    """A v1-only device exports no reserved series (never an invented 0)."""
    got = samples(scrape[1])
    assert ("nvidia_gpu_memory_total_bytes", GPU_B) in got
    assert ("nvidia_gpu_memory_reserved_bytes", GPU_B) not in got


def test_headroom_and_threshold_ratios_are_exported(scrape: tuple[FakeNvml, str]) -> None:
    """Headroom per GPU and the thresholds as gauges for alerts and autoscaling."""
    got = samples(scrape[1])
    assert got[("nvidia_gpu_memory_headroom_ratio", GPU_B)] == 0.25
    assert got[("nvidia_gpu_headroom_threshold_ratio", NONE)] == 0.20
    assert got[("nvidia_gpu_headroom_warn_ratio", NONE)] == 0.25


def test_each_scrape_reads_nvml_again(scrape: tuple[FakeNvml, str]) -> None:
    """Values change between scrapes because each scrape is a fresh reading."""
    first = samples(scrape[1])[("nvidia_gpu_memory_free_bytes", GPU_A)]
    second = samples(scrape[1])[("nvidia_gpu_memory_free_bytes", GPU_A)]
    assert (first, second) == (gib(40), gib(10))


def test_healthy_scrape_reports_up_and_the_device_count(scrape: tuple[FakeNvml, str]) -> None:
    """up 1 and two devices read."""
    got = samples(scrape[1])
    assert got[("nvidia_gpu_exporter_up", NONE)] == 1
    assert got[("nvidia_gpu_exporter_gpus", NONE)] == 2


DRIVER_NOT_LOADED = (
    "nvidia_gpu_exporter_errors_total",
    frozenset({("reason", "driver_not_loaded")}),
)


def test_nvml_failure_keeps_serving_with_up_0_and_errors_counted(
    scrape: tuple[FakeNvml, str],
) -> None:
    """Driver gone: the endpoint answers, up 0, the error counted, no GPU series invented."""
    fake, url = scrape
    before = samples(url)[DRIVER_NOT_LOADED]
    fake.init_error = pynvml.NVML_ERROR_DRIVER_NOT_LOADED
    samples(url)
    got = samples(url)
    assert got[("nvidia_gpu_exporter_up", NONE)] == 0
    assert got[DRIVER_NOT_LOADED] - before == 2
    assert not [key for key in got if key[0].startswith("nvidia_gpu_memory_")]


def test_exporter_recovers_when_nvml_comes_back(scrape: tuple[FakeNvml, str]) -> None:
    """After a failed scrape, the next good reading reports up 1 again."""
    fake, url = scrape
    fake.init_error = pynvml.NVML_ERROR_LIB_RM_VERSION_MISMATCH
    samples(url)
    fake.init_error = None
    got = samples(url)
    assert got[("nvidia_gpu_exporter_up", NONE)] == 1
    assert ("nvidia_gpu_memory_free_bytes", GPU_A) in got


def test_every_error_reason_starts_at_zero() -> None:
    """Each labelled error counter exists at 0 before any failure (DESIGN §6)."""
    registry = exporter.build_registry(0.2, 0.25, read=list)
    values = {
        reason: registry.get_sample_value("nvidia_gpu_exporter_errors_total", {"reason": reason})
        for reason in ("library_not_found", "driver_not_loaded", "gpu_lost", "no_permission")
    }
    assert values == dict.fromkeys(values, 0.0)


def test_two_registries_do_not_collide() -> None:
    """Each exporter has its own registry (no global REGISTRY): building two works."""
    first = exporter.build_registry(0.2, 0.25)
    second = exporter.build_registry(0.3, 0.35)
    assert first is not second
