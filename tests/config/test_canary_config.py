"""``[canary] expected_share`` (optional): read when set, absent by default, rejected when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gate.config.canaryconfig import SHARE_FIX
from pytest_gate.config.gateconfig import ConfigError, load_config

DEFAULT_TOML = Path(__file__).resolve().parents[2] / "gate_checks" / "gate.toml"


def with_canary(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "gate.toml"
    path.write_text(DEFAULT_TOML.read_text() + f"\n[canary]\n{body}\n")
    return path


def test_the_shipped_config_tests_no_split() -> None:
    """Without [canary] no share is expected, so no sample-ratio test runs."""
    assert load_config(DEFAULT_TOML).canary.expected_share is None


def test_expected_share_is_read(tmp_path: Path) -> None:
    """expected_share = 0.3333 is the canary's intended share."""
    assert load_config(with_canary(tmp_path, "expected_share = 0.3333")).canary.expected_share == (
        0.3333
    )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("expected_share = 1.0", "canary.expected_share: 1.0 is not a share of the requests"),
        ("expected_share = 0", "canary.expected_share: 0 is not a share of the requests"),
        ('expected_share = "1/3"', "canary.expected_share: expected a number"),
        ("expected_shares = 0.5", "canary.expected_shares: unknown key"),
    ],
)
def test_a_wrong_share_names_the_key_and_the_fix(tmp_path: Path, body: str, problem: str) -> None:
    """A share outside (0, 1), a string or a typo is a config error naming key and fix."""
    with pytest.raises(ConfigError) as raised:
        load_config(with_canary(tmp_path, body))
    assert problem in str(raised.value)
    if "unknown key" not in problem:
        assert SHARE_FIX in str(raised.value)
