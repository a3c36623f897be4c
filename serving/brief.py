"""The brief: its pydantic schema, the tighter schema that guides decoding, validation, prompts.

The validation schema (:class:`Brief`) is the contract. The generation schema is a subset of it that
a JSON grammar can enforce token by token: it bounds every list, map, string and number (so a
random model cannot loop forever) and caps ``notes_preference`` at 4 notes of at most 0.25 each (so
the sum <= 1 rule, which no grammar can express, holds by construction).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from pytest_gate.contract.brief_schema import (
    HINT_CHARS,
    HINT_PATTERN,
    KEY_PATTERN,
    MAX_ITEMS,
    MAX_SEASONS,
    NOTES_SUM_MAX,
    NOTES_SUM_TOLERANCE,
    PHRASE_PATTERN,
    hint_pattern,
    key_pattern,
    phrase_pattern,
)

GENERATION_MAX_ITEMS = 3
GENERATION_MAX_NOTES = 4
GENERATION_PHRASE_CHARS = 24
GENERATION_HINT_CHARS = 32
GENERATION_KEY_CHARS = 16
GENERATION_CONSTRAINT_MAX = 10000

Phrase = Annotated[str, StringConstraints(pattern=PHRASE_PATTERN)]
Hint = Annotated[
    str, StringConstraints(pattern=HINT_PATTERN, min_length=HINT_CHARS[0], max_length=HINT_CHARS[1])
]
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Weight = Annotated[float, Field(ge=0.0, le=1.0)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class Brief(BaseModel):
    """A structured fragrance brief: :mod:`pytest_gate.contract.brief_schema` as a pydantic model.

    The choices below are written out (a type checker needs literals); a test holds them, and
    every bound, to the shared schema.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    language: Literal["ko", "en"]
    mood: list[Phrase] = Field(max_length=MAX_ITEMS)
    season: list[Literal["spring", "summer", "autumn", "winter"]] = Field(max_length=MAX_SEASONS)
    notes_preference: dict[Key, Weight] = Field(max_length=MAX_ITEMS)
    forbidden_ingredients: list[Phrase] = Field(max_length=MAX_ITEMS)
    budget_tier: Literal["low", "mid", "high"]
    target_profile: Literal["daily_fresh", "evening", "luxury", "sport", "signature"]
    constraints: dict[Key, FiniteFloat] = Field(max_length=MAX_ITEMS)
    product_category: Literal["EDP", "EDT", "PARFUM"]
    creative_hints: list[Hint] = Field(max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _notes_sum_at_most_one(self) -> Brief:
        total = math.fsum(self.notes_preference.values())
        if total > NOTES_SUM_MAX + NOTES_SUM_TOLERANCE:
            raise ValueError(f"notes_preference weights sum to {total:.3f}; they must sum to <= 1")
        return self


class BriefInvalid(ValueError):
    """Model output that is not a valid brief; ``errors`` summarises why."""

    def __init__(self, errors: str) -> None:
        super().__init__(errors)
        self.errors = errors


def validate_brief(raw: str) -> Brief:
    """Parse model output into a :class:`Brief` or raise :class:`BriefInvalid`."""
    try:
        return Brief.model_validate_json(raw)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in err['loc']) or 'brief'}: {err['msg']}"
            for err in exc.errors()[:5]
        ]
        more = f" (+{exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise BriefInvalid("; ".join(problems) + more) from None


def generation_schema() -> dict[str, Any]:
    """Return the JSON schema that guides decoding: a bounded subset of :class:`Brief`'s."""
    schema = copy.deepcopy(Brief.model_json_schema())
    props: dict[str, Any] = schema["properties"]
    shorter = {
        PHRASE_PATTERN: phrase_pattern(GENERATION_PHRASE_CHARS),
        HINT_PATTERN: hint_pattern(GENERATION_HINT_CHARS),
    }
    for prop in props.values():
        if prop.get("type") == "array":
            prop["maxItems"] = min(prop["maxItems"], GENERATION_MAX_ITEMS)
            items = prop["items"]
            if "pattern" in items:
                items["pattern"] = shorter[items["pattern"]]
                items.pop("maxLength", None)
                items.pop("minLength", None)
        if prop.get("type") == "object":
            prop["maxProperties"] = min(prop["maxProperties"], GENERATION_MAX_ITEMS)
            prop["patternProperties"] = {key_pattern(GENERATION_KEY_CHARS): _value_schema(prop)}
    notes = props["notes_preference"]
    notes["maxProperties"] = GENERATION_MAX_NOTES
    _value_schema(notes)["maximum"] = NOTES_SUM_MAX / GENERATION_MAX_NOTES
    _value_schema(props["constraints"]).update({"minimum": 0, "maximum": GENERATION_CONSTRAINT_MAX})
    return schema


def _value_schema(map_schema: dict[str, Any]) -> dict[str, Any]:
    """The schema of a map's values (pydantic writes keyed maps as one patternProperties entry)."""
    (value,) = map_schema["patternProperties"].values()
    result: dict[str, Any] = value
    return result


_FIELD_GUIDE = (
    "language: ko or en; mood: short phrases; season: spring/summer/autumn/winter; "
    "notes_preference: note -> weight 0..1, weights sum to at most 1; "
    "forbidden_ingredients: phrases; budget_tier: low/mid/high; "
    "target_profile: daily_fresh/evening/luxury/sport/signature; "
    "constraints: name -> number; product_category: EDP/EDT/PARFUM; "
    "creative_hints: up to 8 phrases of 2-48 characters."
)

Messages = list[Mapping[str, str]]


def brief_messages(text: str) -> Messages:
    """Chat messages asking a model for the brief of a user's request."""
    return [
        {
            "role": "system",
            "content": "You turn a perfume request into one JSON brief object. Fields: "
            + _FIELD_GUIDE,
        },
        {"role": "user", "content": text},
    ]


def repair_messages(invalid_output: str, errors: str) -> Messages:
    """Chat messages asking the repair model to fix an invalid brief."""
    return [
        {
            "role": "system",
            "content": "Fix this fragrance brief so it is one valid JSON object. Fields: "
            + _FIELD_GUIDE,
        },
        {"role": "user", "content": f"Errors: {errors}\nBrief: {invalid_output[:2000]}"},
    ]


def brief_json(brief: Brief) -> dict[str, Any]:
    """Return the brief as a plain JSON-compatible dict."""
    result: dict[str, Any] = json.loads(brief.model_dump_json())
    return result
