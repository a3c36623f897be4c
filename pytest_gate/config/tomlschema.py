"""Validate a parsed TOML table against a frozen dataclass: keys, types and bounds.

A dataclass field is a required key; its type says what TOML value it takes (``bool``, ``int``,
``float``, ``str``, ``tuple[str, ...]`` for an array of strings, ``dict[str, X]`` for an inline
table, another dataclass for a sub-table) and ``field(metadata=rules(...))`` adds bounds. Unknown
keys, missing keys, wrong types and out-of-bounds values raise :class:`ConfigError` with
``"<path>: <dotted.key>: <problem>; <fix>"``.
"""

from __future__ import annotations

import math
import re
from dataclasses import MISSING, dataclass, fields, is_dataclass
from typing import Any, NoReturn, get_args, get_origin, get_type_hints


class ConfigError(Exception):
    """The gate config is missing, unreadable or invalid; the message names the key and the fix."""


@dataclass(frozen=True)
class Spec:
    """Bounds and shape rules of one key."""

    min: float | None = None
    gt: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    nonempty: bool = False
    pattern: str | None = None
    pattern_help: str = ""
    keys: tuple[str, ...] = ()
    key_pattern: str | None = None

    def out_of_bounds(self, value: float) -> str | None:
        """Why ``value`` breaks the bounds, or ``None``."""
        if math.isnan(value) or math.isinf(value):
            return "is not a finite number"
        if self.gt is not None and value <= self.gt:
            return f"is not above {self.gt:g}"
        if self.min is not None and value < self.min:
            return f"is below {self.min:g}"
        if self.max is not None and value > self.max:
            return f"is above {self.max:g}"
        return None

    def bounds_help(self) -> str:
        """``between 0 and 1``, ``above 0`` ... for the fix part of a message."""
        low = f"above {self.gt:g}" if self.gt is not None else None
        low = low or (f"at least {self.min:g}" if self.min is not None else None)
        high = f"at most {self.max:g}" if self.max is not None else None
        return " and ".join(part for part in (low, high) if part) or "that is finite"


def rules(**bounds: Any) -> dict[str, Spec]:
    """Field metadata carrying a :class:`Spec`: ``field(metadata=rules(min=0.0))``."""
    return {"spec": Spec(**bounds)}


def fail(where: str, key: str, problem: str, fix: str) -> NoReturn:
    """Raise the one error format: ``<path>: <key>: <problem>; <fix>``."""
    raise ConfigError(f"{where}: {key}: {problem}; {fix}")


def build(cls: type[Any], table: object, where: str, prefix: str) -> Any:
    """An instance of dataclass ``cls`` from ``table``; ``prefix`` is the table's dotted key."""
    name = prefix or "(top level)"
    if not isinstance(table, dict):
        fail(where, name, f"expected a table, got {toml_type(table)}", f"write it as [{name}]")
    hints = get_type_hints(cls)
    allowed = [f.name for f in fields(cls)]
    for key in table:
        if key not in allowed:
            fail(
                where,
                _join(prefix, key),
                "unknown key",
                f"allowed keys here are: {', '.join(sorted(allowed))}",
            )
    values: dict[str, Any] = {}
    for f in fields(cls):
        key = _join(prefix, f.name)
        kind = hints[f.name]
        if f.name not in table and f.default is not MISSING:
            values[f.name] = f.default  # an optional key: its documented default
            continue
        if f.name not in table:
            what = "table" if is_dataclass(kind) else "key"
            fail(
                where,
                key,
                f"missing {what}",
                "add it (see gate_checks/gate.toml for the documented default)",
            )
        if isinstance(kind, type) and is_dataclass(kind):
            values[f.name] = build(kind, table[f.name], where, key)
        else:
            values[f.name] = _value(kind, table[f.name], f.metadata.get("spec"), where, key)
    return cls(**values)


def _value(kind: Any, value: object, limits: Spec | None, where: str, key: str) -> Any:
    origin = get_origin(kind)
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(
                where,
                key,
                f"expected an array of strings, got {toml_type(value)}",
                'write it like ["a", "b"]',
            )
        items = tuple(value)
        for item in items:
            _check_spec(item, limits, where, key)
        if limits is not None and limits.nonempty and not items:
            fail(where, key, "is empty", "list at least one value")
        return items
    if origin is dict:
        value_kind = get_args(kind)[1]
        if not isinstance(value, dict):
            fail(
                where,
                key,
                f"expected a table, got {toml_type(value)}",
                "write it like { fast = 1.0 }",
            )
        result = {k: _scalar(value_kind, v, where, f"{key}.{k}") for k, v in value.items()}
        _check_table_keys(result, limits, where, key)
        return result
    checked = _scalar(kind, value, where, key)
    _check_spec(checked, limits, where, key)
    return checked


def _scalar(kind: Any, value: object, where: str, key: str) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            fail(
                where,
                key,
                f"expected true or false, got {toml_type(value)}",
                "write true or false (no quotes)",
            )
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            fail(
                where,
                key,
                f"expected a whole number, got {toml_type(value)}",
                "write an integer without quotes, e.g. 300",
            )
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(
                where,
                key,
                f"expected a number, got {toml_type(value)}",
                "write a plain number without quotes or units, e.g. 0.005",
            )
        return float(value)
    if not isinstance(value, str):
        fail(where, key, f"expected a string, got {toml_type(value)}", 'write it in "quotes"')
    return value


def _check_spec(value: Any, limits: Spec | None, where: str, key: str) -> None:
    if limits is None:
        return
    if isinstance(value, str):
        if limits.pattern is not None and not re.fullmatch(limits.pattern, value):
            shape = limits.pattern_help
            fail(where, key, f"{value!r} is not {shape}", f"use {shape}")
        if limits.choices and value not in limits.choices:
            fail(
                where, key, f"{value!r} is not allowed", f"use one of: {', '.join(limits.choices)}"
            )
        if limits.nonempty and not value.strip():
            fail(where, key, "is empty", "give a value")
        return
    problem = limits.out_of_bounds(value)
    if problem is not None:
        fail(where, key, f"{value:g} {problem}", f"use a value {limits.bounds_help()}")


def _check_table_keys(table: dict[str, Any], limits: Spec | None, where: str, key: str) -> None:
    if limits is None:
        return
    for name, item in table.items():
        if limits.keys and name not in limits.keys:
            fail(
                where,
                f"{key}.{name}",
                "unknown key",
                f"allowed keys here are: {', '.join(limits.keys)}",
            )
        if limits.key_pattern is not None and not re.fullmatch(limits.key_pattern, name):
            fail(
                where,
                f"{key}.{name}",
                f"{name!r} is not {limits.pattern_help}",
                f"use {limits.pattern_help}",
            )
        _check_spec(item, limits, where, f"{key}.{name}")
    for name in limits.keys:
        if name not in table:
            fail(where, f"{key}.{name}", "missing key", f"add {name} = <value> to {key}")


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def toml_type(value: object) -> str:
    """``a string 'x'``, ``an array``: how a value found in the file is named in messages."""
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    shown = repr(value) if isinstance(value, str | int | float) else ""
    kind = names.get(type(value), type(value).__name__)
    return f"{kind} {shown}".rstrip()
