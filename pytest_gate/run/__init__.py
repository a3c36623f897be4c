"""The pytest wiring: session state, fixtures, gate mode, per-check outcomes, the conclusion and
the watch inside a session."""

GATE_RUN_PLUGIN = "gate-run"
"""The name the run's hooks are registered under once gate mode is entered."""
