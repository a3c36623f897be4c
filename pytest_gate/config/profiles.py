"""Which gate a ``gate.toml`` configures: the default gate, or an engine profile.

A profile's file says so on its first line, ``profile = "vllm"``; a file without that key is the
default gate's (:func:`pytest_gate.config.gateconfig.load_config`). The plugin itself reads only
what both kinds share: the label selector, the GPU exporter, check enablement, waivers and the
file's hash.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from pytest_gate.config.gateconfig import ConfigError, GateConfig, load_config
from pytest_gate.config.gateconfig import _custom as parse_custom
from pytest_gate.config.tomlfile import read_toml
from pytest_gate.config.tomlschema import build, fail, toml_type
from pytest_gate.config.waivers import parse as parse_waivers

if TYPE_CHECKING:
    from pytest_gate.config.vllmconfig import VllmConfig

__all__ = ["PROFILES", "AnyGateConfig", "ConfigError", "load_any_config"]

AnyGateConfig: TypeAlias = "GateConfig | VllmConfig"
PROFILE_KEY = "profile"
DEFAULT = "default"
VLLM = "vllm"
PROFILES = (DEFAULT, VLLM)


def load_any_config(path: Path) -> AnyGateConfig:
    """Read ``path`` as the gate its ``profile`` key names; raise :class:`ConfigError`."""
    profile = _profile_of(path)
    if profile == DEFAULT:
        return load_config(path)
    return _load_vllm(path)


def _profile_of(path: Path) -> str:
    """The ``profile`` key of the file (``default`` when absent, or when unreadable: the
    default loader then says what is wrong with it)."""
    try:
        document, _raw = read_toml(path)
    except ConfigError:
        return DEFAULT
    profile = document.get(PROFILE_KEY, DEFAULT)
    if profile not in PROFILES:
        fail(
            str(path),
            PROFILE_KEY,
            f"{toml_type(profile)} is not a known profile",
            f"use one of: {', '.join(repr(p) for p in PROFILES if p != DEFAULT)}, or leave it "
            "out for the default gate",
        )
    return str(profile)


def _load_vllm(path: Path) -> VllmConfig:
    # Loaded here, not at the top: the default gate never pays for the profile's schema.
    from pytest_gate.config.vllmconfig import VllmConfig, VllmConfigFile, check_consistency

    where = str(path)
    document, raw = read_toml(path)
    document.pop(PROFILE_KEY)
    custom = document.pop("custom", {})
    waivers = parse_waivers(document.pop("waivers", []), where)
    parsed = build(VllmConfigFile, document, where, "")
    check_consistency(parsed, where)
    return VllmConfig(
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        gate=parsed.gate,
        deployment=parsed.deployment,
        metrics=parsed.metrics,
        smoke=parsed.smoke,
        checks=parsed.checks,
        custom=parse_custom(custom, where),
        waivers=waivers,
    )
