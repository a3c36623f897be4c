"""``gate-vram`` exit codes, the contract scripts rely on (documented in the README)."""

from __future__ import annotations

from pytest_gate.gpu.memory import FAIL, PASS, WARN

EXIT_PASS = 0
EXIT_WARN = 1
EXIT_FAIL = 2
EXIT_NVML_UNAVAILABLE = 3
EXIT_USAGE = 64  # EX_USAGE from sysexits.h; kept apart from FAIL's 2
EXIT_INTERRUPTED = 130  # Ctrl-C before the first reading finished

_BY_STATUS = {PASS: EXIT_PASS, WARN: EXIT_WARN, FAIL: EXIT_FAIL}


def exit_code(status: str) -> int:
    """Return the exit code of a ``PASS`` / ``WARN`` / ``FAIL`` status."""
    return _BY_STATUS[status]
