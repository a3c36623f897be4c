"""Issue 17: the serving stack under hostile input, bursts and faults, probed from outside.

One ``python -m serving`` process with default limits (tiny models, CPU) takes, in order: every
hostile body of :mod:`bench.hostile`, chunked floods and a lying ``Content-Length``; a bounded
burst with the ``/metrics`` accounting (:mod:`bench.burst`); unload/load cycles under traffic;
``schemathesis run --checks all`` with and without the admin token; a slow-loris attack
(:mod:`bench.slowloris`); then SIGTERM, and its exit status.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import requests

from bench import burst, hostile, slowloris
from bench.context import Bench
from bench.gate import PYTHON, ROOT, child_env, shown
from bench.report import Section, Table, Target, mib, seconds
from bench.serving import build_tiny_models, server, tiny_models_command
from tests.support.prometheus_server import free_port

TOKEN = "bench-admin-token"
SCHEMATHESIS = Path(PYTHON).with_name("schemathesis")
SCHEMATHESIS_CONFIG = ROOT / "bench" / "schemathesis.toml"
SHORT_ANSWER_BYTES = 1024
MODELS = ("qwen_32b", "llama3_8b", "mistral_7b")
DEFAULT_MAX_CONNECTIONS = 512
HEAD_TIMEOUT_SECONDS = 10.0
FULL = {"flood_mib": 50, "burst": 1000, "cycles": 10, "loris": 2000, "loris_s": 40, "examples": 50}
QUICK = {"flood_mib": 5, "burst": 200, "cycles": 3, "loris": 500, "loris_s": 20, "examples": 10}
CONCURRENCY = 64
DISTINCT_TEXTS = 60
NOTES = (
    "Before issue 17, the same probes gave: 500 for NaN, Infinity, 1e999 and lone surrogates, "
    "with ~10 KB of log each; a 50 MB chunked body read whole and echoed (52 MB answer, +164 MB "
    "server memory); no answer for 15 s to a lying Content-Length; 199 cache misses for 11 "
    "generations in a 200-request burst; 502 for requests queued for an unloaded model; 2,000 "
    "slow-loris connections held for 20 s (2,009 descriptors); exit status -15 after SIGTERM.",
    "Burst texts cycle through 60 texts and the 3 modes, so repeats are cache hits or join a "
    "generation in flight; each 503 is a full queue (2 workers + 8 waiting) and carries "
    "Retry-After. Cache hits + misses equal the requests that got past admission: a refused "
    "request is neither.",
    "schemathesis: bench/schemathesis.toml accepts 503, the documented retry-later answer the "
    "fuzzer provokes by unloading models with the token; 500 and 502 remain failures. The run "
    "without a token warns that the 8 admin operations only answered 401, as they must.",
    "Slow-loris: at the cap each new connection evicts the one waiting longest for a head (a 408 "
    "first when part of a head had arrived; a client that writes again before reading it sees a "
    "reset); the 512 still held are cut by the head timeout. The descriptor peak while the "
    "connections arrive is sockets accepted but not yet refused: asyncio accepts up to the "
    "listen backlog (2048) per wake-up before the protocol sees any of them.",
)


def _schemathesis(url: str, token: str | None, examples: int, work: Path) -> tuple[str, str, bool]:
    """One ``schemathesis run --checks all`` in ``work``: (summary, test cases line, passed)."""
    command = [str(SCHEMATHESIS), "--config-file", str(SCHEMATHESIS_CONFIG), "--no-color", "run"]
    command += [url + "/openapi.json", "--checks", "all", "--max-examples", str(examples)]
    command += ["--workers", "1", "--seed", "17"]
    if token is not None:
        command += ["-H", f"Authorization: Bearer {token}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd=work)
    lines = [line.strip(" =") for line in done.stdout.splitlines() if line.strip()]
    cases = next((line for line in lines if re.search(r"\d+ generated", line)), "?")
    return lines[-1] if lines else done.stderr[-300:], cases, done.returncode == 0


def run(bench: Bench) -> Section:
    """Start the service with default limits and probe it; the figures of bench/RESULTS.md."""
    sizes = QUICK if bench.settings.quick else FULL
    work = bench.directory("reliability")
    models = work / "models"
    build_tiny_models(models)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [PYTHON, "-m", "serving", "--registry", str(models / "registry.toml")]
    command += ["--port", str(port), "--log-level", "warning"]
    env = child_env(
        SERVING_ADMIN_TOKEN=TOKEN,
        SERVING_DEVICE="cpu",
        SERVING_TORCH_THREADS="1",
        SERVING_MAX_PROMPT_TOKENS="256",
    )
    log = work / "serving.log"
    section = Section(
        "reliability",
        "7. Serving under hostile input, bursts and faults (issue 17)",
        intro=(
            "One `python -m serving` process (tiny models, CPU, default limits: 64 KiB bodies, "
            "10 s head and body timeouts, 512 connections, 2 workers + 8 queued) probed over "
            "loopback by a separate client process. Server log bytes are what the probe added to "
            "its stderr (log level warning)."
        ),
    )
    with server(command, env, url + "/health", log) as proc:
        bench.say("reliability: hostile bodies and floods")
        probes = hostile.probe_bodies(url, TOKEN, log)
        flood_bytes = sizes["flood_mib"] * 2**20
        probes.append(hostile.chunked_floods(port, proc.pid, log, flood_bytes, 1))
        probes.append(hostile.chunked_floods(port, proc.pid, log, flood_bytes, 4))
        probes.append(hostile.lying_length(port, log))
        _hostile_tables(section, probes)
        bench.say(f"reliability: burst of {sizes['burst']} at concurrency {CONCURRENCY}")
        before = burst.scrape(url)
        result = burst.burst(url, sizes["burst"], CONCURRENCY, DISTINCT_TEXTS)
        _burst_tables(section, result, burst.accounting(before, burst.scrape(url), result))
        bench.say("reliability: unload/load cycles under traffic")
        cycles = burst.unload_cycles(url, TOKEN, "llama3_8b", "balanced", sizes["cycles"])
        _cycle_table(section, cycles, sizes["cycles"])
        bench.say("reliability: schemathesis --checks all")
        runs = {
            "with the admin token": _schemathesis(url, TOKEN, sizes["examples"], work),
            "without a token": _schemathesis(url, None, sizes["examples"], work),
        }
        _schemathesis_table(section, runs)
        for model in MODELS:
            requests.post(
                f"{url}/admin/model/load",
                json={"model": model},
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=120,
            ).raise_for_status()
        bench.say(f"reliability: slow-loris with {sizes['loris']} connections")
        loris = slowloris.attack(port, proc.pid, sizes["loris"], 1.0, sizes["loris_s"])
        _loris_table(section, loris)
    section.tables.append(
        Table(("after the probes", "value"), (("exit status after SIGTERM", str(proc.returncode)),))
    )
    section.targets.append(
        Target(
            "exit status 0 after a clean SIGTERM shutdown",
            str(proc.returncode),
            proc.returncode == 0,
        )
    )
    section.notes = list(NOTES)
    section.commands = [
        shown(tiny_models_command(models), None, bench.settings.workdir),
        f"SERVING_ADMIN_TOKEN=... SERVING_DEVICE=cpu SERVING_TORCH_THREADS=1 "
        f"SERVING_MAX_PROMPT_TOKENS=256 {shown(command[:-4], None, bench.settings.workdir)} "
        "--port $PORT --log-level warning",
        f"{SCHEMATHESIS.name} --config-file bench/schemathesis.toml run $URL/openapi.json "
        f"--checks all --max-examples {sizes['examples']} --workers 1 --seed 17 "
        "[-H 'Authorization: Bearer ...']",
    ]
    return section


def _hostile_tables(section: Section, probes: list[hostile.Probe]) -> None:
    rows = tuple(
        (
            probe.name,
            str(probe.status or "no answer"),
            f"{probe.answer_bytes:,} B",
            f"{probe.log_bytes:,} B",
            mib(probe.peak_memory_growth_bytes) if probe.peak_memory_growth_bytes else "-",
            seconds(probe.seconds) if probe.seconds else "-",
        )
        for probe in probes
    )
    section.tables.append(
        Table(("input", "status", "answer", "server log", "peak memory growth", "time"), rows)
    )
    bad = [
        p.name for p in probes if not 400 <= p.status < 500 or p.answer_bytes > SHORT_ANSWER_BYTES
    ]
    logged = sum(p.log_bytes for p in probes)
    section.targets.append(
        Target(
            f"each of {len(probes)} hostile inputs: a 4xx under {SHORT_ANSWER_BYTES} B, no log flood",
            f"{len(probes) - len(bad)} of {len(probes)}, {logged} B of log"
            + (f"; not: {', '.join(bad)}" if bad else ""),
            not bad and logged == 0,
        )
    )


def _burst_tables(
    section: Section, result: burst.BurstResult, rows: list[tuple[str, int, int]]
) -> None:
    statuses = ", ".join(f"{count} x {status}" for status, count in sorted(result.statuses.items()))
    section.tables.append(
        Table(
            ("burst", "value"),
            (
                ("requests, concurrency", f"{result.requests}, {result.concurrency}"),
                ("answers", statuses),
                ("503 without Retry-After", str(result.refused_without_retry_after)),
                ("wall time", seconds(result.seconds)),
            ),
        )
    )
    section.tables.append(
        Table(
            ("figure", "client's count", "counters' growth", "agree"),
            tuple((what, str(c), str(m), "yes" if c == m else "**no**") for what, c, m in rows),
        )
    )
    only_ok = set(result.statuses) <= {200, 503} and result.refused_without_retry_after == 0
    section.targets.append(
        Target(
            f"burst of {result.requests} at concurrency {result.concurrency}: only 200 or "
            "503 + Retry-After",
            statuses,
            only_ok,
        )
    )
    agree = all(c == m for _, c, m in rows)
    section.targets.append(
        Target("/metrics accounts for every request of the burst", "yes" if agree else "no", agree)
    )


def _cycle_table(section: Section, statuses: dict[int, int], cycles: int) -> None:
    answers = ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items()))
    section.tables.append(
        Table(
            ("unload/load of llama3_8b under balanced traffic (8 lanes)", "answers"),
            ((f"{cycles} cycles", answers),),
        )
    )
    section.targets.append(
        Target(
            "no 502 for requests accepted while the model was loaded",
            answers,
            502 not in statuses and set(statuses) <= {200, 503},
        )
    )


def _schemathesis_table(section: Section, runs: dict[str, tuple[str, str, bool]]) -> None:
    section.tables.append(
        Table(
            ("schemathesis --checks all", "result", "test cases"),
            tuple((name, summary, cases) for name, (summary, cases, _) in runs.items()),
        )
    )
    for name, (summary, _, passed) in runs.items():
        section.targets.append(
            Target(f"schemathesis --checks all {name}: no failure", summary, passed)
        )


def _loris_table(section: Section, result: slowloris.LorisResult) -> None:
    held = result.held_seconds
    endings = ", ".join(f"{count} {ending}" for ending, count in result.endings.most_common())
    health = ", ".join(
        f"{count} x {status}" for status, count in sorted(result.health_statuses.items())
    )
    section.tables.append(
        Table(
            ("slow-loris (one head byte per second)", "value"),
            (
                ("connections opened", str(result.connections)),
                (
                    "server file descriptors: before; at most; at most from 1 s on",
                    f"{result.baseline_fds}; {result.max_fds}; {result.max_fds_after_first_second}",
                ),
                ("how the connections ended", endings),
                (
                    "held by the server: median, longest",
                    f"{held[len(held) // 2]:.1f} s, {held[-1]:.1f} s",
                ),
                ("every connection cut after", seconds(result.all_cut_after_seconds)),
                (
                    "/health during the attack",
                    f"{health}; slowest {seconds(result.health_max_seconds)}",
                ),
            ),
        )
    )
    held_most = result.max_fds_after_first_second - result.baseline_fds
    health_ok = set(result.health_statuses) == {200}
    cut = result.all_cut_after_seconds
    section.targets.append(
        Target(
            f"slow-loris of {result.connections}: at most {DEFAULT_MAX_CONNECTIONS} connections held"
            f" from 1 s on, all cut by the {HEAD_TIMEOUT_SECONDS:g} s head timeout, /health answering",
            f"{held_most} held, all cut after {cut:.1f} s, /health {health}",
            held_most <= DEFAULT_MAX_CONNECTIONS and cut < HEAD_TIMEOUT_SECONDS + 5 and health_ok,
        )
    )
