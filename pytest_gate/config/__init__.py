"""Configuration: gate.toml (schema, per-check tables, waivers, GPU exporter presets), the command
line options and the metric-source rules."""
