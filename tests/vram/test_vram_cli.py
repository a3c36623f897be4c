"""``gate-vram`` modes and messages, run in-process on the fake NVML."""

from __future__ import annotations

import json
from pathlib import Path

import pynvml
import pytest

from pytest_gate.vram.cli import main
from tests.support.fake_pynvml import FakeDevice, FakeNvml, gib, install

REGISTRY = """\
[models.qwen_32b]
expected_vram_bytes = "16GiB"
[models.llama3_8b]
expected_vram_bytes = "5GiB"
[models.mistral_7b]
expected_vram_bytes = "4GiB"
"""


def four_gpus_one_low() -> FakeNvml:
    return FakeNvml(
        [
            FakeDevice.whole(gib(80), gib(free), uuid=f"GPU-{i}")
            for i, free in enumerate((40, 38, 8, 41))
        ]
    )


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    path = tmp_path / "models.toml"
    path.write_text(REGISTRY)
    return path


def test_once_names_the_low_gpu_among_four(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Four GPUs, the third low: its FAIL line names it, the others pass, exit 2."""
    install(monkeypatch, four_gpus_one_low())
    assert main(["--once"]) == 2
    lines = capsys.readouterr().out.splitlines()
    verdicts = [line for line in lines if line.startswith("[")]
    assert len(verdicts) == 4
    assert verdicts[2] == (
        "[FAIL] Insufficient VRAM headroom (10.0% < 20%) on GPU 2 (NVIDIA H100 80GB HBM3, GPU-2)"
    )
    assert all(line.startswith("[PASS]") for i, line in enumerate(verdicts) if i != 2)


def test_once_is_the_default_mode(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No mode option means one reading."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(100), gib(26.8))]))
    assert main([]) == 0
    assert "[PASS] Sufficient VRAM headroom (26.8% >= 20%)" in capsys.readouterr().out


def test_once_table_shows_mib_per_device(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The table shows total, used, free and reserved in MiB."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(24576 * 2**20, 6576 * 2**20, uuid="GPU-a")]))
    main(["--once"])
    row = capsys.readouterr().out.splitlines()[1].split()
    assert row[-5:] == ["24576", "17488", "6576", "512", "26.8%"]


def test_json_lists_every_gpu_with_bytes_and_status(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json carries bytes, headroom and status per GPU, and the worst verdict."""
    install(monkeypatch, four_gpus_one_low())
    assert main(["--json"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert [g["status"] for g in document["gpus"]] == ["PASS", "PASS", "FAIL", "PASS"]
    assert document["gpus"][2]["free_bytes"] == gib(8)
    assert (document["verdict"], document["exit_code"]) == ("FAIL", 2)


def test_threshold_and_warn_options_move_the_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--threshold 0.3 --warn 0.4 turns 35% headroom into WARN."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(100), gib(35))]))
    assert main(["--threshold", "0.3", "--warn", "0.4"]) == 1
    assert "[WARN] Low VRAM headroom (35.0% < 40%)" in capsys.readouterr().out


def test_a_higher_threshold_alone_lifts_the_default_warn_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--threshold 0.3 without --warn is valid and fails 26.8%."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(100), gib(26.8))]))
    assert main(["--threshold", "0.3"]) == 2
    assert "(26.8% < 30%)" in capsys.readouterr().out


def test_interval_takes_count_readings_with_changing_values(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--interval --count 3 reads three times; the worst reading sets the exit code."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(100), [gib(50), gib(22), gib(60)])]))
    assert main(["--interval", "0.01", "--count", "3"]) == 1
    out = capsys.readouterr().out
    assert [line.split(" (")[1].split(")")[0] for line in out.splitlines() if line[0] == "["] == [
        "50.0% >= 20%",
        "22.0% < 25%",
        "60.0% >= 20%",
    ]


def test_interval_json_writes_one_document_per_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--interval --json emits JSON lines, one per reading."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(100), [gib(50), gib(10)])]))
    assert main(["--interval", "0.01", "--count", "2", "--json"]) == 2
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["verdict"] for d in documents] == ["PASS", "FAIL"]


def test_nvml_failure_mid_interval_stops_with_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A GPU lost during monitoring ends the loop with exit 3, never a silent pass."""
    fake = install(monkeypatch, FakeNvml([FakeDevice.whole(gib(100), gib(50))]))
    real_init = fake.nvmlInit

    def init_then_lose() -> None:
        real_init()
        if fake.init_calls == 2:
            fake.devices[0].errors["nvmlDeviceGetMemoryInfo"] = pynvml.NVML_ERROR_GPU_IS_LOST

    monkeypatch.setattr(fake, "nvmlInit", init_then_lose)
    assert main(["--interval", "0.01", "--count", "5"]) == 3
    assert "fallen off the bus" in capsys.readouterr().err


def test_no_gpus_exits_3_with_a_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """NVML without devices is unavailable (exit 3), not an empty PASS."""
    install(monkeypatch, FakeNvml([]))
    assert main(["--once"]) == 3
    assert "NVML reports no GPUs" in capsys.readouterr().err


def test_plan_with_loaded_model_fits_what_would_otherwise_not(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], registry: Path
) -> None:
    """Qwen already loaded: only Llama and Mistral are placed, and they fit."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(48), gib(22), uuid="GPU-a")]))
    assert main(["--plan", "--registry", str(registry), "--loaded", "qwen_32b"]) == 0
    out = capsys.readouterr().out
    assert "Already loaded (not counted again): qwen_32b" in out
    assert "Models to load: 2 (9.0 GiB)" in out


def test_plan_without_the_loaded_hint_refuses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], registry: Path
) -> None:
    """The same GPU cannot take all three models: exit 2 and a FAIL line."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(48), gib(22), uuid="GPU-a")]))
    assert main(["--plan", "--registry", str(registry)]) == 2
    assert "[FAIL] Cannot load qwen_32b, llama3_8b, mistral_7b here" in capsys.readouterr().out


def test_plan_proposes_two_24gb_gpus(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--model options: Qwen on one 24 GiB GPU, the rest on the other."""
    install(
        monkeypatch,
        FakeNvml([FakeDevice.whole(gib(24), gib(23.5)), FakeDevice.whole(gib(24), gib(23.5))]),
    )
    args = ["--plan", "--model", "qwen=16GiB", "--model", "llama=5GiB", "--model", "mistral=4GiB"]
    assert main(args) == 0
    assert "Placement: qwen on GPU 0, the rest on GPU 1" in capsys.readouterr().out


def test_plan_json_reports_the_placement(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], registry: Path
) -> None:
    """--plan --json: strategy, models with their device UUID, verdict."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(80), gib(70), uuid="GPU-big")]))
    assert main(["--plan", "--json", "--registry", str(registry)]) == 0
    plan = json.loads(capsys.readouterr().out)["plan"]
    assert plan["strategy"] == "one_gpu"
    assert {m["uuid"] for m in plan["to_load"]} == {"GPU-big"}


def test_plan_rejects_an_unknown_loaded_model(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], registry: Path
) -> None:
    """A typo in --loaded is a usage error naming the known models."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(80), gib(70))]))
    assert main(["--plan", "--registry", str(registry), "--loaded", "qwen32b"]) == 64
    assert "--loaded qwen32b: not among the models" in capsys.readouterr().err


