"""Which forward proxy a request goes through, read from the environment as curl and requests do.

``https_proxy`` / ``HTTPS_PROXY`` for https URLs, ``http_proxy`` / ``HTTP_PROXY`` for http URLs
(the lower-case name wins when both are set), ``no_proxy`` / ``NO_PROXY`` for the exceptions: a
comma-separated list of host names (``example.com`` also covers ``prom.example.com``; a leading
dot is the same), IP addresses or CIDR ranges (``10.0.0.0/8``), each optionally with ``:port``,
or ``*`` for every host. The proxy itself is ``http://[user:password@]host[:port]`` (a bare
``host:port`` means http); the user and password go to the proxy as ``Proxy-Authorization`` and
are never shown. The client opens a ``CONNECT`` tunnel for https and sends the absolute URL for
http, as RFC 9110 asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from pytest_gate.core.urls import redact
from pytest_gate.sources.auth import basic
from pytest_gate.sources.base import SourceConfigError

PROXY_ENVS = {"http": ("http_proxy", "HTTP_PROXY"), "https": ("https_proxy", "HTTPS_PROXY")}
NO_PROXY_ENVS = ("no_proxy", "NO_PROXY")
DEFAULT_PROXY_PORT = 1080  # curl's default when the proxy URL names no port
PROXY_FIX = "give it as http://[user:password@]proxy-host:3128"


@dataclass(frozen=True)
class Proxy:
    """A forward proxy: where it is, what it is shown as, and its credentials (never shown)."""

    host: str
    port: int
    shown: str
    """``http://proxy:3128`` (no credentials), for messages."""
    variable: str
    """The variable it came from, e.g. ``HTTPS_PROXY``."""
    authorization: str | None = field(default=None, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return name, value
    return None


def parse_proxy(value: str, variable: str) -> Proxy:
    """Parse one proxy URL; raises :class:`SourceConfigError` naming ``variable``."""
    text = value if "://" in value else "http://" + value
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise SourceConfigError(f"{variable} is not a valid proxy URL; {PROXY_FIX}") from None
    if parts.scheme.lower() != "http" or not parts.hostname:
        raise SourceConfigError(
            f"{variable} {redact(text)!r} is not an http:// proxy (the gate speaks to its proxy in "
            f"plain HTTP and tunnels TLS through it); {PROXY_FIX}"
        )
    shown = f"http://{parts.hostname}:{port or DEFAULT_PROXY_PORT}"
    if parts.username is None:
        return Proxy(parts.hostname, port or DEFAULT_PROXY_PORT, shown, variable)
    user, password = unquote(parts.username), unquote(parts.password or "")
    secrets = tuple(s for s in (user, password, parts.username, parts.password) if s)
    return Proxy(
        parts.hostname, port or DEFAULT_PROXY_PORT, shown, variable, basic(user, password), secrets
    )


def _matches(entry: str, host: str, port: int) -> bool:
    """Whether one ``NO_PROXY`` entry covers ``host:port``."""
    entry = entry.strip().lower()
    if not entry:
        return False
    if entry == "*":
        return True
    name, entry_port = entry, None
    if entry.startswith("["):  # [::1]:8080
        name, _, rest = entry[1:].partition("]")
        entry_port = rest[1:] if rest.startswith(":") else None
    elif entry.count(":") == 1:
        name, entry_port = entry.split(":")
    if entry_port is not None and entry_port != str(port):
        return False
    import ipaddress  # only when a NO_PROXY entry is checked

    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and "/" in name:
        try:
            return address in ipaddress.ip_network(name, strict=False)
        except ValueError:
            return False
    name = name.lstrip(".").rstrip(".")
    return host == name or host.endswith("." + name)


def proxy_for(scheme: str, host: str, port: int, env: Mapping[str, str]) -> Proxy | None:
    """The proxy a request to ``scheme://host:port`` goes through, or ``None`` for a direct one."""
    found = _first(env, PROXY_ENVS.get(scheme, ()))
    if found is None:
        return None
    bypass = _first(env, NO_PROXY_ENVS)
    host = host.lower().rstrip(".")
    if bypass is not None and any(_matches(e, host, port) for e in bypass[1].split(",")):
        return None
    variable, value = found
    return parse_proxy(value, variable)


def proxy_secrets(env: Mapping[str, str]) -> tuple[str, ...]:
    """The credentials of every proxy variable that is set (for redaction)."""
    secrets: list[str] = []
    for names in PROXY_ENVS.values():
        found = _first(env, names)
        if found is not None:
            try:
                secrets.extend(parse_proxy(found[1], found[0]).secrets)
            except SourceConfigError:
                continue
    return tuple(secrets)
