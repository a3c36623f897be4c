"""Issue 16: the gate's start-up cost on the install a user has, and a 30 ms link.

A lean virtual environment gets the project as users install it (``pip install .``, no extras;
plugin autoload on, as a plain ``pytest`` runs). Measured in the same interleaved rounds:

- ``pytest`` on two empty tests in that venv (pytest's own floor there, the gate plugin loaded);
- the healthy gate on loopback, and through a proxy adding 30 ms to every round trip;
- a stand-in of the original gate script through the same proxy: its 13 queries, one after
  another, each on a fresh connection with ``requests``;
- the healthy gate in the dev venv (with every dev plugin autoloaded), as a secondary row.

Targets: the gate's own cost (lean gate minus lean empty pytest) at most 100 ms; the lean gate
at 30 ms at most 0.6x the sequential stand-in. A per-phase breakdown of one lean gate run and
the imports it adds say where the remaining time goes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

from bench.context import Bench
from bench.datasets import T
from bench.decision import Variant
from bench.gate import AUTOLOAD, ROOT, child_env, gate_args, shown
from bench.measure import median, median_wall_seconds, run_child
from bench.proxy import delay_proxy
from bench.report import Section, Table, Target, ratio, seconds

DELAY_SECONDS = 0.030
OWN_COST_TARGET_SECONDS = 0.100
LINK_RATIO_TARGET = 0.6
EMPTY = "pytest, 2 empty tests (lean install)"
GATE = "gate (lean install), loopback"
GATE_30MS = "gate (lean install), 30 ms per round trip"
ORIGINAL_30MS = "original stand-in: 13 sequential queries, 30 ms per round trip"
DEV_GATE = "gate (dev venv, every dev plugin autoloaded), loopback"
ORIGINAL_QUERIES = (
    'sum(increase(http_requests_total{status=~"5.."}[5m])) / sum(increase(http_requests_total[5m]))',
    "sum(increase(llm_schema_fix_count_total[30m])) / sum(increase(llm_brief_total[30m]))",
    'histogram_quantile(0.95, sum by (le) (rate(llm_brief_latency_seconds_bucket{mode="fast"}[5m])))',
    "histogram_quantile(0.95, sum by (le) "
    '(rate(llm_brief_latency_seconds_bucket{mode="balanced"}[5m])))',
    "histogram_quantile(0.95, sum by (le) "
    '(rate(llm_brief_latency_seconds_bucket{mode="creative"}[5m])))',
    'sum(rate(cache_hits_total{mode="fast"}[30m])) / (sum(rate(cache_hits_total{mode="fast"}[30m]))'
    ' + sum(rate(cache_misses_total{mode="fast"}[30m])))',
    'sum(rate(cache_hits_total{mode="balanced"}[30m])) / '
    '(sum(rate(cache_hits_total{mode="balanced"}[30m])) '
    '+ sum(rate(cache_misses_total{mode="balanced"}[30m])))',
    'rl_loss{loss_type="total_loss"}',
    'avg_over_time(rl_loss{loss_type="total_loss"}[2h])',
    'rl_reward_ma{window="100"}',
    "nvidia_gpu_memory_free_bytes / nvidia_gpu_memory_total_bytes",
    'up{job="serving"}',
    "container_memory_working_set_bytes",
)
"""The original script's questions (reference/original-system.md), one request each."""
ORIGINAL_SCRIPT = """
import sys, requests
url, at = sys.argv[1], sys.argv[2]
for query in sys.argv[3:]:
    answer = requests.get(url + "/api/v1/query", params={"query": query, "time": at}, timeout=30)
    assert answer.json()["status"] == "success", answer.text[:200]
"""
PHASES = """
import json, sys, time
T0 = time.perf_counter()
MARKS = {}
def pytest_configure(config):
    MARKS.setdefault("configured", time.perf_counter() - T0)
def pytest_collection_finish(session):
    MARKS["collected"] = time.perf_counter() - T0
def pytest_runtest_logstart(nodeid, location):
    MARKS.setdefault("first check starts", time.perf_counter() - T0)
def pytest_runtest_logfinish(nodeid, location):
    MARKS["last check done"] = time.perf_counter() - T0
def pytest_unconfigure(config):
    MARKS["report written"] = time.perf_counter() - T0
    sys.stderr.write("PHASES " + json.dumps(MARKS) + "\\n")
"""


def lean_venv(bench: Bench) -> Path:
    """``pip install .`` (no extras) into a fresh venv under the bench's scratch directory."""
    where = bench.directory("lean-venv")
    venv.EnvBuilder(with_pip=True).create(where)
    python = where / "bin" / "python"
    bench.say("startup: pip install . into a lean venv (no extras)")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(ROOT)],
        check=True,
        cwd=bench.directory("lean-build"),
        stdout=subprocess.DEVNULL,
    )
    return python


