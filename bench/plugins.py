"""Issue 14 item 6: what pytest-json-report and pytest-timeout, now dependencies, add to a gate run.

The healthy gate with only its own plugin, with both plugins loaded but unused, and with both in
use (``--json-report`` writing its file, ``--timeout`` armed on every check), timed in the same
interleaved rounds; then each plugin's own import time.
"""

from __future__ import annotations

from bench import imports
from bench.context import Bench
from bench.datasets import T
from bench.decision import Variant
from bench.gate import ONLY_GATE, child_env, gate_args, shown
from bench.measure import median, median_wall_seconds, percentile
from bench.report import Section, Table, millis, ratio, seconds

ALONE = "gate plugin alone"
LOADED = "+ json-report and timeout loaded, unused"
USED = "+ --json-report and --timeout 60 in use"
SHIPPED_PLUGINS = (
    ("pytest-json-report", "pytest_jsonreport.plugin"),
    ("pytest-timeout", "pytest_timeout"),
)
LOAD = tuple(arg for _, module in SHIPPED_PLUGINS for arg in ("-p", module))


def run(bench: Bench) -> Section:
    """Time the three variants and each plugin's import."""
    url = bench.prometheus().url
    work = bench.directory("plugins")

    def gate(report: str, *extra: str, plugins: tuple[str, ...] = ()) -> Variant:
        args = gate_args(bench.config(), prometheus_url=url, at=float(T), report=work / report)
        return Variant(ONLY_GATE.command([*plugins, *args, *extra]), ONLY_GATE.env())

    in_use = ("--json-report", "--json-report-file", str(work / "pj.json"), "--timeout", "60")
    variants = {
        ALONE: gate("alone.json"),
        LOADED: gate("loaded.json", plugins=LOAD),
        USED: gate("used.json", *in_use, plugins=LOAD),
    }
    bench.say(f"plugins: {len(variants)} variants x {bench.runs} runs")
    results = bench.measure(dict(variants))
    medians = {name: median_wall_seconds(runs) for name, runs in results.items()}
    base = medians[ALONE]
    section = Section(
        "plugins",
        "6. Shipped plugins: pytest-json-report and pytest-timeout in a gate run",
        intro=(
            f"Medians of {bench.runs} interleaved runs {bench.after_warmup} of the healthy gate "
            "(autoload off, each plugin named with `-p`, as in the recommended CI invocation; a "
            "plain `pytest` loads both through their entry points at the same cost). The "
            "json-report run writes its file with the gate section."
        ),
    )
    rows = tuple(
        (name, seconds(medians[name]), millis(medians[name] - base), ratio(medians[name] / base))
        for name in variants
    )
    section.tables.append(Table(("gate run", "median wall time", "added", "vs gate alone"), rows))
    walls = [r.wall_seconds for r in results[ALONE]]
    low, high = percentile(walls, 0.25), percentile(walls, 0.75)
    section.notes.append(
        f"Run-to-run spread of the gate alone (25th to 75th percentile): {seconds(low)} to "
        f"{seconds(high)} ({millis(high - low)}); an added time inside it is noise, and the "
        "import times above bound what loading the two plugins can cost."
    )
    bench.say("plugins: import times (python -X importtime)")
    env = child_env()
    imported = tuple(
        (
            f"{dist} (`{module}`)",
            millis(median([imports.plugin_import_seconds(module, env) for _ in range(bench.runs)])),
        )
        for dist, module in SHIPPED_PLUGINS
    )
    section.tables.append(
        Table(
            ("import after `import pytest` (median, shared deps counted in each)", "time"), imported
        )
    )
    section.commands = [shown(v.command, v.env, bench.settings.workdir) for v in variants.values()]
    return section
