"""What vLLM's OpenAI-compatible API said to the smoke checks, as answers (pure after the HTTP).

Shapes from vLLM's own source, ``vllm/entrypoints/openai/protocol.py`` (vllm-project/vllm at
ec3b890c14b00f6670515d9df8d503b5270e95ca): ``GET /v1/models`` returns ``ModelList``
(``{"object": "list", "data": [ModelCard{"id", "object": "model", "owned_by": "vllm", "root",
"max_model_len", ...}]}``); ``POST /v1/chat/completions`` takes ``response_format`` as
``ResponseFormat{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`` and returns
``ChatCompletionResponse{"choices": [{"message": {"role", "content"}, "finish_reason"}], ...}``.
A transport failure is an ``error`` answer; an answer that is wrong breaches its check with the
cause in the series labels.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_gate import Answer, DataState, HttpResponse, SeriesValue, schema_violations

MODELS_PATH = "/v1/models"
CHAT_PATH = "/v1/chat/completions"
HTTP_OK = 200
LISTED = 1.0
MISSING = 0.0
HELD = 0.0
VIOLATED = 1.0
EXCERPT_CHARS = 200
SOURCE = "serving"
SCHEMA_NAME = "gate_smoke"


def chat_request(
    model: str, prompt: str, max_tokens: int, schema: dict[str, Any]
) -> dict[str, Any]:
    """One chat completion asking for JSON that follows ``schema`` (structured output)."""
    return {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": 0,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": schema, "strict": True},
        },
    }


def transport_failure(what: str, cause: str) -> Answer:
    """The API could not be reached (or the deadline passed): an error, never a pass."""
    return Answer(
        query_text=what, state=DataState.ERROR, message=f"{cause} ({what})", source=SOURCE
    )


def _excerpt(body: bytes) -> str:
    return " ".join(body.decode("utf-8", "replace").split())[:EXCERPT_CHARS]


def _json(response: HttpResponse) -> tuple[Any, str]:
    """The decoded body, or ``(None, problem)`` for a non-200 or a body that is not JSON."""
    if response.status != HTTP_OK:
        return None, f"HTTP {response.status}: {_excerpt(response.body)}"
    try:
        return json.loads(response.body), ""
    except (ValueError, RecursionError) as exc:
        return None, f"not JSON ({exc})"


def models_listed(what: str, response: HttpResponse, models: tuple[str, ...]) -> Answer:
    """1 for every configured model that ``/v1/models`` lists, 0 (with the cause) otherwise."""
    body, problem = _json(response)
    listed: set[str] = set()
    if body is not None:
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, list):
            listed = {str(card.get("id")) for card in data if isinstance(card, dict)}
        else:
            problem = "no data list in the ModelList"
    series = []
    for model in models:
        labels: tuple[tuple[str, str], ...] = (("model", model),)
        if model not in listed:
            labels = (*labels, ("problem", problem or f"not among {sorted(listed)}"))
        series.append(SeriesValue(labels, LISTED if model in listed else MISSING))
    return Answer(query_text=what, state=DataState.OK, series=tuple(series), source=SOURCE)


def content_follows_schema(what: str, response: HttpResponse, schema: dict[str, Any]) -> Answer:
    """0 when the reply's message content is JSON that follows ``schema``; 1 per problem."""
    body, problem = _json(response)
    problems = [problem] if problem else []
    if body is not None:
        problems = _content_problems(body, schema)
    series = tuple(
        SeriesValue((("check", "response_format"), ("problem", p)), VIOLATED) for p in problems
    ) or (SeriesValue((("check", "response_format"),), HELD),)
    return Answer(query_text=what, state=DataState.OK, series=series, source=SOURCE)


def _content_problems(body: Any, schema: dict[str, Any]) -> list[str]:
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return ["no choices[0].message.content in the ChatCompletionResponse"]
    if not isinstance(content, str):
        return [f"choices[0].message.content is {type(content).__name__}, not a string"]
    try:
        value = json.loads(content)
    except (ValueError, RecursionError) as exc:
        return [f"content is not JSON ({exc}): {content[:EXCERPT_CHARS]}"]
    return schema_violations(value, schema)
