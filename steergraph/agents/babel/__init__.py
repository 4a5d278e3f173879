"""Babel Tower's probes: the working language per layer (:mod:`.lens`), language
neurons by LAPE (:mod:`.neurons`), the stages and the corpus optimiser (:mod:`.stages`)."""
