"""Read an input file the gate was pointed at: a regular file only, and never more than a limit.

A FIFO would block the gate before its deadline starts to count, ``/dev/zero`` would fill memory,
and a directory gives a cryptic error: each is refused with a message that names the file, the
problem and the fix. The file is opened non-blocking and checked after opening, so a path that is
swapped for a FIFO between a check and the open cannot hang the read either.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MIB = 1024 * 1024


class FileReadError(Exception):
    """An input file cannot be read; ``problem`` says why (without the path) and how to fix it."""

    def __init__(self, path: Path, problem: str, *, missing: bool = False) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
        self.missing = missing
        """True when nothing exists at ``path``."""


def size_text(size_bytes: int) -> str:
    """``16 MiB``, ``4096 bytes``: a size limit in words."""
    if size_bytes >= MIB and size_bytes % MIB == 0:
        return f"{size_bytes // MIB} MiB"
    return f"{size_bytes} bytes"


def kind_of(mode: int) -> str:
    """``a directory``, ``a FIFO (named pipe)``, ... : what a non-regular file is, in words."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def read_limited(path: Path, limit_bytes: int, what: str) -> bytes:
    """The bytes of the regular file ``path``; at most ``limit_bytes`` of them.

    ``what`` names the file in the fix (``"the --gate-config file"``). Raises
    :class:`FileReadError` for a missing, unreadable, non-regular or too large file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileReadError(
            path,
            f"cannot be read ({exc.strerror or exc}); check the {what} path and its permissions",
            missing=isinstance(exc, FileNotFoundError),
        ) from None
    except ValueError as exc:  # an embedded NUL byte in the path
        raise FileReadError(path, f"is not a usable path ({exc}); check the {what} path") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise FileReadError(
            path, f"is {kind_of(mode)}, not a regular file; point {what} at a regular file"
        )
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(limit_bytes + 1)
        except OSError as exc:
            raise FileReadError(
                path, f"cannot be read ({exc.strerror or exc}); check {what}"
            ) from None
    if len(data) > limit_bytes:
        raise FileReadError(
            path,
            f"is larger than {size_text(limit_bytes)}, the limit for {what}; "
            "point it at the right file (or trim it)",
        )
    return data


def nesting_depth(value: object, stop_at: int) -> int:
    """How deep lists and dicts nest in a parsed document (a scalar is 0), counted up to ``stop_at``.

    Iterative, so a document nested deeper than Python's recursion limit is measured too.
    """
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack and deepest < stop_at:
        item, depth = stack.pop()
        children: list[object] = []
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list | tuple):
            children = list(item)
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest
