"""Tickers a message names that the market data does not hold, said back ("I don't have the
ticker QQQ (a fund: the data holds stocks) in the data"): a fund as a fund, an S&P 500 one with
where the index is used, a group's acronym ("FAANG") with the ones of its stocks the data holds,
any other with the closest known tickers."""

from __future__ import annotations

from collections.abc import Sequence

from agents.offline.chat_intent import known_tickers

__all__ = ["FUNDS", "STOCK_GROUPS", "S_AND_P_500_FUNDS", "unknown_tickers_reply"]

S_AND_P_500_FUNDS = frozenset({"SPY", "IVV", "VOO", "SPLG", "SPX", "GSPC", "^GSPC"})
"""Tickers of the S&P 500 index or of funds that track it: the data holds the index as the
market benchmark (`services.market_data.index`), not as something to hold."""
FUNDS = frozenset({
    "QQQ", "DIA", "IWM", "VTI", "VT", "VEA", "VWO", "EFA", "EEM", "TLT", "IEF", "SHY", "AGG",
    "BND", "LQD", "HYG", "GLD", "SLV", "USO", "XLK", "XLF", "XLE", "XLV", "XLP", "XLY", "XLI",
    "XLU", "XLB", "XLRE", "XLC", "VNQ", "ARKK",
})  # fmt: skip
"""Tickers of widely held exchange-traded funds: the data holds stocks, so no spelling of a
stock is offered for them."""
STOCK_GROUPS: dict[str, tuple[str, ...]] = {
    "FAANG": ("META", "AAPL", "AMZN", "NFLX", "GOOGL"),
    "FANG": ("META", "AMZN", "NFLX", "GOOGL"),
    "MAANG": ("META", "AAPL", "AMZN", "NFLX", "GOOGL"),
    "MAMAA": ("META", "AAPL", "MSFT", "AMZN", "GOOGL"),
}
"""Acronyms of well-known groups of stocks and the tickers they stand for: such a group is
answered with the ones the data holds, not with spellings close to the acronym."""


def unknown_tickers_reply(unknown: Sequence[str]) -> str:
    """Name the tickers that are not in the data: a fund as a fund (an S&P 500 one with where
    the index is used: as the market benchmark), a group's acronym ("FAANG") with the ones of
    its stocks the data holds, any other with the closest known ones."""
    import difflib

    known = known_tickers()
    parts, notes = [], []
    for ticker in unknown:
        if ticker in S_AND_P_500_FUNDS:
            parts.append(f"{ticker} (the S&P 500 index or a fund that tracks it)")
            notes.append(
                "The S&P 500 index is in the data only as the market benchmark: a search's "
                "results are compared with it and a portfolio's beta is measured to it; ask for "
                "those, or name stocks."
            )
        elif ticker in FUNDS:
            parts.append(f"{ticker} (a fund: the data holds stocks)")
        elif ticker in STOCK_GROUPS:
            members = STOCK_GROUPS[ticker]
            held = [t for t in members if t in known]
            of = f"of these the data holds {', '.join(held)}" if held else "the data holds none"
            parts.append(f"{ticker} (a group of stocks, {', '.join(members)}: {of})")
        else:
            ratio = {k: difflib.SequenceMatcher(None, ticker, k).ratio() for k in known}
            close = sorted(known, key=lambda k: (-ratio[k], k))[:3]
            parts.append(f"{ticker} (closest known: {', '.join(close)})")
    plural = "s" if len(unknown) > 1 else ""
    return " ".join(
        [
            f"I don't have the ticker{plural} {'; '.join(parts)} in the data ({len(known)} "
            "stocks).",
            *dict.fromkeys(notes),
            "Which did you mean? Nothing was computed.",
        ]
    )
