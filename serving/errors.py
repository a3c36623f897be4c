"""Errors the HTTP API answers with a stable ``error`` code, a status and a helpful ``detail``.

:class:`ApiError` is a Starlette ``HTTPException``, so one raised while FastAPI reads a request body
(the body bounds raise from ``receive``) reaches the app's handlers instead of becoming FastAPI's
undocumented "There was an error parsing the body" 400.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from serving.schemas import ErrorResponse

MAX_VALIDATION_ERRORS = 10
"""A 422 lists at most this many problems: enough to fix a request, never an echo of a big one."""

MAX_ECHO_CHARS = 64
"""Longest piece of client input (a field name, a parser message) a 422 repeats."""

MAX_MESSAGE_CHARS = 300
"""Longest validation message a 422 carries."""


class ApiError(HTTPException):
    """An error response: ``status``, stable ``error`` code, ``detail`` naming problem and fix."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: str,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(status, detail, dict(headers or {}))
        self.status = status
        self.error = error
        self.extra = extra

    def response(self) -> JSONResponse:
        """The JSON response for this error."""
        body = {"error": self.error, "detail": self.detail, **self.extra}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying (SERVING_RETRY_AFTER_SECONDS).",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}
ERROR_DESCRIPTIONS = {
    401: "No bearer token.",
    403: "Wrong token, or admin disabled (no SERVING_ADMIN_TOKEN).",
    404: "Unknown model.",
    408: "The body was not complete SERVING_BODY_TIMEOUT_SECONDS after the head.",
    409: "Load refused: VRAM admission or a checksum pin.",
    413: "The body is over 64 KiB (chunked or not).",
    500: "The model failed to load.",
    502: "The brief was invalid even after the repair model.",
    503: "Retry later: no loaded model, queue full, or shutting down.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting ``ErrorResponse`` for ``statuses``.

    A 503 always carries ``Retry-After``, and the documentation says so (schemathesis checks it).
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorResponse, "description": ERROR_DESCRIPTIONS[status]}
        if status == 503:
            entry["headers"] = RETRY_AFTER_HEADER
        responses[status] = entry
    return responses


def safe_text(value: object, max_chars: int = MAX_ECHO_CHARS) -> str:
    """``value`` as short text that always encodes: lone surrogates escaped, cut at ``max_chars``."""
    text = str(value).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= max_chars else text[: max_chars - 3] + "..."


def validation_details(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """FastAPI's 422 ``detail`` list without the client's input: type, loc and msg, bounded.

    FastAPI's own handler repeats every rejected ``input`` (a whole 60 KB text, a NaN it cannot
    encode, a key with a lone surrogate), which made hostile bodies into 500s and huge answers.
    """
    details = []
    for error in errors[:MAX_VALIDATION_ERRORS]:
        loc = [part if isinstance(part, int) else safe_text(part) for part in error["loc"]]
        msg = safe_text(error["msg"], MAX_MESSAGE_CHARS)
        reason = (error.get("ctx") or {}).get("error")
        if error["type"] == "json_invalid" and reason is not None:
            msg = f"{msg}: {safe_text(reason)}"
        details.append({"type": str(error["type"]), "loc": loc, "msg": msg})
    return details
