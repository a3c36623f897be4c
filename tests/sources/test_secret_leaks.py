"""Secrets never leave the gate: not in the report, the terminal or the GitHub step summary.

Each test runs the default gate (``pytest gate_checks``) in a subprocess as CI would, with a
secret where users put them (a URL's password, the token variable), and searches everything the
run wrote for it. Each also checks that the place the secret would have been is there (the host
of the URL, the variable's name), so a run that printed nothing could not pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_gate.sources.auth import TOKEN_ENV
from tests.support.prometheus_server import free_port

ROOT = Path(__file__).resolve().parents[2]
GATE_DIR = ROOT / "gate_checks"
SECRET = "Hunter2-s3cret"
DROPPED_ENV = ("GATE_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "GITHUB_STEP_SUMMARY")


@dataclass(frozen=True)
class Written:
    """Everything one gate run wrote: terminal, report and step summary."""

    exit_code: int
    terminal: str
    report: str
    summary: str

    @property
    def everything(self) -> str:
        """All three, for searching."""
        return "\n".join((self.terminal, self.report, self.summary))


def run_gate(tmp_path: Path, *options: str, env: dict[str, str] | None = None) -> Written:
    """``pytest gate_checks -v`` with a report and a step summary."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith(DROPPED_ENV)}
    summary, report = tmp_path / "summary.md", tmp_path / "report.json"
    clean |= {
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTEST_PLUGINS": "pytest_gate.plugin",
        "GITHUB_STEP_SUMMARY": str(summary),
        **(env or {}),
    }
    command = [sys.executable, "-m", "pytest", str(GATE_DIR), "-p", "no:cacheprovider", "-v"]
    done = subprocess.run(
        [*command, "--gate-report", str(report), "--gate-deadline", "10", *options],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    read = {p: p.read_text() if p.is_file() else "" for p in (summary, report)}
    return Written(done.returncode, done.stdout + done.stderr, read[report], read[summary])


def test_the_serving_url_password_is_never_written(tmp_path: Path) -> None:
    """--serving-url http://smoke:<pw>@host: the smoke lines name the host, never the password."""
    port = free_port()
    written = run_gate(
        tmp_path, "-m", "smoke", "--serving-url", f"http://smoke:{SECRET}@127.0.0.1:{port}"
    )
    assert written.exit_code == 2, written.terminal
    assert f"127.0.0.1:{port}" in written.report and f"127.0.0.1:{port}" in written.terminal
    assert written.summary, "no step summary was written"
    assert SECRET not in written.everything
    assert "smoke:" not in written.everything.replace("-m smoke", "")


def test_the_pushgateway_password_is_never_written(tmp_path: Path) -> None:
    """--gate-pushgateway http://ops:<pw>@host that cannot be reached: named, password not."""
    push_port = free_port()
    written = run_gate(
        tmp_path,
        "--prometheus-url",
        f"http://127.0.0.1:{free_port()}",
        "--gate-pushgateway",
        f"http://ops:{SECRET}@127.0.0.1:{push_port}",
    )
    assert written.exit_code == 2, written.terminal
    assert f"gate status not pushed to http://127.0.0.1:{push_port}" in written.terminal
    assert SECRET not in written.everything and "ops:" not in written.everything


@pytest.mark.parametrize(
    "token",
    [f"abc\n{SECRET}", f"t\u00f6k-{SECRET}", f"{SECRET}\u2603", f"abc\r\n{SECRET}\n"],
    ids=["newline-inside", "latin-1", "non-latin-1", "crlf"],
)
def test_a_malformed_token_is_a_no_go_that_never_shows_it(tmp_path: Path, token: str) -> None:
    """A token that cannot be a header value: NO-GO naming the variable, the value nowhere."""
    written = run_gate(
        tmp_path,
        "--prometheus-url",
        f"http://127.0.0.1:{free_port()}",
        env={TOKEN_ENV: token},
    )
    assert written.exit_code == 2, written.terminal
    assert f"{TOKEN_ENV} holds a control character" in written.report
    assert SECRET not in written.everything
