"""Support for black-box plugin tests: a gate suite in a pytester directory, and its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _reject_constant(token: str) -> Any:
    raise ValueError(f"non-RFC 8259 token {token} in the report")


def load_strict(path: Path) -> dict[str, Any]:
    """Parse a report with a parser that rejects NaN and Infinity."""
    data = json.loads(path.read_text(), parse_constant=_reject_constant)
    assert isinstance(data, dict)
    return data


def write_check(directory: Path, name: str, body: str) -> Path:
    """Write a check module into the gate-checks directory."""
    path = directory / f"test_{name}.py"
    path.write_text("import pytest\n\n" + body)
    return path
