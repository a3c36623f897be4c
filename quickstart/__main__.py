"""``python -m quickstart [--fault NAME]``: the whole chain on this machine, gated.

Exit code: the gate's (0 GO, 1 WARNING, 2 NO-GO), the worse of the pre-deploy gate and the smoke
checks. Everything it starts is stopped before it exits, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from quickstart.run import FAULTS, QuickstartSettings, run


def say(line: str) -> None:
    """Progress on stdout, flushed at once."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def parse_args(argv: Sequence[str] | None) -> QuickstartSettings:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m quickstart",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--fault",
        choices=sorted(FAULTS),
        default="none",
        help="inject a real fault: " + "; ".join(f"{k}: {v}" for k, v in sorted(FAULTS.items())),
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(".quickstart"),
        help="where models, logs and Prometheus data go (default .quickstart)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=Path("gate_report.json"),
        help="the gate report (default gate_report.json)",
    )
    parser.add_argument(
        "--smoke-report",
        type=Path,
        default=Path("smoke_report.json"),
        help="the smoke checks' report (default smoke_report.json)",
    )
    parser.add_argument("--texts", type=int, default=8, help="distinct texts per mode (default 8)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="rounds over the same texts; the later ones hit the cache (default 3)",
    )
    parser.add_argument("--concurrency", type=int, default=1, help="parallel clients (default 1)")
    args = parser.parse_args(argv)
    if not 1 <= args.texts <= 12 or args.repeats < 1 or args.concurrency < 1:
        parser.error("--texts takes 1..12, --repeats and --concurrency at least 1")
    return QuickstartSettings(
        workdir=args.workdir.resolve(),
        report=args.report.resolve(),
        smoke_report=args.smoke_report.resolve(),
        fault=args.fault,
        texts_per_mode=args.texts,
        repeats=args.repeats,
        concurrency=args.concurrency,
    )


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chain; a failure of the chain itself (not the gate) is NO-GO with a message."""
    settings = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return run(settings, say)
    except KeyboardInterrupt:
        say("quick start interrupted: everything it started was stopped (exit 2)")
        return 2
    except (RuntimeError, OSError) as exc:
        say(f"quick start failed: {exc}")
        say("everything it started was stopped (exit 2); logs are in " + str(settings.workdir))
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
