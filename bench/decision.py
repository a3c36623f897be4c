"""Issue 9 item 1: the healthy gate's decision time against the floor, pytest's own cost, imports.

Every variant is a fresh process timed from start to exit, interleaved round by round so a busy
machine slows all of them alike. The floor is ``bench/floor.py``: bare Python sending the gate's
own Prometheus requests (from its query plan) concurrently with ``requests``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import imports, plan
from bench.context import Bench
from bench.datasets import T
from bench.gate import (
    AUTOLOAD,
    GATE_DIR,
    ONLY_GATE,
    PYTHON,
    ROOT,
    Pytest,
    child_env,
    gate_args,
    shown,
)
from bench.measure import Run, median, median_wall_seconds, run_child
from bench.report import Section, Table, Target, millis, ratio, seconds
from pytest_gate.core.query import Query

FLOOR_SCRIPT = ROOT / "bench" / "floor.py"
GATE_FLOOR_TARGET = 1.5
FLOOR = "floor: bare Python + requests"
GATE = "gate, only the gate plugin"
GATE_AUTO = "gate, autoload"
GATE_NO_PYC = "gate, only the gate plugin, no bytecode cache"
GATE_LEAN = "gate, only the gate plugin, -p no:unraisableexception"
COLLECT = "collect-only, only the gate plugin"
COLLECT_AUTO = "collect-only, autoload"
TRIVIAL = "pytest, 2 trivial tests, autoload off"
TRIVIAL_AUTO = "pytest, 2 trivial tests, autoload"
IMPORT_PLUGIN = 'python -c "import pytest_gate.plugin"'
IMPORT_REQUESTS = 'python -c "import requests"'
PASS = 'python -c "pass"'
TRIVIAL_TESTS = "def test_one():\n    assert 1\n\n\ndef test_two():\n    assert 2\n"


@dataclass(frozen=True)
class Variant:
    """One measured process: its command, environment and the exit code it must give."""

    command: list[str]
    env: dict[str, str]
    expect: int | None = 0
    cwd: Path = ROOT
    """Where it runs (a lean install's runs start outside the checkout, so ``python -m`` cannot
    import the checkout's package instead of the installed one)."""

    def __call__(self) -> Run:
        """Run it once; a wrong exit code stops the benchmark with the output."""
        result = run_child(self.command, env=self.env, cwd=self.cwd)
        if self.expect is not None and result.exit_code != self.expect:
            raise RuntimeError(
                f"{shown(self.command)} exited {result.exit_code}, not {self.expect}:\n"
                f"{result.output[-3000:]}"
            )
        return result


def floor_command(plan_file: Path, sequential: bool = False) -> list[str]:
    """The floor process for a request list."""
    return [PYTHON, str(FLOOR_SCRIPT), str(plan_file), *(["--sequential"] if sequential else [])]


def write_plan(
    bench: Bench, url: str, name: str = "plan.json", extra: Sequence[Query] = ()
) -> Path:
    """The gate's requests (and ``extra`` queries') against ``url`` as a file for the floor."""
    queries = plan.http_queries(bench.config(), float(T), extra)
    return plan.write(bench.directory("plans") / name, url, queries)


def gate_run(bench: Bench, style: Pytest, url: str, report: Path) -> list[str]:
    """The healthy gate against ``url`` at the data set's instant."""
    args = gate_args(bench.config(), prometheus_url=url, at=float(T), report=report)
    return style.command(args)


def variants(bench: Bench, url: str, plan_file: Path) -> dict[str, Variant]:
    """Every process this benchmark times."""
    work = bench.directory("decision")
    trivial = work / "trivial"
    trivial.mkdir(exist_ok=True)
    (trivial / "test_trivial.py").write_text(TRIVIAL_TESTS)
    collect = [str(GATE_DIR), "--collect-only", "--gate-config", str(bench.config())]
    pytest_trivial = [PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(trivial)]
    no_pyc = {**ONLY_GATE.env(), "PYTHONDONTWRITEBYTECODE": "1"}
    no_pyc.pop("PYTHONPYCACHEPREFIX")
    bare = child_env()
    return {
        GATE: Variant(gate_run(bench, ONLY_GATE, url, work / "a.json"), ONLY_GATE.env()),
        GATE_AUTO: Variant(gate_run(bench, AUTOLOAD, url, work / "b.json"), AUTOLOAD.env()),
        GATE_NO_PYC: Variant(gate_run(bench, ONLY_GATE, url, work / "c.json"), no_pyc),
        GATE_LEAN: Variant(
            [*gate_run(bench, ONLY_GATE, url, work / "d.json"), "-p", "no:unraisableexception"],
            ONLY_GATE.env(),
        ),
        FLOOR: Variant(floor_command(plan_file), bare),
        COLLECT: Variant(ONLY_GATE.command(collect), ONLY_GATE.env(), None),
        COLLECT_AUTO: Variant(AUTOLOAD.command(collect), AUTOLOAD.env(), None),
        TRIVIAL: Variant(pytest_trivial, child_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")),
        TRIVIAL_AUTO: Variant(pytest_trivial, bare),
        IMPORT_PLUGIN: Variant([PYTHON, "-c", "import pytest_gate.plugin"], bare),
        IMPORT_REQUESTS: Variant([PYTHON, "-c", "import requests"], bare),
        PASS: Variant([PYTHON, "-c", "pass"], bare),
    }


def run(bench: Bench) -> Section:
    """Measure the decision time, the floor and pytest's own cost; break down the imports."""
    url = bench.prometheus().url
    plan_file = write_plan(bench, url)
    count = len(json.loads(plan_file.read_text())["requests"])
    measured = variants(bench, url, plan_file)
    bench.say(
        f"decision: {len(measured)} variants x {bench.runs} runs; the floor sends {count} requests"
    )
    results = bench.measure(dict(measured))
    medians = {name: median_wall_seconds(runs) for name, runs in results.items()}
    floor = medians[FLOOR]
    rows = tuple(
        (
            name,
            seconds(medians[name]),
            ratio(medians[name] / floor),
            f"{median([r.peak_rss_bytes for r in results[name]]) / 2**20:.0f} MiB",
        )
        for name in measured
    )
    section = Section(
        "decision",
        "1. Gate decision time (healthy deployment, backfilled Prometheus on loopback)",
        intro=(
            f"Medians of {bench.runs} interleaved runs {bench.after_warmup}, each a fresh process timed "
            f"from start to exit. The floor sends the gate's {count} Prometheus requests (built from "
            "`gate_checks.queries.plan` plus the GPU snapshot's three gauges, rendered by "
            "`pytest_gate.sources.promql`) concurrently and decodes every answer. Every process "
            "but the one marked otherwise keeps its bytecode (`PYTHONPYCACHEPREFIX`), as an "
            "installed package does."
        ),
    )
    section.tables.append(Table(("process", "median wall time", "vs floor", "peak RSS"), rows))
    only, auto = medians[GATE] / floor, medians[GATE_AUTO] / floor
    lean, pytest_only = medians[GATE_LEAN] / floor, medians[TRIVIAL] / floor
    section.targets.append(
        Target(
            f"healthy gate <= {GATE_FLOOR_TARGET}x the floor",
            f"{only:.2f}x with only the gate plugin, {lean:.2f}x adding "
            f"`-p no:unraisableexception`, {auto:.2f}x with autoload; pytest alone on two "
            f"trivial tests is {pytest_only:.2f}x",
            only <= GATE_FLOOR_TARGET,
        )
    )
    section.tables.append(breakdown(medians))
    bench.say("decision: import times (python -X importtime)")
    section.tables.append(gate_imports(bench, url))
    section.tables.append(autoload_imports(bench, medians[GATE_AUTO] - medians[GATE]))
    work = bench.settings.workdir
    section.commands = [shown(v.command, v.env, work) for v in measured.values()]
    return section


def breakdown(medians: Mapping[str, float]) -> Table:
    """Where the gate's time goes: differences between nested variants."""
    steps = (
        ("interpreter start and site", PASS, None),
        ("`import requests` (the floor needs it too)", IMPORT_REQUESTS, PASS),
        ("pytest itself on 2 trivial tests", TRIVIAL, PASS),
        ("gate plugin, conftest and check modules (collection)", COLLECT, TRIVIAL),
        ("running the checks: queries, decision, report", GATE, COLLECT),
        ("autoloaded dev plugins (gate run)", GATE_AUTO, GATE),
        ("compiling the project's modules on every run", GATE_NO_PYC, GATE),
        ("pytest's unraisableexception plugin (gc.collect at exit)", GATE, GATE_LEAN),
    )
    rows = []
    for label, whole, part in steps:
        value = medians[whole] - (medians[part] if part else 0.0)
        rows.append((label, millis(value), whole + (f" - {part}" if part else "")))
    return Table(("where the time goes (differences of medians)", "time", "from"), tuple(rows))


def gate_imports(bench: Bench, url: str) -> Table:
    """Median import times: the plugin alone, and a whole gate run's by top-level package."""
    env = child_env()
    plugin = median(
        [
            imports.cumulative_seconds(
                "pytest_gate.plugin", [PYTHON, "-c", "import pytest_gate.plugin"], env
            )
            for _ in range(bench.runs)
        ]
    )
    command = [*gate_run(bench, ONLY_GATE, url, bench.directory("decision") / "i.json"), "-s"]
    packages = imports.median_by_package(
        [imports.self_seconds_by_package(command, ONLY_GATE.env()) for _ in range(bench.runs)]
    )
    biggest = sorted(packages.items(), key=lambda item: -item[1])[:14]
    rows = [("`import pytest_gate.plugin` (cumulative)", millis(plugin))]
    rows.append(("gate run, all imports (sum of self times)", millis(sum(packages.values()))))
    rows += [(f"gate run: `{name}`", millis(value)) for name, value in biggest]
    return Table(("python -X importtime, median", "time"), tuple(rows))


def autoload_imports(bench: Bench, measured_cost: float) -> Table:
    """Import time of every autoloaded plugin, each after ``import pytest``."""
    env = child_env()
    rows = []
    for dist, module in imports.autoloaded_plugins():
        cost = median([imports.plugin_import_seconds(module, env) for _ in range(bench.runs)])
        rows.append((f"{dist} (`{module}`)", millis(cost)))
    rows.sort(key=lambda row: -float(row[1].split()[0]))
    rows.append(("measured autoload cost of a gate run (median difference)", millis(measured_cost)))
    return Table(
        (
            "autoloaded plugin (import after `import pytest`, median; shared deps counted in each)",
            "time",
        ),
        tuple(rows),
    )
