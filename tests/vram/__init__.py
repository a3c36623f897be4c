"""Tests of the gate-vram command, its planner and its exporter."""
