"""Benchmarks of the gate and the serving hot path: ``python -m bench`` writes bench/RESULTS.md.

Benchmarks are scripts, not timed tests. Each module measures one thing against real parts
(a backfilled Prometheus, real sockets, a real uvicorn server) and returns a :class:`Section` of
the results file; ratios are always measured in the same run, with the runs interleaved.
"""
