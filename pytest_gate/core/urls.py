"""The one rule for showing a URL: without credentials, query string or fragment."""

from __future__ import annotations

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
