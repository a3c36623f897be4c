"""``[canary]`` of gate.toml (optional): how the canary's traffic is meant to be split.

``expected_share`` is the canary's intended share of the requests of canary plus baseline (for
example ``0.3333`` for one canary pod beside two baseline pods). When set, the canary 5xx
comparison first tests the observed share against it (a sample ratio mismatch makes the comparison
no_data: a broken split is not a verdict). Absent, nothing is tested.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_gate.config.tomlschema import fail, toml_type

SECTION = "canary"
EXPECTED_SHARE = "expected_share"
SHARE_FIX = "write a number strictly between 0 and 1, e.g. expected_share = 0.3333"


@dataclass(frozen=True)
class CanarySettings:
    """``[canary]``: the intended traffic split (``None``: not tested)."""

    expected_share: float | None = None


def parse(table: object, where: str) -> CanarySettings:
    """``[canary]`` as settings; raises ``ConfigError`` naming the key and the fix."""
    if not isinstance(table, dict):
        fail(where, SECTION, f"expected a table, got {toml_type(table)}", "write it as [canary]")
    for key in table:
        if key != EXPECTED_SHARE:
            fail(where, f"{SECTION}.{key}", "unknown key", f"the only key here is {EXPECTED_SHARE}")
    if EXPECTED_SHARE not in table:
        return CanarySettings()
    value = table[EXPECTED_SHARE]
    key = f"{SECTION}.{EXPECTED_SHARE}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(where, key, f"expected a number, got {toml_type(value)}", SHARE_FIX)
    if not 0.0 < float(value) < 1.0:
        fail(where, key, f"{value!r} is not a share of the requests", SHARE_FIX)
    return CanarySettings(float(value))
