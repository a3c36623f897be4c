"""``gate-vram``: VRAM headroom check, load planner and Prometheus exporter on NVML.

``cli`` parses options and picks a mode; ``plan`` places models on GPUs (pure); ``render`` turns
readings and plans into text and JSON (pure); ``exporter`` serves the readings to Prometheus;
``registry`` and ``resident`` read the models to load and the models already loaded.
"""
