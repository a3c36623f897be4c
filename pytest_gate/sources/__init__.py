"""Metric sources: the Prometheus HTTP API, a ``/metrics`` scrape, and replay of a recording."""
