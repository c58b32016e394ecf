"""A plain reference of the 20% rule of bull and bear markets, written from its words for the
tests (`quant.market_phase` is checked against it): each phase found by searching the closes
after the last change of phase for the first move of the threshold, with every extreme taken
over its slice afresh."""

from __future__ import annotations

import numpy as np

__all__ = ["phases_by_the_rule"]


def phases_by_the_rule(closes: np.ndarray, threshold: float = 0.2) -> list[tuple[str, int]]:
    """Each phase ("bear" or "bull") of a series of closes and the position of the close it
    began at: a bear market begins at the highest close since the last change once a close is
    `threshold` below it; a bull market at the lowest close since then once a close is
    `threshold` above it."""
    phase: str | None = None
    since = 0  # where the closes searched for the next change start
    phases: list[tuple[str, int]] = []
    for t in range(1, len(closes)):
        seen = closes[since : t + 1]
        peak = since + int(np.argmax(seen))
        low = since + int(np.argmin(seen))
        if phase != "bear" and closes[t] <= closes[peak] * (1.0 - threshold):
            phase, since = "bear", peak
            phases.append((phase, peak))
        elif phase != "bull" and closes[t] >= closes[low] * (1.0 + threshold):
            phase, since = "bull", low
            phases.append((phase, low))
    return phases
