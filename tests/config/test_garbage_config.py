"""Every key of gate.toml and generated garbage: the config loads, or a ConfigError names the key.

Table-driven: each single-line key of the shipped gate.toml (and of a [[waivers]] entry) gets
each wrong value in turn. Property-based: hypothesis replaces a line with generated text, or
writes a whole file of it. Never another exception, never a hang.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_gate.config.gateconfig import ConfigError, GateConfig, load_config

SHIPPED = Path(__file__).resolve().parents[2] / "gate_checks" / "gate.toml"
WAIVER = (
    '\n[[waivers]]\ncheck = "test_api_5xx_rate"\nreason = "INC-1"\nowner = "a@b.c"\n'
    "expires = 2026-12-20\n"
)
LINES = (SHIPPED.read_text() + WAIVER).splitlines()
KEY_LINE = re.compile(r"^([A-Za-z0-9_]+) = (.+)$")
GARBAGE = (
    '"x"',
    "-1",
    "1e308",
    "nan",
    "-inf",
    "[]",
    "{}",
    "true",
    '"5xx"',
    "1979-05-27",
    '{ "a\\"} or vector(1) or x{b" = "v" }',
    '"\\u0000\\n"',
    "[[1]]",
)


def _keys() -> list[tuple[int, str]]:
    """(line index, dotted key) of every single-line ``key = value`` of the file."""
    table = ""
    keys: list[tuple[int, str]] = []
    for index, line in enumerate(LINES):
        if line.startswith("["):
            table = line.strip("[] ")
        elif (found := KEY_LINE.match(line)) and not found[2].rstrip().endswith("["):
            keys.append((index, f"{table}.{found[1]}"))
    return keys


KEYS = _keys()


def load_text(directory: Path, text: str) -> GateConfig | str:
    """The loaded config, or the ConfigError's message."""
    path = directory / "gate.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        return load_config(path)
    except ConfigError as exc:
        return str(exc)


def test_the_table_covers_every_section() -> None:
    """The table reaches every check's keys, the waivers and the top sections."""
    tables = {key.rsplit(".", 1)[0] for _, key in KEYS}
    assert {"gate", "deployment", "metrics", "smoke", "waivers", "checks.api_5xx_rate"} <= tables
    assert len(KEYS) > 60


@pytest.mark.parametrize(("index", "key"), KEYS, ids=[key for _, key in KEYS])
def test_every_key_with_every_wrong_value_loads_or_names_the_key(
    tmp_path: Path, index: int, key: str
) -> None:
    """Each wrong value either is a valid setting or a ConfigError naming that key."""
    name = key.rsplit(".", 1)[1]
    for value in GARBAGE:
        lines = list(LINES)
        lines[index] = f"{name} = {value}"
        loaded = load_text(tmp_path, "\n".join(lines) + "\n")
        if isinstance(loaded, str):
            assert loaded.startswith(str(tmp_path / "gate.toml")), loaded
            assert ";" in loaded, f"no fix in {loaded!r}"
            short = key.removeprefix("waivers.")
            assert short in loaded or "not valid TOML" in loaded or name in loaded, (value, loaded)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(range(len(LINES))),
    st.one_of(st.text(max_size=80), st.sampled_from(GARBAGE).map(lambda v: f"x = {v}")),
)
def test_any_line_replaced_by_garbage_loads_or_names_the_problem(
    tmp_path_factory: pytest.TempPathFactory, index: int, garbage: str
) -> None:
    """One line of the shipped file replaced by generated text: loads, or a ConfigError."""
    lines = list(LINES)
    lines[index] = garbage
    loaded = load_text(tmp_path_factory.mktemp("line"), "\n".join(lines) + "\n")
    assert isinstance(loaded, GateConfig | str)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_any_whole_file_of_garbage_is_a_config_error(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    """Random text is never a gate config: always a ConfigError naming the file."""
    loaded = load_text(tmp_path_factory.mktemp("file"), text)
    assert isinstance(loaded, str) and "gate.toml:" in loaded
