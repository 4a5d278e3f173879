"""Delta-parameter editing (DARE, BitDelta, low-rank, extrapolation); see its issue."""
