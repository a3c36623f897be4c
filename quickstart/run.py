"""Run the whole chain: tiny models -> serving -> traffic -> Prometheus -> gate -> smoke gate."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from pytest_gate.core.decision import EXIT_CODES
from quickstart.processes import Children, http_ok, wait_until
from quickstart.profile import write_profile
from quickstart.traffic import drive

REPO = Path(__file__).resolve().parent.parent
FAULTS: Mapping[str, str] = {
    "none": "no fault: a healthy stack (expect GO)",
    "slow-fast": "fast-mode generation 3 s slower (expect WARNING: fast p95 above 2.5 s)",
    "broken-schema": "fast mode generates without the JSON grammar (expect NO-GO: schema repairs)",
    "unload-creative": "qwen_32b unloaded before traffic (expect NO-GO: smoke check models loaded)",
}
FAULT_ENV: Mapping[str, Mapping[str, str]] = {
    "slow-fast": {"SERVING_FAULT_SLOW_MODE": "fast:3.0"},
    "broken-schema": {"SERVING_FAULT_UNGUIDED": "fast"},
}
SERVING_START_TIMEOUT_SECONDS = 300.0
PROMETHEUS_BIN = "prometheus"
JOB = "serving"
VERDICTS = {code: verdict.value for verdict, code in EXIT_CODES.items()}


@dataclass(frozen=True)
class QuickstartSettings:
    """What the user asked for."""

    workdir: Path
    report: Path
    smoke_report: Path
    fault: str
    texts_per_mode: int
    repeats: int
    concurrency: int


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


COUNTER_SAMPLE_SUFFIXES = ("_total", "_count")
"""Sample names that are counters (``_count`` of histograms included) in a /metrics text."""
PROMETHEUS_WAIT_SECONDS = 120.0


def counter_series(text: str) -> dict[str, int]:
    """``{sample name: number of series}`` of every counter sample in a /metrics text."""
    counts: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        if family.type not in ("counter", "histogram"):
            continue
        for sample in family.samples:
            if sample.name.endswith(COUNTER_SAMPLE_SUFFIXES):
                counts[sample.name] = counts.get(sample.name, 0) + 1
    return counts


def brief_total(text: str) -> float:
    """Sum of ``llm_brief_total`` in a /metrics text."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        if family.name == "llm_brief":
            total += sum(s.value for s in family.samples if s.name == "llm_brief_total")
    return total


def prometheus_value(prom_url: str, promql: str) -> float | None:
    """The single value of an instant query, or ``None`` when there is none (or no answer)."""
    try:
        body = requests.get(prom_url + "/api/v1/query", params={"query": promql}, timeout=5).json()
    except (requests.RequestException, ValueError):
        return None
    result = body.get("data", {}).get("result", []) if isinstance(body, dict) else []
    return float(result[0]["value"][1]) if len(result) == 1 else None


def prometheus_brief_total(prom_url: str) -> float | None:
    """``sum(llm_brief_total)`` as Prometheus sees it now."""
    return prometheus_value(prom_url, f'sum(llm_brief_total{{job="{JOB}"}})')


def last_scrape(prom_url: str) -> float | None:
    """When Prometheus last scraped the service (``timestamp(up)``), or ``None`` before the first."""
    return prometheus_value(prom_url, f'timestamp(up{{job="{JOB}"}} == 1)')


def counters_present(prom_url: str, expected: Mapping[str, int]) -> bool:
    """Prometheus holds every counter series the service exports (at start-up: all at zero)."""
    return all(
        (prometheus_value(prom_url, f'count({name}{{job="{JOB}"}})') or 0) >= count
        for name, count in expected.items()
    )


def wait_for_first_scrape(prom: str, url: str, say: Callable[[str], None]) -> None:
    """Wait until Prometheus has scraped the service with every counter present, at its zero.

    Traffic sent before that would be invisible to the gate's windows' first sample; Prometheus'
    scrape manager starts a target some seconds after ``/-/ready``.
    """
    expected = counter_series(requests.get(url + "/metrics", timeout=10).text)
    wait_until(
        lambda: counters_present(prom, expected),
        what=f"Prometheus' first scrape of the service ({sum(expected.values())} counter series)",
        timeout_seconds=PROMETHEUS_WAIT_SECONDS,
        proc=None,
        log=None,
        say=say,
    )


def wait_for_final_counters(prom: str, expected: float, say: Callable[[str], None]) -> None:
    """Wait until Prometheus holds the final counters, then for one more scrape after that.

    The extra scrape gives every series born during the traffic a second sample, so each counter
    window stands on at least two samples per series.
    """
    wait_until(
        lambda: prometheus_brief_total(prom) == expected,
        what="the scrape of the final counters",
        timeout_seconds=PROMETHEUS_WAIT_SECONDS,
        proc=None,
        log=None,
        say=say,
    )
    seen = last_scrape(prom) or 0.0
    wait_until(
        lambda: (last_scrape(prom) or 0.0) > seen,
        what="one more scrape after the final counters",
        timeout_seconds=PROMETHEUS_WAIT_SECONDS,
        proc=None,
        log=None,
        say=say,
    )


