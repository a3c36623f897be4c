"""``python -m pytest_gate.vram``: the same as the ``gate-vram`` command."""

from pytest_gate.vram.cli import main

raise SystemExit(main())
