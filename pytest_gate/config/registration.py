"""Registering the gate's options, their ini twins and the ini ``gate`` switch with pytest.

The plugin's entry imports this module on every pytest run, gate or not, so it imports only the
option table (:mod:`pytest_gate.config.optionspec`); resolving the values
(:mod:`pytest_gate.config.options`) loads on entering gate mode.
"""

from __future__ import annotations

import pytest

from pytest_gate.config.optionspec import OPTION_SPECS

GATE_INI = "gate"
GATE_INI_HELP = (
    "Run this project's tests as a deployment gate (verdict, report, gate exit codes) even "
    "without a gate.toml next to them or a --gate-* option."
)


def add_options(parser: pytest.Parser) -> None:
    """Register every option, its ini twin and the ini ``gate`` switch."""
    group = parser.getgroup("gate", "deployment gate (pytest-gate)")
    for spec in OPTION_SPECS:
        if spec.kind == "bool":
            group.addoption(
                spec.flag, action="store_true", dest=spec.dest, default=None, help=spec.full_help
            )
        else:
            action = "append" if spec.kind == "list" else "store"
            group.addoption(
                spec.flag,
                action=action,
                dest=spec.dest,
                default=None,
                metavar=spec.metavar,
                help=spec.full_help,
            )
        if spec.ini:
            ini_type = {"bool": "bool", "list": "linelist"}.get(spec.kind, "string")
            parser.addini(spec.ini, spec.help, type=ini_type, default=None)  # type: ignore[arg-type]
    parser.addini(GATE_INI, GATE_INI_HELP, type="bool", default=False)


def asked_for(config: pytest.Config) -> bool:
    """Whether the command line (any gate option) or the ini ``gate = true`` asks for a gate.

    Environment variables and ini twins alone do not: a ``GATE_PROMETHEUS_URL`` exported in a
    shell must not turn someone's unit tests into a gate.
    """
    if any(config.getoption(spec.dest) is not None for spec in OPTION_SPECS):
        return True
    return bool(config.getini(GATE_INI))
