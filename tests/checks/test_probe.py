"""The smoke probes: one real HTTP exchange each, turned into answers the checks compare."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from gate_checks.probe import (
    HELD,
    RESPONSE_FIELD,
    VIOLATED,
    Fetched,
    brief_fields,
    fetch,
    health,
    models_loaded,
    names_exposed,
)
from pytest_gate.core.query import DataState
from tests.checks.serving_stub import MODELS, VALID_BRIEF, exposition, serving_stub
from tests.support.prometheus_server import free_port

HEALTH = "http://svc/health"


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    with serving_stub() as url:
        yield url


def fetched(status: int, body: str | bytes, method: str = "GET") -> Fetched:
    text = body.decode() if isinstance(body, bytes) else body
    return Fetched(method, HEALTH, status, text)


def test_fetch_reads_status_and_body_from_a_live_server(stub: str) -> None:
    """GET against a real loopback server returns its status and body."""
    result = fetch("GET", stub + "/broken/health", 5.0)
    assert (result.status, json.loads(result.body), result.error) == (
        503,
        {"status": "degraded"},
        "",
    )


def test_fetch_posts_json(stub: str) -> None:
    """POST sends the payload as JSON and reads the answer."""
    result = fetch("POST", stub + "/healthy/v1/brief", 5.0, {"text": "citrus", "mode": "fast"})
    assert json.loads(result.body)["brief"] == VALID_BRIEF


def test_fetch_reports_a_refused_connection_as_an_error() -> None:
    """Nothing listening gives an error string, not an exception."""
    result = fetch("GET", f"http://127.0.0.1:{free_port()}/health", 5.0)
    assert (result.status, result.error.startswith("ConnectionError")) == (None, True)


def test_health_value_is_the_status_code() -> None:
    """200 and 503 become the values the check compares with 200."""
    assert health(fetched(200, "{}")).series[0].value == 200.0
    sick = health(fetched(503, '{"status": "degraded"}')).series[0]
    assert (sick.value, sick.label_map["body"]) == (503.0, '{"status": "degraded"}')


def test_health_without_an_answer_is_an_error() -> None:
    """A transport failure is an error answer naming the request."""
    answer = health(Fetched("GET", HEALTH, None, "", "ConnectTimeout: timed out"))
    assert (answer.state, answer.message) == (
        DataState.ERROR,
        f"no answer: ConnectTimeout: timed out (GET {HEALTH})",
    )


def test_models_loaded_reads_each_configured_model() -> None:
    """One series per configured model with its loaded gauge."""
    answer = models_loaded(fetched(200, exposition(broken=True)), "llm_model_loaded", MODELS)
    assert {s.label_map["model"]: s.value for s in answer.series} == {
        "qwen_32b": 0.0,
        "llama3_8b": 1.0,
        "mistral_7b": 1.0,
    }


def test_a_model_without_a_series_is_no_data() -> None:
    """A configured model the service does not report is no data, named."""
    answer = models_loaded(fetched(200, exposition(broken=False)), "llm_model_loaded", ("phi_3",))
    assert (answer.state, "model phi_3" in answer.message) == (DataState.NO_DATA, True)


def test_metrics_that_are_not_an_exposition_are_an_error() -> None:
    """A /metrics body the parser rejects is an error."""
    answer = models_loaded(fetched(200, "{not metrics"), "llm_model_loaded", MODELS)
    assert answer.state is DataState.ERROR


def test_metrics_http_error_is_an_error() -> None:
    """/metrics answering 500 is an error naming the status."""
    answer = names_exposed(fetched(500, "boom"), ("llm_brief_total",))
    assert (answer.state, "HTTP 500: boom" in answer.message) == (DataState.ERROR, True)


def test_names_exposed_marks_each_name_present_or_absent() -> None:
    """Counters, histograms and gauges count as exposed by their contract names."""
    names = ("http_requests_total", "llm_brief_latency_seconds", "cache_hits_total")
    answer = names_exposed(fetched(200, exposition(broken=True)), names)
    assert {s.label_map["name"]: s.value for s in answer.series} == {
        "http_requests_total": 1.0,
        "llm_brief_latency_seconds": 1.0,
        "cache_hits_total": 0.0,
    }


def test_brief_fields_hold_for_a_valid_brief() -> None:
    """Every field of a valid brief has the value 0 (held)."""
    answer = brief_fields(fetched(200, json.dumps({"brief": VALID_BRIEF}), "POST"))
    assert {s.value for s in answer.series} == {HELD}


def test_brief_violation_carries_field_and_problem_labels() -> None:
    """A broken field is 1 with the field and the problem as labels."""
    body = json.dumps({**VALID_BRIEF, "language": "fr"})
    (bad,) = [s for s in brief_fields(fetched(200, body, "POST")).series if s.value == VIOLATED]
    assert bad.label_map == {"field": "language", "problem": "'fr' is not one of ko, en"}


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [(502, "repair failed", "HTTP 502: repair failed"), (200, "<html>", "not JSON")],
)
def test_a_wrong_response_is_a_violation(status: int, body: str, problem: str) -> None:
    """An error status or a body that is not JSON fails the check (the service answered wrong)."""
    (series,) = brief_fields(fetched(status, body, "POST")).series
    assert series.label_map["field"] == RESPONSE_FIELD
    assert problem in series.label_map["problem"]
