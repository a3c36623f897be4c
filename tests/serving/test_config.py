"""Settings from the environment: parsing, defaults and clear errors."""

from __future__ import annotations

import re

import pytest

from serving.config import (
    DEFAULT_BREAKER_SECONDS,
    DEFAULT_CACHE_TTL_SECONDS,
    Settings,
    SettingsError,
)


def test_defaults_follow_the_original_system() -> None:
    """TTLs 300/600/1800 s, breakers 6.0/4.3/3.3 s, 20% headroom, no faults."""
    settings = Settings.from_env({})
    assert settings.cache_ttl_seconds == DEFAULT_CACHE_TTL_SECONDS
    assert dict(DEFAULT_CACHE_TTL_SECONDS) == {"fast": 300.0, "balanced": 600.0, "creative": 1800.0}
    assert dict(DEFAULT_BREAKER_SECONDS) == {"creative": 6.0, "balanced": 4.3, "fast": 3.3}
    assert (settings.min_headroom_ratio, settings.faults) == (0.20, {})


def test_environment_sets_token_and_slow_fault() -> None:
    """SERVING_ADMIN_TOKEN and SERVING_FAULT_SLOW_MODE are read."""
    settings = Settings.from_env(
        {"SERVING_ADMIN_TOKEN": "s3cret", "SERVING_FAULT_SLOW_MODE": "creative:5.0, fast:0.5"}
    )
    assert settings.admin_token == "s3cret"
    assert settings.faults == {"slow_mode_seconds": {"creative": 5.0, "fast": 0.5}}


def test_unguided_fault_accepts_modes_and_repair() -> None:
    """SERVING_FAULT_UNGUIDED takes modes and ``repair``."""
    settings = Settings.from_env({"SERVING_FAULT_UNGUIDED": "balanced,repair"})
    assert settings.faults == {"unguided": ["balanced", "repair"]}


def test_overrides_win_over_the_environment() -> None:
    """Keyword overrides beat environment variables."""
    assert Settings.from_env({"SERVING_WORKERS": "4"}, workers=1).workers == 1


def test_token_is_not_in_the_repr() -> None:
    """The admin token never shows up in logs through repr()."""
    assert "s3cret" not in repr(Settings(admin_token="s3cret"))


BAD_ENV = {
    "not an integer": ({"SERVING_WORKERS": "two"}, "SERVING_WORKERS='two' is not an integer"),
    "zero workers": ({"SERVING_WORKERS": "0"}, "workers=0 must be at least 1"),
    "slow fault without seconds": ({"SERVING_FAULT_SLOW_MODE": "creative"}, "MODE:SECONDS"),
    "slow fault unknown mode": ({"SERVING_FAULT_SLOW_MODE": "turbo:1"}, "MODE:SECONDS"),
    "negative slow fault": ({"SERVING_FAULT_SLOW_MODE": "fast:-1"}, "must not be negative"),
    "unknown unguided target": ({"SERVING_FAULT_UNGUIDED": "turbo"}, "use one of creative"),
    "unknown default mode": ({"SERVING_DEFAULT_MODE": "turbo"}, "unknown mode 'turbo'"),
    "headroom out of range": ({"SERVING_MIN_HEADROOM_RATIO": "1.5"}, "must be in [0, 1)"),
    "unknown device": ({"SERVING_DEVICE": "tpu"}, "must be one of auto, cpu, cuda"),
    "zero head timeout": (
        {"SERVING_HEADER_TIMEOUT_SECONDS": "0"},
        "header_timeout_seconds=0.0 must be a finite number of seconds above 0",
    ),
    "NaN body timeout": (
        {"SERVING_BODY_TIMEOUT_SECONDS": "nan"},
        "body_timeout_seconds=nan must be a finite number of seconds above 0",
    ),
    "infinite grace": (
        {"SERVING_SHUTDOWN_GRACE_SECONDS": "inf"},
        "shutdown_grace_seconds=inf must be a finite number of seconds at least 0",
    ),
    "negative drain": (
        {"SERVING_UNLOAD_DRAIN_SECONDS": "-1"},
        "unload_drain_seconds=-1.0 must be a finite number of seconds at least 0",
    ),
    "no connections": ({"SERVING_MAX_CONNECTIONS": "0"}, "max_connections=0 must be at least 1"),
}


def test_limits_are_read_from_the_environment() -> None:
    """Timeouts, grace and drain keep their fractions; the cap and Retry-After are integers."""
    settings = Settings.from_env(
        {
            "SERVING_HEADER_TIMEOUT_SECONDS": "2.5",
            "SERVING_BODY_TIMEOUT_SECONDS": "0.75",
            "SERVING_SHUTDOWN_GRACE_SECONDS": "0.5",
            "SERVING_UNLOAD_DRAIN_SECONDS": "12.5",
            "SERVING_MAX_CONNECTIONS": "64",
            "SERVING_RETRY_AFTER_SECONDS": "3",
        }
    )
    assert (
        settings.header_timeout_seconds,
        settings.body_timeout_seconds,
        settings.shutdown_grace_seconds,
        settings.unload_drain_seconds,
        settings.max_connections,
        settings.retry_after_seconds,
    ) == (2.5, 0.75, 0.5, 12.5, 64, 3)


@pytest.mark.parametrize(("env", "message"), BAD_ENV.values(), ids=BAD_ENV.keys())
def test_bad_setting_names_the_problem(env: dict[str, str], message: str) -> None:
    """A bad value raises SettingsError naming the variable or field and the fix."""
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env(env)


def test_serving_modes_are_the_gates_modes() -> None:
    """The service's modes (in downshift order) are the modes the gate's checks read."""
    from pytest_gate.config.checkconfig import MODES as GATE_MODES
    from serving.config import MODES as SERVING_MODES

    assert sorted(SERVING_MODES) == sorted(GATE_MODES)
    assert len(set(SERVING_MODES)) == len(SERVING_MODES)
