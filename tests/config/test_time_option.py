"""--gate-time parsing: unix seconds or RFC 3339 with a zone."""

from __future__ import annotations

import pytest

from pytest_gate.config.options import BAD_TIME, OptionError, parse_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1790000000", 1790000000.0),
        ("2026-09-21T14:13:20Z", 1790000000.0),
        ("2026-09-21T16:13:20+02:00", 1790000000.0),
    ],
)
def test_parse_time_accepts_rfc3339_and_unix(text: str, expected: float) -> None:
    """--gate-time takes unix seconds or RFC 3339 with a zone."""
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2026-09-21T14:13:20", "-5", "nan"])
def test_parse_time_rejects_ambiguous_or_bad(text: str) -> None:
    """A time without a zone, or not a time, is refused with the fix."""
    with pytest.raises(OptionError) as info:
        parse_time(text)
    assert str(info.value) == BAD_TIME.format(value=text)
