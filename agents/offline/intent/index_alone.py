"""A question about the S&P 500 index alone that a market read does not answer: its best or
worst month or day, its returns month by month or year by year, the sessions it moved beyond a
size, its drawdown's dates ("what was the best month for the S&P in 2020?", "the worst day for
the market in 2020", "monthly returns of the S&P 500 in 2022", "how many days did the market
fall more than 3% in 2020?"). Its return, volatility, drawdown and Sharpe ratio are the market
read's (`agents.offline.market_policies`)."""

from __future__ import annotations

from agents.offline.intent import Intent
from agents.offline.intent.measures import DRAWDOWN_ASKED, measures_named
from agents.offline.intent.rankings import EVERY_NAME
from settings import patterns

__all__ = ["INDEX_ALONE", "INDEX_NAMED", "index_alone_measures"]

INDEX_NAMED = patterns.compile(
    r"(?:\bs\s*&\s*p(?:\s*500)?\b|\bs and p(?: 500)?\b|\bsp\s?500\b)(?!\s*(?:500\s*)?(?:stocks?|names"
    r"|companies|constituents|members))|\bspx\b|\bspy\b|\bthe (?:(?:overall|broad|broader|whole|wider) )?"
    r"(?:index|market)\b"
)
"""The S&P 500 index named ("with the S&P", "to the market")."""

INDEX_ALONE = frozenset({
    "worst_month", "best_month", "worst_day", "best_day", "by_month", "by_year", "days_beyond",
    "drawdown_dates", "sortino_ratio", "downside_deviation", "skewness", "kurtosis",
})  # fmt: skip
"""The measures of the index that `asset_statistics` gives and the market read does not."""
_OF_SOMETHING_ELSE = patterns.compile(
    r"\b(?:it|its|my|our|ours|we|us|mine|this|that|these|those|they|them|their|portfolio"
    r"|allocation|holdings?|book)\b(?!\s+(?:year|month|week|quarter|time)\b)"
)
"""Words of another subject than the index ("the market's worst month for my portfolio"); "it"
after the index is named is the index ("the max drawdown of the S&P in 2008 and when did it
recover?")."""


def _of_something_else(low: str) -> bool:
    """Whether a lower-cased question about the index speaks of another subject too."""
    for said in _OF_SOMETHING_ELSE.finditer(low):
        if said.group(0) in ("it", "its") and INDEX_NAMED.search(low[: said.start()]):
            continue  # "... of the S&P in 2008 and when did it recover?": the index
        return True
    return False


_SET_AGAINST = patterns.compile(
    r"\b(?:vs\.?|versus|against|compared|relative|than|beat\w*|outperform\w*|underperform\w*"
    r"|lag\w*|trail\w*|to\s+the\s+(?:index|market|s\s*&\s*p))\b"
)
"""Words that set a subject against the index ("beta against the index?", "how did we do vs
the market?"): the index is then what the thread's subject is measured beside."""
_BESIDE_INDEX = frozenset({"beta", "correlation", "tracking_error"})
"""Measures of a series against the index, not of the index."""


def index_alone_measures(
    intent: Intent, low: str, index_named: bool, subject_in_thread: bool
) -> tuple[str, ...]:
    """The measures a question asks of the index alone (`index_named`: the lower-cased message
    `low` names it) when it names no stock, sector, weights, portfolio or other subject: those
    it names when one is of `INDEX_ALONE`, or when the conversation has a subject of its own
    (`subject_in_thread`: "what's the market's Sharpe ratio?" after a build is the index's, not
    the build's; a drawdown named is its dates); () otherwise."""
    if not index_named or intent.tickers or intent.sectors or intent.weights:
        return ()
    if intent.portfolio_ids or EVERY_NAME.search(low) or _of_something_else(low):
        return ()
    measures = measures_named(low)
    if _BESIDE_INDEX & set(measures):
        return ()
    alone = bool(INDEX_ALONE & set(measures))  # "its max drawdown and its worst month": both
    if (alone or subject_in_thread) and DRAWDOWN_ASKED.search(low):
        measures += () if "drawdown_dates" in measures else ("drawdown_dates",)
    if alone:
        return measures
    return measures if subject_in_thread and not _SET_AGAINST.search(low) else ()
