"""The pytest wiring: session state, fixtures, gate mode, per-check outcomes, the conclusion and
the watch inside a session."""
