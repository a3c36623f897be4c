"""The brief schema: what it accepts and refuses, and the decoding schema being a subset of it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from serving.brief import (
    GENERATION_MAX_NOTES,
    BriefInvalid,
    brief_messages,
    generation_schema,
    repair_messages,
    validate_brief,
)

VALID: dict[str, Any] = {
    "language": "en",
    "mood": ["fresh", "따뜻한 느낌"],
    "season": ["summer"],
    "notes_preference": {"citrus": 0.5, "musk": 0.5},
    "forbidden_ingredients": ["oakmoss"],
    "budget_tier": "mid",
    "target_profile": "daily_fresh",
    "constraints": {"max_price_usd": 120},
    "product_category": "EDT",
    "creative_hints": ["sea breeze at dawn"],
}


def _with(**changes: Any) -> str:
    return json.dumps({**VALID, **changes}, ensure_ascii=False)


def test_valid_brief_is_accepted() -> None:
    """A brief following every rule validates (integers count as numbers)."""
    brief = validate_brief(_with())
    assert brief.notes_preference == {"citrus": 0.5, "musk": 0.5}
    assert brief.constraints == {"max_price_usd": 120.0}


INVALID = {
    "notes sum over 1": (_with(notes_preference={"a1": 0.6, "b1": 0.6}), "sum to 1.200"),
    "note weight over 1": (_with(notes_preference={"a1": 1.5}), "notes_preference.a1"),
    "unknown language": (_with(language="fr"), "language"),
    "unknown season": (_with(season=["monsoon"]), "season.0"),
    "nine hints": (_with(creative_hints=["hint"] * 9), "creative_hints"),
    "one-character hint": (_with(creative_hints=["x"]), "creative_hints.0"),
    "control character in mood": (_with(mood=["fresh\u0007"]), "mood.0"),
    "extra field": (_with(colour="blue"), "colour"),
    "missing field": (json.dumps({k: v for k, v in VALID.items() if k != "season"}), "season"),
    "not JSON": ('{"language": "en", "mood": [', "brief"),
    "infinite constraint": (_with(constraints={"max_price": 1e999}), "constraints.max_price"),
    "number as string": (_with(constraints={"max_price": "120"}), "constraints.max_price"),
}


@pytest.mark.parametrize(("raw", "where"), INVALID.values(), ids=INVALID.keys())
def test_invalid_brief_is_refused_naming_the_field(raw: str, where: str) -> None:
    """Each broken rule raises BriefInvalid whose summary names the field."""
    with pytest.raises(BriefInvalid) as caught:
        validate_brief(raw)
    assert where in caught.value.errors


def test_generation_schema_bounds_every_list_and_map() -> None:
    """Decoding cannot run away: every array and map has a small maximum size."""
    props = generation_schema()["properties"]
    for name, prop in props.items():
        if prop["type"] == "array":
            assert prop["maxItems"] <= 3, name
        if prop["type"] == "object":
            assert prop["maxProperties"] <= GENERATION_MAX_NOTES, name


def test_generation_schema_keeps_note_weights_summing_to_at_most_one() -> None:
    """At most 4 notes of at most 0.25 each: the sum rule holds by construction."""
    notes = generation_schema()["properties"]["notes_preference"]
    (weight,) = notes["patternProperties"].values()
    assert notes["maxProperties"] * weight["maximum"] <= 1.0


def test_messages_carry_the_request_and_the_errors() -> None:
    """The brief prompt holds the user's text; the repair prompt the errors and the draft."""
    assert brief_messages("rose garden")[-1]["content"] == "rose garden"
    repair = repair_messages('{"language": "fr"}', "language: bad")[-1]["content"]
    assert "language: bad" in repair and '{"language": "fr"}' in repair
