"""Issue 9 item 4: the decision from a recording (no network) against the live decision.

The healthy gate runs once live with ``--gate-record``; then the replay (``--gate-replay``) and
the live run are timed in the same rounds.
"""

from __future__ import annotations

from bench.context import Bench
from bench.datasets import T
from bench.decision import Variant
from bench.gate import ONLY_GATE, gate_args, shown
from bench.measure import median_wall_seconds
from bench.report import Section, Table, ratio, seconds

LIVE = "live, backfilled Prometheus"
REPLAY = "replay of a recording"


def run(bench: Bench) -> Section:
    """Record once, then time replay and live."""
    url = bench.prometheus().url
    work = bench.directory("replay")
    recording = work / "recording.json"
    record = Variant(
        ONLY_GATE.command(
            gate_args(
                bench.config(),
                prometheus_url=url,
                at=float(T),
                record=recording,
                report=work / "record.json",
            )
        ),
        ONLY_GATE.env(),
    )
    bench.say("replay: recording one live run")
    record()
    variants = {
        LIVE: Variant(
            ONLY_GATE.command(
                gate_args(
                    bench.config(), prometheus_url=url, at=float(T), report=work / "live.json"
                )
            ),
            ONLY_GATE.env(),
        ),
        REPLAY: Variant(
            ONLY_GATE.command(
                gate_args(bench.config(), replay=recording, report=work / "replay.json")
            ),
            ONLY_GATE.env(),
        ),
    }
    results = bench.measure(dict(variants))
    medians = {name: median_wall_seconds(runs) for name, runs in results.items()}
    section = Section(
        "replay",
        "4. Replay: the decision from a recording",
        intro=(
            f"Medians of {bench.runs} interleaved runs {bench.after_warmup}; the recording is "
            f"{recording.stat().st_size / 1024:.0f} KiB. Both runs must say GO."
        ),
    )
    rows = tuple(
        (name, seconds(medians[name]), ratio(medians[name] / medians[LIVE])) for name in variants
    )
    section.tables.append(Table(("source", "median time", "vs live"), rows))
    section.commands = [
        shown(v.command, v.env, bench.settings.workdir) for v in (record, *variants.values())
    ]
    return section
