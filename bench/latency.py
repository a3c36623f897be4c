"""Issue 9 item 3b: 30 ms added to every Prometheus round trip; the gate against a sequential script.

A delay proxy in front of Prometheus holds each request 30 ms (and each new connection 30 ms, a
handshake). Measured in the same rounds: the gate, the floor sending the same requests
concurrently, and a script sending them one after another. The proxy counts what each sent.
"""

from __future__ import annotations

import functools
import json
from urllib.parse import urlsplit

from bench.context import Bench
from bench.datasets import T
from bench.decision import Variant, floor_command, write_plan
from bench.gate import ONLY_GATE, child_env, gate_args, shown
from bench.measure import Run, median_wall_seconds
from bench.proxy import DelayProxy, delay_proxy
from bench.report import Section, Table, Target, ratio, seconds

DELAY_SECONDS = 0.030
GATE = "gate, only the gate plugin"
CONCURRENT = "floor: same requests, concurrent"
SEQUENTIAL = "script: same requests, one after another"


def _counted(
    variant: Variant, proxy: DelayProxy, counts: dict[str, list[tuple[int, int]]], name: str
) -> Run:
    proxy.counter.take()
    result = variant()
    counts.setdefault(name, []).append(proxy.counter.take())
    return result


def run(bench: Bench) -> Section:
    """Gate vs sequential vs concurrent through the 30 ms proxy."""
    upstream = urlsplit(bench.prometheus().url)
    work = bench.directory("latency")
    counts: dict[str, list[tuple[int, int]]] = {}
    with delay_proxy(
        (upstream.hostname or "127.0.0.1", upstream.port or 0), DELAY_SECONDS, DELAY_SECONDS
    ) as proxy:
        plan_file = write_plan(bench, proxy.url, "plan-delayed.json")
        planned = len(json.loads(plan_file.read_text())["requests"])
        gate_command = ONLY_GATE.command(
            gate_args(
                bench.config(), prometheus_url=proxy.url, at=float(T), report=work / "gate.json"
            )
        )
        variants = {
            GATE: Variant(gate_command, ONLY_GATE.env()),
            CONCURRENT: Variant(floor_command(plan_file), child_env()),
            SEQUENTIAL: Variant(floor_command(plan_file, sequential=True), child_env()),
        }
        bench.say(f"latency: {DELAY_SECONDS * 1000:.0f} ms proxy; {planned} requests per run")
        results = bench.measure(
            {
                name: functools.partial(_counted, variant, proxy, counts, name)
                for name, variant in variants.items()
            }
        )
    medians = {name: median_wall_seconds(runs) for name, runs in results.items()}
    rows = []
    for name in variants:
        requests_sent = sorted({c[0] for c in counts[name][1:] or counts[name]})
        connections = sorted({c[1] for c in counts[name][1:] or counts[name]})
        rows.append(
            (
                name,
                seconds(medians[name]),
                ratio(medians[name] / medians[SEQUENTIAL]),
                "/".join(map(str, requests_sent)),
                "/".join(map(str, connections)),
            )
        )
    section = Section(
        "latency",
        f"3b. {DELAY_SECONDS * 1000:.0f} ms added to every Prometheus round trip",
        intro=(
            f"Medians of {bench.runs} interleaved runs {bench.after_warmup}, each a fresh process. The "
            f"plan holds {planned} requests; the request and connection counts are what the proxy "
            "saw per run."
        ),
    )
    section.tables.append(
        Table(("process", "median time", "vs sequential", "requests", "connections"), tuple(rows))
    )
    section.targets.append(
        Target(
            "the gate beats the sequential script",
            f"{medians[GATE]:.3f} s vs {medians[SEQUENTIAL]:.3f} s",
            medians[GATE] < medians[SEQUENTIAL],
        )
    )
    section.commands = [shown(v.command, v.env, bench.settings.workdir) for v in variants.values()]
    return section
