"""Issue 22: what pytest-gate costs pytest runs that are not gates, and its own cost as a gate.

A lean virtual environment gets the project as users install it (``pip install .``, no extras;
plugin autoload on). Measured in the same interleaved rounds, at least 15 of them:

- an unrelated 20-test project, ``pytest`` with the plugin vs ``pytest -p no:gate``: the plugin's
  cost outside gate mode (target <= 5 ms);
- the healthy gate vs ``pytest`` on two empty tests: the gate's own cost above pytest's floor
  (target <= 60 ms).

Each pair runs twice: with bytecode as an installed package has it, and with
``PYTHONDONTWRITEBYTECODE=1`` as containers set it (then pytest re-rewrites the asserts of the
entry-point plugin's modules at every start: the fewer modules the entry imports, the less).
"""

from __future__ import annotations

from pathlib import Path

from bench.context import Bench
from bench.datasets import T
from bench.decision import Variant
from bench.gate import gate_args, shown
from bench.measure import median_cpu_seconds, median_wall_seconds
from bench.report import Section, Table, Target
from bench.startup import lean_env, lean_venv

MIN_RUNS = 15
OUTSIDE_TARGET_SECONDS = 0.005
OWN_COST_TARGET_SECONDS = 0.060
UNRELATED_FILES = 4
TESTS_PER_FILE = 5
NO_BYTECODE = "PYTHONDONTWRITEBYTECODE"
PLUGIN = "unrelated 20 tests, plugin installed"
NO_PLUGIN = "unrelated 20 tests, -p no:gate"
EMPTY = "pytest, 2 empty tests (lean install)"
GATE = "gate (lean install), loopback"


def unrelated_project(where: Path) -> Path:
    """20 passing tests in 4 modules, one using a ``critical`` marker of its own."""
    where.mkdir(parents=True, exist_ok=True)
    (where / "pytest.ini").write_text("[pytest]\nmarkers =\n    critical: the project's own\n")
    for index in range(UNRELATED_FILES):
        body = "import pytest\n\n"
        for test in range(TESTS_PER_FILE):
            marker = "@pytest.mark.critical\n" if test == 0 else ""
            body += f"{marker}def test_{test}():\n    assert {test} + 1 > {test}\n\n"
        (where / f"test_module_{index}.py").write_text(body)
    return where


def _env(base: dict[str, str], no_bytecode: bool) -> dict[str, str]:
    """Bytecode next to the sources, as ``pip install`` wrote it; optionally never written."""
    env = {k: v for k, v in base.items() if k != "PYTHONPYCACHEPREFIX"}
    if no_bytecode:
        env[NO_BYTECODE] = "1"
    return env


def run(bench: Bench) -> Section:
    """Plugin vs no plugin on an unrelated project, and the gate's own cost, both bytecode modes."""
    python = lean_venv(bench)
    work = bench.directory("outside")
    project = unrelated_project(work / "unrelated")
    empty = work / "empty"
    empty.mkdir(exist_ok=True)
    (empty / "pytest.ini").write_text("[pytest]\n")
    (empty / "test_empty.py").write_text("def test_a():\n    pass\n\n\ndef test_b():\n    pass\n")
    prometheus = bench.prometheus()
    lean = [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    gate = gate_args(bench.config(), prometheus_url=prometheus.url, at=float(T))
    variants: dict[str, Variant] = {}
    for no_bytecode in (False, True):
        env = _env(lean_env(), no_bytecode)
        suffix = f", {NO_BYTECODE}=1" if no_bytecode else ""
        variants[PLUGIN + suffix] = Variant([*lean, str(project)], env, cwd=work)
        variants[NO_PLUGIN + suffix] = Variant(
            [*lean, "-p", "no:gate", str(project)], env, cwd=work
        )
        variants[EMPTY + suffix] = Variant([*lean, str(empty)], env, cwd=work)
        variants[GATE + suffix] = Variant([*lean, *gate], env, cwd=work)
    runs = max(bench.runs, MIN_RUNS)
    bench.say(f"outside: plugin vs -p no:gate, and the gate's own cost, {runs} rounds")
    results = bench.measure(dict(variants), runs=runs)
    walls = {name: median_wall_seconds(values) for name, values in results.items()}
    medians = {name: median_cpu_seconds(values) for name, values in results.items()}
    section = Section(
        "outside",
        "10. Outside gate mode: what the plugin costs other test suites, and the gate's own cost",
        intro=(
            f"Medians of {runs} interleaved runs {bench.after_warmup}, each a fresh process from "
            "start to exit, in a lean venv holding `pip install .` without extras (plugin "
            "autoload on). Bytecode sits next to the sources as pip wrote it; the "
            f"`{NO_BYTECODE}=1` rows never write any (containers), so pytest rewrites the "
            "asserts of every imported module of the entry-point plugin at each start. Every "
            "process starts outside the checkout, so it imports the installed package. The "
            "targets compare CPU time (user + system): on this shared 2-core machine other work "
            "moves wall times by far more than 5 ms between runs, CPU time much less."
        ),
    )
    section.tables.append(
        Table(
            ("process", "median CPU time", "median wall time"),
            tuple((name, f"{medians[name]:.3f} s", f"{walls[name]:.3f} s") for name in variants),
        )
    )
    for suffix in ("", f", {NO_BYTECODE}=1"):
        outside = medians[PLUGIN + suffix] - medians[NO_PLUGIN + suffix]
        own = medians[GATE + suffix] - medians[EMPTY + suffix]
        section.targets.append(
            Target(
                f"outside gate mode, plugin vs -p no:gate{suffix} <= 5 ms (CPU)",
                f"{outside * 1000:+.1f} ms ({medians[PLUGIN + suffix]:.3f} s - "
                f"{medians[NO_PLUGIN + suffix]:.3f} s)",
                outside <= OUTSIDE_TARGET_SECONDS,
            )
        )
        section.targets.append(
            Target(
                f"the gate's own cost above pytest's floor (lean install){suffix} <= 60 ms (CPU)",
                f"{own * 1000:.0f} ms ({medians[GATE + suffix]:.3f} s - "
                f"{medians[EMPTY + suffix]:.3f} s)",
                own <= OWN_COST_TARGET_SECONDS,
            )
        )
    section.commands = [shown(v.command, v.env, bench.settings.workdir) for v in variants.values()]
    return section
