"""Paths of the operations artifacts under test (one place, so a move breaks loudly)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OPS = ROOT / "ops"
PROMETHEUS_DIR = OPS / "prometheus"
RULES_DIR = PROMETHEUS_DIR / "rules"
RECORDING_RULES = RULES_DIR / "recording.yml"
ALERT_RULES = RULES_DIR / "alerts.yml"
RULE_TESTS_DIR = PROMETHEUS_DIR / "tests"
PROMETHEUS_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
DASHBOARD = OPS / "grafana" / "operations.json"
K8S_DIR = OPS / "k8s"
WORKFLOW = ROOT / ".github" / "workflows" / "deploy-with-gate.yml"
GATE_DECIDE = ROOT / "scripts" / "gate_decide.py"
OPERATIONS_DOC = ROOT / "docs" / "operations.md"
NPM_TOOLS = ROOT / ".cache" / "npm-tools"
LAYERS = ROOT / "scripts" / "layers.py"
