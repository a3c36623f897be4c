"""Answers derived from answers (pure): a scaled ratio, required series, the exported name.

Every function keeps a failed answer failed, so missing data still fails closed in the observer.
"""

from __future__ import annotations

import dataclasses

from pytest_gate import Answer, DataState, MetricSnapshot, Selector, VllmConfig

from .queries import exported, histogram_exported


def scaled(answer: Answer, factor: float) -> Answer:
    """Every series' value times ``factor`` (``samples`` unchanged); a failed answer as is."""
    checked = answer.checked()
    if checked.state is not DataState.OK:
        return checked
    series = tuple(dataclasses.replace(s, value=s.value * factor) for s in checked.series)
    return dataclasses.replace(checked, series=series)


def requiring(answer: Answer, label: str, values: tuple[str, ...]) -> Answer:
    """The answer, or no_data naming every required ``label`` value that has no series."""
    checked = answer.checked()
    if checked.state is not DataState.OK:
        return checked
    present = {s.label_map.get(label) for s in checked.series}
    absent = [v for v in values if v not in present]
    if not absent:
        return checked
    return checked.with_state(DataState.NO_DATA, f"no series for {label} {', '.join(absent)}")


def first_exported(
    metrics: MetricSnapshot, config: VllmConfig, names: tuple[str, ...], *, histogram: bool
) -> tuple[str, Answer]:
    """The first of ``names`` the engine exports, and its presence answer.

    vLLM renamed series across versions (``time_per_output_token_seconds`` became
    ``inter_token_latency_seconds``, ``gpu_cache_usage_perc`` became ``kv_cache_usage_perc``);
    ``[metrics]`` lists the names in order of preference. When none is exported, the first name
    and its presence (a count of 0) come back, so the check ends not_applicable naming it.
    """
    answers = []
    for name in names:
        query = histogram_exported(config, name) if histogram else exported(config, Selector(name))
        presence = metrics.ask(query)
        checked = presence.checked()
        if checked.state is not DataState.OK or any(s.value > 0 for s in checked.series):
            return name, presence
        answers.append((name, presence))
    return answers[0]
