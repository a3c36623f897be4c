"""Request and response bodies of the HTTP API (they make the OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from serving.brief import Brief
from serving.cache import MAX_TTL_SECONDS, MIN_TTL_SECONDS

MAX_TEXT_CHARS = 2000
Mode = Literal["creative", "balanced", "fast"]
VISIBLE_CHARACTER = r"[^\s\x00-\x1f\x7f-\x9f]"
"""A text needs one character that is neither whitespace nor a C0/C1 control (NUL, ESC, DEL...)."""


class BriefRequest(BaseModel):
    """``POST /v1/brief``: the user's request text and, optionally, the mode."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        pattern=VISIBLE_CHARACTER,
        description=(
            f"The request, 1-{MAX_TEXT_CHARS} characters, not only whitespace and control "
            "characters."
        ),
    )
    mode: Mode | None = Field(default=None, description="Omitted: the server's default mode.")


class BriefResponse(BaseModel):
    """A schema-valid brief and how it was made."""

    brief: Brief
    mode: Mode = Field(description="The mode the request asked for (or the default).")
    served_mode: Mode = Field(description="The mode whose model wrote it (differs on downshift).")
    model: str
    revision: str
    cached: bool
    repaired: bool = Field(description="True when the repair model fixed an invalid first draft.")
    latency_seconds: float


class ErrorResponse(BaseModel):
    """Every error but request validation: a stable code and a message that says what to do."""

    error: str
    detail: str
    gpus: list[dict[str, Any]] | None = None


class ModelRequest(BaseModel):
    """Admin: a model by its registry name."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=200)


class ModelStatus(BaseModel):
    """One model's state."""

    model: str
    mode: Mode
    status: Literal["loaded", "unloaded", "loading", "refused", "failed"]
    reason: str | None
    checkpoint: str
    revision: str
    repair: bool
    device: str | None
    gpu: str | None
    vram_bytes: int


class HealthResponse(BaseModel):
    """Readiness: ``ok`` (200) only when every registry model is loaded."""

    status: Literal["ok", "unavailable"]
    missing: list[str]
    models: dict[str, ModelStatus]
    admission: dict[str, Any]
    default_mode: Mode
    faults: dict[str, Any]
    pool: dict[str, int]


class ModeSetRequest(BaseModel):
    """Admin: the mode used when a request names none."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode


class ModeSetResponse(BaseModel):
    """The new and previous default modes."""

    default_mode: Mode
    previous: Mode


class CacheTtlRequest(BaseModel):
    """Admin: a new TTL for one mode's cache entries."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode
    ttl_seconds: float = Field(
        strict=True,
        allow_inf_nan=False,
        ge=MIN_TTL_SECONDS,
        le=MAX_TTL_SECONDS,
        description=(
            f"Seconds, a JSON number from {MIN_TTL_SECONDS:g} to {MAX_TTL_SECONDS:g} "
            "(not a string, not a boolean)."
        ),
    )


class CacheConfig(BaseModel):
    """TTL per mode and capacity per mode."""

    ttl_seconds: dict[str, float]
    max_entries_per_mode: int


class CacheModeStats(BaseModel):
    """One mode's cache counters."""

    size: int
    hits: int
    misses: int
    hit_ratio: float | None
    expired: int
    evicted: int


class CacheCleared(BaseModel):
    """How many entries a flush dropped."""

    cleared: int
    mode: Mode | None
