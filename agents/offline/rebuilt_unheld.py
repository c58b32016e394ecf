"""A question back when a message asks to set "my portfolio" anew (rebalance it, optimise it,
reweight it) and the conversation holds none: which portfolio or stocks, the holdings given next
being the ones rebuilt (`agents.offline.chat_intent.user_text`: "rebalance my portfolio" then "60%
AAPL 40% KO" is "rebalance 60% AAPL 40% KO", a build on AAPL and KO set beside those weights).
Before, every stock of the data was built."""

from __future__ import annotations

from agents.offline.chat_intent import WHICH_PORTFOLIO
from agents.offline.intent import Intent
from settings import patterns

__all__ = ["mine_unsaid", "rebuild_question"]

_MINE = patterns.compile(r"\b(?:my|our)\s+(?:portfolio|holdings|book|positions|stocks)\b")
"""The user's own holdings said without naming them ("my portfolio", "our book")."""
_REBUILT = patterns.compile(
    r"\b(?:re-?balanc\w*|re-?optimi[sz]\w*|optimi[sz]\w*|re-?weight\w*|improve|tweak)\b"
)
"""Verbs that set a portfolio held anew ("rebalance", "optimise", "reweight", "improve")."""


def mine_unsaid(intent: Intent, held: bool) -> bool:
    """Whether the message works on the user's own holdings ("my portfolio", "our book") with
    none `held` in the conversation and no stocks, sector or portfolio named: which ones is for
    the user to say (a rebuild's question here, a hedge's in `hedge_policies`)."""
    if held or intent.tickers or intent.sectors or intent.portfolio_ids or intent.all_tickers:
        return False
    return _MINE.search(intent.text.lower()) is not None


def rebuild_question(intent: Intent, held: bool) -> str | None:
    """`WHICH_PORTFOLIO` when the message asks to set "my portfolio" anew with none `held` in
    the conversation and no stocks, sector or portfolio named; None otherwise."""
    rebuilt = _REBUILT.search(intent.text.lower()) is not None
    return WHICH_PORTFOLIO if rebuilt and mine_unsaid(intent, held) else None
