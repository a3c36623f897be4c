"""--gate-canary / --gate-baseline and their ini twins, through a real pytest run."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_gate.config.options import ONE_SELECTION, SAME_SELECTION
from tests.plugin.suite import load_strict, write_check

SHOW = (
    "@pytest.mark.critical\ndef test_show(canary_selection):\n"
    "    with open('sel.txt', 'w') as f:\n"
    "        f.write(repr((canary_selection.canary, canary_selection.baseline)))\n"
)


def usage_message(pytester: pytest.Pytester, *args: str) -> str:
    result = pytester.runpytest("gate_checks", "--gate-report", "r.json", *args)
    assert result.ret == 2
    report = load_strict(pytester.path / "r.json")
    assert report["reason"] == "usage_error"
    [message] = report["messages"]
    assert isinstance(message, str)
    return message


def test_both_selections_reach_the_checks(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """The canary_selection fixture holds both sides' matchers."""
    write_check(gate_suite, "show", SHOW)
    result = pytester.runpytest(
        "gate_checks", "--gate-canary", 'revision="v2"', "--gate-baseline", 'revision="v1"'
    )
    assert result.ret == 0
    text = (pytester.path / "sel.txt").read_text()
    assert "Matcher(label='revision', op='=', value='v2')" in text
    assert text.index("'v2'") < text.index("'v1'")


def test_the_ini_twins_work_like_the_flags(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """gate_canary and gate_baseline in the ini select the sides."""
    write_check(gate_suite, "show", SHOW)
    pytester.makeini('[pytest]\ngate = true\ngate_canary = track="canary"\ngate_baseline = track="stable"\n')
    assert pytester.runpytest("gate_checks").ret == 0
    assert "'canary'" in (pytester.path / "sel.txt").read_text()


def test_one_selection_alone_is_a_usage_error(pytester: pytest.Pytester, gate_suite: Path) -> None:
    """--gate-canary without --gate-baseline is NO-GO naming the missing option."""
    write_check(gate_suite, "show", SHOW)
    message = usage_message(pytester, "--gate-canary", 'revision="v2"')
    assert message == ONE_SELECTION.format(given="--gate-canary", missing="--gate-baseline")


def test_the_same_selection_twice_is_a_usage_error(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """A canary compared with itself is refused."""
    write_check(gate_suite, "show", SHOW)
    args = ("--gate-canary", 'revision="v2"', "--gate-baseline", '{revision="v2"}')
    assert usage_message(pytester, *args) == SAME_SELECTION.format(text='revision="v2"')


def test_an_unreadable_selection_is_a_usage_error_with_an_example(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """An unquoted value is refused, with how to write it; no check runs."""
    write_check(gate_suite, "show", SHOW)
    message = usage_message(
        pytester, "--gate-canary", "revision=v2", "--gate-baseline", 'revision="v1"'
    )
    assert message.startswith("--gate-canary 'revision=v2' is not a label selection")
    assert "write it like 'revision=\"v2\"'" in message
    assert not (pytester.path / "sel.txt").exists()
