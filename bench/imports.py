"""Import costs from ``python -X importtime``: the plugin's, a whole gate run's, each autoloaded plugin's."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib import metadata

from bench.gate import PYTHON, ROOT
from bench.measure import median, run_child

IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
GATE_ENTRY_POINT = "pytest_gate.plugin"


def import_lines(command: Sequence[str], env: Mapping[str, str]) -> list[tuple[str, int, int]]:
    """Run ``command`` under ``-X importtime``: (module, self us, cumulative us) per import.

    A pytest command must run with ``-s``: pytest captures stderr, where the lines go.
    """
    result = run_child([command[0], "-X", "importtime", *command[1:]], env=env, cwd=ROOT)
    lines = []
    for line in result.output.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            lines.append((match.group(4), int(match.group(1)), int(match.group(2))))
    return lines


def cumulative_seconds(module: str, command: Sequence[str], env: Mapping[str, str]) -> float:
    """The cumulative import time of ``module`` in one run of ``command``."""
    for name, _, cumulative in import_lines(command, env):
        if name == module:
            return cumulative / 1e6
    raise RuntimeError(f"{module} was not imported by {' '.join(command)}")


def self_seconds_by_package(command: Sequence[str], env: Mapping[str, str]) -> Counter[str]:
    """Self import time summed per top-level package (``urllib3.util.ssl_`` -> ``urllib3``)."""
    totals: Counter[str] = Counter()
    for name, self_us, _ in import_lines(command, env):
        totals[name.split(".")[0]] += self_us
    return Counter({name: value / 1e6 for name, value in totals.items()})


def median_by_package(runs: Sequence[Counter[str]]) -> dict[str, float]:
    """Per package, the median over runs (a package missing from a run counts 0)."""
    names = set().union(*runs)
    return {name: median([run.get(name, 0.0) for run in runs]) for name in names}


def autoloaded_plugins() -> list[tuple[str, str]]:
    """(distribution, module) of every installed ``pytest11`` plugin but the gate."""
    found = []
    for dist in metadata.distributions():
        for entry in dist.entry_points:
            if entry.group == "pytest11" and entry.value != GATE_ENTRY_POINT:
                found.append((dist.metadata["Name"], entry.value.split(":")[0]))
    return sorted(set(found))


def plugin_import_seconds(module: str, env: Mapping[str, str]) -> float:
    """Cumulative import time of a plugin module after ``import pytest`` (its own cost)."""
    return cumulative_seconds(module, [PYTHON, "-c", f"import pytest; import {module}"], env)
