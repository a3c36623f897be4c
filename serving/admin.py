"""Admin endpoints behind a bearer token (``SERVING_ADMIN_TOKEN``), compared in constant time.

With no token configured every admin endpoint answers 403 and says how to enable them: never open.
The token is checked by :class:`AdminRoute` before FastAPI reads the body, so a caller without the
token learns nothing about the body's validity (malformed JSON without a token is 401, not 422).
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from serving.admission import AdmissionRefused
from serving.errors import ApiError, error_responses
from serving.integrity import IntegrityError, LoadError
from serving.json_route import Handler, StrictJsonRoute
from serving.schemas import (
    CacheCleared,
    CacheConfig,
    CacheModeStats,
    CacheTtlRequest,
    Mode,
    ModelRequest,
    ModelStatus,
    ModeSetRequest,
    ModeSetResponse,
)
from serving.state import ServingState, serving_state

ADMIN_DISABLED = (
    "admin endpoints are disabled because SERVING_ADMIN_TOKEN is not set; set it to a long random "
    "secret and restart the server to enable them"
)
MISSING_TOKEN = (
    "missing bearer token; send the header `Authorization: Bearer <SERVING_ADMIN_TOKEN>`"
)
WRONG_TOKEN = "wrong admin token; use the value of SERVING_ADMIN_TOKEN"

_bearer = HTTPBearer(auto_error=False, description="The value of SERVING_ADMIN_TOKEN.")


def check_admin(request: Request) -> None:
    """Raise the 401/403 :class:`ApiError` unless ``request`` carries the configured admin token."""
    expected = request.app.state.serving.settings.admin_token
    if not expected:
        raise ApiError(403, "admin_disabled", ADMIN_DISABLED)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", MISSING_TOKEN, {"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(token.encode(), expected.encode()):
        raise ApiError(403, "forbidden", WRONG_TOKEN)


class AdminRoute(StrictJsonRoute):
    """A strict-JSON route that checks the admin token before anything reads the body."""

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, behind :func:`check_admin`."""
        handler = super().get_route_handler()

        async def admin_handler(request: Request) -> Response:
            check_admin(request)
            return await handler(request)

        return admin_handler


async def require_admin(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    state: Annotated[ServingState, Depends(serving_state)],
) -> ServingState:
    """Dependency: the state, after the admin token check (``_bearer`` documents the scheme)."""
    check_admin(request)
    return state


Admin = Annotated[ServingState, Depends(require_admin)]
"""Route parameter type: the serving state, after the admin token check."""


def _known_model(state: ServingState, name: str) -> str:
    """``name`` when the registry has it; else a 404 with the registry's message."""
    try:
        return state.registry.get(name).name
    except KeyError as error:
        raise ApiError(404, "unknown_model", error.args[0]) from None


def admin_router() -> APIRouter:
    """The ``/admin`` routes."""
    router = APIRouter(
        prefix="/admin",
        tags=["admin"],
        responses=error_responses(401, 403),
        route_class=AdminRoute,
    )

    @router.post("/model/unload", response_model=ModelStatus, responses=error_responses(404))
    async def unload_model(body: ModelRequest, state: Admin) -> Any:
        return await state.in_load_thread(state.manager.unload, _known_model(state, body.model))

    @router.post(
        "/model/load", response_model=ModelStatus, responses=error_responses(404, 409, 500)
    )
    async def load_model(body: ModelRequest, state: Admin) -> Any:
        name = _known_model(state, body.model)
        try:
            return await state.in_load_thread(state.manager.load, name)
        except AdmissionRefused as refusal:
            raise ApiError(409, "admission_refused", str(refusal), gpus=refusal.details) from None
        except IntegrityError as error:
            raise ApiError(409, "integrity", str(error)) from None
        except LoadError as error:
            raise ApiError(500, "load_failed", str(error)) from None

    @router.post("/mode/set", response_model=ModeSetResponse)
    async def set_mode(body: ModeSetRequest, state: Admin) -> Any:
        previous = state.service.set_default_mode(body.mode)
        return {"default_mode": body.mode, "previous": previous}

    @router.get("/cache/stats", response_model=dict[str, CacheModeStats])
    async def cache_stats(state: Admin) -> Any:
        return state.cache.stats()

    @router.get("/cache/config", response_model=CacheConfig)
    async def cache_config(state: Admin) -> Any:
        return state.cache.config()

    @router.post("/cache/ttl", response_model=CacheConfig)
    async def cache_ttl(body: CacheTtlRequest, state: Admin) -> Any:
        state.cache.set_ttl(body.mode, body.ttl_seconds)
        return state.cache.config()

    @router.delete("/cache", response_model=CacheCleared)
    async def cache_clear(state: Admin, mode: Mode | None = None) -> Any:
        return {"cleared": state.cache.clear(mode), "mode": mode}

    @router.get("/downshift/stats")
    async def downshift_stats(state: Admin) -> dict[str, Any]:
        return state.downshift.stats(state.manager.available_modes())

    return router
