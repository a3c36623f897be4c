"""Rules for the regexes of ``[checks.api_5xx_rate]``: they must compile, and the status regex
must count every 5xx however the service labels it.

Services label the status either with the exact code (``status="503"``) or with its class
(``status="5xx"``), and the gate cannot tell which from the config. A regex that matches only one
form (``"5xx"``, ``"50[0-3]"``) silently counts nothing on a service that uses the other form, so a
real 5xx rate reads as 0 and the check says GO. The rule: ``error_status_regex`` must match every
code from 500 to 599 and the class ``5xx`` (PromQL anchors the regex, so it is a full match), and
must not match a success (``200``). ``"5.."``, the default, is such a regex.
"""

from __future__ import annotations

import re

SERVER_ERRORS = (*(str(code) for code in range(500, 600)), "5xx")
SUCCESS = "200"
STATUS_FIX = 'write a regex that matches every 5xx in both forms, like "5.."'


def regex_problem(regex: str) -> str | None:
    """Why ``regex`` does not compile, or ``None``."""
    try:
        re.compile(regex)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"not a valid regex ({exc})"
    return None


def status_regex_problem(regex: str) -> str | None:
    """Why ``regex`` cannot be the 5xx status regex, or ``None`` (see the module docstring)."""
    problem = regex_problem(regex)
    if problem is not None:
        return problem
    missed = [text for text in SERVER_ERRORS if re.fullmatch(regex, text) is None]
    if missed:
        shown = ", ".join(repr(m) for m in missed[:3]) + (", ..." if len(missed) > 3 else "")
        return (
            f"{regex!r} does not match {shown}: services label the status as the exact code "
            '("503") or its class ("5xx"), and the 5xx it misses would read as no errors'
        )
    if re.fullmatch(regex, SUCCESS) is not None:
        return f"{regex!r} matches {SUCCESS!r}, a success, so every request would count as an error"
    return None
