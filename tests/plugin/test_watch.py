"""--gate-watch end to end: rounds as child gate runs, the failure limit, Ctrl-C, bad options.

The checks here read which rounds are bad from ``SEQ`` and their own round number from
``GATE_WATCH_ROUND`` (set by the watch for each round), so what every round sees is a fact of the
test, whatever the machine's speed.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_gate.config.options import BAD_FAILURE_LIMIT, WATCH_CONFLICT
from pytest_gate.watch.policy import FAILURE_LIMIT_REASON, INTERRUPTED_REASON, TRANSIENT_REASON
from tests.plugin.suite import load_strict

CHECK = '''
import os
import time
from pathlib import Path

import pytest


@pytest.mark.critical
def test_round_is_healthy() -> None:
    """Round health"""
    number = int(os.environ["GATE_WATCH_ROUND"])
    hold = os.environ.get("HOLD_ROUND")
    if hold and number == int(hold):
        Path("round-started").write_text(str(number))
        time.sleep(600)  # held until the test interrupts the watch
    bad = os.environ.get("SEQ", "").split(",")[number - 1] == "bad"
    assert not bad, f"round {number} is bad"
'''
WATCH = ["--gate-interval", "0.01", "--gate-report", "r.json"]


@pytest.fixture
def watch_suite(gate_suite: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A gate with one critical check whose health per round comes from ``SEQ``."""
    (gate_suite / "test_round.py").write_text(CHECK)
    for name in ("GATE_WATCH", "GATE_INTERVAL", "GATE_FAILURE_LIMIT", "HOLD_ROUND"):
        monkeypatch.delenv(name, raising=False)
    return gate_suite


def rounds(report: dict[str, object]) -> list[tuple[int, str]]:
    watch = report["watch"]
    assert isinstance(watch, dict)
    return [(r["round"], r["verdict"]) for r in watch["rounds"]]


