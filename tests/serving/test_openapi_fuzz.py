"""Schemathesis against the live server's OpenAPI schema: no 5xx, responses match the schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from serving.config import Settings
from serving.models import ModelRegistry
from tests.serving.live_server import TOKEN, LiveServer, serve

MAX_EXAMPLES = 6
OPERATIONS = [
    ("POST", "/v1/brief"),
    ("GET", "/health"),
    ("GET", "/livez"),
    ("POST", "/admin/model/unload"),
    ("POST", "/admin/model/load"),
    ("POST", "/admin/mode/set"),
    ("GET", "/admin/cache/stats"),
    ("GET", "/admin/cache/config"),
    ("POST", "/admin/cache/ttl"),
    ("DELETE", "/admin/cache"),
    ("GET", "/admin/downshift/stats"),
]


DOCUMENTED_STATUSES = {
    ("POST", "/v1/brief"): {200, 408, 413, 422, 502, 503},
    ("GET", "/health"): {200, 503},
    ("GET", "/livez"): {200},
    ("POST", "/admin/model/unload"): {200, 401, 403, 404, 408, 413, 422},
    ("POST", "/admin/model/load"): {200, 401, 403, 404, 408, 409, 413, 422, 500},
    ("POST", "/admin/mode/set"): {200, 401, 403, 408, 413, 422},
    ("GET", "/admin/cache/stats"): {200, 401, 403},
    ("GET", "/admin/cache/config"): {200, 401, 403},
    ("POST", "/admin/cache/ttl"): {200, 401, 403, 408, 413, 422},
    ("DELETE", "/admin/cache"): {200, 401, 403, 422},
    ("GET", "/admin/downshift/stats"): {200, 401, 403},
}
"""Every status each operation answers with (the tests of each status are next to its feature)."""


@pytest.fixture(scope="module")
def fuzzed_server(tiny_registry: ModelRegistry) -> Iterator[LiveServer]:
    """A server of its own (fuzzed admin calls change its state); long texts are clipped."""
    fuzz_settings = Settings(admin_token=TOKEN, device="cpu", max_prompt_tokens=256)
    with serve(fuzz_settings, tiny_registry) as live:
        yield live


@pytest.fixture(scope="module")
def api_schema(fuzzed_server: LiveServer) -> Any:
    """The OpenAPI schema, as the live server publishes it."""
    return schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json")


def test_schema_lists_every_operation(api_schema: Any) -> None:
    """The fuzzed operations are exactly those the server documents."""
    documented = {
        (result.ok().method.upper(), result.ok().path) for result in api_schema.get_all_operations()
    }
    assert documented == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_documents_every_status_it_answers(
    fuzzed_server: LiveServer, method: str, path: str
) -> None:
    """The OpenAPI document lists each status the operation can answer, no more, no fewer."""
    document = fuzzed_server.client.get("/openapi.json").json()
    responses = document["paths"][path][method.lower()]["responses"]
    assert {int(status) for status in responses} == DOCUMENTED_STATUSES[(method, path)]


def test_brief_503_documents_a_required_retry_after(fuzzed_server: LiveServer) -> None:
    """Every 503 of /v1/brief carries Retry-After, and the document says so."""
    document = fuzzed_server.client.get("/openapi.json").json()
    unavailable = document["paths"]["/v1/brief"]["post"]["responses"]["503"]
    assert unavailable["headers"]["Retry-After"]["required"] is True


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms_to_its_schema(api_schema: Any, method: str, path: str) -> None:
    """Generated requests never get a 5xx, and every response matches the documented schema."""
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"})

    check()
