"""Label values are data, never PromQL: quoting survives every character, on a real Prometheus."""

from __future__ import annotations

import pytest

from pytest_gate.core.query import DataState, Gauge, Matcher, Selector
from pytest_gate.sources import promql
from tests.sources.conftest import SnapshotFactory
from tests.support.prometheus_server import PrometheusServer

FREE = Selector("nvidia_gpu_memory_free_bytes")
HOSTILE = ['"', "\\", "\n", '"} or vector(1) or x{a="', "a\r\tb\x00\x7f", 'gpu\\"} or up{x="']


@pytest.mark.parametrize("value", HOSTILE)
def test_a_label_value_stays_inside_its_string(value: str) -> None:
    """The rendered literal has no raw quote, backslash-quote break-out or control character."""
    text = promql.vector_selector(Selector("up", (Matcher("job", "=", value),)), ())
    literal = text.removeprefix('up{job="').removesuffix('"}')
    unescaped = literal.replace("\\\\", "")
    assert '"' not in unescaped.replace('\\"', "")
    assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in literal)


@pytest.mark.prometheus
@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_label_selector_matches_nothing_on_prometheus(
    prometheus: PrometheusServer, open_source: SnapshotFactory, value: str
) -> None:
    """``"} or vector(1) or x{a="`` as the config's selector value is a value no series has."""
    answer = open_source(prometheus_url=prometheus.url, scenario=value).ask(Gauge(FREE))
    assert answer.state is DataState.NO_DATA, answer
    assert "empty result" in answer.message


@pytest.mark.prometheus
def test_the_same_query_with_a_real_value_finds_the_series(
    prometheus: PrometheusServer, open_source: SnapshotFactory
) -> None:
    """The control: the escaping keeps an ordinary value working."""
    answer = open_source(prometheus_url=prometheus.url, scenario="gpu").ask(Gauge(FREE))
    assert answer.state is DataState.OK
    assert len(answer.series) >= 2


@pytest.mark.parametrize(
    "make",
    [
        lambda: Matcher('job"} or vector(1) or x{a', "=", "v"),
        lambda: Matcher("", "=", "v"),
        lambda: Selector("up} or vector(1) or x{"),
        lambda: Selector(""),
    ],
)
def test_names_that_are_not_prometheus_names_are_refused(make: object) -> None:
    """Label and metric names are not quoted in PromQL, so only real names are accepted."""
    with pytest.raises(ValueError, match=r"is not a (label|metric) name"):
        make()  # type: ignore[operator]
