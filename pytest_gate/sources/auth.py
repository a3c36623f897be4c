"""Prometheus credentials from the environment or the URL, and what to say when they are refused.

DESIGN §5: a bearer token or basic auth comes from the environment, never from the report. When
the server (or an authenticating proxy before it) answers 401 or 403, or redirects an API call to
a login page, the message names the variables that carry credentials and which of them were set;
it never shows a value.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

from pytest_gate.core.urls import redact
from pytest_gate.sources.base import SourceConfigError

TOKEN_ENV = "GATE_PROMETHEUS_TOKEN"
USER_ENV = "GATE_PROMETHEUS_USER"
PASSWORD_ENV = "GATE_PROMETHEUS_PASSWORD"
CREDENTIAL_ENVS = (TOKEN_ENV, USER_ENV, PASSWORD_ENV)
WHERE_CREDENTIALS_GO = (
    f"credentials come from {TOKEN_ENV} (bearer token) or {USER_ENV} + {PASSWORD_ENV} (basic auth)"
)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
PROXY_AUTH_STATUS = 407
PROXY_HINT = (
    "the forward proxy wants credentials; put them in the proxy variable, e.g. "
    "HTTP_PROXY=http://user:password@proxy-host:3128 (or add the host to NO_PROXY if it should "
    "be reached directly)"
)
_PRINTABLE = frozenset(chr(c) for c in range(0x21, 0x7F))
BAD_SECRET = (
    "{name} holds a control character, a space or a character outside ASCII (the value is not "
    "shown); check how it is set: no quotes, no line break inside, e.g. "
    'export {name}="$(cat token-file)"'
)


def _checked(name: str, value: str | None) -> str | None:
    """A credential without what a file adds (a token's surrounding whitespace, a password's
    trailing line break); one that could not go into an HTTP header is refused, never shown."""
    if value is None:
        return None
    stripped = value.strip() if name == TOKEN_ENV else value.rstrip("\r\n")
    if not stripped.strip():
        return None
    if name == TOKEN_ENV and not set(stripped) <= _PRINTABLE:
        raise SourceConfigError(BAD_SECRET.format(name=name))
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in stripped):
        raise SourceConfigError(BAD_SECRET.format(name=name))
    return stripped


def bearer(token: str) -> str:
    """The ``Authorization`` header value for a bearer token."""
    return f"Bearer {token}"


def basic(user: str, password: str) -> str:
    """The ``Authorization`` header value for basic auth (RFC 7617, UTF-8)."""
    pair = f"{user}:{password}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


@dataclass(frozen=True)
class Credentials:
    """What a client sends, and where it came from: variable names only, values kept out of repr."""

    authorization: str | None = field(default=None, repr=False)
    """The ``Authorization`` header sent, or ``None`` (never shown)."""
    secrets: tuple[str, ...] = field(default=(), repr=False)
    given: tuple[str, ...] = ()
    """The credential variables that are set (non-empty)."""
    empty: tuple[str, ...] = ()
    """The credential variables that are set but empty (ignored)."""
    in_url: bool = False
    """Whether the URL carries a user and password (sent as basic auth)."""

    @property
    def sent_any(self) -> bool:
        """Whether any credentials were sent."""
        return self.authorization is not None

    def state(self) -> str:
        """Which credentials were sent, for a refusal message (never a value)."""
        if TOKEN_ENV in self.given:
            sent = f"{TOKEN_ENV} is set and was sent as a bearer token"
        elif USER_ENV in self.given:
            sent = f"{USER_ENV} and {PASSWORD_ENV} are set and were sent as basic auth"
        elif self.in_url:
            sent = "none of them is set; the URL's user and password were sent as basic auth"
        else:
            sent = "none of them is set, so no credentials were sent"
        if self.empty:
            sent += f" ({', '.join(self.empty)} set but empty, ignored)"
        return sent


def credentials(
    url_user: str | None, url_password: str | None, env: Mapping[str, str]
) -> Credentials:
    """The credentials to send; raises :class:`SourceConfigError` for half-set or conflicting ones."""
    token = _checked(TOKEN_ENV, env.get(TOKEN_ENV))
    user = _checked(USER_ENV, env.get(USER_ENV))
    password = _checked(PASSWORD_ENV, env.get(PASSWORD_ENV))
    if (user is None) != (password is None):
        raise SourceConfigError(
            f"only one of {USER_ENV} and {PASSWORD_ENV} is set; set both for basic auth, or neither"
        )
    if user is not None and url_user is not None:
        raise SourceConfigError(
            f"credentials are given both in the URL and in {USER_ENV}; keep only one of them"
        )
    if token is not None and (user or url_user) is not None:
        raise SourceConfigError(
            f"both a bearer token ({TOKEN_ENV}) and basic auth are set; keep only one of them"
        )
    given = tuple(n for n in CREDENTIAL_ENVS if env.get(n, "").strip())
    empty = tuple(n for n in CREDENTIAL_ENVS if n in env and not env[n].strip())
    if token is not None:
        return Credentials(bearer(token), (token, env[TOKEN_ENV]), given, empty)
    if user is not None:
        header = basic(user, password or "")
        given_secrets = (user, password or "", env[USER_ENV], env[PASSWORD_ENV])
        return Credentials(header, tuple(s for s in given_secrets if s), given, empty)
    if url_user is not None:
        header = basic(url_user, url_password or "")
        secrets = tuple(s for s in (url_user, url_password) if s)
        return Credentials(header, secrets, given, empty, in_url=True)
    return Credentials(given=given, empty=empty)


def refusal(
    status: int, reason: str, location: str, base_url: str, sent: Credentials, also: str = ""
) -> str | None:
    """Why an HTTP 401, 403, 407 or redirect means the request was not let in; else ``None``.

    ``location`` is the redirect's target (shown without its query, which may hold tokens);
    ``also`` says what else was sent (client certificate, extra header names), never a value.
    """
    where = f"{WHERE_CREDENTIALS_GO}; {sent.state()}" + (f"; {also}" if also else "")
    if status == PROXY_AUTH_STATUS:
        return f"HTTP {status} {reason}: {PROXY_HINT}"
    if status == 401:
        fix = "Check that they are valid and not expired" if sent.sent_any else "Set one of them"
        if also:
            fix += " (and the client certificate or tenant header it demands, if any)"
        return (
            f"HTTP 401 {reason}: Prometheus or a proxy before it wants credentials; {where}. {fix}"
        )
    if status == 403:
        return (
            f"HTTP 403 {reason}: the request was refused; {where}. Use credentials that may read "
            "the query API (and the client certificate or tenant header the server demands)"
        )
    if status in REDIRECT_STATUSES:
        target = redact(urljoin(base_url + "/", location)) if location else "(no Location)"
        return (
            f"HTTP {status} redirect to {target}: API calls are not redirected, and an "
            f"authenticating proxy sends requests without credentials to its login page; {where}. "
            "If that address is where Prometheus now lives, pass it as --prometheus-url"
        )
    return None
