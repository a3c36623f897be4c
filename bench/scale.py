"""Issue 9 item 2: time and peak memory as checks grow and as series grow; the growth factors.

- checks: the default suite, +100 and +500 generated custom checks (each asking its own question,
  and all asking one shared question), against the backfilled Prometheus;
- GPUs: the healthy deployment with 2, 64 and 1,000 GPUs (3 exporter gauges each);
- label sets: a scraped ``/metrics`` with the serving contract, plus 10,000 more label sets.
Every variant is the gate with only its plugin loaded, a fresh process, medians of interleaved runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from bench import checkgen, exposition
from bench.context import Bench
from bench.datasets import T
from bench.decision import Variant, floor_command, write_plan
from bench.gate import GATE_DIR, ONLY_GATE, PYTHON, child_env, gate_args, shown
from bench.measure import Run, median, median_wall_seconds
from bench.report import Section, Table, Target, mib, ratio, seconds

CHECK_COUNTS = (100, 500)
DEFAULT_CHECKS = 19
DEFAULT_SUITE = "default suite"
PYTEST_ONLY = f"pytest, {max(CHECK_COUNTS) + DEFAULT_CHECKS} trivial tests, no gate"
CHECKS_TARGET = 2.0
GPU_TARGET = 1.5
SCRAPE_SERIES = 10_000
SHIPPED_CONFIG = GATE_DIR / "gate.toml"


def run(bench: Bench) -> Section:
    """All three scale dimensions."""
    section = Section(
        "scale",
        "2. Scale: checks, GPUs and label sets",
        intro=(
            f"The gate with only its plugin loaded; medians of {bench.runs} interleaved runs "
            f"{bench.after_warmup}. Growth = median time (or peak RSS) / the first variant's. Peak "
            "RSS is the child's own `ru_maxrss` (from `os.wait4` in `bench/launch.py`)."
        ),
    )
    _checks(bench, section)
    _gpus(bench, section)
    _scrape(bench, section)
    return section


def _table(
    results: Mapping[str, list[Run]], first: str, extra: Mapping[str, str] | None = None
) -> Table:
    base_time = median_wall_seconds(results[first])
    base_rss = median([r.peak_rss_bytes for r in results[first]])
    rows = []
    for name, runs in results.items():
        wall = median_wall_seconds(runs)
        rss = median([r.peak_rss_bytes for r in runs])
        exits = sorted({r.exit_code for r in runs})
        rows.append(
            (
                name,
                seconds(wall),
                ratio(wall / base_time),
                mib(rss),
                ratio(rss / base_rss),
                "/".join(map(str, exits)),
                (extra or {}).get(name, ""),
            )
        )
    return Table(
        ("variant", "median time", "time growth", "peak RSS", "RSS growth", "exit", "note"),
        tuple(rows),
    )


def _growth(results: Mapping[str, list[Run]], name: str, first: str) -> float:
    return median_wall_seconds(results[name]) / median_wall_seconds(results[first])


def _checks(bench: Bench, section: Section) -> None:
    url = bench.prometheus().url
    work = bench.directory("scale-checks")
    variants: dict[str, Variant] = {}
    floors: dict[str, str] = {}
    for count, shared in [(0, False)] + [(n, s) for n in CHECK_COUNTS for s in (False, True)]:
        gate_dir = checkgen.suite(work, count, shared)
        report = work / f"{count}-{shared}.json"
        args = gate_args(
            bench.config(), prometheus_url=url, at=float(T), gate_dir=gate_dir, report=report
        )
        kind = "one shared question" if shared else "each its own question"
        name = f"+{count} checks, {kind}" if count else DEFAULT_SUITE
        variants[name] = Variant(ONLY_GATE.command(args), ONLY_GATE.env(), 0)
        if not shared:
            extra = checkgen.custom_queries(count, shared)
            plan_file = write_plan(bench, url, f"plan-checks-{count}.json", extra)
            floor = f"floor: the requests of {name.split(',')[0]}"
            variants[floor] = Variant(floor_command(plan_file), child_env(), 0)
            floors[name] = floor
    trivial = _trivial_suite(work, max(CHECK_COUNTS) + DEFAULT_CHECKS)
    variants[PYTEST_ONLY] = Variant(
        [PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(trivial)],
        child_env(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"),
        0,
    )
    bench.say(f"scale: checks ({len(variants)} variants)")
    results = bench.measure(dict(variants))
    first = next(iter(results))
    notes = {
        name: f"its floor: {seconds(median_wall_seconds(results[floor]))}"
        for name, floor in floors.items()
    }
    checks = len(json.loads((work / "0-False.json").read_text())["checks"])
    notes[DEFAULT_SUITE] = f"{checks} checks in the report; " + notes[DEFAULT_SUITE]
    section.tables.append(_table(results, first, notes))
    largest = max(CHECK_COUNTS)
    shared_growth = _growth(results, f"+{largest} checks, one shared question", first)
    own = _growth(results, f"+{largest} checks, each its own question", first)
    floor_growth = _growth(
        results, floors[f"+{largest} checks, each its own question"], floors[first]
    )
    section.targets.append(
        Target(
            f"+{largest} checks < {CHECKS_TARGET}x the default suite (the checks' own cost: they share one question)",
            f"{shared_growth:.2f}x",
            shared_growth < CHECKS_TARGET,
        )
    )
    section.targets.append(
        Target(
            f"+{largest} checks that each send their own Prometheus request < {CHECKS_TARGET}x",
            f"{own:.2f}x; bare Python sending the same {largest} extra requests grows {floor_growth:.2f}x, "
            "so on this machine the requests alone exceed the target",
            own < CHECKS_TARGET,
        )
    )
    section.notes.append(
        "Generated checks are `@pytest.mark.warning` tests asking `metrics.ask(...)` a gauge of "
        "`up` and comparing with `gate.expect`; their questions are listed through "
        "`pytest_gate_plan` in their own conftest, so they are prefetched concurrently. A floor "
        "row sends the same Prometheus requests from bare Python; `pytest, N trivial tests` is "
        "pytest's own per-test cost without the gate."
    )
    section.commands.append(
        shown(
            variants["+500 checks, each its own question"].command,
            ONLY_GATE.env(),
            bench.settings.workdir,
        )
    )


def _trivial_suite(work: Path, count: int) -> Path:
    directory = work / f"trivial-{count}"
    directory.mkdir(exist_ok=True)
    body = "".join(
        f"def test_{index:04d}():\n    assert {index} >= 0\n\n\n" for index in range(count)
    )
    (directory / "test_trivial.py").write_text(body)
    return directory


def _gpus(bench: Bench, section: Section) -> None:
    url = bench.prometheus().url
    work = bench.directory("scale-gpus")
    variants = {
        f"{count} GPUs": Variant(
            ONLY_GATE.command(
                gate_args(
                    bench.config(count),
                    prometheus_url=url,
                    at=float(T),
                    report=work / f"{count}.json",
                )
            ),
            ONLY_GATE.env(),
            0,
        )
        for count in bench.settings.gpu_counts
    }
    bench.say(f"scale: GPUs {bench.settings.gpu_counts}")
    results = bench.measure(dict(variants))
    first = next(iter(results))
    section.tables.append(_table(results, first))
    last = list(results)[-1]
    growth = _growth(results, last, first)
    section.targets.append(
        Target(f"{last} < {GPU_TARGET}x {first}", f"{growth:.2f}x", growth < GPU_TARGET)
    )
    section.commands.append(shown(variants[last].command, ONLY_GATE.env(), bench.settings.workdir))


def _scrape(bench: Bench, section: Section) -> None:
    work = bench.directory("scale-scrape")
    small, large = exposition.exposition(0), exposition.exposition(SCRAPE_SERIES)
    small_lines, large_lines = small.count(b"\n"), large.count(b"\n")
    with exposition.serve(small) as small_url, exposition.serve(large) as large_url:
        variants = {
            f"scrape, contract only ({small_lines} lines)": Variant(
                ONLY_GATE.command(
                    gate_args(SHIPPED_CONFIG, metrics_url=small_url, report=work / "small.json")
                ),
                ONLY_GATE.env(),
                None,
            ),
            f"scrape, +{SCRAPE_SERIES:,} label sets ({large_lines} lines, {len(large) / 2**20:.1f} MiB)": Variant(
                ONLY_GATE.command(
                    gate_args(SHIPPED_CONFIG, metrics_url=large_url, report=work / "large.json")
                ),
                ONLY_GATE.env(),
                None,
            ),
        }
        bench.say("scale: scraped /metrics, contract only and +10,000 label sets")
        results = bench.measure(dict(variants))
    first = next(iter(results))
    section.tables.append(_table(results, first))
    section.notes.append(
        "The scrape runs use the shipped gate.toml and no `--gate-time` (a scrape only sees the "
        "present); their exit code is not GO because a single scrape cannot answer the raw-PromQL "
        "resource checks or the RL history, which is the same in both variants."
    )
    section.commands.append(
        shown(list(variants.values())[-1].command, ONLY_GATE.env(), bench.settings.workdir)
    )
