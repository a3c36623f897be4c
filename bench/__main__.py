"""``python -m bench [--quick] [--only NAME ...] [--runs N] [--output PATH]``."""

from __future__ import annotations

import sys

from bench.cli import main

sys.exit(main(sys.argv[1:]))
