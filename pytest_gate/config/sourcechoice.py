"""Which metric source a run uses: the one-source rule and the GPU source choices, once.

Both the option resolution (a usage error) and the snapshot (for callers that build its settings
themselves) apply these rules, with the same messages.
"""

from __future__ import annotations

from pathlib import Path

GPU_SOURCES = ("auto", "nvml", "prometheus", "none")
BAD_GPU_SOURCE = "--gpu-source {value!r} is not one of {choices}; pick one of them"
TWO_SOURCES = (
    "several metric sources given ({names}); pass only one of --prometheus-url, --metrics-url, "
    "--gate-replay"
)
NO_SOURCE = (
    "no metric source is given; pass --prometheus-url URL (or set GATE_PROMETHEUS_URL), "
    "--metrics-url URL or --gate-replay FILE"
)


def chosen_sources(
    prometheus_url: str | None, metrics_urls: tuple[str, ...], replay: Path | str | None
) -> list[str]:
    """The metric-source options given, by flag."""
    given = (
        ("--prometheus-url", prometheus_url),
        ("--metrics-url", metrics_urls),
        ("--gate-replay", replay),
    )
    return [flag for flag, value in given if value]


def too_many_sources(chosen: list[str]) -> str | None:
    """The problem with giving several metric sources, or ``None``."""
    return TWO_SOURCES.format(names=", ".join(chosen)) if len(chosen) > 1 else None


def gpu_source_problem(value: str) -> str | None:
    """The problem with a ``--gpu-source`` value, or ``None``."""
    if value in GPU_SOURCES:
        return None
    return BAD_GPU_SOURCE.format(value=value, choices=", ".join(GPU_SOURCES))
