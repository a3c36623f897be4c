#!/usr/bin/env bash
# Install everything (scripts/install.sh), then run the whole chain end to end and gate it:
# tiny models -> serving -> traffic -> Prometheus -> pytest gate_checks. Exits with the gate's code.
# Options go to `python -m quickstart` (e.g. --fault slow-fast, --fault broken-schema).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/python -m quickstart "$@"
