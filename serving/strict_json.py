"""Strict JSON request bodies (RFC 8259): UTF-8, finite numbers, real Unicode, bounded nesting.

Python's ``json`` accepts ``NaN``, ``Infinity`` and ``-Infinity``, turns ``1e999`` into ``inf``,
decodes ``"\\ud800"`` into a string no encoder accepts again, and raises ``RecursionError`` or
``ValueError`` (not ``JSONDecodeError``) on deep nesting, huge integers and non-UTF-8 bytes. Each of
those became a 500 or FastAPI's undocumented 400. Here every one is a :class:`json.JSONDecodeError`
with a short message, which FastAPI answers as a 422 ``json_invalid``.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted (every request body here has depth 1)."""

MAX_INT_DIGITS = 100
"""Longest integer literal accepted (Python's own limit, 4300 digits, answers with a ValueError)."""


class _Refused(ValueError):
    """A JSON token Python would accept but RFC 8259 (or this service) does not."""


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not JSON; numbers must be finite")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _Refused(f"the number {literal[:20]} is out of range; numbers must be finite")
    return value


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"an integer of {len(literal)} digits is out of range")
    return int(literal)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_tree(value: Any) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and strings (or keys) with lone surrogates."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                raise _Refused("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)")
        elif isinstance(item, (list, dict)):
            if depth >= MAX_DEPTH:
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def loads(body: bytes) -> Any:
    """Parse a request body strictly; raise :class:`json.JSONDecodeError` for anything else."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError(f"the body is not UTF-8 (byte {error.start})", "", 0) from None
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
        _check_tree(value)
    except json.JSONDecodeError as error:
        raise json.JSONDecodeError(error.msg, "", error.pos) from None
    except RecursionError:
        raise json.JSONDecodeError(f"nested deeper than {MAX_DEPTH} levels", "", 0) from None
    except _Refused as refused:
        raise json.JSONDecodeError(str(refused), "", 0) from None
    return value
