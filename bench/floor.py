"""The floor: a bare Python process that sends the gate's Prometheus requests with ``requests``.

``python bench/floor.py PLAN.json [--sequential]``. It imports nothing from the project, so its
time from start to exit is what any process needs to ask Prometheus the same questions:
interpreter start, ``import requests``, the round trips (all at once, or one after another with
``--sequential``) and decoding the JSON answers. Exits 1 when an answer is not a success.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from requests.adapters import HTTPAdapter

POOL_SIZE = 32


def ask(session: requests.Session, url: str, request: dict[str, Any]) -> bool:
    """POST one query form and decode the answer; True when Prometheus says success."""
    answer = session.post(url + request["path"], data=request["form"], timeout=30)
    return bool(answer.json().get("status") == "success")


def main(argv: list[str]) -> int:
    """Send every request of the plan file, concurrently unless ``--sequential``."""
    with open(argv[1]) as plan_file:
        plan = json.load(plan_file)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=POOL_SIZE))
    url, wanted = plan["url"], plan["requests"]
    if "--sequential" in argv:
        results = [ask(session, url, request) for request in wanted]
    else:
        with ThreadPoolExecutor(max_workers=min(POOL_SIZE, len(wanted))) as pool:
            results = list(pool.map(lambda request: ask(session, url, request), wanted))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
