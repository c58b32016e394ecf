"""A build whose exclusions leave out every stock it names ("build a portfolio of AAPL and MSFT
excluding tech"): a question back naming why, nothing built (it built every stock of the data,
those left out among them, and said "Left out as asked: tech")."""

from __future__ import annotations

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import Intent
from agents.offline.intent.targets import sector_tickers
from services.formatting import listed

__all__ = ["everything_excluded"]


def everything_excluded(intent: Intent) -> str | None:
    """The question back when the message names stocks to build on and leaves every one of
    them out (a sector excluded that holds them, or each named again as excluded); None
    otherwise."""
    ask = intent.limits
    if intent.intent != "optimize_portfolio" or not intent.tickers or intent.all_tickers:
        return None
    if not (ask.excluded or ask.excluded_sectors) or intent.universe(known_tickers()):
        return None
    sectors = [s for s in ask.excluded_sectors if set(intent.tickers) & set(sector_tickers([s]))]
    why = f"{listed(list(sectors))} holds them" if sectors else "each is named as left out too"
    example = f"a portfolio excluding {sectors[0]}" if sectors else "a portfolio without them"
    return (
        f"Leaving those out excludes every stock you named ({listed(list(intent.tickers))}): "
        f"{why}, so nothing is left to build on. Which should it hold: those stocks, or the "
        f"rest of the data without them (for example '{example}')? Nothing was computed."
    )
