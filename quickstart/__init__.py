"""The quick start: the whole chain (tiny models, serving, traffic, Prometheus, gate) on one machine."""
