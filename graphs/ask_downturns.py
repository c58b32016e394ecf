"""The ask accounting's reading of past downturns ("how did KO do in bear markets?", "how do KO
and PEP hold up in downturns?", "in past crashes", "how did KO do in a bear market?"): the
historical episodes, all of them (`graphs.ask_items`), written apart from the offline model's
reading on purpose (docs/architecture.md: two independent readers)."""

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


A_PAST_DOWNTURN = patterns.compile(
    r"\b(?:in|during|through)\s+(?:a|the\s+(?:last|previous|latest|most\s+recent|past))\s+"
    r"(?P<d>bear(?:ish)?\s+market|downturn|(?:market\s+)?crash|sell[\s-]?off|recession)\b"
)
"""One downturn, said in the singular ("in a bear market", "in the last crash"): the historical
episodes too when the question is in the past tense (`FARED_THEN`); in the present or future
("how would KO do in a bear market?") it is the simulated bear scenario."""
FARED_THEN = patterns.compile(
    r"\b(?:did|fared|held\s+up|performed|behaved|coped|reacted)\b|\bhow\s+(?:was|were)\b"
)


def downturns_said(low: str, view: str) -> re.Match[str] | None:
    """Where `view` (the message's unread part; `low` the whole message, lower case) says past
    downturns in a question how something did in them (in the plural, or one in the singular
    in the past tense), or None."""
    if OTHERWISE.search(low):
        return None
    found = DOWNTURNS.search(view)
    if found is not None and FARED.search(low):
        return found
    found = A_PAST_DOWNTURN.search(view)
    return found if found is not None and FARED_THEN.search(low) else None


NAMES_ASKED = (
    r"(?:(?!(?:in|into|an?|the|now|still|entering|entered|heading|going)\b)[a-z¤§][\w.&'¤§-]*"
    r"(?:\s*,\s*(?:and\s+)?|\s+(?:and|&)\s+)){0,19}"
    r"(?!(?:in|into|an?|the|now|still|entering|entered|heading|going)\b)[a-z¤§][\w.&'¤§-]*"
)
"""Stocks asked about by name ("ko", "aapl, msft and nvda", or as the reader marked them): one
word each, joined by commas or "and"."""
_STATE_SUBJECT = (
    r"(?:we|the\s+markets?|markets|stocks|equities|this|it|there"
    r"|(?:the\s+[a-z§]+(?:\s+[a-z§]+)?|(?!(?:in|into|an?|the)\b)[a-z§]+)"
    r"(?:\s+(?:stocks?|shares|names|sector))?|" + NAMES_ASKED + r")"
)
"""Whose state is asked: the market, a group ("the banks") or stocks named."""
MARKET_STATE_ASKED = patterns.compile(
    r"\b(?:are|is|has|have|were|was)\s+" + _STATE_SUBJECT + r"\s+"
    r"(?:(?:now|currently|already|still|officially|really)\s+)?(?:(?:(?:in|into|entering|entered"
    r"|heading\s+(?:into|for|towards?)|going\s+into)\s+)?an?|in)\s+(?:bull|bear)(?:ish)?"
    r"(?:\s+or\s+(?:an?\s+)?(?:bull|bear)(?:ish)?)?\s+(?:market|regime|phase|territory)\b"
    r"|\bwe(?:'re|\s+are)\s+in\s+an?\s+(?:bull|bear)\s+market\b[\s,]*(?:right|correct|no)?\s*\?"
    # asked indirectly, the subject first: "would you say JNJ and PFE are in a bull market?"
    r"|\b(?:whether|wonder(?:ing)?\s+if|know\s+if|tell\s+me\s+if|curious\s+if|asking\s+if"
    r"|you\s+(?:say|think|reckon|believe|agree)(?:\s+that)?)\s+"
    + _STATE_SUBJECT
    + r"(?:\s+(?:is|are|was|were)\s+|'re\s+|'s\s+)(?:(?:now|currently|already|still|really)\s+)?"
    r"(?:(?:in|into|entering|heading\s+(?:into|for|towards?)|going\s+into)\s+)?an?\s+"
    r"(?:bull|bear)(?:ish)?\s+(?:market|regime|phase|territory)\b"
)
"""A question whether the market, or stocks named, are in a bull or a bear market now ("are we in
a bear market?", "we're in a bull market, right?", "is KO in a bear market?"): the state today,
no simulated scenario; "if we are in
a bear market, ..." is a supposition (`A_CONDITION`), whose scenario stays."""
A_CONDITION = patterns.compile(r"\b(?:if|when|once|should|suppose|assuming|in\s+case)\s+$")


def market_state_asked(view: str) -> re.Match[str] | None:
    """Where `view` asks whether the market (or stocks) is in a bull or a bear market now, or
    None."""
    for found in MARKET_STATE_ASKED.finditer(view):
        if not A_CONDITION.search(view[max(0, found.start() - 12) : found.start()]):
            return found
    return None


__all__ = ["downturns_said", "market_state_asked"]
