"""Hostile JSON over a real socket: a short 422, no traceback, the connection stays usable."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from serving.errors import MAX_ECHO_CHARS
from tests.serving.live_server import TOKEN, LiveServer

SHORT_BODY_BYTES = 1024
PAD = "p" * 60_000
HOSTILE_BODIES = {
    "NaN": b'{"text": NaN}',
    "Infinity": b'{"text": Infinity}',
    "-Infinity": b'{"text": "a", "mode": -Infinity}',
    "huge exponent": b'{"text": 1e999}',
    "huge integer": b'{"text": ' + b"7" * 5000 + b"}",
    "lone surrogate in text": b'{"text": "x\\ud800"}',
    "lone surrogate in mode": b'{"text": "a", "mode": "\\udc00"}',
    "lone surrogate in a key": b'{"\\ud800": 1}',
    "deep nesting": b'{"text": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
    "not UTF-8": b'{"text": "\xc3\x28"}',
    "NaN behind 60 KB": b'{"pad": "' + PAD.encode() + b'", "text": NaN}',
}
ECHOING_BODIES = {
    "text of 60 KB": {"text": PAD},
    "60 KB key": {"text": "a", PAD: 1},
    "60 KB mode": {"text": "a", "mode": PAD},
    "list instead of object": [PAD],
}


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_log() -> Iterator[list[logging.LogRecord]]:
    """Records logged by uvicorn (which does not propagate) and by the app, during one test."""
    handler = _Records()
    loggers = [logging.getLogger("uvicorn"), logging.getLogger()]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.records
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_json_is_a_short_422_without_a_traceback(
    server: LiveServer, server_log: list[logging.LogRecord], body: bytes
) -> None:
    """Non-RFC-8259 JSON is refused with a short json_invalid 422; nothing is logged as an error."""
    response = server.client.post(
        "/v1/brief", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert len(response.content) < SHORT_BODY_BYTES
    assert response.json()["detail"][0]["type"] == "json_invalid"
    assert [r.getMessage() for r in server_log if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("body", ECHOING_BODIES.values(), ids=ECHOING_BODIES.keys())
def test_validation_error_does_not_echo_the_input(server: LiveServer, body: object) -> None:
    """A 422 names the field and the rule, never repeats the rejected value."""
    response = server.client.post("/v1/brief", json=body)
    assert response.status_code == 422
    assert len(response.content) < SHORT_BODY_BYTES
    assert PAD[:MAX_ECHO_CHARS] not in response.text


def test_connection_stays_usable_after_hostile_input(server: LiveServer) -> None:
    """The same keep-alive connection answers a normal request right after a hostile one."""
    with server.client.stream(
        "POST", "/v1/brief", content=b'{"text": NaN}', headers={"content-type": "application/json"}
    ) as hostile:
        assert hostile.status_code == 422
        hostile.read()
        hostile_peer = hostile.extensions["network_stream"].get_extra_info("client_addr")
    with server.client.stream("GET", "/livez") as after:
        assert after.status_code == 200
        assert after.extensions["network_stream"].get_extra_info("client_addr") == hostile_peer


def test_hostile_json_is_counted_as_422_on_its_route(server: LiveServer) -> None:
    """http_requests_total counts the refusal under /v1/brief with status 422."""
    before = server.metric("http_requests_total", handler="/v1/brief", status="422")
    server.client.post(
        "/v1/brief", content=b'{"text": Infinity}', headers={"content-type": "application/json"}
    )
    assert server.metric("http_requests_total", handler="/v1/brief", status="422") == before + 1


@pytest.mark.parametrize("text", ["\x00", "\x00\x00\x00", " \x1b\x7f\t", "\x85\u009f"])
def test_text_of_only_control_characters_is_422(server: LiveServer, text: str) -> None:
    """NUL, ESC, DEL and C1 controls (with or without whitespace) are not a request text."""
    response = server.brief(text)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "text"]


def test_admin_token_is_checked_before_the_body(server: LiveServer) -> None:
    """Malformed JSON without a token is 401 (auth first), and with the token 422."""
    body, headers = b"{not json", {"content-type": "application/json"}
    anonymous = server.client.post("/admin/cache/ttl", content=body, headers=headers)
    authorised = server.client.post(
        "/admin/cache/ttl", content=body, headers={**headers, "Authorization": f"Bearer {TOKEN}"}
    )
    assert (anonymous.status_code, authorised.status_code) == (401, 422)
