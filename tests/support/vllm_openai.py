"""A loopback server shaped on vLLM's OpenAI-compatible API server, for the vllm profile's smoke
checks (vLLM itself needs a GPU and cannot run here).

Request and response shapes are vLLM's, from ``vllm/entrypoints/openai/protocol.py``
(vllm-project/vllm at ec3b890c14b00f6670515d9df8d503b5270e95ca): ``ModelList``/``ModelCard``
for ``GET /v1/models``; ``ChatCompletionRequest`` with ``response_format`` a ``ResponseFormat``
(``type`` "text" | "json_object" | "json_schema", ``json_schema`` a ``JsonSchemaResponseFormat``
with ``name``, ``schema``, ``strict``); ``ChatCompletionResponse`` (``id`` "chatcmpl-...",
``object`` "chat.completion", ``choices[].message{role, content}``, ``finish_reason``,
``usage``); errors as ``ErrorResponse{"error": {message, type, param, code}}`` (404 for an
unknown model). The reply's content is what the test says: JSON that follows the requested
schema, JSON that breaks it, or text that is not JSON.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FOLLOWS = "follows"
BREAKS = "breaks"
NOT_JSON = "not-json"
SAMPLES = {"string": "red", "number": 0.9, "integer": 1, "boolean": True}


@dataclass
class Behaviour:
    """What the server does: which models it lists, what content it returns, how slowly."""

    models: tuple[str, ...]
    content: str = FOLLOWS
    delay_seconds: float = 0.0
    chat_status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)


def instance_of(schema: dict[str, Any]) -> dict[str, Any]:
    """A value of an object schema: every property with a sample of its type."""
    properties = schema.get("properties", {})
    return {k: SAMPLES.get(str(v.get("type")), "x") for k, v in properties.items()}


class VllmOpenAI(ThreadingHTTPServer):
    """The server; :attr:`behaviour` may be changed between requests."""

    daemon_threads = True

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    @classmethod
    @contextmanager
    def serving(cls, behaviour: Behaviour) -> Iterator[VllmOpenAI]:
        """Serve in a thread; stop on exit."""
        server = cls(behaviour)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server
        finally:
            server.shutdown()
            server.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: VllmOpenAI

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, kind: str) -> None:
        self._send(
            status, {"error": {"message": message, "type": kind, "param": None, "code": status}}
        )

    def do_GET(self) -> None:
        if self.path != "/v1/models":
            self._error(404, "Not Found", "NotFoundError")
            return
        now = int(time.time())
        cards = [
            {
                "id": m,
                "object": "model",
                "created": now,
                "owned_by": "vllm",
                "root": m,
                "parent": None,
                "max_model_len": 8192,
                "permission": [],
            }
            for m in self.server.behaviour.models
        ]
        self._send(200, {"object": "list", "data": cards})

    def do_POST(self) -> None:
        behaviour = self.server.behaviour
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        behaviour.received.append(request)
        if self.path != "/v1/chat/completions":
            self._error(404, "Not Found", "NotFoundError")
            return
        if request.get("model") not in behaviour.models:
            self._error(404, f"The model `{request.get('model')}` does not exist.", "NotFoundError")
            return
        time.sleep(behaviour.delay_seconds)
        if behaviour.chat_status != 200:
            self._error(
                behaviour.chat_status, "EngineCore encountered an issue.", "InternalServerError"
            )
            return
        fmt = request.get("response_format") or {}
        schema = (fmt.get("json_schema") or {}).get("schema") or {}
        value = instance_of(schema)
        if behaviour.content == BREAKS:
            value.pop(next(iter(value)), None)
        content = "Sure! Red." if behaviour.content == NOT_JSON else json.dumps(value)
        self._send(
            200,
            {
                "id": "chatcmpl-0123456789abcdef",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "tool_calls": []},
                        "logprobs": None,
                        "finish_reason": "stop",
                        "stop_reason": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": 20,
                    "total_tokens": 32,
                    "completion_tokens": 12,
                    "prompt_tokens_details": None,
                },
            },
        )
