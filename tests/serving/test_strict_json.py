"""Strict JSON parsing of request bodies: what Python's json accepts but RFC 8259 does not."""

from __future__ import annotations

import json

import pytest

from serving import strict_json

HOSTILE = {
    "NaN": (b'{"text": NaN}', "NaN is not JSON"),
    "Infinity": (b'{"text": Infinity}', "Infinity is not JSON"),
    "-Infinity": (b'{"ttl_seconds": -Infinity}', "-Infinity is not JSON"),
    "huge exponent": (b'{"text": 1e999}', "out of range"),
    "huge integer": (b'{"text": ' + b"9" * 5000 + b"}", "5000 digits is out of range"),
    "lone surrogate in a value": (b'{"text": "x\\ud800"}', "lone UTF-16 surrogate"),
    "lone surrogate in a key": (b'{"\\udfff": 1}', "lone UTF-16 surrogate"),
    "lone surrogate in a list": (b'{"text": ["\\ud800"]}', "lone UTF-16 surrogate"),
    "deep nesting": (b"[" * 100 + b"]" * 100, "nested deeper than 32 levels"),
    "deep unterminated nesting": (b"[" * 60_000, "nested deeper than"),
    "not UTF-8": (b'{"text": "\xff\xfe"}', "not UTF-8"),
    "UTF-16 with BOM": ('{"text": "a"}'.encode("utf-16"), "not UTF-8"),
    "truncated": (b'{"text": "a', "Unterminated string"),
}


@pytest.mark.parametrize(("body", "reason"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_body_is_a_json_decode_error(body: bytes, reason: str) -> None:
    """Each hostile body raises JSONDecodeError (what FastAPI answers as 422) naming the cause."""
    with pytest.raises(json.JSONDecodeError, match=reason) as raised:
        strict_json.loads(body)
    assert len(raised.value.msg) < 100
    assert raised.value.doc == ""


def test_valid_json_parses_as_usual() -> None:
    """Finite numbers, paired surrogates (an emoji), nesting within the bound are accepted."""
    body = b'{"text": "rose \\ud83c\\udf39", "n": [1.5, -2, 1e300], "deep": ' + b"[" * 30
    body += b"]" * 30 + b"}"
    assert strict_json.loads(body) == {
        "text": "rose \U0001f339",
        "n": [1.5, -2, 1e300],
        "deep": json.loads(b"[" * 30 + b"]" * 30),
    }
