"""The pytest11 entry point: options, markers, and the switch into gate mode.

Every pytest run in an environment with pytest-gate imports this module, so it imports only what
registering options and markers needs. Gate mode is explicit (DESIGN §3): a gate-checks directory
(one holding ``gate.toml``) given or collected, a gate option on the command line, or the ini
``gate = true``. Only then does :mod:`pytest_gate.run.gaterun` load and register the run's hooks;
outside gate mode the plugin changes nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pytest_gate.config.gatedir import gate_dir_of
from pytest_gate.config.registration import add_options, asked_for
from pytest_gate.config.transport import add_transport_ini
from pytest_gate.run import GATE_RUN_PLUGIN, hooks

MARKERS = (
    "critical: gate check whose failure, missing data or error makes the gate NO-GO (exit 2)",
    "warning: gate check whose failure, missing data or error makes the gate WARNING (exit 1)",
    "smoke: post-deploy smoke check against a live service (run with -m smoke --serving-url URL)",
    "canary: canary-versus-baseline check (run with -m canary --gate-canary ... --gate-baseline ...)",
)
INFORMATIONAL_OPTIONS = ("collectonly", "showfixtures", "show_fixtures_per_test", "markers", "help")
"""Runs that list rather than run (``--co``, ``--fixtures``, ``--markers``, ``--help``) never
decide a verdict: pytest's own exit code, no report."""
STARTED_KEY = pytest.StashKey[float]()
SEEN_DIRS_KEY = pytest.StashKey[set[Path]]()
"""Directories whose files were looked at for a gate (one look per directory)."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Add the ``pytest_gate_plan`` hook specification."""
    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``--gate-*`` options, their ini twins and the ini ``gate`` switch."""
    add_options(parser)
    add_transport_ini(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Start the gate's clock before conftests load: their imports count against the deadline."""
    early_config.stash[STARTED_KEY] = time.monotonic()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Register the markers; enter gate mode when the command line or the ini asks for it."""
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    if config.option.help:
        return
    paths = [Path(str(arg).split("::")[0]) for arg in config.args]
    gate_dir = next((d for p in paths if (d := gate_dir_of(p, config.rootpath)) is not None), None)
    if gate_dir is None and not asked_for(config):
        return
    if _informational(config):  # list the gate's fixtures, decide nothing
        from pytest_gate.run import fixtures

        config.pluginmanager.register(fixtures, "gate-fixtures")
        return
    _enter(config, gate_dir)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> None:
    """Collecting a file in a gate-checks directory (one holding ``gate.toml``) enters gate mode."""
    config = parent.config
    if file_path.suffix != ".py" or config.pluginmanager.has_plugin(GATE_RUN_PLUGIN):
        return
    seen = config.stash.setdefault(SEEN_DIRS_KEY, set())
    if file_path.parent in seen:
        return
    seen.add(file_path.parent)
    gate_dir = gate_dir_of(file_path.parent, config.rootpath)
    if gate_dir is not None and not _informational(config):
        _enter(config, gate_dir)


def _informational(config: pytest.Config) -> bool:
    return any(getattr(config.option, name, False) for name in INFORMATIONAL_OPTIONS)


def _enter(config: pytest.Config, gate_dir: Path | None) -> None:
    from pytest_gate.run import gaterun  # the gate's machinery loads only in gate mode

    gaterun.start(config, config.stash.get(STARTED_KEY, None), gate_dir)
