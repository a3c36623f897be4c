"""Errors the HTTP API answers with a stable ``error`` code, a status and a helpful ``detail``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

from serving.schemas import ErrorResponse


class ApiError(Exception):
    """An error response: ``status``, stable ``error`` code, ``detail`` naming problem and fix."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: str,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra

    def response(self) -> JSONResponse:
        """The JSON response for this error."""
        body = {"error": self.error, "detail": self.detail, **self.extra}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting ``ErrorResponse`` for ``statuses``."""
    return {status: {"model": ErrorResponse} for status in statuses}
