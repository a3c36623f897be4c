"""uvicorn as this service runs it: capped, timed connections, a float grace, exit status 0.

``python -m serving`` and the live-server tests both build their server here, so the tests run
the limits the deployment runs.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from serving.config import Settings
from serving.connections import guarded

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def uvicorn_config(
    app: FastAPI, settings: Settings, host: str, port: int, log_level: str
) -> uvicorn.Config:
    """The uvicorn configuration for ``app`` under ``settings``."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        http=guarded(
            settings.max_connections,
            settings.header_timeout_seconds,
            settings.retry_after_seconds,
        ),
    )
    # uvicorn annotates the grace as int but only hands it to asyncio.wait_for, which takes a
    # float: int() turned 0.5 s into 0 (no grace at all).
    config.timeout_graceful_shutdown = settings.shutdown_grace_seconds  # type: ignore[assignment]
    return config


class Server(uvicorn.Server):
    """uvicorn's server, minus re-raising the stop signal after a clean shutdown.

    uvicorn re-sends SIGTERM to itself once it has shut down, so ``python -m serving`` always died
    "killed by signal 15" (-15), even after every request had been answered. A supervisor cannot
    tell that from a crash; here a clean shutdown exits 0.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Handle SIGINT/SIGTERM as a graceful shutdown while serving; restore them after."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def serve(app: FastAPI, settings: Settings, host: str, port: int, log_level: str) -> int:
    """Serve until SIGINT/SIGTERM; 0 after a graceful shutdown, 1 after a forced one."""
    server = Server(uvicorn_config(app, settings, host, port, log_level))
    server.run()
    return 1 if server.force_exit else 0
