"""Read the shell commands out of docs/operations.md, and the servers its safe modes run against."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry, Gauge, generate_latest

FENCE = re.compile(r"^```(\w*)\s*$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
MODELS = ("qwen_32b", "llama3_8b", "mistral_7b")


@dataclass(frozen=True)
class DocCommand:
    """One command line of a ``bash`` block, with the heading it sits under."""

    section: str
    text: str
    index: int

    @property
    def program(self) -> str:
        """The first word: what decides the safe mode."""
        return self.text.split()[0]

    @property
    def test_id(self) -> str:
        """A readable pytest id."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.section.lower()).strip("-")
        return f"{self.index:02d}-{slug}-{self.program}"


def read_commands(markdown: str) -> list[DocCommand]:
    """Every command in ``bash`` fences (continuation lines joined, comments dropped)."""
    commands: list[DocCommand] = []
    section = ""
    language: str | None = None
    pending = ""
    for line in markdown.splitlines():
        fence = FENCE.match(line)
        if fence:
            language = None if language is not None else fence[1]
            continue
        if language is None:
            heading = HEADING.match(line)
            if heading:
                section = heading[2]
            continue
        if language != "bash":
            continue
        stripped = line.strip()
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        text = (pending + stripped).strip()
        pending = ""
        if text and not text.startswith("#"):
            commands.append(DocCommand(section, text, len(commands)))
    return commands


def heading_anchors(markdown: str) -> set[str]:
    """GitHub's anchors of the page's headings (lower case, punctuation dropped, spaces to -)."""
    anchors = set()
    in_fence = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        heading = None if in_fence else HEADING.match(line)
        if heading:
            text = re.sub(r"[^\w\- ]", "", heading[2].lower())
            anchors.add(text.replace(" ", "-"))
    return anchors


@dataclass(frozen=True)
class Recorded:
    """One HTTP request the recording server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Recorder:
    """The requests received so far; ``take()`` hands them over and starts afresh."""

    url: str
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> list[Recorded]:
        """The requests since the last call."""
        with self.lock:
            taken, self.requests = self.requests, []
        return taken


def serving_exposition() -> bytes:
    """A /metrics body with every registry model loaded (what gate-vram --loaded-from reads)."""
    registry = CollectorRegistry()
    loaded = Gauge("llm_model_loaded", "1 when the model is loaded.", ["model"], registry=registry)
    for model in MODELS:
        loaded.labels(model=model).set(1)
    return generate_latest(registry)


@contextmanager
def recording_server() -> Iterator[Recorder]:
    """A loopback HTTP server standing in for SERVING_URL: records each request, answers 200."""
    holder: list[Recorder] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorder = holder[0]
            with recorder.lock:
                recorder.requests.append(Recorded(
                    self.command, parts.path, parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()}, body))
            if parts.path == "/metrics":
                payload, content_type = serving_exposition(), "text/plain; version=0.0.4"
            else:
                payload, content_type = json.dumps({}).encode(), "application/json"
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = do_PUT = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder.append(Recorder(url=f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()


def link_repo(workspace: Path, root: Path, names: tuple[str, ...]) -> None:
    """Make ``workspace`` look like the repository root for the documented relative paths."""
    for name in names:
        (workspace / name).symlink_to(root / name, target_is_directory=True)
