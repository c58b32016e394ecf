"""The compiled walk of the 20% rule of `quant.market_phase` over a wealth path (apart, so that
importing the rule's definitions loads no numba: a chat turn that reads no phase need not).

Conventions as in `quant.market_phase`: `wealth` holds the closes, W_0 = 1 first; positions are
its indices; phase codes 0 (none), 1 (bear), 2 (bull).
"""

from __future__ import annotations

import numpy as np

from quant.compiled import kernel

__all__ = ["phase_walk"]


@kernel()
def phase_walk(wealth: np.ndarray, threshold: float) -> tuple[int, int, int, int]:
    """The rule over `wealth` (positions of its closes): the last phase's code (0: none, 1:
    bear, 2: bull) and where it began, and the code and beginning of the phase it ended."""
    phase = began = before = before_began = 0
    high = low = 0  # the extremes since the last change of phase (all of it, before the first)
    for t in range(1, wealth.size):
        w = wealth[t]
        if phase != 1 and w <= wealth[high] * (1.0 - threshold):
            before, before_began = phase, began
            phase, began, low = 1, high, t
        elif phase != 2 and w >= wealth[low] * (1.0 + threshold):
            before, before_began = phase, began
            phase, began, high = 2, low, t
        if w > wealth[high]:
            high = t
        if w < wealth[low]:
            low = t
    return phase, began, before, before_began