def test_plan_with_a_broken_registry_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An unreadable registry exits 64 with the file named, before touching NVML."""
    install(monkeypatch, FakeNvml([FakeDevice.whole(gib(80), gib(70))]))
    path = tmp_path / "models.toml"
    path.write_text("[models.qwen]\n")
    assert main(["--plan", "--registry", str(path)]) == 64
    assert f"{path}: [models.qwen] lacks expected_vram_bytes" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "3"], "--count needs --interval"),
        (["--serve", "127.0.0.1:0", "--json"], "--json does not apply to --serve"),
        (["--registry", "x.toml"], "--registry only apply to --plan"),
        (["--plan"], "--plan needs the models"),
        (["--threshold", "1.5"], "not a ratio between 0 and 1"),
        (["--threshold", "0.3", "--warn", "0.25"], "--warn 0.25 is below --threshold 0.3"),
        (["--interval", "0"], "not a positive number of seconds"),
        (["--serve", "localhost"], "not HOST:PORT"),
        (["--once", "--plan"], "not allowed with argument"),
    ],
    ids=[
        "count-alone",
        "json-serve",
        "registry-alone",
        "plan-without-models",
        "threshold-range",
        "warn-below",
        "interval-zero",
        "serve-port",
        "two-modes",
    ],
)
def test_bad_arguments_exit_64_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """Usage errors exit 64 (never 2, which means FAIL) and say what to change."""
    assert main(args) == 64
    assert message in capsys.readouterr().err
