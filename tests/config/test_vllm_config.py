"""The vllm profile's gate.toml: the shipped file loads, and bad files name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gate.config.gateconfig import GateConfig
from pytest_gate.config.profiles import ConfigError, load_any_config
from pytest_gate.config.vllmconfig import VllmConfig

PROFILE_TOML = (
    Path(__file__).resolve().parents[2] / "pytest_gate" / "profiles" / "vllm" / "gate.toml"
)
DEFAULT_TOML = Path(__file__).resolve().parents[2] / "gate_checks" / "gate.toml"


def variant(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped profile gate.toml with one exact text replaced."""
    text = PROFILE_TOML.read_text()
    assert old in text, f"{old!r} is not in the profile gate.toml"
    path = tmp_path / "gate.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_shipped_profile_loads_with_the_published_slos() -> None:
    """MLPerf server-scenario defaults for an 8B model: p99 TTFT 2 s, p99 inter-token 100 ms."""
    config = load_any_config(PROFILE_TOML)
    assert isinstance(config, VllmConfig)
    assert (
        config.checks.ttft_p99.max_seconds,
        config.checks.inter_token_latency_p99.max_seconds,
    ) == (
        2.0,
        0.1,
    )
    assert config.metrics.inter_token_latency[0] == "vllm:inter_token_latency_seconds"
    assert config.checks.gpu_memory.min_free_ratio == pytest.approx(0.05)


def test_file_without_profile_key_is_the_default_gate() -> None:
    """The default gate's gate.toml loads as before."""
    assert isinstance(load_any_config(DEFAULT_TOML), GateConfig)


def test_unknown_profile_names_the_key_and_the_choices(tmp_path: Path) -> None:
    """profile = "sglang" is refused, naming the known profiles."""
    path = variant(tmp_path, 'profile = "vllm"', 'profile = "sglang"')
    with pytest.raises(
        ConfigError, match=r"profile: .*'sglang' is not a known profile; use one of: 'vllm'"
    ):
        load_any_config(path)


def test_chat_model_must_be_a_served_model(tmp_path: Path) -> None:
    """The smoke chat model must be one of [deployment] models."""
    path = variant(
        tmp_path, 'chat_model = "meta-llama/Llama-3.1-8B-Instruct"', 'chat_model = "other"'
    )
    with pytest.raises(
        ConfigError, match=r"smoke\.chat_model: 'other' is not in \[deployment\] models"
    ):
        load_any_config(path)


def test_response_schema_must_be_json(tmp_path: Path) -> None:
    """A response_schema that is not JSON is refused at load, not at the live call."""
    path = variant(tmp_path, '"required": ["colour", "confidence"],', '"required": [colour],')
    with pytest.raises(ConfigError, match=r"smoke\.response_schema: not JSON"):
        load_any_config(path)


def test_missing_threshold_is_refused(tmp_path: Path) -> None:
    """Every threshold is required: a missing one names its key."""
    path = variant(tmp_path, "max_seconds = 2.0 ", "# max_seconds = 2.0 ")
    with pytest.raises(ConfigError, match=r"checks\.ttft_p99\.max_seconds: missing key"):
        load_any_config(path)


def test_utilisation_plus_margin_above_one_is_refused(tmp_path: Path) -> None:
    """gpu_memory_utilization + margin_ratio above 1 leaves no free share to compare with."""
    path = variant(tmp_path, "margin_ratio = 0.05", "margin_ratio = 0.2")
    with pytest.raises(ConfigError, match=r"checks\.gpu_memory\.margin_ratio"):
        load_any_config(path)


def test_disabled_check_and_no_gpus_are_not_applicable(tmp_path: Path) -> None:
    """enabled = false and gpus = "none" give the reason the report shows."""
    path = variant(tmp_path, 'gpus = "required"', 'gpus = "none"')
    config = load_any_config(path)
    assert 'gpus = "none"' in str(config.check_enablement("gpu_memory"))
    assert config.check_enablement("ttft_p99") is None
