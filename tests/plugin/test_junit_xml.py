"""The gate's record rides on the report object: JUnit XML carries no gate data, xdist the record."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.plugin.suite import load_strict, write_check

CHECKS = (
    "@pytest.mark.critical\n"
    "def test_ok(gate, record_property):\n"
    "    '''Latency'''\n"
    "    record_property('ticket', 'OPS-1')\n"
    "    gate.expect(1.5, '<=', 2, what='p95', unit='s')\n\n"
    "@pytest.mark.warning\n"
    "def test_slow(gate):\n"
    "    '''Queue depth'''\n"
    "    gate.expect(7, '<=', 5, what='queue', unit='')\n"
)


def properties(path: Path) -> list[tuple[str, str]]:
    """Every ``<property>`` of the JUnit XML file, as (name, value)."""
    root = ET.parse(path).getroot()
    return [(p.get("name", ""), p.get("value", "")) for p in root.iter("property")]


def assert_gate_record_arrived(report_path: Path) -> None:
    """The report holds what each check observed (the record crossed to where the gate decides)."""
    report = load_strict(report_path)
    by_id = {c["id"]: c for c in report["checks"]}
    ok, slow = by_id["gate_checks/test_it.py::test_ok"], by_id["gate_checks/test_it.py::test_slow"]
    assert (ok["title"], ok["outcome"], ok["value"], ok["threshold"]) == ("Latency", "pass", 1.5, 2)
    assert (slow["severity"], slow["outcome"], slow["value"]) == ("warning", "fail", 7)
    assert report["verdict"] == "WARNING"


def test_junit_xml_of_a_gate_run_has_no_gate_properties(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """--junitxml keeps the check's own properties and writes none of the gate's."""
    write_check(gate_suite, "it", CHECKS)
    result = pytester.runpytest("gate_checks", "--junitxml", "j.xml", "--gate-report", "r.json")
    assert result.ret == 1
    found = properties(pytester.path / "j.xml")
    assert found == [("ticket", "OPS-1")]
    assert_gate_record_arrived(pytester.path / "r.json")


def test_junit_xml_under_xdist_has_no_gate_properties(
    pytester: pytest.Pytester, gate_suite: Path
) -> None:
    """With -n 2 the record crosses from the workers once, typed, and still stays out of the XML."""
    write_check(gate_suite, "it", CHECKS)
    result = pytester.runpytest_subprocess(
        "gate_checks", "-n", "2", "--junitxml", "j.xml", "--gate-report", "r.json"
    )
    assert result.ret == 1, result.stdout.str()
    found = properties(pytester.path / "j.xml")
    assert found == [("ticket", "OPS-1")]
    assert_gate_record_arrived(pytester.path / "r.json")
