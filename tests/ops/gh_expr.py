"""A small evaluator for GitHub Actions ``if:`` expressions, to test the workflow's paths.

Covers what workflows use in conditions: literals ('str', numbers, true/false/null), context
property access (``needs.gate.outputs.decision``, ``a['b']``), ``!``, ``==``/``!=`` (strings
compared case-insensitively, as GitHub does), ``<``/``>``/``<=``/``>=``, ``&&``/``||`` (returning
an operand, like GitHub), parentheses, and the functions ``success()``, ``failure()``,
``always()``, ``cancelled()``, ``contains()``, ``startsWith()``, ``endsWith()``.
A condition without a status function gets GitHub's implicit ``success() &&``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op>&&|\|\||==|!=|<=|>=|[!<>()\[\].,])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
STATUS_FUNCTIONS = ("success", "failure", "always", "cancelled")


class ExpressionError(Exception):
    """The expression uses syntax this evaluator does not know."""


@dataclass(frozen=True)
class Status:
    """What the status functions answer for the job or step being evaluated."""

    success: bool
    failure: bool
    cancelled: bool = False


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ExpressionError(f"cannot read {text[position:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _truthy(value: Any) -> bool:
    return value not in (None, False, 0, "")


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    return bool(left == right)


class _Parser:
    def __init__(self, text: str, context: Mapping[str, Any], status: Status) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.context = context
        self.functions: dict[str, Callable[..., Any]] = {
            "success": lambda: status.success,
            "failure": lambda: status.failure,
            "always": lambda: True,
            "cancelled": lambda: status.cancelled,
            "contains": lambda a, b: str(b).lower() in str(a).lower(),
            "startsWith": lambda a, b: str(a).lower().startswith(str(b).lower()),
            "endsWith": lambda a, b: str(a).lower().endswith(str(b).lower()),
        }

    def peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise ExpressionError("unexpected end of expression")
        token = self.tokens[self.index]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, got {token[1]!r}")
        self.index += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.index != len(self.tokens):
            raise ExpressionError(f"trailing tokens from {self.peek()!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = value if _truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == "&&":
            self.take()
            right = self.compare()
            value = right if _truthy(value) else value
        return value

    def compare(self) -> Any:
        left = self.unary()
        while self.peek() in ("==", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            right = self.unary()
            if op in ("==", "!="):
                left = _equal(left, right) == (op == "==")
            else:
                left = {"<": left < right, ">": left > right,
                        "<=": left <= right, ">=": left >= right}[op]
        return left

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not _truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r}")
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if self.peek() == "(":
            return self.call(text)
        return self.properties(self.context.get(text))

    def call(self, name: str) -> Any:
        if name not in self.functions:
            raise ExpressionError(f"unknown function {name}()")
        self.take("(")
        args: list[Any] = []
        while self.peek() != ")":
            args.append(self.or_())
            if self.peek() == ",":
                self.take(",")
        self.take(")")
        return self.functions[name](*args)

    def properties(self, value: Any) -> Any:
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                key = self.take()[1]
            else:
                key = self.or_()
                self.take("]")
            value = value.get(key) if isinstance(value, Mapping) else None
        return value


def evaluate(text: str, context: Mapping[str, Any], status: Status) -> Any:
    """Evaluate an expression (with or without ``${{ }}``) in ``context``."""
    text = text.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    return _Parser(text, context, status).parse()


def condition_holds(text: str, context: Mapping[str, Any], status: Status) -> bool:
    """Whether an ``if:`` runs, with GitHub's implicit ``success() &&`` when no status call."""
    if not any(re.search(rf"\b{name}\s*\(", text) for name in STATUS_FUNCTIONS):
        text = f"success() && ({text.strip().removeprefix('${{').removesuffix('}}')})"
    return _truthy(evaluate(text, context, status))
