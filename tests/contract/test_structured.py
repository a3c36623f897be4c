"""The structured-output schema check agrees with the reference validator (jsonschema) on the
keywords it reads."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from pytest_gate.contract.structured import schema_violations

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "colour": {"type": "string", "enum": ["red", "green", "blue"]},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
        "count": {"type": "integer"},
    },
    "required": ["colour", "confidence"],
    "additionalProperties": False,
}
CASES = [
    {"colour": "red", "confidence": 0.9},
    {"colour": "red", "confidence": 0.9, "tags": ["a"], "count": 3},
    {"colour": "red"},
    {"colour": "purple", "confidence": 0.5},
    {"colour": "red", "confidence": 1.5},
    {"colour": "red", "confidence": True},
    {"colour": "red", "confidence": 0.5, "extra": 1},
    {"colour": "red", "confidence": 0.5, "tags": ["a", "b", "c"]},
    {"colour": "red", "confidence": 0.5, "tags": [1]},
    {"colour": "red", "confidence": 0.5, "count": 2.5},
    ["red", 0.9],
    "red",
]


@pytest.mark.parametrize("value", CASES, ids=[str(i) for i in range(len(CASES))])
def test_agrees_with_jsonschema(value: Any) -> None:
    """Valid exactly when jsonschema says so."""
    reference = not list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(value))
    assert (not schema_violations(value, SCHEMA)) == reference


def test_violation_names_the_path_and_the_problem() -> None:
    """A missing key and a wrong nested type are both named with their path."""
    problems = schema_violations({"confidence": "high"}, SCHEMA)
    assert "$: missing 'colour'" in problems
    assert "$.confidence: expected number, got str" in problems
