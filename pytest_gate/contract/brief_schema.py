"""The brief contract, once (DESIGN §8): what a valid fragrance brief is, with no dependencies.

The serving stack's pydantic model (``serving.brief.Brief``) is built from these bounds and
patterns, and the smoke check holds a live answer to :func:`violations`; a test generates briefs
and proves that both accept exactly the same ones. Fields: language ko|en, mood [phrase],
season [spring|summer|autumn|winter], notes_preference {key: 0..1} summing to at most 1,
forbidden_ingredients [phrase], budget_tier low|mid|high, target_profile
daily_fresh|evening|luxury|sport|signature, constraints {key: number}, product_category
EDP|EDT|PARFUM, creative_hints [hint of 2-48 characters]; at most 8 items in each list and map (4
seasons); no other field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sized
from typing import TypeGuard

LANGUAGES = ("ko", "en")
SEASONS = ("spring", "summer", "autumn", "winter")
BUDGET_TIERS = ("low", "mid", "high")
TARGET_PROFILES = ("daily_fresh", "evening", "luxury", "sport", "signature")
PRODUCT_CATEGORIES = ("EDP", "EDT", "PARFUM")
MAX_ITEMS = 8
"""The most items in any list or map of a brief (but ``season``)."""
MAX_SEASONS = len(SEASONS)
PHRASE_CHARS = 32
HINT_CHARS = (2, 48)
KEY_CHARS = 32
NOTES_SUM_MAX = 1.0
NOTES_SUM_TOLERANCE = 1e-9
EXTRA_FIELDS = "(extra fields)"
BRIEF_KEY = "brief"


def phrase_pattern(max_chars: int) -> str:
    """Regex of a short phrase: a letter, then letters, digits, spaces, ' or -."""
    return rf"^[A-Za-z가-힣][A-Za-z가-힣0-9 '-]{{1,{max_chars - 1}}}$"


def hint_pattern(max_chars: int) -> str:
    """Regex of a creative hint: like a phrase, also digits first and , or . inside."""
    return rf"^[A-Za-z가-힣0-9][A-Za-z가-힣0-9 ,.'-]{{1,{max_chars - 1}}}$"


def key_pattern(max_chars: int) -> str:
    """Regex of a map key: snake_case ASCII."""
    return rf"^[a-z][a-z0-9_]{{1,{max_chars - 1}}}$"


PHRASE_PATTERN = phrase_pattern(PHRASE_CHARS)
HINT_PATTERN = hint_pattern(HINT_CHARS[1])
KEY_PATTERN = key_pattern(KEY_CHARS)
_PHRASE = re.compile(PHRASE_PATTERN)
_HINT = re.compile(HINT_PATTERN)
_KEY = re.compile(KEY_PATTERN)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _matches(pattern: re.Pattern[str], value: str) -> bool:
    # fullmatch: in Python "$" also matches before a final newline (pydantic's regex does not)
    return pattern.fullmatch(value) is not None


def _strings(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _bad_keys(value: dict[object, object]) -> str | None:
    wrong = [k for k in value if not _matches(_KEY, str(k))]
    return f"{wrong!r} not snake_case keys" if wrong else None


def _too_many(value: Sized, most: int) -> str | None:
    return f"{len(value)} items, more than {most}" if len(value) > most else None


def _choice(choices: tuple[str, ...]) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        return None if value in choices else f"{value!r} is not one of {', '.join(choices)}"

    return check


def _phrases(value: object) -> str | None:
    if not _strings(value):
        return "not a list of strings"
    wrong = [v for v in value if not _matches(_PHRASE, v)]
    if wrong:
        return f"{wrong!r} not short phrases (a letter, then letters, digits, spaces, ' or -)"
    return _too_many(value, MAX_ITEMS)


def _seasons(value: object) -> str | None:
    if not _strings(value):
        return "not a list of strings"
    wrong = [v for v in value if v not in SEASONS]
    if wrong:
        return f"{wrong!r} not among {', '.join(SEASONS)}"
    return _too_many(value, MAX_SEASONS)


def _notes(value: object) -> str | None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and _number(v) and 0.0 <= v <= 1.0 for k, v in value.items()
    ):
        return "not a map of note -> weight in 0..1"
    if (bad := _bad_keys(value)) is not None:
        return bad
    total = math.fsum(value.values())
    if total > NOTES_SUM_MAX + NOTES_SUM_TOLERANCE:
        return f"weights sum to {total:.3f}, more than {NOTES_SUM_MAX:g}"
    return _too_many(value, MAX_ITEMS)


def _constraints(value: object) -> str | None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and _number(v) for k, v in value.items()
    ):
        return "not a map of name -> number"
    return _bad_keys(value) or _too_many(value, MAX_ITEMS)


def _hints(value: object) -> str | None:
    if not _strings(value):
        return "not a list of strings"
    if len(value) > MAX_ITEMS:
        return f"{len(value)} hints, more than {MAX_ITEMS}"
    low, high = HINT_CHARS
    wrong = [v for v in value if not low <= len(v) <= high]
    if wrong:
        return f"{wrong!r} not {low}-{high} characters"
    wrong = [v for v in value if not _matches(_HINT, v)]
    return f"{wrong!r} not hints (letters, digits, spaces, , . ' or -)" if wrong else None


FIELDS: dict[str, Callable[[object], str | None]] = {
    "language": _choice(LANGUAGES),
    "mood": _phrases,
    "season": _seasons,
    "notes_preference": _notes,
    "forbidden_ingredients": _phrases,
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
