"""The gate config file as an input: bounded, regular, shallow, UTF-8; and the 5xx regex rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_gate.config.gateconfig import ConfigError, load_config
from pytest_gate.config.regexrules import STATUS_FIX, status_regex_problem
from pytest_gate.config.tomlfile import MAX_CONFIG_BYTES, MAX_DEPTH

SHIPPED = Path(__file__).resolve().parents[2] / "gate_checks" / "gate.toml"


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


def test_a_fifo_config_is_refused_instead_of_hanging(tmp_path: Path) -> None:
    """--gate-config on a FIFO used to wait for a writer forever."""
    fifo = tmp_path / "gate.toml"
    os.mkfifo(fifo)
    assert "is a FIFO (named pipe), not a regular file; point --gate-config at a regular file" in (
        config_error(fifo)
    )


def test_a_device_config_is_refused() -> None:
    """/dev/zero is never read."""
    assert "is a character device" in config_error(Path("/dev/zero"))


def test_a_huge_config_is_refused_naming_the_limit(tmp_path: Path) -> None:
    """A file past the limit is the wrong file; nothing past the limit is read."""
    path = tmp_path / "gate.toml"
    path.write_bytes(b"#" * (MAX_CONFIG_BYTES + 1))
    assert "is larger than 4 MiB, the limit for --gate-config" in config_error(path)


@pytest.mark.parametrize(
    "nested",
    [
        "x = " + "[" * 1200 + "]" * 1200,
        "x = " + "{a=" * 1200 + "1" + "}" * 1200,
        "x = " + "[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2),
    ],
    ids=["arrays-1200", "tables-1200", "arrays-just-too-deep"],
)
def test_deeply_nested_toml_is_a_config_error_not_a_recursion_traceback(
    tmp_path: Path, nested: str
) -> None:
    """TOML nested 1,000+ deep used to end in a RecursionError traceback (exit 3)."""
    path = tmp_path / "gate.toml"
    path.write_text(nested + "\n")
    assert f"nested more than {MAX_DEPTH} deep" in config_error(path)


def test_a_config_that_is_not_utf8_names_the_byte(tmp_path: Path) -> None:
    """Latin-1 bytes are a message naming where, not a decode traceback."""
    path = tmp_path / "gate.toml"
    path.write_bytes(b"# caf\xe9\n[gate]\n")
    assert "not UTF-8 text (invalid continuation byte at byte 5); save it as UTF-8" in (
        config_error(path)
    )


@pytest.mark.parametrize("regex", ["5..", "5\\d\\d|5xx", "5[0-9x][0-9x]", "(5..)", "5.*"])
def test_a_status_regex_matching_every_5xx_in_both_forms_is_accepted(regex: str) -> None:
    """Exact codes 500-599 and the class 5xx."""
    assert status_regex_problem(regex) is None


@pytest.mark.parametrize(
    ("regex", "words"),
    [
        ("5xx", "does not match '500', '501', '502', ...: services label the status"),
        ("5[0-9][0-9]", "does not match '5xx'"),
        ("50[0-3]|5xx", "does not match '504', '505', '506', ..."),
        ("500", "does not match '501'"),
        (".*", "matches '200', a success"),
        ("5(.", "not a valid regex"),
    ],
)
def test_a_status_regex_that_misses_a_form_is_refused(regex: str, words: str) -> None:
    """``"5xx"`` on a service that labels exact codes read a 2% 5xx rate as 0: refused."""
    problem = status_regex_problem(regex)
    assert problem is not None and words in problem


def test_the_config_names_the_status_regex_key_and_the_fix(tmp_path: Path) -> None:
    """Through the loader: the key, the problem and the fix."""
    path = tmp_path / "gate.toml"
    path.write_text(
        SHIPPED.read_text().replace('error_status_regex = "5.."', 'error_status_regex = "5xx"')
    )
    message = config_error(path)
    assert "checks.api_5xx_rate.error_status_regex: '5xx' does not match '500'" in message
    assert message.endswith(STATUS_FIX)
