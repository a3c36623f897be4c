"""What every benchmark shares: settings, progress output, the backfilled Prometheus, interleaving."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bench import datasets
from bench.measure import Run
from tests.support.prometheus_server import PrometheusServer

Measure = Callable[[], Run]
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """How much to measure and where to put scratch files."""

    runs: int
    quick: bool
    workdir: Path
    gpu_counts: tuple[int, ...] = (2,)
    instance_counts: tuple[int, ...] = (1, 10, 100, 500)
    """Serving-instance counts of the ``instances`` benchmark (the first is the baseline)."""


class Bench:
    """Shared state of one ``python -m bench`` run; resources live until :meth:`close`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.started = time.monotonic()
        self._stack = ExitStack()
        self._prometheus: PrometheusServer | None = None
        self._configs: dict[int, Path] = {}

    @property
    def runs(self) -> int:
        """Measured repetitions per variant (after one warm-up)."""
        return self.settings.runs

    @property
    def after_warmup(self) -> str:
        """How the results text says whether a warm-up run came first."""
        return "without a warm-up (--quick)" if self.settings.quick else "after one warm-up run"

    def say(self, message: str) -> None:
        """One progress line on stderr, with the time since the start."""
        elapsed = time.monotonic() - self.started
        sys.stderr.write(f"[bench {elapsed:6.1f} s] {message}\n")
        sys.stderr.flush()

    def directory(self, name: str) -> Path:
        """A fresh scratch directory for one benchmark."""
        path = self.settings.workdir / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def prometheus(self) -> PrometheusServer:
        """The Prometheus backfilled with the healthy deployment at every GPU count (started once)."""
        if self._prometheus is None:
            counts = self.settings.gpu_counts
            self.say(f"backfilling Prometheus: healthy deployment with {counts} GPUs")
            text = datasets.openmetrics(counts).text()
            self._prometheus = self._stack.enter_context(
                PrometheusServer.start(self.directory("prometheus"), openmetrics=text)
            )
            self.say(f"Prometheus ready at {self._prometheus.url}")
        return self._prometheus

    def hold(self, resource: AbstractContextManager[T]) -> T:
        """Enter ``resource`` (a server) until :meth:`close`."""
        return self._stack.enter_context(resource)

    def config(self, gpus: int = 2) -> Path:
        """The gate.toml selecting the healthy data set with ``gpus`` GPUs."""
        if gpus not in self._configs:
            self._configs[gpus] = datasets.config_for(self.directory("configs"), gpus)
        return self._configs[gpus]

    def measure(
        self, variants: Mapping[str, Measure], runs: int | None = None, warmup: bool = True
    ) -> dict[str, list[Run]]:
        """Run every variant once to warm up (not with --quick), then ``runs`` rounds, interleaved."""
        rounds = self.runs if runs is None else runs
        names = list(variants)
        if warmup and not self.settings.quick:
            for name in names:
                variants[name]()
        results: dict[str, list[Run]] = {name: [] for name in names}
        for index in range(rounds):
            for name in names:
                results[name].append(variants[name]())
            self.say(f"  round {index + 1}/{rounds}: " + _brief(results, names))
        return results

    def close(self) -> None:
        """Stop every server this run started."""
        self._stack.close()


def _brief(results: Mapping[str, list[Run]], names: Iterable[str]) -> str:
    return ", ".join(f"{name} {results[name][-1].wall_seconds:.2f}s" for name in names)
