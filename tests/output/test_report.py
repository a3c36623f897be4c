"""The report writer: strict JSON without NaN or Infinity tokens."""

from __future__ import annotations

import json
import math

import pytest

from pytest_gate.output.report import dumps_strict, sanitize


def test_sanitize_removes_nan_and_infinity() -> None:
    """The report never contains NaN/Infinity tokens."""
    text = dumps_strict(sanitize({"a": math.nan, "b": [math.inf, 1.5], "c": {"d": -math.inf}}))
    assert json.loads(text) == {"a": None, "b": [None, 1.5], "c": {"d": None}}


def test_dumps_strict_refuses_raw_nan() -> None:
    """The writer itself refuses a NaN that escaped sanitising."""
    with pytest.raises(ValueError):
        dumps_strict({"a": math.nan})
