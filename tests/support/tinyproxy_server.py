"""A real forward proxy on loopback for tests: Debian ``tinyproxy``, with or without proxy auth.

Usage::

    with TinyProxy.start(tmp_path, auth=("gate", "pr0xy")) as proxy:
        env = {"HTTPS_PROXY": proxy.url_with_auth, "HTTP_PROXY": proxy.url_with_auth}

Facts that shaped this module (tinyproxy 1.11, Debian):
- ``-d`` keeps it in the foreground; with no ``ConnectPort`` line every port may be tunnelled.
- ``BasicAuth user password`` makes it answer 407 to a plain request and to a ``CONNECT``.
- ``LogLevel Connect`` logs one ``Request (file descriptor N): GET http://...`` or
  ``CONNECT host:port`` line per request, which :meth:`TinyProxy.wait_logged` waits for.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.prometheus_server import READY_TIMEOUT_SECONDS, free_port, stop_process

TINYPROXY_BIN = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"


def available() -> bool:
    """Whether tinyproxy is installed (scripts/install.sh installs it)."""
    return Path(TINYPROXY_BIN).is_file()


def wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until ``127.0.0.1:port`` accepts a connection; fail if the process exits first."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {READY_TIMEOUT_SECONDS}s")


@dataclass
class TinyProxy:
    """A running tinyproxy; use :meth:`start` as a context manager."""

    port: int
    log: Path
    auth: tuple[str, str] | None
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:port`` (no credentials)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url_with_auth(self) -> str:
        """``http://user:password@127.0.0.1:port`` (the plain URL when there is no auth)."""
        if self.auth is None:
            return self.url
        return f"http://{self.auth[0]}:{self.auth[1]}@127.0.0.1:{self.port}"

    def logged(self, needle: str) -> bool:
        """Whether the proxy's log has a line containing ``needle``."""
        return needle in self.log.read_text(errors="replace")

    def wait_logged(self, needle: str, timeout_seconds: float = 10.0) -> None:
        """Wait until the proxy logs a line containing ``needle`` (its log is written per line)."""
        deadline = time.monotonic() + timeout_seconds
        while not self.logged(needle):
            if time.monotonic() > deadline:
                raise AssertionError(f"tinyproxy never logged {needle!r}:\n{self.log.read_text()}")
            time.sleep(0.05)

    @classmethod
    @contextmanager
    def start(cls, workdir: Path, auth: tuple[str, str] | None = None) -> Iterator[TinyProxy]:
        """Start tinyproxy on a free loopback port, requiring ``auth`` (user, password) if given."""
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        log = workdir / "tinyproxy.log"
        log.touch()
        lines = [
            f"Port {port}",
            "Listen 127.0.0.1",
            "Timeout 30",
            "LogLevel Connect",
            f'LogFile "{log}"',
            f'PidFile "{workdir / "tinyproxy.pid"}"',
            "MaxClients 50",
            "Allow 127.0.0.1",
        ]
        if auth is not None:
            lines.append(f"BasicAuth {auth[0]} {auth[1]}")
        config = workdir / "tinyproxy.conf"
        config.write_text("\n".join(lines) + "\n")
        with (workdir / "tinyproxy.out").open("wb") as out:
            proc = subprocess.Popen(
                [TINYPROXY_BIN, "-d", "-c", str(config)], stdout=out, stderr=subprocess.STDOUT
            )
        try:
            wait_listening(port, proc, log)
            yield cls(port, log, auth, proc)
        finally:
            stop_process(proc)
