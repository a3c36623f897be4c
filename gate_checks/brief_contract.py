"""The brief contract the smoke check holds a live answer to (pure; no pydantic on the gate path).

Fields and rules are those of the brief schema of the system this gate replaces:
language ko|en, mood [str], season [spring|summer|autumn|winter], notes_preference {str: 0..1}
summing to at most 1, forbidden_ingredients [str], budget_tier low|mid|high, target_profile
daily_fresh|evening|luxury|sport|signature, constraints {str: number}, product_category
EDP|EDT|PARFUM, creative_hints at most 8 strings of 2-48 characters. No other field is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

LANGUAGES = ("ko", "en")
SEASONS = ("spring", "summer", "autumn", "winter")
BUDGET_TIERS = ("low", "mid", "high")
TARGET_PROFILES = ("daily_fresh", "evening", "luxury", "sport", "signature")
PRODUCT_CATEGORIES = ("EDP", "EDT", "PARFUM")
NOTES_SUM_MAX = 1.0
NOTES_SUM_TOLERANCE = 1e-9
HINTS_MAX = 8
HINT_CHARS = (2, 48)
EXTRA_FIELDS = "(extra fields)"
BRIEF_KEY = "brief"


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _strings(value: object) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return "not a list of strings"
    return None


def _choice(choices: tuple[str, ...]) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        return None if value in choices else f"{value!r} is not one of {', '.join(choices)}"

    return check


def _seasons(value: object) -> str | None:
    if _strings(value) or not isinstance(value, list):
        return "not a list of strings"
    wrong = [v for v in value if v not in SEASONS]
    return f"{wrong!r} not among {', '.join(SEASONS)}" if wrong else None


def _notes(value: object) -> str | None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and _number(v) and 0.0 <= v <= 1.0 for k, v in value.items()
    ):
        return "not a map of note -> weight in 0..1"
    total = math.fsum(value.values())
    if total > NOTES_SUM_MAX + NOTES_SUM_TOLERANCE:
        return f"weights sum to {total:.3f}, more than {NOTES_SUM_MAX:g}"
    return None


def _constraints(value: object) -> str | None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and _number(v) for k, v in value.items()
    ):
        return "not a map of name -> number"
    return None


def _hints(value: object) -> str | None:
    if _strings(value) or not isinstance(value, list):
        return "not a list of strings"
    if len(value) > HINTS_MAX:
        return f"{len(value)} hints, more than {HINTS_MAX}"
    low, high = HINT_CHARS
    wrong = [v for v in value if not low <= len(v) <= high]
    return f"{wrong!r} not {low}-{high} characters" if wrong else None


FIELDS: dict[str, Callable[[object], str | None]] = {
    "language": _choice(LANGUAGES),
    "mood": _strings,
    "season": _seasons,
    "notes_preference": _notes,
    "forbidden_ingredients": _strings,
    "budget_tier": _choice(BUDGET_TIERS),
    "target_profile": _choice(TARGET_PROFILES),
    "constraints": _constraints,
    "product_category": _choice(PRODUCT_CATEGORIES),
    "creative_hints": _hints,
}


def brief_of(body: object) -> object:
    """The brief in a response body: the body itself, or its ``"brief"`` member."""
    if isinstance(body, dict) and isinstance(body.get(BRIEF_KEY), dict):
        return body[BRIEF_KEY]
    return body


def violations(brief: object) -> dict[str, str | None]:
    """Per field: ``None`` when it holds, else what is wrong (missing, type, value).

    The key ``(extra fields)`` reports fields the contract does not know.
    """
    if not isinstance(brief, dict):
        return {name: "the brief is not a JSON object" for name in FIELDS}
    result: dict[str, str | None] = {
        name: check(brief[name]) if name in brief else "missing" for name, check in FIELDS.items()
    }
    extra = sorted(set(brief) - set(FIELDS))
    result[EXTRA_FIELDS] = f"unknown fields {', '.join(extra)}" if extra else None
    return result
