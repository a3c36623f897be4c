"""Which golden scenarios a session selected, for runners that start them all together."""

from __future__ import annotations

from collections.abc import Mapping

import pytest


def selected_scenarios(session: pytest.Session, known: Mapping[str, object]) -> list[str]:
    """The ``scenario_name`` parameters of the collected items that ``known`` holds, in order;
    every known scenario when none is selected (a folder only starts its own scenarios, even
    when another folder's tests use the same parameter name)."""
    names: list[str] = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        name = callspec.params.get("scenario_name") if callspec is not None else None
        if isinstance(name, str) and name in known and name not in names:
            names.append(name)
    return names or list(known)
