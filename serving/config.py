"""Serving settings: one frozen object, read once from the environment, overridable in tests."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pytest_gate.gpu.memory import MIN_HEADROOM_RATIO

MODES: tuple[str, ...] = ("creative", "balanced", "fast")
"""Serving modes, best quality first: the downshift order."""

REPAIR_TARGET = "repair"
"""Name usable in ``SERVING_FAULT_UNGUIDED`` for the schema-repair generation."""

FAULT_UNGUIDED_MAX_NEW_TOKENS = 128
"""An unguided (fault-injected) draft stops here: it is meant to be invalid, not long."""

DEFAULT_CACHE_TTL_SECONDS: Mapping[str, float] = {
    "fast": 300.0,
    "balanced": 600.0,
    "creative": 1800.0,
}
DEFAULT_BREAKER_SECONDS: Mapping[str, float] = {"creative": 6.0, "balanced": 4.3, "fast": 3.3}

Device = Literal["auto", "cpu", "cuda"]


class SettingsError(ValueError):
    """A setting has a value the server cannot use; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    """Everything the serving app can be configured with (env names in ``from_env``)."""

    registry_path: Path | None = None
    admin_token: str | None = field(default=None, repr=False)
    device: Device = "auto"
    default_mode: str = "balanced"
    workers: int = 2
    queue_max: int = 8
    retry_after_seconds: int = 1
    max_new_tokens: int = 1536
    max_prompt_tokens: int = 2048
    min_headroom_ratio: float = MIN_HEADROOM_RATIO
    cache_max_entries: int = 1024
    cache_ttl_seconds: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_CACHE_TTL_SECONDS)
    )
    breaker_seconds: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_BREAKER_SECONDS)
    )
    breaker_consecutive: int = 3
    downshift_cooldown_seconds: float = 60.0
    downshift_recovery_seconds: float = 300.0
    shutdown_grace_seconds: float = 30.0
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 10.0
    max_connections: int = 512
    unload_drain_seconds: float = 60.0
    torch_threads: int | None = None
    fault_slow_seconds: Mapping[str, float] = field(default_factory=dict)
    fault_unguided: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _check_mode("default_mode", self.default_mode)
        for name in (
            "workers",
            "retry_after_seconds",
            "max_new_tokens",
            "cache_max_entries",
            "breaker_consecutive",
            "max_connections",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name}={getattr(self, name)} must be at least 1")
        if self.queue_max < 0:
            raise SettingsError(f"queue_max={self.queue_max} must be 0 or more")
        for name in ("header_timeout_seconds", "body_timeout_seconds"):
            _check_seconds(name, getattr(self, name), least=0.0, inclusive=False)
        for name in ("shutdown_grace_seconds", "unload_drain_seconds"):
            _check_seconds(name, getattr(self, name), least=0.0)
        if not 0.0 <= self.min_headroom_ratio < 1.0:
            raise SettingsError(f"min_headroom_ratio={self.min_headroom_ratio} must be in [0, 1)")
        if self.device not in ("auto", "cpu", "cuda"):
            raise SettingsError(f"device={self.device!r} must be one of auto, cpu, cuda")
        for mapping_name in ("cache_ttl_seconds", "breaker_seconds"):
            mapping = getattr(self, mapping_name)
            if sorted(mapping) != sorted(MODES):
                raise SettingsError(f"{mapping_name} needs exactly the modes {', '.join(MODES)}")
        for mode in self.fault_slow_seconds:
            _check_mode("fault_slow_seconds", mode)
        for target in self.fault_unguided:
            if target not in (*MODES, REPAIR_TARGET):
                raise SettingsError(
                    f"fault_unguided target {target!r} is unknown; use one of "
                    f"{', '.join((*MODES, REPAIR_TARGET))}"
                )

    @property
    def faults(self) -> dict[str, Any]:
        """Active fault injections, as reported by ``/health`` (empty when none)."""
        active: dict[str, Any] = {}
        if self.fault_slow_seconds:
            active["slow_mode_seconds"] = dict(self.fault_slow_seconds)
        if self.fault_unguided:
            active["unguided"] = sorted(self.fault_unguided)
        return active

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: Any) -> Settings:
        """Build settings from ``SERVING_*`` variables; ``overrides`` win over the environment."""
        values: dict[str, Any] = {}
        for var, (name, parse) in ENV_VARS.items():
            raw = env.get(var)
            if raw is not None and raw.strip() != "":
                values[name] = parse(var, raw.strip())
        values.update(overrides)
        return cls(**values)


