"""Where a gate lives: a gate-checks directory is one holding ``gate.toml``.

Imported by the plugin's entry on every pytest run: standard library only.
"""

from __future__ import annotations

from pathlib import Path

CONFIG_FILENAME = "gate.toml"
DEFAULT_GATE_DIRNAME = "gate_checks"
"""Where ``gate-init`` writes a gate, and where a gate run looks for its config by default."""


def gate_dir_of(path: Path, root: Path | None = None) -> Path | None:
    """The gate-checks directory ``path`` is in (or is): the nearest one holding ``gate.toml``.

    The search climbs no higher than ``root`` (the rootdir), so a stray ``gate.toml`` above a
    project never turns its tests into a gate.
    """
    path = path.absolute()
    candidates = [path, *path.parents] if path.is_dir() else list(path.parents)
    top = root.absolute() if root is not None else None
    for candidate in candidates:
        if (candidate / CONFIG_FILENAME).is_file():
            return candidate
        if candidate == top:
            break
    return None
