"""Read a TOML file the gate was given (the gate config): bounded, regular files only, shallow.

Every failure is a :class:`~pytest_gate.config.tomlschema.ConfigError` whose message names the
file, the problem and the fix; nothing in a file can make the read hang, exhaust memory or end in a
Python traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pytest_gate.config.tomlschema import ConfigError
from pytest_gate.core.readfile import FileReadError, nesting_depth, read_limited

MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""A gate config is a few KiB; anything above this limit is the wrong file."""
MAX_DEPTH = 16
"""Tables and arrays nested deeper than this are not a gate config."""
NOT_FOUND = "file not found; create it (copy gate_checks/gate.toml) or pass --gate-config PATH"


def read_toml(path: Path) -> tuple[dict[str, Any], bytes]:
    """The parsed document and the raw bytes of the gate config at ``path``."""
    where = str(path)
    try:
        raw = read_limited(path, MAX_CONFIG_BYTES, "--gate-config")
    except FileReadError as exc:
        raise ConfigError(f"{where}: {NOT_FOUND if exc.missing else exc.problem}") from None
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{where}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc}); fix the syntax at that spot") from None
    except RecursionError:
        document = None
    if document is None or nesting_depth(document, MAX_DEPTH + 1) > MAX_DEPTH:
        raise ConfigError(
            f"{where}: tables or arrays nested more than {MAX_DEPTH} deep; a gate config is "
            "flat (see gate_checks/gate.toml): remove the nesting"
        )
    return document, raw
