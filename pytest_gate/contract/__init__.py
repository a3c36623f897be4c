"""Contracts shared with the serving stack and gate-vram: the brief schema, the model registry and
model sizes. Pure, no pytest."""
