"""The Prometheus rules, scrape config and promtool unit tests, run through the real promtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ops.paths import (
    ALERT_RULES,
    PROMETHEUS_CONFIG,
    RECORDING_RULES,
    RULE_TESTS_DIR,
    RULES_DIR,
)
from tests.support.prometheus_server import PROMTOOL_BIN

RULE_TEST_FILES = sorted(RULE_TESTS_DIR.glob("*_test.yml"))


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROMTOOL_BIN, *map(str, args)], capture_output=True, text=True, check=False, timeout=120
    )


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def alert_names() -> set[str]:
    return {rule["alert"] for group in load(ALERT_RULES)["groups"] for rule in group["rules"]}


def alert_cases() -> list[dict[str, Any]]:
    cases = []
    for path in RULE_TEST_FILES:
        for test in load(path)["tests"]:
            cases.extend(test.get("alert_rule_test", []))
    return cases


def test_rule_files_pass_promtool_check_rules() -> None:
    """promtool check rules accepts both rule files (syntax, PromQL, lint)."""
    result = promtool("check", "rules", RECORDING_RULES, ALERT_RULES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_scrape_config_passes_promtool_check_config() -> None:
    """promtool check config accepts the scrape config and the rule files it loads."""
    result = promtool("check", "config", PROMETHEUS_CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rule files found" in result.stdout


@pytest.mark.parametrize("test_file", RULE_TEST_FILES, ids=lambda p: p.name)
def test_promtool_unit_tests_pass(test_file: Path) -> None:
    """promtool test rules passes every unit test in the file."""
    result = promtool("test", "rules", test_file)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    """Each alert appears in a promtool test that expects it firing and in one that expects none."""
    cases = alert_cases()
    firing = {case["alertname"] for case in cases if case.get("exp_alerts")}
    quiet = {case["alertname"] for case in cases if not case.get("exp_alerts")}
    assert alert_names() - firing == set()
    assert alert_names() - quiet == set()


def test_scrape_config_keeps_pushed_labels_for_the_pushgateway() -> None:
    """The pushgateway job honours pushed labels, so job="deployment_gate" reaches the alert."""
    jobs = {job["job_name"]: job for job in load(PROMETHEUS_CONFIG)["scrape_configs"]}
    assert jobs["pushgateway"]["honor_labels"] is True


def test_vram_block_tests_fail_when_the_block_is_removed(tmp_path: Path) -> None:
    """With the headroom condition neutralised, the VRAM-block unit tests catch the scale-up."""
    rules = tmp_path / "rules"
    tests = tmp_path / "tests"
    rules.mkdir()
    tests.mkdir()
    for rule_file in RULES_DIR.glob("*.yml"):
        shutil.copy(rule_file, rules / rule_file.name)
    recording = rules / RECORDING_RULES.name
    text = recording.read_text()
    assert text.count("cluster:gpu_memory_headroom:min_ratio >= 0.20") == 2
    recording.write_text(text.replace("min_ratio >= 0.20", "min_ratio >= 0"))
    shutil.copy(RULE_TESTS_DIR / "recording_test.yml", tests / "recording_test.yml")
    result = promtool("test", "rules", tests / "recording_test.yml")
    assert result.returncode != 0
    assert "worker_llm:scaling_signal:replicas" in result.stdout + result.stderr
    assert "worker_rl:scaling_signal:replicas" in result.stdout + result.stderr
