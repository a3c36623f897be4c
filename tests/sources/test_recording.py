"""Record every answer of a live run, replay it offline, and get exactly the same answers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pytest_gate.core.query import (
    Answer,
    AvgOverTime,
    Coverage,
    DataState,
    Gauge,
    Quantile,
    Query,
    RangeSeries,
    Ratio,
    RawPromQL,
    Selector,
    SeriesValue,
    SustainedQuantile,
)
from pytest_gate.sources.recorder import Recording, answer_json, encode, read
from pytest_gate.sources.replay import recorded_time
from pytest_gate.sources.snapshot import SourceConfigError
from tests.sources import dataset
from tests.sources.conftest import FaultServer, SnapshotFactory
from tests.support.prometheus_server import PrometheusServer

DATA = Path(__file__).parent.parent / "data"
FIXES = Selector("llm_schema_fix_count_total")
BRIEFS = Selector("llm_brief_total")
LATENCY = Selector("llm_brief_latency_seconds")
REQUESTS = Selector("http_requests_total")
QUERIES: dict[str, list[Query]] = {
    "ratio": [Ratio(FIXES, BRIEFS, 1800, ("mode",)), Ratio(FIXES, Selector("absent_total"), 60)],
    "idle": [Ratio(FIXES, BRIEFS, 1800, ("mode",))],
    "http": [Ratio(REQUESTS.where("status", "=~", "5.."), REQUESTS, 300, ("instance",))],
    "latency": [
        Quantile(LATENCY, 0.95, 300, ("mode",)),
        SustainedQuantile(LATENCY, 0.95, 60, 300, 30, ("mode",)),
    ],
    "gpu": [Gauge(Selector("nvidia_gpu_memory_free_bytes"))],
    "stale": [Gauge(Selector("llm_model_loaded"))],
    "special": [Gauge(Selector("rl_loss")), RawPromQL("sum(")],
    "rl": [
        AvgOverTime(Selector("rl_loss"), 7200),
        RangeSeries(Selector("rl_reward_ma"), 7200, 60),
        RawPromQL('scalar(sum(up{scenario="up"}))'),
    ],
}


def record(
    open_source: SnapshotFactory, url: str, scenario: str, path: Path, queries: list[Query]
) -> list[dict[str, object]]:
    """Ask ``queries`` live with recording on; return the answers as JSON objects."""
    live = open_source(prometheus_url=url, scenario=scenario, record_path=path)
    answers = [answer_json(live.ask(q)) for q in queries]
    live.close()
    return answers


@pytest.mark.prometheus
@pytest.mark.parametrize("scenario", sorted(QUERIES))
def test_replay_reproduces_every_answer_exactly(
    prometheus: PrometheusServer, open_source: SnapshotFactory, tmp_path: Path, scenario: str
) -> None:
    """Replaying a recording gives the same state, message, series and every value bit for bit."""
    path = tmp_path / "recording.json"
    recorded = record(open_source, prometheus.url, scenario, path, QUERIES[scenario])
    replay = open_source(replay_path=path, scenario=scenario)
    assert [answer_json(replay.ask(q)) for q in QUERIES[scenario]] == recorded


def test_replay_at_another_instant_is_refused(
    fault_server: FaultServer, open_source: SnapshotFactory, tmp_path: Path
) -> None:
    """Recorded answers belong to the recorded T: asking for another --gate-time is refused."""
    path = tmp_path / "recording.json"
    open_source(prometheus_url=f"{fault_server.url}/ok/at", record_path=path, at=1234.5).close()
    with pytest.raises(SourceConfigError, match="drop --gate-time"):
        open_source(replay_path=path, at=99.0)


def test_recording_hash_is_reported(
    fault_server: FaultServer, open_source: SnapshotFactory, tmp_path: Path
) -> None:
    """The recorder and the replay source both report the file's sha256."""
    path = tmp_path / "recording.json"
    live = open_source(prometheus_url=f"{fault_server.url}/ok/hash", record_path=path)
    live.ask(Gauge(Selector("up")))
    live.close()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    replay = open_source(replay_path=path)
    assert (live.recording_sha256, replay.describe()["sha256"]) == (digest, digest)


def test_recording_is_strict_json(
    fault_server: FaultServer, open_source: SnapshotFactory, tmp_path: Path
) -> None:
    """NaN and infinite values are stored as strings, so the file parses as strict JSON."""
    path = tmp_path / "recording.json"
    live = open_source(prometheus_url=f"{fault_server.url}/nan/strict", record_path=path)
    live.ask(Gauge(Selector("up")))
    live.close()

    def refuse(token: str) -> None:
        raise ValueError(f"non-standard JSON token {token}")

    document = json.loads(path.read_text(), parse_constant=refuse)
    assert document["entries"][0]["answer"]["series"][0]["value"] == "nan"


