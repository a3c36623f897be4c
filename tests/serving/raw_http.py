"""Raw HTTP/1.1 over a loopback socket, for requests no HTTP client sends (partial heads, lying
``Content-Length``, chunked floods); responses are parsed with h11, the server's own parser."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

import h11

WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class RawResponse:
    """A parsed response."""

    status: int
    headers: dict[str, str]
    body: bytes


class RawConnection:
    """One client socket to ``port`` on loopback."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_SECONDS)

    def send(self, data: bytes) -> bool:
        """Send ``data``; False when the server had already closed or reset the connection."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def response(self) -> RawResponse:
        """Read one response (waits up to :data:`WAIT_SECONDS`)."""
        parser = h11.Connection(h11.CLIENT)
        parser.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
        parser.send(h11.EndOfMessage())
        status, headers, body = 0, {}, bytearray()
        while True:
            event = parser.next_event()
            if event is h11.NEED_DATA:
                parser.receive_data(self._recv())
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = {k.decode().lower(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                return RawResponse(status, headers, bytes(body))

    def closed_by_server(self) -> bool:
        """Wait (up to :data:`WAIT_SECONDS`) for the server to close; True when it did."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                if self._recv() == b"":
                    return True
            except TimeoutError:
                return False
        return False

    def _recv(self) -> bytes:
        try:
            return self.sock.recv(65536)
        except ConnectionResetError:
            return b""

    def close(self) -> None:
        """Close the client side."""
        self.sock.close()
