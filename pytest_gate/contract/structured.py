"""Check a JSON value against the subset of JSON Schema that structured output uses (pure).

The vllm profile's smoke check sends a JSON Schema as ``response_format`` and checks the reply
against it. The keywords read here are the ones OpenAI-style structured output supports and
engines enforce while decoding: ``type`` (one name or a list), ``properties``, ``required``,
``additionalProperties: false``, ``items``, ``enum``, ``const``, ``minimum``/``maximum``,
``minLength``/``maxLength`` and ``minItems``/``maxItems``. Other keywords are ignored, never
guessed at. No third-party validator: the gate's runtime dependencies stay what the gate uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["schema_violations"]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
}


def _is(value: Any, name: str) -> bool:
    if name in ("number", "integer") and isinstance(value, bool):
        return False
    if name == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(name, (object,)))


def schema_violations(value: Any, schema: Mapping[str, Any], where: str = "$") -> list[str]:
    """Every way ``value`` breaks ``schema``, as ``"$.answer: expected string"`` lines."""
    problems: list[str] = []
    wanted = schema.get("type")
    names = [wanted] if isinstance(wanted, str) else list(wanted or [])
    if names and not any(_is(value, n) for n in names):
        return [f"{where}: expected {' or '.join(names)}, got {type(value).__name__}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} is not one of {schema['enum']!r}")
    if "const" in schema and value != schema["const"]:
        problems.append(f"{where}: {value!r} is not {schema['const']!r}")
    problems += _bounds(value, schema, where)
    if isinstance(value, dict):
        problems += _object(value, schema, where)
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            problems += schema_violations(item, schema["items"], f"{where}[{index}]")
    return problems


def _object(value: dict[str, Any], schema: Mapping[str, Any], where: str) -> list[str]:
    problems = [
        f"{where}: missing {key!r}" for key in schema.get("required", ()) if key not in value
    ]
    properties: Mapping[str, Any] = schema.get("properties", {})
    for key, item in value.items():
        if key in properties:
            problems += schema_violations(item, properties[key], f"{where}.{key}")
        elif schema.get("additionalProperties") is False:
            problems.append(f"{where}: unexpected key {key!r}")
    return problems


def _bounds(value: Any, schema: Mapping[str, Any], where: str) -> list[str]:
    checks: list[tuple[str, Any, bool]] = []
    if _is(value, "number"):
        checks += [("minimum", value, True), ("maximum", value, False)]
    if isinstance(value, str):
        checks += [("minLength", len(value), True), ("maxLength", len(value), False)]
    if isinstance(value, list):
        checks += [("minItems", len(value), True), ("maxItems", len(value), False)]
    problems = []
    for keyword, measured, is_floor in checks:
        limit = schema.get(keyword)
        if limit is None:
            continue
        if (is_floor and measured < limit) or (not is_floor and measured > limit):
            problems.append(f"{where}: {keyword} {limit!r} not met by {measured!r}")
    return problems