def test_recording_leaves_no_temporary_file(
    fault_server: FaultServer, open_source: SnapshotFactory, tmp_path: Path
) -> None:
    """The recording is written atomically: afterwards only the recording itself is there."""
    path = tmp_path / "recording.json"
    path.write_text("old content")
    live = open_source(prometheus_url=f"{fault_server.url}/ok/atomic", record_path=path)
    live.ask(Gauge(Selector("up")))
    live.close()
    assert [p.name for p in tmp_path.iterdir()] == ["recording.json"]


def test_deadline_in_a_recording_is_replayed(
    fault_server: FaultServer, open_source: SnapshotFactory, tmp_path: Path
) -> None:
    """A recorded run that hit the deadline replays as one that hit the deadline."""
    path = tmp_path / "recording.json"
    live = open_source(
        prometheus_url=f"{fault_server.url}/hang/record", record_path=path, deadline_seconds=0.5
    )
    live.ask(Gauge(Selector("up")))
    live.close()
    replay = open_source(replay_path=path)
    answer = replay.ask(Gauge(Selector("up")))
    assert (replay.deadline_exceeded, answer.state) == (True, DataState.ERROR)


def test_query_missing_from_the_recording_is_no_data(
    fault_server: FaultServer, open_source: SnapshotFactory, tmp_path: Path
) -> None:
    """A query the recorded run never asked is no data, saying it was not recorded."""
    path = tmp_path / "recording.json"
    live = open_source(prometheus_url=f"{fault_server.url}/ok/missing", record_path=path)
    live.ask(Gauge(Selector("up")))
    live.close()
    answer = open_source(replay_path=path).ask(Gauge(Selector("something_else")))
    assert (answer.state, "not recorded" in answer.message) == (DataState.NO_DATA, True)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not a JSON recording"),
        ('{"format": "something-else"}', "not a pytest-gate recording"),
        ('{"format": "pytest-gate-recording", "version": 99}', "version 99 is not supported"),
        ('{"format": "pytest-gate-recording", "version": 1}', "malformed recording"),
    ],
)
def test_bad_recording_is_refused_with_a_clear_message(
    open_source: SnapshotFactory, tmp_path: Path, content: str, problem: str
) -> None:
    """A file that is not a readable recording of a known version fails at start, naming why."""
    path = tmp_path / "recording.json"
    path.write_text(content)
    with pytest.raises(SourceConfigError, match=problem):
        open_source(replay_path=path)


def test_missing_recording_file_is_refused(open_source: SnapshotFactory, tmp_path: Path) -> None:
    """A --gate-replay path that does not exist fails at start, naming the option."""
    with pytest.raises(SourceConfigError, match="check the --gate-replay path"):
        open_source(replay_path=tmp_path / "nowhere.json")


def test_replay_with_another_label_selector_is_refused(
    fault_server: FaultServer, open_source: SnapshotFactory, tmp_path: Path
) -> None:
    """Replaying under a config with a different label selector would mislead: refused."""
    path = tmp_path / "recording.json"
    open_source(prometheus_url=f"{fault_server.url}/ok/sel", record_path=path, scenario="a").close()
    with pytest.raises(SourceConfigError, match="recorded with label selector"):
        open_source(replay_path=path, scenario="b")


def test_committed_recording_replays_known_values(open_source: SnapshotFactory) -> None:
    """The version-1 recording in tests/data still replays to the numbers it was made with."""
    replay = open_source(replay_path=DATA / "recording_v1.json", scenario="latency")
    answer = replay.ask(Quantile(LATENCY.where("mode", "=", "fast"), 0.95, 300))
    assert answer.state is DataState.OK
    assert answer.series[0].value == pytest.approx(dataset.P95_FAST)


def test_recorded_time_reads_t_from_the_file() -> None:
    """The plugin can take T from a recording before opening the snapshot."""
    assert recorded_time(DATA / "recording_v1.json") == dataset.T


def test_recorded_time_of_a_bad_file_is_a_source_config_error(tmp_path: Path) -> None:
    """A bad file gives the same clear error the replay source gives."""
    path = tmp_path / "recording.json"
    path.write_text("[]")
    with pytest.raises(SourceConfigError, match="not a pytest-gate recording"):
        recorded_time(path)


def test_version_2_recording_without_bridged_gaps_still_replays(tmp_path: Path) -> None:
    """A version-2 file (coverage without longest gap and base age) reads, those fields unknown."""
    query = Ratio(FIXES, BRIEFS, 1800)
    coverage = Coverage(1800, 1, 60, 60, 1790.0, 30.0, longest_gap_seconds=30.0)
    answer = Answer("q", DataState.OK, (SeriesValue((), 0.0, 900.0),), 1800, coverage=coverage)
    document = json.loads(
        encode(Recording(dataset.T, {"kind": "prometheus"}, (), ((query, answer),)))
    )
    document["version"] = 2
    for entry in document["entries"]:
        del entry["answer"]["coverage"]["longest_gap_seconds"]
        del entry["answer"]["coverage"]["base_age_seconds"]
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(document))
    recording, _sha256 = read(path)
    [(replayed_query, replayed)] = recording.entries
    assert replayed_query == query
    assert replayed.coverage is not None and replayed.coverage.longest_gap_seconds is None
    assert replayed.series == answer.series
