"""The deepest fall of a wealth path, the plain way, as a reference for the answers' drawdowns."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["deepest_fall"]


def deepest_fall(wealth: Iterable[float]) -> float:
    """The deepest fall of a wealth path below its running peak, as a positive fraction, the
    path's start (1.0) counted as a peak (a plain loop)."""
    peak, deepest = 1.0, 0.0
    for value in wealth:
        peak = max(peak, value)
        deepest = max(deepest, 1.0 - value / peak)
    return deepest