def start_serving(
    children: Children,
    settings: QuickstartSettings,
    registry: Path,
    port: int,
    token: str,
    say: Callable[[str], None],
) -> str:
    """Start ``python -m serving`` and wait until /health answers 200."""
    # One torch thread per inference worker: on a small machine, oversubscribed cores would make
    # a healthy stack look slow.
    env = {
        "SERVING_TORCH_THREADS": "1",
        **os.environ,
        "SERVING_ADMIN_TOKEN": token,
        "HF_HUB_OFFLINE": "1",
        **FAULT_ENV.get(settings.fault, {}),
    }
    log = settings.workdir / "serving.log"
    proc = children.start(
        [
            sys.executable,
            "-m",
            "serving",
            "--registry",
            str(registry),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        log,
        env,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(
        lambda: http_ok(url + "/health"),
        what="serving /health (loading three models)",
        timeout_seconds=SERVING_START_TIMEOUT_SECONDS,
        proc=proc,
        log=log,
        say=say,
    )
    return url


def start_prometheus(
    children: Children, workdir: Path, serving_port: int, say: Callable[[str], None]
) -> str:
    """Start a Prometheus that scrapes the serving module every second."""
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": JOB, "static_configs": [{"targets": [f"127.0.0.1:{serving_port}"]}]}
        ],
    }
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
    data = workdir / "prometheus-data"
    shutil.rmtree(data, ignore_errors=True)
    port = free_port()
    log = workdir / "prometheus.log"
    proc = children.start(
        [
            PROMETHEUS_BIN,
            f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        log,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(
        lambda: http_ok(url + "/-/ready"),
        what="Prometheus",
        timeout_seconds=60,
        proc=proc,
        log=log,
        say=say,
    )
    return url


def unload(url: str, token: str, model: str) -> None:
    """Unload a model through the admin API (the unload-creative fault)."""
    response = requests.post(
        url + "/admin/model/unload",
        json={"model": model},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()


def run_gate(args: list[str], say: Callable[[str], None]) -> int:
    """Run pytest on the default gate with only the gate plugin loaded (fast start)."""
    command = [sys.executable, "-m", "pytest", "gate_checks", *args]
    say("  $ pytest gate_checks " + " ".join(args))
    env = {
        **os.environ,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "PYTEST_PLUGINS": "pytest_gate.plugin",
    }
    return subprocess.run(command, cwd=REPO, env=env, check=False).returncode


def run(settings: QuickstartSettings, say: Callable[[str], None]) -> int:
    """The whole chain; returns the worse of the gate's and the smoke gate's exit codes."""
    if shutil.which(PROMETHEUS_BIN) is None:
        say("prometheus is not installed: run `bash scripts/install.sh` first")
        return 2
    settings.workdir.mkdir(parents=True, exist_ok=True)
    children = Children()
    try:
        say(
            f"[1/6] building three tiny models (Qwen2, Llama, Mistral configs) in {settings.workdir}"
        )
        models = settings.workdir / "models"
        subprocess.run(
            [sys.executable, "-m", "serving.tiny_models", str(models)],
            check=True,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
        port, token = free_port(), secrets.token_urlsafe(16)
        say(
            f"[2/6] starting the serving module on 127.0.0.1:{port} (fault: {FAULTS[settings.fault]})"
        )
        url = start_serving(children, settings, models / "registry.toml", port, token, say)
        say(
            "[3/6] starting Prometheus, scraping the service every second; waiting for its "
            "first scrape (every counter at zero)"
        )
        prom = start_prometheus(children, settings.workdir, port, say)
        wait_for_first_scrape(prom, url, say)
        if settings.fault == "unload-creative":
            unload(url, token, "qwen_32b")
            say("  unloaded qwen_32b through POST /admin/model/unload")
        say(
            f"[4/6] sending briefs: {settings.texts_per_mode} texts x 3 modes x "
            f"{settings.repeats} rounds, {settings.concurrency} at a time"
        )
        traffic = drive(
            url,
            texts_per_mode=settings.texts_per_mode,
            repeats=settings.repeats,
            concurrency=settings.concurrency,
            say=say,
        )
        expected = brief_total(requests.get(url + "/metrics", timeout=10).text)
        say(
            f"[5/6] waiting for Prometheus to scrape the final counters ({expected:.0f} briefs, "
            f"{traffic.total} requests sent), and once more"
        )
        wait_for_final_counters(prom, expected, say)
        config = write_profile(settings.workdir)
        say("[6/6] running the gate (pre-deploy checks), then the smoke checks (post-deploy)")
        gate = run_gate(
            [
                "--gate-config",
                str(config),
                "--prometheus-url",
                prom,
                "--gpu-source",
                "none",
                "--gate-report",
                str(settings.report),
            ],
            say,
        )
        smoke = run_gate(
            [
                "-m",
                "smoke",
                "--serving-url",
                url,
                "--gate-config",
                str(config),
                "--gpu-source",
                "none",
                "--gate-report",
                str(settings.smoke_report),
            ],
            say,
        )
    finally:
        say("stopping the serving module and Prometheus")
        children.stop_all()
    worst = max(gate, smoke)
    say(
        f"quick start: gate {VERDICTS.get(gate, gate)} (report {settings.report}), smoke "
        f"{VERDICTS.get(smoke, smoke)} (report {settings.smoke_report}); exit {worst}"
    )
    return worst