def test_healthy_throughout_is_go_after_every_round(
    pytester: pytest.Pytester, watch_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five rounds (0.04 s at 0.01 s), every one GO: the watch is GO and ran them all."""
    monkeypatch.setenv("SEQ", "ok,ok,ok,ok,ok")
    result = pytester.runpytest("gate_checks", "--gate-watch", "0.04", *WATCH)
    report = load_strict(pytester.path / "r.json")
    assert result.ret == 0
    assert report["verdict"] == "GO"
    assert rounds(report) == [(n, "GO") for n in range(1, 6)]
    assert report["watch"]["finished"] is True
    result.stdout.fnmatch_lines(
        [
            "watch round 5/5 at *: GO",
            "GATE: GO (exit 0) [[]GREEN] - watch: every round GO (5 of 5 rounds)",
        ]
    )


def test_sustained_breach_stops_at_the_failure_limit(
    pytester: pytest.Pytester, watch_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bad from round 3 on with limit 2: NO-GO at round 4, and no round after it."""
    monkeypatch.setenv("SEQ", "ok,ok,bad,bad,bad,bad,bad,bad,bad,bad")
    result = pytester.runpytest(
        "gate_checks", "--gate-watch", "0.09", "--gate-failure-limit", "2", *WATCH
    )
    report = load_strict(pytester.path / "r.json")
    assert result.ret == 2
    assert (report["verdict"], report["reason"]) == ("NO-GO", FAILURE_LIMIT_REASON)
    assert rounds(report) == [(1, "GO"), (2, "GO"), (3, "NO-GO"), (4, "NO-GO")]
    assert report["watch"]["stopped_early"] is True
    failing = report["watch"]["rounds"][3]["failing"]
    assert [(f["title"], f["outcome"]) for f in failing] == [("Round health", "fail")]
    assert "round 4 is bad" in failing[0]["message"]
    result.stdout.fnmatch_lines(
        [
            "watch round 4/10 at *: NO-GO (2 in a row, limit 2) - Round health",
            "GATE: NO-GO (exit 2) [[]RED] - watch: 2 consecutive NO-GO rounds*round 4/10",
        ]
    )


def test_single_bad_round_below_the_limit_is_the_worst_verdict_not_no_go(
    pytester: pytest.Pytester, watch_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One NO-GO round among GO rounds with limit 2: a transient, reported as WARNING."""
    monkeypatch.setenv("SEQ", "ok,bad,ok,ok")
    result = pytester.runpytest(
        "gate_checks", "--gate-watch", "0.03", "--gate-failure-limit", "2", *WATCH
    )
    report = load_strict(pytester.path / "r.json")
    assert result.ret == 1
    assert (report["verdict"], report["reason"]) == ("WARNING", TRANSIENT_REASON)
    assert rounds(report) == [(1, "GO"), (2, "NO-GO"), (3, "GO"), (4, "GO")]


def test_limit_one_stops_at_the_first_no_go(
    pytester: pytest.Pytester, watch_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default limit is 1: the first NO-GO round ends the watch."""
    monkeypatch.setenv("SEQ", "ok,bad,ok,ok")
    result = pytester.runpytest("gate_checks", "--gate-watch", "0.03", *WATCH)
    assert result.ret == 2
    assert rounds(load_strict(pytester.path / "r.json")) == [(1, "GO"), (2, "NO-GO")]


def test_ctrl_c_ends_the_watch_with_no_go_and_keeps_the_rounds(
    pytester: pytest.Pytester, watch_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGINT during round 3 (held until then): NO-GO interrupted, rounds 1 and 2 kept."""
    monkeypatch.setenv("SEQ", "ok,ok,ok,ok")
    monkeypatch.setenv("HOLD_ROUND", "3")
    command = [sys.executable, "-m", "pytest", "gate_checks", "--gate-watch", "0.03", *WATCH]
    proc = subprocess.Popen(
        command,
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal
    )
    marker = pytester.path / "round-started"
    while not marker.exists():  # the fact: round 3 is running
        assert proc.poll() is None, proc.communicate()[0]
        subprocess.run([sys.executable, "-c", "import time; time.sleep(0.05)"], check=True)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=120)
    report = json.loads((pytester.path / "r.json").read_text())
    assert proc.returncode == 2, output
    assert (report["verdict"], report["reason"]) == ("NO-GO", INTERRUPTED_REASON)
    assert rounds(report) == [(1, "GO"), (2, "GO")]
    assert report["watch"]["interrupted"] is True


def test_a_round_without_a_report_counts_as_no_go(
    pytester: pytest.Pytester, watch_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A round whose gate run writes no report (here: a conftest that kills it) is NO-GO."""
    (watch_suite / "conftest.py").write_text(
        "import os\nif os.environ.get('GATE_WATCH_ROUND') == '2':\n    os._exit(3)\n"
    )
    monkeypatch.setenv("SEQ", "ok,ok,ok")
    result = pytester.runpytest("gate_checks", "--gate-watch", "0.02", *WATCH)
    report = load_strict(pytester.path / "r.json")
    assert result.ret == 2
    assert rounds(report) == [(1, "GO"), (2, "NO-GO")]
    failing = report["watch"]["rounds"][1]["failing"]
    assert "no readable report" in failing[0]["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gate-time", "1749999600"], WATCH_CONFLICT.format(option="--gate-time")),
        (["--gate-failure-limit", "0"], BAD_FAILURE_LIMIT.format(value="0")),
    ],
)
def test_bad_watch_options_are_a_usage_error(
    pytester: pytest.Pytester, watch_suite: Path, args: list[str], message: str
) -> None:
    """A watch cannot take a fixed instant; a limit below 1 is refused, with the fix."""
    result = pytester.runpytest("gate_checks", "--gate-watch", "60", *args, *WATCH)
    assert result.ret == 2
    report = load_strict(pytester.path / "r.json")
    assert report["reason"] == "usage_error"
    assert message in "\n".join(report["messages"])


def test_watch_is_configured_from_ini_and_children_do_not_watch(
    pytester: pytest.Pytester, watch_suite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ini twins set the watch; a round's own run never watches again (no recursion)."""
    pytester.makeini("[pytest]\ngate = true\ngate_watch = 0.02\ngate_interval = 0.01\ngate_failure_limit = 3\n")
    monkeypatch.setenv("SEQ", "ok,ok,ok")
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json")
    report = load_strict(pytester.path / "r.json")
    assert result.ret == 0
    assert rounds(report) == [(1, "GO"), (2, "GO"), (3, "GO")]
    assert report["watch"]["failure_limit"] == 3
