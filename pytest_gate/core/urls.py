"""The one rule for showing a URL (no credentials, query or fragment) and for comparing origins."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit


def redact(url: str) -> str:
    """``https://user:pw@host:9090/p?token=x`` -> ``https://host:9090/p`` (reports, logs, errors).

    User info and the query string can both carry secrets (``?token=``); neither is ever shown.
    A string that is not a URL with a host is returned without anything after ``?`` or ``#``.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


DEFAULT_PORTS = {"http": 80, "https": 443}
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/?#\s@\"'<>]*@)")
PLACEHOLDER_USERINFO = "user:password@"
"""The userinfo of the example URLs in the gate's own fixes; the only one shown."""


def origin(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of ``url``, lower-cased, the default port filled in.

    Two URLs have the same origin exactly when these tuples are equal: ``http://a`` and
    ``http://a:80`` do, ``http://a`` and ``http://a.evil.test`` or ``https://a`` do not.
    Raises ``ValueError`` for a URL without a host or with a bad port.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if not parts.hostname:
        raise ValueError(f"no host in {redact(url)!r}")
    port = parts.port if parts.port is not None else DEFAULT_PORTS.get(scheme, 0)
    return scheme, parts.hostname.lower().rstrip("."), port


def scrub_userinfo(text: str) -> str:
    """``text`` with the ``user:password@`` part of every URL in it removed.

    The last net before text leaves the gate (report, terminal, step summary): a URL a check
    built from ``--serving-url http://user:pw@host`` keeps its host and path, never its password.
    The literal placeholder ``user:password@`` of the gate's own fix texts stays.
    """
    return _USERINFO.sub(
        lambda m: m.group(0) if m.group(2) == PLACEHOLDER_USERINFO else m.group(1), text
    )
