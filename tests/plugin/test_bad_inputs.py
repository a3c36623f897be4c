"""Bad inputs through a real pytest run: each a NO-GO with a message, never a traceback."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pytest_gate.config.options import EMPTY_PATH
from pytest_gate.sources.recorder import RECORD_WRITE_FAILED
from tests.plugin.suite import load_strict, write_check

SHIPPED_CONFIG = Path(__file__).resolve().parents[2] / "gate_checks" / "gate.toml"
PASSING = (
    "@pytest.mark.critical\ndef test_{name}(gate, metrics):\n    '''{name}'''\n"
    "    gate.expect(1, '<=', 2, what='x', unit='s')\n"
)
EXPOSITION = b"# TYPE up gauge\nup 1\n"


class MetricsHandler(BaseHTTPRequestHandler):
    """Serves one tiny exposition on every path."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(EXPOSITION)))
        self.end_headers()
        self.wfile.write(EXPOSITION)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def scrape_url() -> Iterator[str]:
    """A loopback /metrics target (a live source, so --gate-record may be used)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), MetricsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    server.shutdown()
    server.server_close()


@pytest.fixture
def two_checks(gate_suite: Path) -> Path:
    """Two passing checks that read the metric source, and the shipped config."""
    write_check(gate_suite, "a", PASSING.format(name="a"))
    write_check(gate_suite, "b", PASSING.format(name="b"))
    (gate_suite / "gate.toml").write_text(SHIPPED_CONFIG.read_text())
    return gate_suite


def test_a_report_path_that_is_a_character_device_is_written_in_place(
    pytester: pytest.Pytester, two_checks: Path, scrape_url: str
) -> None:
    """As root ``--gate-report /dev/null`` used to replace the device with a regular file."""
    device = pytester.path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        device = Path("/dev/null")
    result = pytester.runpytest(
        "gate_checks", "--metrics-url", scrape_url, "--gate-report", str(device)
    )
    assert result.ret == 0
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_a_report_path_that_is_a_directory_is_no_go_and_left_alone(
    pytester: pytest.Pytester, two_checks: Path, scrape_url: str
) -> None:
    """The directory is named as one; nothing is written into it."""
    target = pytester.mkdir("reports")
    result = pytester.runpytest(
        "gate_checks", "--metrics-url", scrape_url, "--gate-report", "reports"
    )
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*cannot write the gate report to reports: it is a directory*"])
    assert list(target.iterdir()) == []


def test_an_empty_report_path_is_a_usage_error(
    pytester: pytest.Pytester, two_checks: Path, scrape_url: str
) -> None:
    """``--gate-report ""`` used to write nothing, silently."""
    result = pytester.runpytest("gate_checks", "--metrics-url", scrape_url, "--gate-report", "")
    assert result.ret == 2
    message = EMPTY_PATH.format(flag="--gate-report", example="gate_report.json")
    result.stdout.fnmatch_lines([f"gate: {message}", "*NO-GO (exit 2)*a gate option is invalid*"])


def test_a_record_failure_is_a_record_error_and_blames_no_check(
    pytester: pytest.Pytester, two_checks: Path, scrape_url: str
) -> None:
    """A recording path that cannot be written: NO-GO record_error, both checks still pass."""
    pytester.mkdir("recording")
    result = pytester.runpytest(
        "gate_checks",
        "--metrics-url",
        scrape_url,
        "--gate-record",
        "recording",
        "--gate-report",
        "r.json",
    )
    assert result.ret == 2
    report = load_strict(pytester.path / "r.json")
    assert report["reason"] == "record_error"
    assert [c["outcome"] for c in report["checks"]] == ["pass", "pass"]
    message = RECORD_WRITE_FAILED.format(path="recording", cause="it is a directory, not a file")
    assert report["messages"] == [message]


def test_a_waiver_matching_every_collected_check_is_a_config_error(
    pytester: pytest.Pytester, two_checks: Path, scrape_url: str
) -> None:
    """``t*`` waives the whole gate: config error, no check runs, even under -k."""
    waiver = (
        '\n[[waivers]]\ncheck = "t*"\nreason = "INC-1"\nowner = "a@b.c"\nexpires = 2026-12-20\n'
    )
    with (two_checks / "gate.toml").open("a") as handle:
        handle.write(waiver)
    for extra in ([], ["-k", "test_a"]):
        result = pytester.runpytest(
            "gate_checks",
            "--metrics-url",
            scrape_url,
            "--gate-time",
            "2026-12-07T00:00:00Z",
            "--gate-report",
            "r.json",
            *extra,
        )
        assert result.ret == 2
        report = load_strict(pytester.path / "r.json")
        assert report["reason"] == "config_error"
        assert report["checks"] == []
        assert "'t*' names every one of the 2 checks" in report["messages"][0]


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--gate-time", "1764313200000", "looks like milliseconds"),
        ("--gate-time", "1e308", "after the year 9999"),
        ("--gate-deadline", "1e308", "more than 604800 seconds (a week)"),
        ("--gate-watch", "1e308", "more than 604800 seconds (a week)"),
        ("--gate-failure-limit", "9" * 5000, "not a whole number of rounds"),
    ],
)
def test_an_option_value_out_of_range_is_a_usage_error_with_a_report(
    pytester: pytest.Pytester, two_checks: Path, option: str, value: str, words: str
) -> None:
    """These used to end in a traceback and exit 3 with no report."""
    result = pytester.runpytest("gate_checks", option, value, "--gate-report", "r.json")
    assert result.ret == 2
    report = load_strict(pytester.path / "r.json")
    assert report["reason"] == "usage_error"
    assert words in report["messages"][0]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    ("option", "make", "words"),
    [
        (
            "--gate-config",
            "fifo",
            "is a FIFO (named pipe), not a regular file; point --gate-config",
        ),
        ("--gate-replay", "/dev/zero", "the recording is a character device, not a regular file"),
        ("--gate-replay", "deep", "JSON nested more than 16 deep is not a pytest-gate recording"),
    ],
)
def test_an_input_file_that_is_no_regular_file_is_no_go_at_once(
    pytester: pytest.Pytester, two_checks: Path, option: str, make: str, words: str
) -> None:
    """``--gate-config`` on a FIFO used to hang, ``--gate-replay /dev/zero`` to be killed."""
    path = make
    if make == "fifo":
        path = str(pytester.path / "gate.fifo")
        os.mkfifo(path)
    elif make == "deep":
        path = str(pytester.path / "deep.json")
        Path(path).write_text("[" * 5000 + "]" * 5000)
    result = pytester.runpytest_subprocess(
        "gate_checks", option, path, "--gate-report", "r.json", timeout=60
    )
    assert result.ret == 2
    report = load_strict(pytester.path / "r.json")
    assert any(words in message for message in report["messages"]), report["messages"]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
