"""Seeded fault injection for tool calls: some raise, some hang past their timeout.

The decision for a call depends only on (seed, step name, attempt), so a benchmark
with faults is reproducible and a retry of a failed call draws again.

Example:
    >>> faults = FaultInjector(raise_rate=1.0, seed=0)
    >>> faults.decide("s1", 0)
    'raise'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

__all__ = ["FaultInjector", "InjectedFault"]


class InjectedFault(RuntimeError):
    """The failure a :class:`FaultInjector` makes a tool call raise."""


@dataclass(frozen=True)
class FaultInjector:
    """Make a fraction of calls raise and another fraction hang (see module docstring)."""

    raise_rate: float = 0.0
    hang_rate: float = 0.0
    seed: int = 0

    def decide(self, step: str, attempt: int) -> Literal["ok", "raise", "hang"]:
        """What happens to this call."""
        digest = hashlib.sha256(f"{self.seed}:{step}:{attempt}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        if draw < self.raise_rate:
            return "raise"
        if draw < self.raise_rate + self.hang_rate:
            return "hang"
        return "ok"