def lean_env() -> dict[str, str]:
    """The lean runs' environment: no project path, bytecode cached as an install has it."""
    env = child_env()
    env.pop("PYTHONPATH", None)
    return env


def _phases(python: Path, args: list[str], env: dict[str, str], work: Path) -> dict[str, float]:
    """Median time of each phase of a lean gate run (a tiny plugin marks them)."""
    plugin_dir = work / "phases"
    plugin_dir.mkdir(exist_ok=True)
    (plugin_dir / "gate_phases.py").write_text(PHASES)
    marks: dict[str, list[float]] = {}
    for _ in range(5):
        result = run_child(
            [
                str(python),
                "-m",
                "pytest",
                "-p",
                "gate_phases",
                "-p",
                "no:cacheprovider",
                "-q",
                *args,
            ],
            env={**env, "PYTHONPATH": str(plugin_dir)},
            cwd=ROOT,
        )
        line = next((x for x in result.output.splitlines() if x.startswith("PHASES ")), "")
        for name, value in (json.loads(line.removeprefix("PHASES ")) if line else {}).items():
            marks.setdefault(name, []).append(float(value))
    return {name: median(values) for name, values in marks.items()}


def run(bench: Bench) -> Section:
    """Lean empty pytest, lean gate (loopback and 30 ms), the sequential original, the dev gate."""
    python = lean_venv(bench)
    work = bench.directory("startup")
    empty = work / "empty"
    empty.mkdir(exist_ok=True)
    (empty / "test_empty.py").write_text("def test_a():\n    pass\n\n\ndef test_b():\n    pass\n")
    prometheus = bench.prometheus()
    env = lean_env()
    lean = [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    loopback_args = gate_args(bench.config(), prometheus_url=prometheus.url, at=float(T))
    upstream = prometheus.url.rsplit(":", 1)
    with delay_proxy(
        (upstream[0].removeprefix("http://"), int(upstream[1])), DELAY_SECONDS, DELAY_SECONDS
    ) as proxy:
        slow_args = gate_args(bench.config(), prometheus_url=proxy.url, at=float(T))
        original = [sys.executable, "-c", ORIGINAL_SCRIPT, proxy.url, str(T), *ORIGINAL_QUERIES]
        variants = {
            EMPTY: Variant([*lean, str(empty)], env),
            GATE: Variant([*lean, *loopback_args], env),
            GATE_30MS: Variant([*lean, *slow_args], env),
            ORIGINAL_30MS: Variant(original, child_env()),
            DEV_GATE: Variant(AUTOLOAD.command(loopback_args), AUTOLOAD.env()),
        }
        bench.say("startup: lean empty pytest, lean gate, 30 ms gate and original, dev gate")
        results = bench.measure(dict(variants))
    phases = _phases(python, loopback_args, env, work)
    medians = {name: median_wall_seconds(runs) for name, runs in results.items()}
    own = medians[GATE] - medians[EMPTY]
    link = medians[GATE_30MS] / medians[ORIGINAL_30MS]
    section = Section(
        "startup",
        "8. Start-up: the gate's own cost on the lean install, and a 30 ms link",
        intro=(
            f"Medians of {bench.runs} interleaved runs {bench.after_warmup}, each a fresh process "
            "from start to exit. The lean venv holds `pip install .` without extras (pytest, "
            "prometheus-client, nvidia-ml-py, pytest-json-report, pytest-timeout and their "
            "dependencies), run as a plain `pytest` with plugin autoload on."
        ),
    )
    section.tables.append(
        Table(
            ("process", "median wall time", "vs lean empty pytest"),
            tuple(
                (name, seconds(medians[name]), ratio(medians[name] / medians[EMPTY]))
                for name in variants
            ),
        )
    )
    section.tables.append(
        Table(
            ("lean gate run, phase (median of 5)", "seconds after the pytest import"),
            tuple((name, f"{value:.3f} s") for name, value in phases.items()),
        )
    )
    section.targets.append(
        Target(
            "the gate's own cost above pytest's floor (lean install) <= 100 ms",
            f"{own * 1000:.0f} ms ({medians[GATE]:.3f} s - {medians[EMPTY]:.3f} s)",
            own <= OWN_COST_TARGET_SECONDS,
        )
    )
    section.targets.append(
        Target(
            "healthy verdict at 30 ms per round trip <= 0.6x the sequential original",
            f"{link:.2f}x ({medians[GATE_30MS]:.3f} s vs {medians[ORIGINAL_30MS]:.3f} s)",
            link <= LINK_RATIO_TARGET,
        )
    )
    section.commands = [shown(v.command, v.env, bench.settings.workdir) for v in variants.values()]
    return section
