"""Wiring of the vllm profile: the prefetch plan, smoke-check selection and the API calls.

- ``pytest_gate_plan`` lists every query the enabled checks ask (presence questions included), so
  they are fetched concurrently before the first check runs.
- Smoke checks (``@pytest.mark.smoke``) talk to vLLM's OpenAI-compatible API. They are deselected
  unless ``-m`` names ``smoke`` (``pytest DIR -m smoke --serving-url URL``).
- The smoke fixtures below do the HTTP through the gate's own client, within the gate's deadline;
  the checks only compare.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

from pytest_gate import (
    Answer,
    Deadline,
    DeadlineExceeded,
    GateConfig,
    GateDataError,
    HttpClient,
    Query,
    TransportError,
    VllmConfig,
)

from . import served
from .queries import plan

SMOKE = "smoke"
NOT_THIS_PROFILE = (
    '{path} is not a vllm profile config (its first line must be profile = "vllm"); run '
    "this directory with its own gate.toml, or pass --gate-config with a vllm profile file"
)


def pytest_gate_plan(gate_config: VllmConfig | GateConfig) -> Iterable[Query]:
    """Every query the profile's checks will ask (enabled checks only)."""
    return plan(gate_config) if isinstance(gate_config, VllmConfig) else []


@pytest.fixture(scope="session")
def gate_config(gate_config: VllmConfig | GateConfig) -> VllmConfig:
    """The plugin's gate config, which must be a vllm profile file (else every check errors,
    saying which file to pass)."""
    if not isinstance(gate_config, VllmConfig):
        raise GateDataError(NOT_THIS_PROFILE.format(path=gate_config.path))
    return gate_config


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the smoke checks unless ``-m`` asks for them by name."""
    expression = config.getoption("markexpr", "") or ""
    if SMOKE in expression:
        return
    left_out = [item for item in items if item.get_closest_marker(SMOKE) is not None]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item.get_closest_marker(SMOKE) is None]


@pytest.fixture(scope="session")
def openai_api(serving_url: str) -> Iterator[HttpClient]:
    """The gate's HTTP client for vLLM's OpenAI-compatible API (``--serving-url``)."""
    client = HttpClient.plain(serving_url, "--serving-url")
    yield client
    client.close()


@pytest.fixture(scope="session")
def served_models(
    openai_api: HttpClient, gate_deadline: Deadline, gate_config: VllmConfig
) -> Answer:
    """``GET /v1/models``: whether it lists every model of ``[deployment] models``."""
    what = f"GET {openai_api.url}{served.MODELS_PATH}"
    try:
        response = openai_api.get(served.MODELS_PATH, gate_deadline, {"Accept": "application/json"})
    except (TransportError, DeadlineExceeded) as exc:
        return served.transport_failure(what, str(exc))
    return served.models_listed(what, response, gate_config.deployment.models)


@pytest.fixture(scope="session")
def served_chat(openai_api: HttpClient, gate_deadline: Deadline, gate_config: VllmConfig) -> Answer:
    """One ``POST /v1/chat/completions`` with a JSON-schema ``response_format``, checked."""
    smoke = gate_config.smoke
    what = f"POST {openai_api.url}{served.CHAT_PATH} (model {smoke.chat_model})"
    payload = served.chat_request(smoke.chat_model, smoke.prompt, smoke.max_tokens, smoke.schema)
    try:
        response = openai_api.post_json(served.CHAT_PATH, payload, gate_deadline)
    except (TransportError, DeadlineExceeded) as exc:
        return served.transport_failure(what, str(exc))
    return served.content_follows_schema(what, response, smoke.schema)
