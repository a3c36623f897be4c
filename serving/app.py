"""The FastAPI app: ``create_app(settings, registry, backend)`` wires the parts; routes stay thin.

Models load in the lifespan, in the background, so ``/livez`` answers at once and ``/health`` says
503 until every model is loaded. Shutdown waits for in-flight inference, then unloads the models.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from serving.admin import admin_router
from serving.config import Settings
from serving.errors import ApiError, error_responses, validation_details
from serving.json_route import StrictJsonRoute
from serving.metrics import render
from serving.middleware import RequestMetrics
from serving.models import ModelLoader, ModelRegistry
from serving.pool import QueueFull
from serving.request_body import BoundedBody
from serving.schemas import BriefRequest, BriefResponse, HealthResponse
from serving.service import BriefFailed, NoModelAvailable
from serving.shutdown import CancelledAtShutdown
from serving.state import ServingState, build_state, serving_state

logger = logging.getLogger(__name__)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state: ServingState = app.state.serving
    state.load_job = state.loads.submit(state.manager.load_all)
    yield
    await asyncio.to_thread(state.pool.shutdown)
    await state.in_load_thread(state.manager.unload_all)
    state.loads.shutdown(wait=True)
    logger.info("serving stopped")


def create_app(
    settings: Settings, registry: ModelRegistry, backend: ModelLoader, **parts: Any
) -> FastAPI:
    """Build the app; ``parts`` go to :func:`build_state` (gpu_reader, cuda_available, clock)."""
    app = FastAPI(
        title="pytest-gate serving",
        version="0.1.0",
        description="Fragrance briefs from three LLMs, with the metrics the deployment gate reads.",
        lifespan=_lifespan,
    )
    state = build_state(settings, registry, backend, **parts)
    app.state.serving = state
    routers = (_public_router(), admin_router())
    for router in routers:
        app.include_router(router)
    app.add_middleware(BoundedBody, timeout_seconds=settings.body_timeout_seconds)
    app.add_middleware(CancelledAtShutdown, retry_after_seconds=settings.retry_after_seconds)
    app.add_middleware(RequestMetrics, metrics=state.metrics)
    _install_error_handlers(app)
    state.metrics.init_routes(
        (method, route.path)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in sorted(route.methods or ())
    )
    return app


def _install_error_handlers(app: FastAPI) -> None:
    retry = {"Retry-After": str(app.state.serving.settings.retry_after_seconds)}

    async def api_error(request: Request, error: Exception) -> Response:
        if isinstance(error, ApiError):
            return error.response()
        if isinstance(error, QueueFull):
            return ApiError(503, "queue_full", str(error), retry).response()
        if isinstance(error, NoModelAvailable):
            return ApiError(503, "no_model", str(error), retry).response()
        if isinstance(error, BriefFailed):
            return ApiError(502, "brief_invalid", str(error)).response()
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return ApiError(
            500, "internal", f"internal error ({type(error).__name__}); see the server log"
        ).response()

    async def invalid_request(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        return JSONResponse({"detail": validation_details(error.errors())}, status_code=422)

    for kind in (ApiError, QueueFull, NoModelAvailable, BriefFailed, Exception):
        app.add_exception_handler(kind, api_error)
    app.add_exception_handler(RequestValidationError, invalid_request)


State = Annotated[ServingState, Depends(serving_state)]


def _public_router() -> APIRouter:
    router = APIRouter(route_class=StrictJsonRoute)

    @router.post(
        "/v1/brief",
        response_model=BriefResponse,
        responses=error_responses(502, 503),
        summary="Write a schema-valid brief for a request",
    )
    async def brief(body: BriefRequest, state: State) -> Any:
        return dataclasses.asdict(await state.service.brief(body.text, body.mode))

    @router.get(
        "/health",
        response_model=HealthResponse,
        responses={503: {"model": HealthResponse, "description": "A model is not loaded"}},
        summary="Readiness: 200 only when every model is loaded",
    )
    async def health(state: State) -> Any:
        models = state.manager.describe_all()
        missing = [name for name, info in models.items() if info["status"] != "loaded"]
        body = HealthResponse.model_validate(
            {
                "status": "unavailable" if missing else "ok",
                "missing": missing,
                "models": models,
                "admission": state.admission.status(),
                "default_mode": state.service.default_mode,
                "faults": state.settings.faults,
                "pool": state.pool.stats(),
            }
        )
        return JSONResponse(body.model_dump(mode="json"), status_code=503 if missing else 200)

    @router.get("/livez", summary="Liveness: 200 while the server answers")
    async def livez() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/metrics", include_in_schema=False)
    async def metrics(state: State) -> Response:
        return Response(render(state.prometheus), media_type=CONTENT_TYPE_LATEST)

    return router
