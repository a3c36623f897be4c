"""Issue 9 item 5: the serving hot path, a cache-hit ``POST /v1/brief``, against a bare endpoint.

The real app runs as deployed (``python -m serving`` under uvicorn, the tiny checkpoints from
``python -m serving.tiny_models``). One request warms the cache; its cached answer is also what
the bare FastAPI endpoint (``bench/bare_app.py``) returns. Both servers take the same closed-loop
load at concurrency 1, 8 and 32, interleaved round by round; p50, p99 and throughput are the
medians over rounds. A few cache misses (each a new text) give the generation cost for reference.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

from bench.context import Bench
from bench.gate import PYTHON, ROOT, child_env, shown
from bench.load import LoadResult, load, post_request
from bench.measure import median, run_child
from bench.report import Section, Table, Target, millis, ratio, seconds
from tests.support.prometheus_server import free_port

CONCURRENCY = (1, 8, 32)
WINDOW_SECONDS = 3.0
QUICK_WINDOW_SECONDS = 1.0
MISSES = 3
READY_TIMEOUT_SECONDS = 240.0
HIT_PAYLOAD = {
    "text": "A fresh citrus scent for summer mornings, light and not too sweet.",
    "mode": "fast",
}
MISS_TEXT = "A warm amber evening scent number {index}, soft vanilla and cedar."
THROUGHPUT_TARGET = 0.5
ADMIN_TOKEN = "bench-admin-token"
SERVING = "serving app (cache hit)"
BARE = "bare FastAPI endpoint"


@contextmanager
def server(
    command: Sequence[str], env: Mapping[str, str], ready_url: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process; yield once ``ready_url`` answers 200; stop it afterwards."""
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(proc, ready_url, log)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    give_up = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < give_up:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{url}: the server exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"{url} not ready after {READY_TIMEOUT_SECONDS:g} s:\n{log.read_text()[-3000:]}"
    )


def _post(url: str, payload: object) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    answer = requests.post(url + "/v1/brief", json=payload, timeout=300)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"POST /v1/brief answered {answer.status_code}: {answer.text[:500]}")
    return elapsed, answer


def tiny_models_command(models: Path) -> list[str]:
    """``python -m serving.tiny_models DIR``: the local checkpoints the service benchmarks use."""
    return [PYTHON, "-m", "serving.tiny_models", str(models)]


def build_tiny_models(models: Path) -> None:
    """Build the tiny checkpoints into ``models``; a failure stops the benchmark with its output."""
    built = run_child(tiny_models_command(models), env=child_env(), cwd=ROOT, timeout_seconds=300)
    if built.exit_code != 0:
        raise RuntimeError(f"serving.tiny_models failed:\n{built.output[-3000:]}")


