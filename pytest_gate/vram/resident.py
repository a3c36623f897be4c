"""Which models the serving stack has loaded, from its ``llm_model_loaded`` gauge on /metrics."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

LOADED_METRIC = "llm_model_loaded"
TIMEOUT_SECONDS = 5.0


class ResidentError(RuntimeError):
    """The serving metrics could not be read; the message names the URL, cause and fix."""


def loaded_models(metrics_text: str) -> set[str]:
    """Return the ``model`` label of every ``llm_model_loaded`` sample equal to 1."""
    loaded: set[str] = set()
    found = False
    for family in text_string_to_metric_families(metrics_text):
        if family.name != LOADED_METRIC:
            continue
        found = True
        loaded.update(
            s.labels["model"] for s in family.samples if s.value == 1 and "model" in s.labels
        )
    if not found:
        raise ResidentError(
            f"the metrics have no {LOADED_METRIC} gauge; point --loaded-from at the serving "
            "stack's /metrics, or name loaded models with --loaded"
        )
    return loaded


def fetch_loaded_models(url: str) -> set[str]:
    """Scrape ``url`` (the serving stack's /metrics) and return the loaded models."""
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
    except requests.RequestException as error:
        raise ResidentError(
            f"cannot read loaded models from {url}: {error}; check the URL, or name loaded "
            "models with --loaded"
        ) from error
    try:
        return loaded_models(response.text)
    except ValueError as error:
        raise ResidentError(f"{url} is not Prometheus text: {error}") from error
