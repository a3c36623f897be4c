"""Hostile request bodies against a live serving process: what each costs the server.

Per input: the status, the size of the answer, the growth of the server's log and, for the body
floods, the growth of the server's peak memory (``VmHWM``). Issue 17 measured 500s with 10 KB of
log per 12-byte input, and a 50 MB chunked body read whole and echoed back (52 MB answer, +164 MB
server memory).
"""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

FLOOD_CHUNK_BYTES = 64 * 1024
LYING_LENGTH = 60_000
RECV_TIMEOUT_SECONDS = 60.0
PAD = "p" * 60_000
HOSTILE_BODIES: dict[str, bytes] = {
    "NaN": b'{"text": NaN}',
    "Infinity": b'{"text": Infinity}',
    "-Infinity in mode": b'{"text": "a", "mode": -Infinity}',
    "1e999": b'{"text": 1e999}',
    "5,000-digit integer": b'{"text": ' + b"7" * 5000 + b"}",
    "lone surrogate in text": b'{"text": "x\\ud800"}',
    "lone surrogate in mode": b'{"text": "a", "mode": "\\udc00"}',
    "lone surrogate in a key": b'{"\\ud800": 1}',
    "nesting 20,000 deep": b'{"text": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
    "invalid UTF-8": b'{"text": "\xc3\x28"}',
    "UTF-16": '{"text": "a"}'.encode("utf-16"),
    "NaN behind 60 KB of padding": b'{"pad": "' + PAD.encode() + b'", "text": NaN}',
    "text of 60 KB": b'{"text": "' + PAD.encode() + b'"}',
    "key of 60 KB": b'{"text": "a", "' + PAD.encode() + b'": 1}',
    "only NUL characters": b'{"text": "\\u0000\\u0000"}',
    "TTL as a string (admin)": b'{"mode": "fast", "ttl_seconds": "300"}',
    "TTL true (admin)": b'{"mode": "fast", "ttl_seconds": true}',
    "TTL 5e-324 (admin)": b'{"mode": "fast", "ttl_seconds": 5e-324}',
    "TTL NaN (admin)": b'{"mode": "fast", "ttl_seconds": NaN}',
    "malformed JSON, no token (admin)": b"{not json",
}
"""Each body goes to /v1/brief, or to /admin/cache/ttl when its name says admin."""


@dataclass(frozen=True)
class Probe:
    """What one hostile input cost."""

    name: str
    status: int
    answer_bytes: int
    log_bytes: int
    peak_memory_growth_bytes: int = 0
    seconds: float = 0.0


def peak_memory_bytes(pid: int) -> int:
    """The process's peak resident memory (``VmHWM``), bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def probe_bodies(url: str, token: str, log: Path) -> list[Probe]:
    """Send every :data:`HOSTILE_BODIES` entry once; admin ones with the token unless "no token"."""
    probes = []
    for name, body in HOSTILE_BODIES.items():
        path = "/admin/cache/ttl" if "(admin)" in name else "/v1/brief"
        headers = {"content-type": "application/json"}
        if "(admin)" in name and "no token" not in name:
            headers["Authorization"] = f"Bearer {token}"
        logged = log.stat().st_size
        answer = requests.post(url + path, data=body, headers=headers, timeout=60)
        probes.append(Probe(name, answer.status_code, len(answer.content), _grown(log, logged)))
    return probes


def _grown(log: Path, size_before: int) -> int:
    return log.stat().st_size - size_before


def _head(extra: str) -> bytes:
    return (
        "POST /v1/brief HTTP/1.1\r\nHost: loopback\r\nContent-Type: application/json\r\n"
        f"{extra}\r\n\r\n"
    ).encode()


def _flood(port: int, total_bytes: int) -> tuple[int, int]:
    """One chunked body of ``total_bytes``; (status, answer bytes); status 0 if no answer."""
    chunk = b"%x\r\n" % FLOOD_CHUNK_BYTES + b"x" * FLOOD_CHUNK_BYTES + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=RECV_TIMEOUT_SECONDS) as sock:
        try:
            sock.sendall(_head("Transfer-Encoding: chunked") + b'a\r\n{"text": "\r\n')
            for _ in range(total_bytes // FLOOD_CHUNK_BYTES):
                sock.sendall(chunk)
            sock.sendall(b'2\r\n"}\r\n0\r\n\r\n')
        except ConnectionError:
            pass  # the server refused the body and closed: what we measure is its answer
        answer = _read_all(sock)
    status = int(answer[9:12]) if answer.startswith(b"HTTP/1.1 ") else 0
    return status, len(answer)


def _read_all(sock: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionError:
        pass  # a reset after the answer: the answer is what was read
    return answer


def chunked_floods(port: int, pid: int, log: Path, total_bytes: int, count: int) -> Probe:
    """``count`` concurrent chunked bodies of ``total_bytes`` each."""
    peak, logged, started = peak_memory_bytes(pid), log.stat().st_size, time.perf_counter()
    with ThreadPoolExecutor(max_workers=count) as clients:
        answers = list(clients.map(lambda _: _flood(port, total_bytes), range(count)))
    statuses = {status for status, _ in answers}
    return Probe(
        f"{count} x chunked {total_bytes // 2**20} MiB",
        statuses.pop() if len(statuses) == 1 else 0,
        max(size for _, size in answers),
        _grown(log, logged),
        peak_memory_bytes(pid) - peak,
        time.perf_counter() - started,
    )


def lying_length(port: int, log: Path) -> Probe:
    """A Content-Length of 60,000 with a 12-byte body: answered when the body timeout passes."""
    logged, started = log.stat().st_size, time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=RECV_TIMEOUT_SECONDS) as sock:
        sock.sendall(_head(f"Content-Length: {LYING_LENGTH}") + b'{"text": "ab')
        answer = _read_all(sock)
    status = int(answer[9:12]) if answer.startswith(b"HTTP/1.1 ") else 0
    return Probe(
        f"Content-Length {LYING_LENGTH:,}, 12 bytes sent",
        status,
        len(answer),
        _grown(log, logged),
        seconds=time.perf_counter() - started,
    )