def _check_mode(name: str, mode: str) -> None:
    if mode not in MODES:
        raise SettingsError(f"{name}: unknown mode {mode!r}; use one of {', '.join(MODES)}")


def _check_seconds(name: str, seconds: float, least: float, inclusive: bool = True) -> None:
    above = seconds >= least if inclusive else seconds > least
    if not (math.isfinite(seconds) and above):
        bound = f"at least {least:g}" if inclusive else f"above {least:g}"
        raise SettingsError(f"{name}={seconds} must be a finite number of seconds {bound}")


def _int(var: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{var}={raw!r} is not an integer; set a whole number") from None


def _float(var: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{var}={raw!r} is not a number; set e.g. 0.2") from None


def _text(var: str, raw: str) -> str:
    return raw


def _path(var: str, raw: str) -> Path:
    return Path(raw)


def _mode_seconds(var: str, raw: str) -> dict[str, float]:
    """Parse ``creative:5.0,fast:1`` into ``{"creative": 5.0, "fast": 1.0}``."""
    result: dict[str, float] = {}
    for item in raw.split(","):
        mode, sep, seconds = item.strip().partition(":")
        if not sep or mode not in MODES:
            raise SettingsError(
                f"{var}={raw!r}: expected MODE:SECONDS[,MODE:SECONDS] with MODE in "
                f"{', '.join(MODES)}, e.g. creative:5.0"
            )
        value = _float(var, seconds)
        if value < 0:
            raise SettingsError(f"{var}={raw!r}: seconds must not be negative")
        result[mode] = value
    return result


def _targets(var: str, raw: str) -> frozenset[str]:
    return frozenset(item.strip() for item in raw.split(",") if item.strip())


ENV_VARS: Mapping[str, tuple[str, Any]] = {
    "SERVING_REGISTRY": ("registry_path", _path),
    "SERVING_ADMIN_TOKEN": ("admin_token", _text),
    "SERVING_DEVICE": ("device", _text),
    "SERVING_DEFAULT_MODE": ("default_mode", _text),
    "SERVING_WORKERS": ("workers", _int),
    "SERVING_QUEUE_MAX": ("queue_max", _int),
    "SERVING_MAX_NEW_TOKENS": ("max_new_tokens", _int),
    "SERVING_MAX_PROMPT_TOKENS": ("max_prompt_tokens", _int),
    "SERVING_MIN_HEADROOM_RATIO": ("min_headroom_ratio", _float),
    "SERVING_CACHE_MAX_ENTRIES": ("cache_max_entries", _int),
    "SERVING_TORCH_THREADS": ("torch_threads", _int),
    "SERVING_RETRY_AFTER_SECONDS": ("retry_after_seconds", _int),
    "SERVING_SHUTDOWN_GRACE_SECONDS": ("shutdown_grace_seconds", _float),
    "SERVING_HEADER_TIMEOUT_SECONDS": ("header_timeout_seconds", _float),
    "SERVING_BODY_TIMEOUT_SECONDS": ("body_timeout_seconds", _float),
    "SERVING_MAX_CONNECTIONS": ("max_connections", _int),
    "SERVING_UNLOAD_DRAIN_SECONDS": ("unload_drain_seconds", _float),
    "SERVING_FAULT_SLOW_MODE": ("fault_slow_seconds", _mode_seconds),
    "SERVING_FAULT_UNGUIDED": ("fault_unguided", _targets),
}
"""Environment variable -> (settings field, parser). The README lists the same names."""
