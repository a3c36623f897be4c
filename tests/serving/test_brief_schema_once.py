"""The brief contract exists once: the service's pydantic model accepts exactly what the smoke
check's contract (``pytest_gate.contract.brief_schema``) accepts."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pytest_gate.contract import brief_schema
from serving.brief import Brief

VALID: dict[str, Any] = {
    "language": "en",
    "mood": ["fresh citrus"],
    "season": ["summer"],
    "notes_preference": {"bergamot": 0.5, "vetiver": 0.25},
    "forbidden_ingredients": ["oud"],
    "budget_tier": "mid",
    "target_profile": "sport",
    "constraints": {"max_price": 120},
    "product_category": "EDT",
    "creative_hints": ["morning run, sea air"],
}
TEXT = st.one_of(
    st.sampled_from(["fresh", "x", "ok", "Rose oud", "1st", "a\n", "snake_case", "Bad Key", "향기"]),
    st.text(max_size=60),
)
NUMBER = st.one_of(
    st.integers(-5, 5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(True),
    st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.5]),
)
VALUE = st.one_of(
    TEXT,
    NUMBER,
    st.none(),
    st.lists(TEXT, max_size=10),
    st.dictionaries(TEXT, NUMBER, max_size=10),
)
CHOICES = {
    "language": brief_schema.LANGUAGES,
    "season": brief_schema.SEASONS,
    "budget_tier": brief_schema.BUDGET_TIERS,
    "target_profile": brief_schema.TARGET_PROFILES,
    "product_category": brief_schema.PRODUCT_CATEGORIES,
}


GOOD_PHRASES = st.sampled_from(["fresh", "Rose oud", "향기", "sea-salt", "it's warm"])
GOOD_KEYS = st.sampled_from(["bergamot", "vetiver", "max_price", "iris_2"])
GOOD_HINTS = st.sampled_from(["morning run, sea air", "ok", "2 a.m. walk", "x" * 48, "y" * 49])


def _field_value(name: str) -> st.SearchStrategy[Any]:
    """Values near the rules of field ``name`` (valid, just over a bound, wrong type)."""
    choices = CHOICES.get(name)
    if name == "season":
        return st.lists(st.sampled_from([*brief_schema.SEASONS, "fall"]), max_size=6)
    if choices:
        return st.sampled_from([*choices, "other", ""])
    if name in ("mood", "forbidden_ingredients"):
        return st.lists(st.one_of(GOOD_PHRASES, TEXT), max_size=10)
    if name == "creative_hints":
        return st.lists(st.one_of(GOOD_HINTS, TEXT), max_size=10)
    weights = st.sampled_from([0.0, 0.1, 0.25, 1, 1.0, 1.5, -0.1])
    if name == "notes_preference":
        return st.dictionaries(st.one_of(GOOD_KEYS, TEXT), st.one_of(weights, NUMBER), max_size=10)
    return st.dictionaries(st.one_of(GOOD_KEYS, TEXT), NUMBER, max_size=10)


def _one_field_changed(name: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(_field_value(name), VALUE).map(lambda value: {**VALID, name: value})


BRIEFS = st.one_of(
    *(_one_field_changed(name) for name in VALID),
    st.sampled_from(list(VALID)).map(lambda gone: {k: v for k, v in VALID.items() if k != gone}),
    st.just({**VALID, "price": 3}),
)


def accepted_by_service(brief: Any) -> bool:
    try:
        Brief.model_validate(brief)
    except ValidationError:
        return False
    return True


def accepted_by_contract(brief: Any) -> bool:
    return all(v is None for v in brief_schema.violations(brief).values())


def test_the_reference_brief_is_valid_for_both() -> None:
    """A brief that holds every rule passes the service and the contract alike."""
    assert accepted_by_service(VALID) and accepted_by_contract(VALID)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BRIEFS)
def test_service_and_contract_accept_the_same_briefs(brief: dict[str, Any]) -> None:
    """Briefs with one field changed (valid, at a bound, past it, wrong type): same verdicts."""
    service = accepted_by_service(brief)
    contract = accepted_by_contract(brief)
    assert service == contract, (brief, brief_schema.violations(brief))


def test_the_service_choices_are_the_contract_choices() -> None:
    """The Literal choices written out in the model are the shared schema's tuples."""
    fields = Brief.model_fields
    for name, choices in CHOICES.items():
        annotation = fields[name].annotation
        if typing.get_origin(annotation) is list:
            (annotation,) = typing.get_args(annotation)
        assert typing.get_args(annotation) == choices, name


PHRASES_AT_BOUND = ["fresh"] * brief_schema.MAX_ITEMS
KEYS = [f"note_{i}" for i in range(brief_schema.MAX_ITEMS + 1)]
BOUNDARY_CASES = [
    ("mood", PHRASES_AT_BOUND),
    ("mood", [*PHRASES_AT_BOUND, "fresh"]),
    ("mood", ["a"]),
    ("mood", ["ab"]),
    ("mood", ["a" * brief_schema.PHRASE_CHARS]),
    ("mood", ["a" * (brief_schema.PHRASE_CHARS + 1)]),
    ("mood", ["fresh\n"]),
    ("forbidden_ingredients", [*PHRASES_AT_BOUND, "oud"]),
    ("season", list(brief_schema.SEASONS)),
    ("season", [*brief_schema.SEASONS, "summer"]),
    ("notes_preference", dict.fromkeys(KEYS[: brief_schema.MAX_ITEMS], 0.1)),
    ("notes_preference", dict.fromkeys(KEYS, 0.1)),
    ("notes_preference", {"bergamot": 0.5, "vetiver": 0.5}),
    ("notes_preference", {"bergamot": 0.5, "vetiver": 0.51}),
    ("notes_preference", {"bergamot": 1}),
    ("notes_preference", {"bergamot": True}),
    ("notes_preference", {"Bergamot": 0.1}),
    ("constraints", dict.fromkeys(KEYS[: brief_schema.MAX_ITEMS], 1)),
    ("constraints", dict.fromkeys(KEYS, 1)),
    ("constraints", {"max_price": float("inf")}),
    ("constraints", {"max_price": False}),
    ("creative_hints", ["ab"] * brief_schema.MAX_ITEMS),
    ("creative_hints", ["ab"] * (brief_schema.MAX_ITEMS + 1)),
    ("creative_hints", ["x" * brief_schema.HINT_CHARS[1]]),
    ("creative_hints", ["x" * (brief_schema.HINT_CHARS[1] + 1)]),
    ("creative_hints", ["2 a.m."]),
    ("language", "fr"),
    ("product_category", "edt"),
]


@pytest.mark.parametrize(("field", "value"), BOUNDARY_CASES)
def test_service_and_contract_agree_at_every_bound(field: str, value: Any) -> None:
    """At each bound and one past it, both accept or both refuse."""
    brief = {**VALID, field: value}
    assert accepted_by_service(brief) == accepted_by_contract(brief), (field, value)
