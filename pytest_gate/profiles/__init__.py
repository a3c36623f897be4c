"""Gate profiles for real serving engines, shipped as package data and copied into a project.

Each profile is a self-contained gate directory (checks, ``conftest.py``, ``gate.toml``) that
imports only the public ``pytest_gate`` API, so it runs from wherever it is copied:
``pytest DIR --prometheus-url URL``.
"""
