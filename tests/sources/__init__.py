"""Tests of the metric sources, the snapshot and the GPU snapshot."""
