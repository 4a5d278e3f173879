"""Benchmark machinery shared by ``benchmarks/*.py`` and the ``steergraph ... bench`` commands."""
