"""Bounded reads of the files the gate is pointed at: regular files only, never past a limit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_gate.core.readfile import FileReadError, nesting_depth, read_limited


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    """A small regular file comes back byte for byte."""
    path = tmp_path / "gate.toml"
    path.write_bytes(b"[gate]\n")
    assert read_limited(path, 1024, "--gate-config") == b"[gate]\n"


def test_a_fifo_is_refused_at_once_without_waiting_for_a_writer(tmp_path: Path) -> None:
    """A FIFO with no writer would block a plain open forever; it is refused, naming the option."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(
        FileReadError,
        match=r"is a FIFO \(named pipe\), not a regular file; "
        r"point --gate-config at a regular file",
    ):
        read_limited(fifo, 1024, "--gate-config")


def test_dev_zero_is_refused_instead_of_filling_memory() -> None:
    """An endless character device is not read at all."""
    with pytest.raises(FileReadError, match="is a character device, not a regular file"):
        read_limited(Path("/dev/zero"), 1024, "--gate-replay")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    """A directory is named as one."""
    with pytest.raises(FileReadError, match="is a directory, not a regular file"):
        read_limited(tmp_path, 1024, "--gate-replay")


def test_a_file_over_the_limit_is_refused_naming_the_limit(tmp_path: Path) -> None:
    """One byte past the limit is too much; the message gives the limit."""
    path = tmp_path / "big.json"
    path.write_bytes(b"x" * 1025)
    with pytest.raises(FileReadError, match="larger than 1024 bytes, the limit for --gate-replay"):
        read_limited(path, 1024, "--gate-replay")
    path.write_bytes(b"x" * 1024)
    assert len(read_limited(path, 1024, "--gate-replay")) == 1024


def test_a_missing_file_is_flagged_missing(tmp_path: Path) -> None:
    """Callers can say "does not exist" in their own words."""
    with pytest.raises(FileReadError) as caught:
        read_limited(tmp_path / "nowhere.toml", 1024, "--gate-config")
    assert caught.value.missing
    assert "check the --gate-config path" in str(caught.value)


def test_a_path_with_a_nul_byte_is_refused(tmp_path: Path) -> None:
    """A NUL byte in a path is a message, not a ValueError traceback."""
    with pytest.raises(FileReadError, match="not a usable path"):
        read_limited(Path(f"{tmp_path}/a\0b"), 1024, "--gate-config")


@pytest.mark.parametrize(
    ("value", "depth"),
    [(1, 0), ([], 1), ({"a": [1, {"b": 2}]}, 3), ([[[[]]]], 4)],
)
def test_nesting_depth_counts_lists_and_tables(value: object, depth: int) -> None:
    """A scalar is 0 deep; each list or table adds one."""
    assert nesting_depth(value, 100) == depth


def test_nesting_depth_measures_documents_deeper_than_the_recursion_limit() -> None:
    """Iterative: 100,000 levels are measured (up to the stop) without a RecursionError."""
    value: list[object] = []
    for _ in range(100_000):
        value = [value]
    assert nesting_depth(value, 17) == 17
