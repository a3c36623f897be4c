"""Output files (report, recording): replaced atomically, never over what is not a file."""

from __future__ import annotations

import os
import select
import stat
import threading
import time
from pathlib import Path

import pytest

from pytest_gate.core.atomicfile import target_problem, write_atomic


def test_a_regular_file_is_replaced(tmp_path: Path) -> None:
    """The common case: new content, no temporary file left behind."""
    path = tmp_path / "report.json"
    path.write_text("old")
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.fixture
def null_device(tmp_path: Path) -> Path:
    """A character device of this test's own (a copy of /dev/null made with mknod as root).

    Without the right to mknod, /dev/null itself: then the test cannot replace it either.
    """
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        return Path("/dev/null")
    return node


def test_a_character_device_is_written_in_place_and_stays_one(null_device: Path) -> None:
    """As root a rename would replace the device with a regular file; it is written in place."""
    write_atomic(null_device, b"{}\n")
    assert stat.S_ISCHR(os.stat(null_device).st_mode)
    assert [p.name for p in null_device.parent.iterdir() if p.name.startswith(".null")] == []


def test_a_symlink_to_a_character_device_writes_through_it(
    tmp_path: Path, null_device: Path
) -> None:
    """/dev/stdout is a link to the terminal or pipe: the link and the device both survive."""
    link = tmp_path / "stdout"
    link.symlink_to(null_device)
    write_atomic(link, b"{}\n")
    assert link.is_symlink()
    assert stat.S_ISCHR(os.stat(null_device).st_mode)


def test_a_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    """A directory path is an OSError naming what it is; nothing is created in it."""
    target = tmp_path / "reports"
    target.mkdir()
    with pytest.raises(OSError, match="it is a directory, not a file"):
        write_atomic(target, b"{}")
    assert target.is_dir()
    assert list(target.iterdir()) == []


def test_a_fifo_nobody_reads_is_refused_at_once(tmp_path: Path) -> None:
    """Opening a FIFO with no reader would block forever: refused, and it stays a FIFO."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match=r"FIFO .* that nobody reads"):
        write_atomic(fifo, b"{}")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_fifo_being_read_gets_the_data_in_place(tmp_path: Path) -> None:
    """``--gate-report >(jq .)`` or a piped /dev/stdout: the reader gets every byte."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    data = b"x" * 200_000  # more than a pipe buffer: the write must block, not fail
    received: list[bytes] = []
    opened = threading.Event()

    def read() -> None:
        # Non-blocking, and reading until every byte came: a FIFO read before the writer opens
        # it is an EOF, which must not end the reader (that made this test depend on timing).
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        opened.set()
        chunks: list[bytes] = []
        give_up = time.monotonic() + 60
        while sum(map(len, chunks)) < len(data) and time.monotonic() < give_up:
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                chunk = b""
            if chunk:
                chunks.append(chunk)
            else:
                select.select([fd], [], [], 0.05)
        os.close(fd)
        received.append(b"".join(chunks))

    reader = threading.Thread(target=read)
    reader.start()
    assert opened.wait(60)
    write_atomic(fifo, data)
    reader.join(60)
    assert received == [data]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize(
    ("name", "problem"),
    [("new.json", None), ("file.json", None), ("dir", "it is a directory, not a file")],
)
def test_target_problem_names_what_the_path_is(
    tmp_path: Path, name: str, problem: str | None
) -> None:
    """Nothing yet or a regular file is fine; a directory is named."""
    (tmp_path / "file.json").write_text("{}")
    (tmp_path / "dir").mkdir()
    assert target_problem(tmp_path / name) == problem
