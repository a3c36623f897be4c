"""Write an output file (the report, a recording): atomically, and never over what is not a file.

A regular file (or a new path) is replaced in one rename: a temporary file in the same directory,
flushed, then renamed over it. What already exists and is not a regular file is never replaced:
a character device (``/dev/stdout``, ``/dev/null``, a terminal) is written in place, so the device
stays a device even for root; a FIFO is written in place only while something reads it (``/dev/stdout``
piped into ``tee``, a shell's ``>(jq .)``), and refused otherwise rather than waiting for a reader
forever; a directory, socket or block device is refused. A refusal is an ``OSError`` whose
message names what the path is and the fix.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from pytest_gate.core.readfile import kind_of


def target_problem(path: Path) -> str | None:
    """Why ``path`` cannot take an output file, or ``None`` (a regular file, a character device,
    a FIFO, or nothing yet). Follows symbolic links, as the write does."""
    if not str(path).strip():
        return "the path is empty"
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # the write itself reports the cause
    if stat.S_ISREG(mode) or stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return None
    return f"it is {kind_of(mode)}, not a file"


def _in_place(path: Path) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename; a reader never sees half a file.

    A character device is written in place instead. The parent directory must exist. Raises
    ``OSError`` (the temporary file is removed); a path that is a directory, FIFO, socket or block
    device raises one whose ``strerror`` says so.
    """
    problem = target_problem(path)
    if problem is not None:
        raise OSError(errno.EINVAL, problem)
    if _in_place(path):
        _write_in_place(path, data)
        return
    directory = path.parent if str(path.parent) else Path(".")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_in_place(path: Path, data: bytes) -> None:
    """Write ``data`` into the device or FIFO ``path`` (no truncation, no rename).

    Opened non-blocking: a FIFO nobody reads fails at once (``ENXIO``) instead of hanging.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OSError(errno.ENXIO, "it is a FIFO (named pipe) that nobody reads") from None
        raise
    os.set_blocking(fd, True)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