def run(bench: Bench) -> Section:
    """Build the tiny models, start both servers, measure misses and the cache-hit load."""
    work = bench.directory("serving")
    models = work / "models"
    bench.say("serving: building the tiny checkpoints")
    build_tiny_models(models)
    port, bare_port = free_port(), free_port()
    serving_command = [
        PYTHON,
        "-m",
        "serving",
        "--registry",
        str(models / "registry.toml"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    serving_env = child_env(SERVING_ADMIN_TOKEN=ADMIN_TOKEN)
    url = f"http://127.0.0.1:{port}"
    bench.say("serving: starting the app and loading the models")
    started = time.perf_counter()
    with server(serving_command, serving_env, url + "/health", work / "serving.log"):
        ready_seconds = time.perf_counter() - started
        misses = [
            _post(url, {"text": MISS_TEXT.format(index=i), "mode": "fast"})[0]
            for i in range(1 if bench.settings.quick else MISSES)
        ]
        first, _ = _post(url, HIT_PAYLOAD)
        _, hit = _post(url, HIT_PAYLOAD)
        if not hit.json().get("cached"):
            raise RuntimeError(
                f"the second identical request was not a cache hit: {hit.text[:500]}"
            )
        body_file = work / "hit.json"
        body_file.write_bytes(hit.content)
        bare_command = [PYTHON, "-m", "bench.bare_app", str(body_file), str(bare_port)]
        with server(
            bare_command, child_env(), f"http://127.0.0.1:{bare_port}/livez", work / "bare.log"
        ):
            results = _rounds(bench, {SERVING: port, BARE: bare_port})
    section = Section(
        "serving",
        "5. Serving: cache-hit `POST /v1/brief` against a bare FastAPI endpoint",
        intro=(
            f"Both servers are real uvicorn processes on loopback (h11, asyncio: no uvloop or "
            f"httptools installed). Closed-loop load from one client process with N keep-alive "
            f"connections; each round measures {_window(bench):g} s per server and concurrency "
            f"after a 0.3 s warm-up; medians over {bench.runs} rounds. The cached answer is "
            f"{len(hit.content)} bytes; the bare endpoint returns the same bytes."
        ),
    )
    rows = []
    for concurrency in CONCURRENCY:
        medians = {name: _medians(results[(name, concurrency)]) for name in (SERVING, BARE)}
        for name in (SERVING, BARE):
            p50, p99, rps, errors = medians[name]
            rows.append(
                (
                    str(concurrency),
                    name,
                    millis(p50),
                    millis(p99),
                    f"{rps:.0f}/s",
                    ratio(rps / medians[BARE][2]),
                    str(errors),
                )
            )
        if concurrency == 8:
            share = medians[SERVING][2] / medians[BARE][2]
            section.targets.append(
                Target(
                    f"cache-hit throughput at concurrency 8 >= {THROUGHPUT_TARGET}x the bare endpoint",
                    f"{share:.2f}x",
                    share >= THROUGHPUT_TARGET,
                )
            )
    section.tables.append(
        Table(
            ("concurrency", "server", "p50", "p99", "throughput", "vs bare", "errors"), tuple(rows)
        )
    )
    section.tables.append(
        Table(
            ("reference (tiny models, CPU)", "time"),
            (
                (
                    "start-up: process start to `/health` 200 (models loaded)",
                    seconds(ready_seconds),
                ),
                (
                    f"cache miss: median of {len(misses)} new texts (mode fast)",
                    seconds(median(misses)),
                ),
                ("first request of the cache-hit text (a miss)", seconds(first)),
            ),
        )
    )
    work_dir = bench.settings.workdir
    section.commands = [
        shown(tiny_models_command(models), None, work_dir),
        f"SERVING_ADMIN_TOKEN=... {shown(serving_command[:-4], None, work_dir)} --port $PORT "
        "--log-level warning",
        f"{shown(bare_command[:-1], None, work_dir)} $PORT",
    ]
    return section


def _window(bench: Bench) -> float:
    return QUICK_WINDOW_SECONDS if bench.settings.quick else WINDOW_SECONDS


def _rounds(bench: Bench, ports: Mapping[str, int]) -> dict[tuple[str, int], list[LoadResult]]:
    results: dict[tuple[str, int], list[LoadResult]] = {}
    for index in range(bench.runs):
        for concurrency in CONCURRENCY:
            for name, port in ports.items():
                request = post_request("127.0.0.1", port, "/v1/brief", HIT_PAYLOAD)
                outcome = load("127.0.0.1", port, request, concurrency, _window(bench))
                results.setdefault((name, concurrency), []).append(outcome)
        line = ", ".join(
            f"{n} c={c} {results[(n, c)][-1].throughput:.0f}/s" for c in CONCURRENCY for n in ports
        )
        bench.say(f"  round {index + 1}/{bench.runs}: {line}")
    return results


def _medians(runs: list[LoadResult]) -> tuple[float, float, float, int]:
    return (
        median([r.p50 for r in runs]),
        median([r.p99 for r in runs]),
        median([r.throughput for r in runs]),
        sum(r.errors for r in runs),
    )
