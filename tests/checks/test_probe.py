"""The smoke probes: one real HTTP exchange each, turned into answers the checks compare."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from gate_checks.probe import (
    HELD,
    RESPONSE_FIELD,
    VIOLATED,
    brief_fields,
    health,
    models_loaded,
    names_exposed,
)
from pytest_gate.core.deadline import Deadline
from pytest_gate.core.query import DataState
from pytest_gate.sources.service import Fetched, ServiceClient
from tests.checks.serving_stub import MODELS, VALID_BRIEF, exposition, serving_stub
from tests.sources.conftest import FaultServer, _serve
from tests.support.prometheus_server import free_port

HEALTH = "http://svc/health"


@pytest.fixture(scope="module")
def stub() -> Iterator[str]:
    with serving_stub() as url:
        yield url


def fetched(status: int, body: str | bytes, method: str = "GET") -> Fetched:
    text = body.decode() if isinstance(body, bytes) else body
    return Fetched(method, HEALTH, status, text)


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultServer]:
    yield from _serve(FaultServer())


def client(url: str, deadline_seconds: float = 20.0) -> ServiceClient:
    return ServiceClient(url, Deadline(deadline_seconds))


def test_fetch_reads_status_and_body_from_a_live_server(stub: str) -> None:
    """GET against a real loopback server returns its status and body."""
    result = client(stub).get("/broken/health", 5.0)
    assert (result.status, json.loads(result.body), result.error) == (
        503,
        {"status": "degraded"},
        "",
    )


def test_fetch_posts_json(stub: str) -> None:
    """POST sends the payload as JSON and reads the answer."""
    result = client(stub).post_json("/healthy/v1/brief", {"text": "citrus", "mode": "fast"}, 5.0)
    assert json.loads(result.body)["brief"] == VALID_BRIEF


def test_fetch_reports_a_refused_connection_as_an_error() -> None:
    """Nothing listening gives an error string, not an exception."""
    result = client(f"http://127.0.0.1:{free_port()}").get("/health", 5.0)
    assert (result.status, result.error) == (None, "connection refused")


def test_fetch_of_a_bad_url_is_an_error_naming_the_option() -> None:
    """A --serving-url that is not an http(s) URL is an error answer, not an exception."""
    result = client("ftp://svc").get("/health", 5.0)
    assert result.status is None
    assert "--serving-url" in result.error


@pytest.mark.parametrize("behaviour", ["hang", "drip"])
def test_a_hanging_or_dripping_service_is_cut_off_by_the_gate_deadline(
    faults: FaultServer, behaviour: str
) -> None:
    """A service that never finishes its answer costs at most --gate-deadline, not the 30 s cap."""
    started = time.monotonic()
    result = client(faults.url, deadline_seconds=0.5).get(f"/{behaviour}/x", 30.0)
    assert time.monotonic() - started < 3.0
    assert result.status is None
    assert "--gate-deadline" in result.error


def test_the_per_request_cap_is_named_when_it_ends_a_request(faults: FaultServer) -> None:
    """Inside a long deadline, [smoke] timeout_seconds ends a hung request and is named."""
    result = client(faults.url, deadline_seconds=20.0).get("/hang/y", 0.3)
    assert "timeout_seconds" in result.error


def test_after_the_deadline_no_request_is_sent(faults: FaultServer) -> None:
    """Once the gate's deadline has passed, the service is not asked at all."""
    before = faults.hits["ok/z"]
    gone = ServiceClient(faults.url, Deadline(0.01, started=time.monotonic() - 1))
    result = gone.get("/ok/z", 5.0)
    assert "--gate-deadline" in result.error
    assert faults.hits["ok/z"] == before == 0


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
