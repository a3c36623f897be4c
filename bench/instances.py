"""Issue 21 item 5 (DESIGN §11): decision time and peak memory as serving instances grow.

1, 10, 100 and 500 serving instances (``--instances`` for others), each with the full DESIGN §6
series (see :mod:`bench.instancedata`), backfilled with promtool into one real Prometheus. The
gate runs its shipped checks and queries, so the benchmark measures whatever the gate does and
is rerun unchanged when the queries change.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from pathlib import Path

from bench.context import Bench
from bench.datasets import T
from bench.decision import Variant
from bench.gate import ONLY_GATE, gate_args, shown
from bench.instancedata import scenario, write_openmetrics
from bench.measure import Run, median, median_wall_seconds
from bench.report import Section, Table, Target, mib, millis, ratio, seconds
from tests.checks.conftest import scenario_config
from tests.checks.deployment import COUNTER_HISTORY_SECONDS, COUNTER_STEP_SECONDS
from tests.support.prometheus_server import PROMTOOL_BIN, PrometheusServer

DECISION_TARGET_SECONDS = 5.0
LINEAR_TOLERANCE = 1.5
"""At most linear: the cost per added instance at the largest size may be at most this many
times the cost per added instance at the size before it (noise on a shared machine)."""


def run(bench: Bench) -> Section:
    """Decision time and peak RSS at every instance count, growth against 1 instance."""
    counts = bench.settings.instance_counts
    work = bench.directory("scale-instances")
    url = _prometheus(bench, work, counts)
    variants: dict[str, Variant] = {}
    for count in counts:
        config = scenario_config(bench.directory("instance-configs"), scenario(count))
        args = gate_args(config, prometheus_url=url, at=float(T), report=_report(work, count))
        variants[_name(count)] = Variant(ONLY_GATE.command(args), ONLY_GATE.env(), 0)
    bench.say(f"scale: serving instances {counts}")
    results = bench.measure(dict(variants))
    section = Section(
        "instances",
        "2b. Scale: serving instances (issue 21, DESIGN §11)",
        intro=(
            "The healthy golden deployment with N serving instances, each with every DESIGN §6 "
            f"serving series (counters, the latency histogram per mode, model gauges, `up`), "
            f"{COUNTER_HISTORY_SECONDS // 60} min of counters every {COUNTER_STEP_SECONDS} s, "
            "backfilled with promtool into one Prometheus (each size under its own namespace). "
            f"The gate with only its plugin loaded; medians of {bench.runs} interleaved runs "
            f"{bench.after_warmup}. Growth = median / the 1-instance median; per added instance = "
            "(median - the 1-instance median) / (N - 1); gate's own time = the report's "
            "`duration_s` (the session, without interpreter start-up) of the last run; the "
            "longest check of that run is the first to wait for the concurrent wave of every "
            "planned query, so its time is mostly the wave's (Prometheus and decoding)."
        ),
    )
    section.tables.append(_table(results, counts, work))
    _targets(section, results, counts)
    section.commands.append(
        shown(variants[_name(counts[-1])].command, ONLY_GATE.env(), bench.settings.workdir)
    )
    section.notes.append(
        "Reproduce: `python -m bench --only instances --output /tmp/instances.md` (about "
        "2-4 minutes on this shared 2-core machine: 30-80 s to write and backfill the data, then 4 sizes x 6 runs); "
        "`--instances 1,10,100,500,1000` for other sizes."
    )
    return section


def _name(count: int) -> str:
    return f"{count} instance" + ("" if count == 1 else "s")


def _report(work: Path, count: int) -> Path:
    return work / f"{count}.json"


def _prometheus(bench: Bench, work: Path, counts: Sequence[int]) -> str:
    """Write the data, backfill it with promtool, start Prometheus on it; its URL."""
    data = work / "instances.om"
    bench.say(f"writing {counts} serving instances as OpenMetrics")
    samples = write_openmetrics(data, counts)
    bench.say(f"backfilling {samples:,} samples ({data.stat().st_size / 2**20:.0f} MiB)")
    store = work / "prometheus"
    (store / "data").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [PROMTOOL_BIN, "tsdb", "create-blocks-from", "openmetrics", str(data), str(store / "data")],
        capture_output=True,
        check=True,
    )
    data.unlink()
    server = bench.hold(PrometheusServer.start(store))
    bench.say(f"Prometheus ready at {server.url}")
    return server.url


def _table(results: dict[str, list[Run]], counts: Sequence[int], work: Path) -> Table:
    first = results[_name(counts[0])]
    base_time = median_wall_seconds(first)
    base_rss = median([r.peak_rss_bytes for r in first])
    rows = []
    for count in counts:
        runs = results[_name(count)]
        wall = median_wall_seconds(runs)
        rss = median([r.peak_rss_bytes for r in runs])
        per_instance = millis((wall - base_time) / (count - 1)) if count > 1 else "-"
        report = json.loads(_report(work, count).read_text())
        longest = max(report["checks"], key=lambda check: check["duration_s"])
        rows.append(
            (
                _name(count),
                seconds(wall),
                ratio(wall / base_time),
                per_instance,
                mib(rss),
                ratio(rss / base_rss),
                seconds(report["duration_s"]),
                f"{seconds(longest['duration_s'])} ({longest['id'].split('::')[-1]})",
                "/".join(map(str, sorted({r.exit_code for r in runs}))),
            )
        )
    headers = (
        "serving instances",
        "median time",
        "time growth",
        "per added instance",
        "peak RSS",
        "RSS growth",
        "gate's own time",
        "longest check",
        "exit",
    )
    return Table(headers, tuple(rows))


def _targets(section: Section, results: dict[str, list[Run]], counts: Sequence[int]) -> None:
    largest = counts[-1]
    wall = median_wall_seconds(results[_name(largest)])
    section.targets.append(
        Target(
            f"{_name(largest)} decided in < {DECISION_TARGET_SECONDS:g} s",
            seconds(wall),
            wall < DECISION_TARGET_SECONDS,
        )
    )
    if len(counts) < 3:
        return
    base = median_wall_seconds(results[_name(counts[0])])
    before = counts[-2]
    slope_before = (median_wall_seconds(results[_name(before)]) - base) / (before - counts[0])
    slope_last = (wall - base) / (largest - counts[0])
    linear = slope_last <= LINEAR_TOLERANCE * max(slope_before, 0.0) or slope_last <= 0.0
    section.targets.append(
        Target(
            f"at most linear: time per added instance at {largest} <= {LINEAR_TOLERANCE:g}x "
            f"that at {before}",
            f"{millis(slope_last)} vs {millis(slope_before)}",
            linear,
        )
    )
