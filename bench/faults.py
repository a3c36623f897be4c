"""Issue 9 item 3: time to a verdict when Prometheus refuses, hangs, or answers each request 2 s late.

The gate must say NO-GO (or decide) within its deadline plus one second, whatever the server does.
The runs use ``--gate-deadline`` of :data:`DEADLINE_SECONDS` (and, in a full run, one hang at the
default 20 s deadline), the gate with only its plugin loaded.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bench.context import Bench
from bench.datasets import T
from bench.decision import Variant
from bench.gate import ONLY_GATE, gate_args, shown
from bench.measure import median_wall_seconds
from bench.proxy import delay_proxy, hanging_server
from bench.report import Section, Table, Target, seconds
from pytest_gate.core.decision import EXIT_CODES
from tests.support.prometheus_server import free_port

DEADLINE_SECONDS = 5.0
DEFAULT_DEADLINE_SECONDS = 20.0
SLOW_ANSWER_SECONDS = 2.0
GRACE_SECONDS = 1.0
VERDICTS = {code: verdict.value for verdict, code in EXIT_CODES.items()}


def run(bench: Bench) -> Section:
    """Refused, hanging and slow Prometheus; the verdict and the time it took."""
    upstream = urlsplit(bench.prometheus().url)
    work = bench.directory("faults")

    def gate(name: str, url: str, deadline: float) -> Variant:
        args = gate_args(
            bench.config(),
            prometheus_url=url,
            at=float(T),
            deadline_seconds=deadline,
            report=work / f"{name}.json",
        )
        return Variant(ONLY_GATE.command(args), ONLY_GATE.env(), None)

    gate("warm", bench.prometheus().url, DEFAULT_DEADLINE_SECONDS)()
    refused_url = f"http://127.0.0.1:{free_port()}"
    with (
        hanging_server() as hung_url,
        delay_proxy(
            (upstream.hostname or "127.0.0.1", upstream.port or 0), SLOW_ANSWER_SECONDS
        ) as slow,
    ):
        variants = {
            "refused (nothing listens on the port)": (
                gate("refused", refused_url, DEADLINE_SECONDS),
                DEADLINE_SECONDS,
            ),
            "hanging (accepts, never answers)": (
                gate("hang", hung_url, DEADLINE_SECONDS),
                DEADLINE_SECONDS,
            ),
            f"slow (every answer {SLOW_ANSWER_SECONDS:g} s late)": (
                gate("slow", slow.url, DEADLINE_SECONDS),
                DEADLINE_SECONDS,
            ),
        }
        bench.say(f"faults: refused, hanging, slow; deadline {DEADLINE_SECONDS:g} s")
        results = bench.measure(
            {name: variant for name, (variant, _) in variants.items()}, warmup=False
        )
        if not bench.settings.quick:
            name = f"hanging, default deadline ({DEFAULT_DEADLINE_SECONDS:g} s), 1 run"
            variants[name] = (
                gate("hang-default", hung_url, DEFAULT_DEADLINE_SECONDS),
                DEFAULT_DEADLINE_SECONDS,
            )
            bench.say("faults: one hang at the default deadline")
            results[name] = [variants[name][0]()]
    rows = []
    section = Section(
        "faults",
        "3. Faults: time to a verdict with a refusing, hanging or slow Prometheus",
        intro=(
            f"Medians of {bench.runs} runs (after one healthy run that fills the bytecode cache), "
            "the gate with only its plugin; time from process start to exit."
        ),
    )
    for name, (variant, deadline) in variants.items():
        runs = results[name]
        wall = median_wall_seconds(runs)
        worst = max(r.wall_seconds for r in runs)
        verdicts = "/".join(
            sorted({VERDICTS.get(r.exit_code, f"exit {r.exit_code}") for r in runs})
        )
        limit = deadline + GRACE_SECONDS
        rows.append(
            (
                name,
                f"{deadline:g} s",
                seconds(wall),
                seconds(worst),
                verdicts,
                f"{limit - worst:+.2f} s",
            )
        )
        section.targets.append(
            Target(
                f"{name}: verdict within deadline + {GRACE_SECONDS:g} s ({limit:g} s)",
                f"slowest run {worst:.2f} s, {verdicts}",
                worst <= limit,
            )
        )
        section.commands.append(shown(variant.command, variant.env, bench.settings.workdir))
    section.tables.append(
        Table(
            (
                "Prometheus",
                "deadline",
                "median time",
                "slowest run",
                "verdict",
                "headroom (limit - slowest)",
            ),
            tuple(rows),
        )
    )
    return section
