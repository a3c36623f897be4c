"""Short, credential-free causes for requests that got no HTTP response.

Each function turns one low-level failure (a refused or reset connection, a TLS alert, a proxy
that would not open a tunnel) into words a user can act on; none of them ever includes a header or
a URL's credentials.
"""

from __future__ import annotations

import http.client
import socket
import sys
from collections.abc import Iterator

from pytest_gate.sources.proxy import Proxy


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def cause(error: BaseException) -> str:
    """A short name for a transport failure."""
    for inner in _chain(error):
        if isinstance(inner, ConnectionRefusedError):
            return "connection refused"
        if isinstance(inner, ConnectionResetError | BrokenPipeError):
            return "connection reset by peer"
        if isinstance(inner, socket.gaierror):
            return UNRESOLVED
        if isinstance(inner, http.client.RemoteDisconnected | http.client.IncompleteRead):
            return "server closed the connection without a response"
    return f"connection failed ({type(error).__name__})"


def is_tls_error(error: BaseException) -> bool:
    """An ``ssl.SSLError`` (only possible once an https connection imported ``ssl``)."""
    tls = sys.modules.get("ssl")
    return tls is not None and isinstance(error, tls.SSLError)


_TUNNEL_FAILED = "Tunnel connection failed: "


def proxy_refusal(error: BaseException, proxy: Proxy) -> str | None:
    """The message for a proxy that would not open a CONNECT tunnel (``http.client``'s OSError)."""
    text = str(error)
    if not text.startswith(_TUNNEL_FAILED):
        return None
    answer = text[len(_TUNNEL_FAILED) :].strip()[:80]
    if answer.startswith("407"):
        fix = (
            "it wants credentials: put them in the proxy URL, "
            f"{proxy.variable}=http://user:password@proxy-host:port"
            if proxy.authorization is None
            else f"check the user and password in {proxy.variable}"
        )
    else:
        fix = "check that it allows CONNECT to this host and port, or add the host to NO_PROXY"
    return f"the proxy {proxy.shown} ({proxy.variable}) refused the tunnel ({answer}); {fix}"


UNRESOLVED = "host name could not be resolved"


def via(proxy: Proxy | None) -> str:
    """`` (through the proxy ...)`` for a failure on a proxied request; a proxy without
    credentials may have refused with 407 and dropped the connection before the answer arrived."""
    if proxy is None:
        return ""  # see unresolved_hint for a direct request
    if proxy.authorization is not None:
        return f" (through the proxy {proxy.shown} from {proxy.variable})"
    return (
        f" (through the proxy {proxy.shown} from {proxy.variable}; if it wants credentials, give "
        f"them as {proxy.variable}=http://user:password@proxy-host:port)"
    )


def unresolved_hint(scheme: str) -> str:
    """For a direct request whose host did not resolve: the network may need a proxy."""
    variable = "HTTPS_PROXY" if scheme == "https" else "HTTP_PROXY"
    return (
        f" (no proxy is set; if this network reaches that host through an egress proxy, set "
        f"{variable}=http://proxy-host:port)"
    )
