"""The ask accounting's reading of downturns said in the plural ("how did KO do in bear
markets?", "how do KO and PEP hold up in downturns?", "in past crashes"): the historical
episodes, all of them (`graphs.ask_items`), written apart from the offline model's reading on
purpose (docs/architecture.md: two independent readers)."""

from __future__ import annotations

import re

from settings import patterns

DOWNTURNS = patterns.compile(
    r"\b(?:in|during|through|across|over)\s+(?:the\s+)?(?:(?:past|previous|earlier|last|recent"
    r"|historical|real)\s+)?(?P<d>bear\s+markets|downturns|(?:market\s+)?crashes|sell[\s-]?offs"
    r"|recessions)\b"
)
"""Downturns in the plural ("in bear markets", "in past crashes"): the historical episodes, all
of them, in a question how something did in them (`FARED`) with nothing else it could be
(`OTHERWISE`)."""
FARED = patterns.compile(
    r"\b(?:do|did|does|done|doing|fared?|fares|faring|holds?\s+up|held\s+up|holding\s+up"
    r"|perform\w*|behaved?|behaves|coped?|copes|react\w*)\b"
)
OTHERWISE = patterns.compile(
    r"\b(?:find|search\w*|strateg\w*|settings?|parameters?|tun(?:e|ing)|trials?|optimi[sz]\w*"
    r"|target[\s-]?vol\w*|c?var|value[\s-]at[\s-]risk|expected shortfall|betas?|correlat\w*"
    r"|volatil\w*|vol|sharpe|sortino|calmar|draw[\s-]?downs?|risk|the\s+market|s&p|index|spx"
    r"|(?:19|20)\d\d|since|before|after|between|until)\b"
)
"""A search ("a strategy that holds up in downturns", "VaR under 3% in bear markets": the
simulated bear scenario), a measure ("KO's beta in downturns"), the index or a window ("since
2019"): the downturns are then no replay of the episodes."""


def downturns_said(low: str, view: str) -> re.Match[str] | None:
    """Where `view` (the message's unread part; `low` the whole message, lower case) says past
    downturns in the plural in a question how something did in them, or None."""
    found = DOWNTURNS.search(view)
    if found is None or not FARED.search(low) or OTHERWISE.search(low):
        return None
    return found


__all__ = ["downturns_said"]
