"""The command line: pick benchmarks, run them with progress on stderr, write RESULTS.md."""

from __future__ import annotations

import argparse
import importlib
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench import machine
from bench.context import Bench, Settings
from bench.gate import ROOT
from bench.report import Section, document

BENCHMARKS = (
    "decision",
    "scale",
    "instances",
    "faults",
    "latency",
    "replay",
    "serving",
    "plugins",
    "reliability",
    "startup",
    "canary_sim",
    "outside",
)
"""Benchmark names, in the order they run; each is ``bench.<name>.run(bench) -> Section``."""
DEFAULT_RUNS = 5
QUICK_RUNS = 1
SCALE_GPU_COUNTS = (2, 64, 1000)
DEFAULT_OUTPUT = ROOT / "bench" / "RESULTS.md"
READING = """## Reading these numbers

- Every time is a fresh process from start to exit, and every ratio compares variants measured in
  the same interleaved rounds. This machine is shared with other work, so absolute times move
  between runs; the ratios move much less.
- The floor is the least any process can do to reach the same verdict inputs: start Python,
  `import requests`, send the gate's own Prometheus requests concurrently and decode them. pytest
  alone on two trivial tests already costs about as much as the floor, so the gate / floor ratio
  is mostly pytest's start-up and collection plus the gate's imports; the decision table breaks
  it down.
- `PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 pytest -p pytest_gate.plugin` loads only the gate. A plain
  `pytest` also loads every installed `pytest11` plugin: json-report, metadata and timeout come
  with the gate; this project's dev extra adds schemathesis (most of the cost), anyio, hypothesis
  and xdist.
  Run the gate in CI with autoload off, or from an environment without the dev tools.
"""


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmarks of the gate and the serving hot path."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"one measured run per variant and shorter loads (a smoke pass, < 2 min); default {DEFAULT_RUNS} runs",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--runs", type=int, default=None, help="measured runs per variant (median)")
    parser.add_argument(
        "--instances",
        type=_counts,
        default=None,
        metavar="N,N,...",
        help="serving-instance counts of the instances benchmark (default 1,10,100,500)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"results file (default {DEFAULT_OUTPUT.relative_to(ROOT)}; --quick and --only print only, unless given)",
    )
    return parser.parse_args(argv)


def _counts(text: str) -> tuple[int, ...]:
    """``"1,10,100"`` as ascending counts of at least 1."""
    try:
        counts = tuple(sorted({int(part) for part in text.split(",")}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list like 1,10,100") from None
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: every count must be at least 1")
    return counts


def main(argv: Sequence[str]) -> int:
    """Run the chosen benchmarks and write the results file."""
    args = parse_args(argv)
    names = [name for name in BENCHMARKS if not args.only or name in args.only]
    runs = args.runs or (QUICK_RUNS if args.quick else DEFAULT_RUNS)
    output = args.output or (None if args.quick or args.only else DEFAULT_OUTPUT)
    with tempfile.TemporaryDirectory(prefix="gate-bench-") as scratch:
        settings = Settings(
            runs=runs,
            quick=args.quick,
            workdir=Path(scratch),
            gpu_counts=SCALE_GPU_COUNTS if "scale" in names else (2,),
            **({"instance_counts": args.instances} if args.instances else {}),
        )
        bench = Bench(settings)
        load_before = machine.load_average()
        sections: list[Section] = []
        try:
            for name in names:
                bench.say(f"== {name}")
                started = time.monotonic()
                module = importlib.import_module(f"bench.{name}")
                section: Section = module.run(bench)
                section.seconds = time.monotonic() - started
                sections.append(section)
                bench.say(f"== {name} done in {section.seconds:.0f} s")
        finally:
            bench.close()
        total = time.monotonic() - bench.started
    text = document(_header(names, runs, args.quick, load_before, total), sections, READING)
    if output is None:
        print(text)
    else:
        output.write_text(text)
        bench.say(f"wrote {output}")
    return 0


def _header(names: list[str], runs: int, quick: bool, load_before: str, total: float) -> str:
    command = "python -m bench" + (" --quick" if quick else "")
    if len(names) < len(BENCHMARKS):
        command += "".join(f" --only {name}" for name in names)
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{command}` ({runs} measured run(s) per variant) on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, in {total:.0f} s. Rerun with the same "
        "command; `--quick` for a one-run pass, `--only NAME` for one benchmark.",
        "",
        "Machine:",
        "",
        *machine.describe(),
        f"- load average before / after: {load_before} / {machine.load_average()} (other work on "
        "this shared machine slows every variant of a round alike; compare ratios, not absolute times)",
    ]
    return "\n".join(lines)
