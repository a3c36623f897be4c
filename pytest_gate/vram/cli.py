"""``gate-vram``: options, mode dispatch and exit codes (the logic lives in the sibling modules).

Exit codes: 0 every device PASS, 1 any WARN, 2 any FAIL (or a plan that cannot fit), 3 NVML
unavailable, 64 bad usage or unreadable input, 130 interrupted before the first reading.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from pytest_gate.gpu import nvml
from pytest_gate.gpu.memory import MIN_HEADROOM_RATIO, WARN_HEADROOM_RATIO, GpuMemory, worst_status
from pytest_gate.vram import exporter, render
from pytest_gate.vram.exitcodes import (
    EXIT_INTERRUPTED,
    EXIT_NVML_UNAVAILABLE,
    EXIT_PASS,
    EXIT_USAGE,
    exit_code,
)
from pytest_gate.vram.plan import plan_placement
from pytest_gate.vram.registry import RegistryError, load_registry, parse_model_option
from pytest_gate.vram.resident import ResidentError, fetch_loaded_models

PROG = "gate-vram"
DEFAULT_THRESHOLD_RATIO = MIN_HEADROOM_RATIO
DEFAULT_WARN_RATIO = WARN_HEADROOM_RATIO
DESCRIPTION = (
    "Check GPU memory headroom through NVML, plan model loads, or export the readings to "
    "Prometheus. Exit codes: 0 all PASS, 1 any WARN, 2 any FAIL, 3 NVML unavailable, "
    "64 usage error, 130 interrupted before the first reading."
)
PLAN_ONLY = ("registry", "model", "loaded", "loaded_from")


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 64 so they never read as FAIL (2)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _ratio(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; write e.g. 0.20") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            f"{text} is not a ratio between 0 and 1; write e.g. 0.20 for 20%"
        )
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} readings: give at least 1")
    return value


def _address(text: str) -> tuple[str, int]:
    host, sep, port_text = text.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    if not sep or not port_text.isdigit() or int(port_text) > 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not HOST:PORT; write e.g. 127.0.0.1:9400 (port 0 picks a free one)"
        )
    return host, int(port_text)


def build_parser() -> argparse.ArgumentParser:
    """The ``gate-vram`` argument parser."""
    parser = _Parser(prog=PROG, description=DESCRIPTION)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one reading (the default mode)")
    mode.add_argument(
        "--plan", action="store_true", help="may the models not yet loaded be loaded here?"
    )
    mode.add_argument("--interval", type=_seconds, metavar="SECONDS", help="repeat readings")
    mode.add_argument(
        "--serve", type=_address, metavar="HOST:PORT", help="serve Prometheus metrics"
    )
    parser.add_argument("--count", type=_count, metavar="N", help="with --interval: N readings")
    parser.add_argument(
        "--json", action="store_true", help="JSON output (JSON lines with --interval)"
    )
    parser.add_argument(
        "--threshold",
        type=_ratio,
        default=DEFAULT_THRESHOLD_RATIO,
        metavar="RATIO",
        help="free/total below this fails (default 0.20)",
    )
    parser.add_argument(
        "--warn",
        type=_ratio,
        metavar="RATIO",
        help="free/total below this warns (default 0.25, or --threshold if higher)",
    )
    plan = parser.add_argument_group("plan inputs (with --plan)")
    plan.add_argument("--registry", type=Path, metavar="PATH", help="model registry TOML")
    plan.add_argument(
        "--model", action="append", default=[], metavar="NAME=BYTES", help="a model (repeatable)"
    )
    plan.add_argument(
        "--loaded", action="append", default=[], metavar="NAME", help="already loaded (repeatable)"
    )
    plan.add_argument(
        "--loaded-from", metavar="URL", help="read loaded models from the serving /metrics"
    )
    return parser


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.warn is None:
        args.warn = max(DEFAULT_WARN_RATIO, args.threshold)
    elif args.warn < args.threshold:
        parser.error(
            f"--warn {args.warn} is below --threshold {args.threshold}; the warning line sits at "
            "or above the failure line: raise --warn"
        )
    if args.count is not None and args.interval is None:
        parser.error("--count needs --interval SECONDS")
    if args.json and args.serve is not None:
        parser.error("--json does not apply to --serve; the exporter speaks Prometheus text")
    given = [f"--{name.replace('_', '-')}" for name in PLAN_ONLY if getattr(args, name)]
    if given and not args.plan:
        parser.error(f"{', '.join(given)} only apply to --plan; add --plan")
    if args.plan and args.registry is None and not args.model:
        parser.error("--plan needs the models: pass --registry PATH or --model NAME=BYTES")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _emit_json(document: dict[str, Any]) -> None:
    _emit(json.dumps(document, allow_nan=False) + "\n")


def _read() -> list[GpuMemory]:
    gpus = nvml.read_gpus()
    if not gpus:
        raise nvml.NvmlUnavailable.no_gpus()
    return gpus


def _report(gpus: list[GpuMemory], args: argparse.Namespace) -> None:
    if args.json:
        _emit_json(render.reading_json(gpus, args.threshold, args.warn, _now()))
    else:
        _emit(render.reading_text(gpus, args.threshold, args.warn))


def _run_interval(args: argparse.Namespace) -> int:
    statuses: list[str] = []
    try:
        while args.count is None or len(statuses) < args.count:
            if statuses:
                time.sleep(args.interval)
            gpus = _read()
            # Counted before it is shown: a Ctrl-C while printing keeps this reading's verdict.
            statuses.append(render.reading_status(gpus, args.threshold, args.warn))
            if not args.json:
                _emit(f"# reading {len(statuses)} at {_now()}\n")
            _report(gpus, args)
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted after {len(statuses)} reading(s)\n")
        return exit_code(worst_status(statuses)) if statuses else EXIT_INTERRUPTED
    return exit_code(worst_status(statuses))


def _plan_models(args: argparse.Namespace) -> tuple[dict[str, int], list[str]]:
    models = load_registry(args.registry) if args.registry is not None else {}
    models.update(parse_model_option(text) for text in args.model)
    unknown = sorted(set(args.loaded) - set(models))
    if unknown:
        raise RegistryError(
            f"--loaded {', '.join(unknown)}: not among the models ({', '.join(sorted(models))}); "
            "check the spelling"
        )
    loaded = set(args.loaded)
    if args.loaded_from:
        loaded |= fetch_loaded_models(args.loaded_from) & set(models)
    return models, sorted(loaded)


def _run_plan(args: argparse.Namespace) -> int:
    try:
        models, loaded = _plan_models(args)
    except (RegistryError, ResidentError) as error:
        sys.stderr.write(f"{PROG}: error: {error}\n")
        return EXIT_USAGE
    result = plan_placement(_read(), models, loaded, args.threshold, args.warn)
    if args.json:
        _emit_json(render.plan_json(result, args.threshold, args.warn, _now()))
    else:
        _emit(render.plan_text(result, args.threshold, args.warn))
    return exit_code(result.status)


def _run_serve(args: argparse.Namespace) -> int:
    host, port = args.serve
    registry = exporter.build_registry(args.threshold, args.warn)
    try:
        server, thread = exporter.serve(host, port, registry)
    except OSError as error:
        sys.stderr.write(
            f"{PROG}: error: cannot listen on {host}:{port}: {error.strerror}; "
            "choose another HOST:PORT\n"
        )
        return EXIT_USAGE
    shown = f"[{host}]" if ":" in host else host
    _emit(f"Serving VRAM metrics on http://{shown}:{server.server_port}/metrics (Ctrl-C stops)\n")
    try:
        _read()
    except nvml.NvmlUnavailable as error:
        sys.stderr.write(f"{PROG}: warning: {error}; serving nvidia_gpu_exporter_up 0\n")
    try:
        while thread.is_alive():
            thread.join(timeout=1.0)
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: stopped\n")
    finally:
        server.shutdown()
        server.server_close()
    return EXIT_PASS


def _dispatch(args: argparse.Namespace) -> int:
    if args.serve is not None:
        return _run_serve(args)
    if args.plan:
        return _run_plan(args)
    if args.interval is not None:
        return _run_interval(args)
    gpus = _read()
    _report(gpus, args)
    return exit_code(render.reading_status(gpus, args.threshold, args.warn))


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``gate-vram`` with ``argv`` (default: the command line) and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        _check(parser, args)
    except SystemExit as stop:  # --help (0) or a usage error (64)
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    try:
        return _dispatch(args)
    except nvml.NvmlUnavailable as error:
        sys.stderr.write(f"{PROG}: {error}\n")
        if args.json:
            _emit_json(render.error_json(error))
        return EXIT_NVML_UNAVAILABLE
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
