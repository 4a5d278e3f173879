"""Benchmark machinery shared by ``benchmarks/<slug>_bench.py`` and the ``steergraph <command>
bench`` commands: one runner (``<slug>.py``) and one report module (``<slug>_report.py``:
tables, plots, the final JSON line) per method, and :mod:`.reporting` for what they share.
"""

__all__ = ["reporting"]
