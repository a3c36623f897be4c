"""Generated garbage as Prometheus answers and scrape bodies: a ResultError or a ValueError with a
message, never another exception (the source turns those into a check's error)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_gate.sources.exposition import parse
from pytest_gate.sources.http import HttpResponse
from pytest_gate.sources.promresult import ResultError, decode, matrix, vector

LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["success", "error", "vector", "matrix", "scalar", "NaN", "+Inf", "1e400"])
)
JSON = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "status",
                    "data",
                    "resultType",
                    "result",
                    "metric",
                    "value",
                    "values",
                    "warnings",
                    "infos",
                    "error",
                    "errorType",
                    "job",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=16,
)
EXPOSITION = st.sampled_from(
    [
        "# TYPE ",
        "# HELP ",
        "up",
        " gauge",
        " counter",
        " histogram",
        "{",
        "}",
        'a="',
        '"',
        ",",
        " 1",
        " NaN",
        " +Inf",
        "\n",
        "_bucket",
        "le=",
        "\\",
        " 1e400",
        " x",
        "# EOF\n",
        "_count",
    ]
)


def answer(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(status, "OK", "application/json", body)


def read_all(body: bytes, status: int = 200) -> None:
    """What the Prometheus source does with a response: decode, then read it as each shape."""
    data = decode(answer(body, status), ("vector", "matrix", "scalar"))
    (vector if data.result_type != "matrix" else matrix)(data)


@settings(max_examples=200, deadline=None)
@given(JSON, st.sampled_from([200, 400, 422, 500, 503]))
def test_any_json_answer_is_read_or_a_result_error(body: object, status: int) -> None:
    """Generated JSON in place of a Prometheus answer."""
    try:
        read_all(json.dumps(body).encode(), status)
    except ResultError as exc:
        assert str(exc)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000 + b"]" * 5000,
        b'{"status": "success", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b"\xff\xfe",
        b"",
        b'{"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, '
        b'"value": [1, "1e400"], "x": ' + b"[" * 3000 + b"]" * 3000 + b"}]}}",
    ],
    ids=["nested-5000", "nested-data", "not-utf8", "empty", "nested-inside-a-series"],
)
def test_hostile_answers_are_result_errors(body: bytes) -> None:
    """Deep nesting (a RecursionError inside json) and undecodable bytes are ResultErrors."""
    with pytest.raises(ResultError):
        read_all(body)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.lists(EXPOSITION, max_size=20).map("".join), st.text(max_size=80)),
    st.sampled_from(["text/plain; version=0.0.4", "application/openmetrics-text; version=1.0.0"]),
)
def test_any_scrape_body_parses_or_is_a_value_error(text: str, content_type: str) -> None:
    """Generated exposition text: samples, or the ValueError the scrape source reports."""
    try:
        samples = parse(text, content_type)
    except ValueError as exc:
        assert str(exc) is not None
        return
    assert isinstance(samples, list)
