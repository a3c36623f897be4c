"""GPU memory: the readings and the headroom rule, NVML (the only pynvml importer), the exporter
metrics and the GPU snapshot a check reads."""
