"""pytest-gate: a Go/No-Go deployment gate for LLM serving stacks, as a pytest plugin."""

__version__ = "0.1.0"
