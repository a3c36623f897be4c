"""Which models the serving stack has loaded, from its ``llm_model_loaded`` gauge on /metrics.

The scrape goes through the gate's own HTTP client (:mod:`pytest_gate.sources.http`) with one
deadline for the whole exchange, so a serving stack that hangs or drips its body cannot stall
``gate-vram``.
"""

from __future__ import annotations

from pytest_gate.core.deadline import Deadline, DeadlineExceeded
from pytest_gate.sources.base import SourceConfigError
from pytest_gate.sources.exposition import read_exposition
from pytest_gate.sources.http import HttpClient, TransportError

LOADED_METRIC = "llm_model_loaded"
TIMEOUT_SECONDS = 5.0
HTTP_OK = 200
OPTION = "--loaded-from"
CANNOT_READ = (
    "cannot read loaded models from {url}: {cause}; check the URL, or name loaded models with "
    "--loaded"
)


class ResidentError(RuntimeError):
    """The serving metrics could not be read; the message names the URL, cause and fix."""


def loaded_models(metrics_text: str) -> set[str]:
    """Return the ``model`` label of every ``llm_model_loaded`` sample equal to 1."""
    samples, families = read_exposition(metrics_text)
    if LOADED_METRIC not in families:
        raise ResidentError(
            f"the metrics have no {LOADED_METRIC} gauge; point --loaded-from at the serving "
            "stack's /metrics, or name loaded models with --loaded"
        )
    return {
        value
        for s in samples
        if s.name == LOADED_METRIC and s.value == 1
        for label, value in s.labels
        if label == "model"
    }


def fetch_loaded_models(url: str, timeout_seconds: float = TIMEOUT_SECONDS) -> set[str]:
    """Scrape ``url`` (the serving stack's /metrics) and return the loaded models."""
    try:
        client = HttpClient.plain(url, OPTION)
    except SourceConfigError as error:
        raise ResidentError(CANNOT_READ.format(url=url, cause=error)) from error
    try:
        response = client.get("", Deadline(timeout_seconds), {})
    except (TransportError, DeadlineExceeded) as error:
        raise ResidentError(CANNOT_READ.format(url=url, cause=error)) from error
    finally:
        client.close()
    if response.status != HTTP_OK:
        cause = f"HTTP {response.status} {response.reason}"
        raise ResidentError(CANNOT_READ.format(url=url, cause=cause))
    try:
        return loaded_models(response.body.decode("utf-8", errors="replace"))
    except ValueError as error:
        raise ResidentError(f"{url} is not Prometheus text: {error}") from error
