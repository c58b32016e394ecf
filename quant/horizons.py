"""How long a strategy can be simulated and how far back it can look: the engine's horizon and
lookback bounds, apart from the strategy's numerics (`quant.strategy`), so requests that check
them (`graphs.request`) load no array library."""

from __future__ import annotations

__all__ = ["MAX_HORIZON_DAYS", "MAX_LOOKBACK", "MIN_EVALUATED_DAYS", "lookback_problem"]

MAX_HORIZON_DAYS = 2_520
"""Longest horizon a strategy is simulated over, in trading days (ten years of 252)."""
MIN_EVALUATED_DAYS = 21
"""Fewest days of a horizon left after a strategy's lookback: the days its returns are measured
on (a month of trading days)."""
MAX_LOOKBACK = MAX_HORIZON_DAYS - MIN_EVALUATED_DAYS
"""Longest lookback the engine can evaluate: within the longest horizon, with
`MIN_EVALUATED_DAYS` left to measure (2,499 days, about ten years)."""


def lookback_problem(lookback: int, horizon: int, *, searched: bool = False) -> str | None:
    """Why a lookback of `lookback` days (the longest of a search space: `searched`) cannot be
    evaluated over a horizon of `horizon` days, fewer than `MIN_EVALUATED_DAYS` being left to
    measure; None when it can."""
    if horizon - lookback >= MIN_EVALUATED_DAYS:
        return None
    return (
        f"lookback {'up to ' if searched else ''}{lookback} days leaves too few of the "
        f"{horizon}-day horizon to evaluate (at most {max(0, horizon - MIN_EVALUATED_DAYS)}: "
        f"{MIN_EVALUATED_DAYS} days are measured)"
    )
