"""Cost profiles of tools, measured by running them, and the OpenCATP price formula.

A tool's price per call is ``wall time x memory-tier rate + per-request fee`` (the
serverless pricing OpenCATP adopts; the rates below are AWS-Lambda-like, in dollars).
:func:`measure_profile` runs a tool on real sample inputs at four size levels and
records wall time, CPU time and peak Python memory at each; :meth:`CostProfile.at`
interpolates (log-log) for any input size, so a planner can price a plan before it
runs. Peak memory is measured in a separate traced run, because ``tracemalloc``
slows the code it traces.

Example:
    >>> price(0.010, 100.0) == 10 * MEMORY_TIERS[0][1] + REQUEST_FEE
    True
"""

from __future__ import annotations

import math
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "MEMORY_TIERS",
    "REQUEST_FEE",
    "CostPoint",
    "CostProfile",
    "measure_profile",
    "price",
]

# (peak memory ceiling in MB, dollars per millisecond of wall time)
MEMORY_TIERS: tuple[tuple[float, float], ...] = (
    (128.0, 2.1e-9),
    (512.0, 8.3e-9),
    (1024.0, 1.67e-8),
    (math.inf, 1.667e-7),
)
REQUEST_FEE = 2.0e-7


def price(wall_s: float, peak_mb: float) -> float:
    """Dollars for one call: wall time at the memory tier's rate plus the request fee."""
    rate = next(r for ceiling, r in MEMORY_TIERS if peak_mb <= ceiling)
    return wall_s * 1000.0 * rate + REQUEST_FEE


@dataclass(frozen=True)
class CostPoint:
    """Measured cost of one call at one input size."""

    size: int
    wall_s: float
    cpu_s: float
    peak_mb: float

    @property
    def price(self) -> float:
        return price(self.wall_s, self.peak_mb)


@dataclass
class CostProfile:
    """Cost points of a tool at increasing input sizes; ``version`` ties it to the code."""

    tool: str
    version: str
    points: list[CostPoint] = field(default_factory=list)

    def at(self, size: int) -> CostPoint:
        """Interpolated cost at ``size`` (log-log between points, clamped outside them)."""
        pts = sorted(self.points, key=lambda p: p.size)
        if not pts:
            return CostPoint(size, 0.0, 0.0, 0.0)
        if size <= pts[0].size or len(pts) == 1:
            return CostPoint(size, pts[0].wall_s, pts[0].cpu_s, pts[0].peak_mb)
        if size >= pts[-1].size:
            hi, lo = pts[-1], pts[-2]
        else:
            hi = next(p for p in pts if p.size >= size)
            lo = pts[pts.index(hi) - 1]

        def interp(a: float, b: float) -> float:
            if lo.size == hi.size or a <= 0 or b <= 0:
                return max(a, b)
            t = (math.log(size) - math.log(lo.size)) / (math.log(hi.size) - math.log(lo.size))
            return math.exp(math.log(a) + t * (math.log(b) - math.log(a)))

        return CostPoint(
            size,
            interp(lo.wall_s, hi.wall_s),
            interp(lo.cpu_s, hi.cpu_s),
            interp(lo.peak_mb, hi.peak_mb),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "version": self.version,
            "points": [asdict(p) for p in self.points],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CostProfile:
        return cls(data["tool"], data["version"], [CostPoint(**p) for p in data["points"]])


def _one_call(fn: Callable[..., Any], args: Sequence[Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.thread_time()
    fn(*args)
    return time.perf_counter() - wall, time.thread_time() - cpu


def measure_profile(
    name: str,
    version: str,
    fn: Callable[..., Any],
    inputs_by_size: Sequence[tuple[int, Sequence[Any]]],
    *,
    repeats: int = 3,
) -> CostProfile:
    """Run ``fn`` on each (size, args) and record the median wall/CPU time and peak memory."""
    points = []
    for size, args in inputs_by_size:
        tracemalloc.start()
        try:
            fn(*args)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        runs = [_one_call(fn, args) for _ in range(max(1, repeats))]
        points.append(
            CostPoint(
                size=size,
                wall_s=statistics.median(r[0] for r in runs),
                cpu_s=statistics.median(r[1] for r in runs),
                peak_mb=peak / 2**20,
            )
        )
    return CostProfile(name, version, points)
