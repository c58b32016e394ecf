"""Stocks of a stress test set side by side ("would AAPL or KO hold up better in a 2008
crash?"): each stock's own return in an episode replayed, or through its beta in a market move,
best first, and which held up best (`agents.offline.intent.stress_reading.stocks_compared`
says when a question asks for it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agents.offline.statistic_words import pct

__all__ = ["named_together", "ranked_returns"]


def ranked_returns(returns: Mapping[str, float], *, would: bool = False) -> str:
    """ "KO -30.7%, AAPL -55.2%; KO held up better" (`would`: "would hold up"), best first; a
    tie at the best names every stock tied."""
    order = sorted(returns.items(), key=lambda kv: (-kv[1], kv[0]))
    listed = ", ".join(f"{ticker} {pct(value)}" for ticker, value in order)
    best = order[0][1]
    leaders = [ticker for ticker, value in order if f"{value:.1%}" == f"{best:.1%}"]
    verb = "would hold up" if would else "held up"
    if len(leaders) == len(order):
        return f"{listed}; they {verb} alike"
    if len(leaders) > 1:
        return f"{listed}; {' and '.join(leaders)} {verb} best, alike"
    degree = "better" if len(order) == 2 else "best"
    return f"{listed}; {leaders[0]} {verb} {degree}"


def named_together(names: Sequence[str]) -> str:
    """ "AAPL and KO", "AAPL, KO and MSFT"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
