"""The brief contract of the smoke check: every field rule, and where the brief sits in a body."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_gate.contract.brief_schema import EXTRA_FIELDS, FIELDS, brief_of, violations
from tests.checks.serving_stub import VALID_BRIEF


def problems(brief: Any) -> dict[str, str]:
    return {k: v for k, v in violations(brief).items() if v is not None}


def test_a_valid_brief_has_no_violation() -> None:
    """The reference brief holds every rule."""
    assert problems(VALID_BRIEF) == {}


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("language", "fr", "'fr' is not one of ko, en"),
        ("mood", "fresh", "not a list of strings"),
        ("season", ["fall"], "['fall'] not among spring, summer, autumn, winter"),
        ("notes_preference", {"rose": 0.7, "oud": 0.6}, "weights sum to 1.300, more than 1"),
        ("notes_preference", {"rose": 1.5}, "not a map of note -> weight in 0..1"),
        ("forbidden_ingredients", [1], "not a list of strings"),
        ("budget_tier", "premium", "'premium' is not one of low, mid, high"),
        ("target_profile", "office", "'office' is not one of daily_fresh"),
        ("constraints", {"hours": "six"}, "not a map of name -> number"),
        ("product_category", "EDC", "'EDC' is not one of EDP, EDT, PARFUM"),
        ("creative_hints", ["ok"] * 9, "9 hints, more than 8"),
        ("creative_hints", ["x"], "['x'] not 2-48 characters"),
    ],
)
def test_each_rule_names_the_field_and_the_problem(field: str, value: Any, expected: str) -> None:
    """A brief that breaks one rule reports exactly that field, with the cause."""
    found = problems({**VALID_BRIEF, field: value})
    assert list(found) == [field]
    assert expected in found[field]


def test_a_missing_field_is_reported() -> None:
    """Leaving out a required field names it as missing."""
    brief = {k: v for k, v in VALID_BRIEF.items() if k != "budget_tier"}
    assert problems(brief) == {"budget_tier": "missing"}


def test_unknown_fields_are_reported() -> None:
    """Fields outside the contract are a violation of their own."""
    assert problems({**VALID_BRIEF, "price": 3}) == {EXTRA_FIELDS: "unknown fields price"}


def test_a_body_that_is_not_an_object_breaks_every_field() -> None:
    """A JSON list instead of an object fails every field."""
    assert set(problems([VALID_BRIEF])) == set(FIELDS)


def test_brief_is_found_at_top_level_or_under_brief() -> None:
    """The brief is the body itself, or the body's "brief" member."""
    assert brief_of(VALID_BRIEF) is VALID_BRIEF
    assert brief_of({"brief": VALID_BRIEF, "mode": "fast"}) is VALID_BRIEF
