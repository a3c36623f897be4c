"""Byte sizes: parse ``16GiB`` / ``16GB`` / ``17179869184`` and format MiB and GiB."""

from __future__ import annotations

import math
import re

MIB = 1024**2
GIB = 1024**3

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
SIZE_HELP = "a whole number of bytes or a size such as 16GiB (binary) or 16GB (decimal)"


def parse_bytes(text: str) -> int:
    """Return the positive byte count ``text`` names; raise ``ValueError`` naming the fix."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size; write {SIZE_HELP}")
    number, unit = match.groups()
    factor = _UNITS.get(unit.lower())
    if factor is None:
        raise ValueError(
            f"{text!r} has an unknown or ambiguous unit {unit!r}; use B, KB, MB, GB, TB "
            "(powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)"
        )
    size = float(number) * factor
    if not math.isfinite(size) or size < 1:
        raise ValueError(f"{text!r} is not a positive size; write {SIZE_HELP}")
    return round(size)


def mib(size_bytes: int) -> str:
    """Format bytes as whole MiB, e.g. ``81559``."""
    return f"{size_bytes / MIB:.0f}"


def gib(size_bytes: int) -> str:
    """Format bytes as GiB with one decimal, e.g. ``16.0 GiB``."""
    return f"{size_bytes / GIB:.1f} GiB"
