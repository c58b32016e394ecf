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
    r"|crises|corrections)\b"
)
"""Downturns in the plural ("in bear markets", "in past crashes"): the historical episodes, all
of them, in a question how something did in them (`FARED`; "bear markets" only there) that
searches nothing (`SEARCHED`: "a strategy that holds up in downturns", "VaR under 3% in bear
markets" weight or limit the simulated bear scenario)."""
FARED = patterns.compile(
    r"\b(?:do|did|does|done|doing|fared?|fares|faring|holds?\s+up|held\s+up|holding\s+up"
    r"|perform\w*|behaved?|behaves|coped?|copes|react\w*)\b"
)
SEARCHED = patterns.compile(
    r"\b(?:find|search\w*|strateg\w*|settings?|parameters?|tun(?:e|ing)|trials?|optimi[sz]\w*"
    r"|target[\s-]?vol\w*)\b"
)


def downturns_said(low: str, view: str) -> re.Match[str] | None:
    """Where `view` (the message's unread part; `low` the whole message, lower case) says past
    downturns in the plural, or None: also when the message searches, or says "bear markets"
    beside no question how something did ("the VaR of KO in bear markets": the simulated bear
    scenario)."""
    found = DOWNTURNS.search(view)
    if found is None or SEARCHED.search(low):
        return None
    if found.group("d").startswith("bear") and not FARED.search(low):
        return None
    return found


__all__ = ["downturns_said"]
