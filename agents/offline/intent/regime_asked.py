"""Whether a message asks if the market, or stocks it names, are in a bull or a bear market now
("are we in a bear market?", "is the market bearish right now?", "we're in a bull market,
right?", "is KO in a bear market?", "are AAPL and MSFT in a bull market?"): today's state (the
market read), not the simulated scenario of that name nor a supposition ("if we hit a bear
market, how would KO do?", `stress_reading.bear_market_asked`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from settings import patterns

__all__ = ["RegimeQuestion", "regime_question"]

_KIND = r"(?:bull(?:ish)?|bear(?:ish)?)"
_MARKET = (
    r"(?:we|the\s+markets?|markets|stocks|equities|this|it|things|there|the\s+s&p(?:\s*500)?"
    r"|the\s+index)"
)
_WORD = (
    r"(?!(?:in|into|a|an|the|entering|entered|heading|going|gone|moving|now|currently|already"
    r"|still|officially|finally|really|actually|getting|turning|bull\w*|bear\w*)\b)"
    r"[a-z][\w.&'-]*"
)
_NAMED = (
    rf"(?:(?:the\s+{_WORD}(?:\s+{_WORD})?|{_WORD})(?:\s+(?:stocks?|shares|names|sector))?"
    rf"(?:(?:\s*,\s*(?:and\s+)?|\s+(?:and|&)\s+){_WORD}){{0,19}})"
)
"""Stocks named as the subject: words joined by commas or "and" ("ko", "aapl, msft and nvda"),
each one word, so that "is KO good in a bear market?" is not read as a subject; or a group
("the banks", "the health care stocks")."""


def _who(name: str) -> str:
    """The subject, the market or stocks named, as the group `name`."""
    return rf"(?P<{name}>{_MARKET}|{_NAMED})"


_NOW = r"(?:(?:now|currently|already|still|officially|finally|really|actually)\s+)?"
_REGIME_ASKED_TEXT = (
    # a question: "are we in a bear market?", "is this a bull market?", "has the market entered
    # a bear market?", "are we heading into a bear market?"
    r"(?:^|[.?!;:,]\s*|\b(?:so|and|but|now|then|think|say|guess|tell\s+me(?:\s+if|\s+whether)?"
    r"|wonder(?:ing)?(?:\s+if|\s+whether)?|know(?:\s+if|\s+whether)?|whether)\s+)"
    r"(?:are|is|has|have|were|was)\s+"
    + _who("asked")
    + r"\s+"
    + _NOW
    + r"(?:(?:(?:in|into|entering|entered|heading\s+(?:into|for|towards?)|going\s+into"
    r"|gone\s+into|moving\s+into|in\s+the\s+middle\s+of)\s+)?(?:a|an)\s+(?:new\s+)?"
    r"|in\s+)"
    + _KIND
    + r"(?:\s+or\s+(?:a\s+)?"
    + _KIND
    + r")?\s+(?:market|regime|phase|territory)\b"
    # asked indirectly: "I wonder whether stocks are in a bear market", "would you say JNJ and
    # PFE are in a bull market?", "do you think we're in a bear market?"
    r"|\b(?:whether|wonder(?:ing)?\s+if|know\s+if|tell\s+me\s+if|curious\s+if|asking\s+if"
    r"|you\s+(?:say|think|reckon|believe|agree)(?:\s+that)?)\s+"
    + _who("wondered")
    + r"(?:\s+(?:is|are|was|were)|'re|'s)\s+"
    + _NOW
    + r"(?:(?:in|into|entering|heading\s+(?:into|for|towards?)|going\s+into)\s+)?(?:a|an)\s+"
    + _KIND
    + r"\s+(?:market|regime|phase|territory)\b"
    # a statement to confirm: "we're in a bear market, right?"
    r"|\bwe(?:'re|\s+are)\s+"
    + _NOW
    + r"in\s+(?:a|an)\s+"
    + _KIND
    + r"\s+market\b[\s,]*(?:right|correct|no|yes|aren'?t\s+we|isn'?t\s+it|now)?\s*\?"
    # "is the market bearish right now?"
    r"|\b(?:is|are)\s+" + _who("leaning") + r"\s+" + _NOW + r"(?:getting\s+|turning\s+)?"
    r"(?:bullish|bearish)\b"
    # "bear market yet?"
    r"|^\W*(?:a\s+)?" + _KIND + r"\s+market\s+(?:yet|now|already)?\s*\?"
)
_REGIME_ASKED = patterns.compile(_REGIME_ASKED_TEXT)
_SUPPOSED = patterns.compile(r"\b(?:if|when|once|should|suppose|assuming|in\s+case)\s*$")
"""A supposition just before ("what should I do if we are in a bear market?"): no question
about today."""
_SUBJECTS = ("asked", "wondered", "leaning")
_MARKET_SUBJECT = patterns.compile(_MARKET)
_PAST = patterns.compile(r"\b(?:was|were)\b")
_BULL = patterns.compile(r"\bbull")
_BEAR = patterns.compile(r"\bbear")

RegimeAsked = Literal["bull", "bear", "either"]


@dataclass(frozen=True)
class RegimeQuestion:
    """A question whether the market or stocks are in a regime: the regime asked (`kind`:
    "bull", "bear", "either" when both are named), whether it is asked of stocks the message
    names ("is ko in a bear market?") rather than of the market (`of_stocks`), and whether of
    the past ("were we in a bear market in 2022?": at any time of the window, `past`)."""

    kind: RegimeAsked
    of_stocks: bool
    past: bool


def regime_question(low: str) -> RegimeQuestion | None:
    """The regime question of a lower-case message (its first one that no supposition
    precedes), or None when it asks none."""
    found = next(
        (
            m
            for m in _REGIME_ASKED.finditer(low)
            if not _SUPPOSED.search(low[max(0, m.start() - 16) : m.start()])
        ),
        None,
    )
    if found is None:
        return None
    said = found[0]
    bull, bear = bool(_BULL.search(said)), bool(_BEAR.search(said))
    who = next((found[name] for name in _SUBJECTS if found[name] is not None), None)
    return RegimeQuestion(
        kind="either" if bull and bear else "bull" if bull else "bear",
        of_stocks=who is not None and _MARKET_SUBJECT.fullmatch(who) is None,
        past=_PAST.search(said) is not None,
    )


NOT_WHETHER = r"(?<!should i )(?<!should we )(?<!time to )(?<!moment to )"
"""Before "buy" or "sell": not in a question whether to ("should I sell XOM now?", "a good time
to buy tech?"), so not an order or a name left out."""
TIMING_ASKED = patterns.compile(
    r"\b(?:(?:a\s+)?(?:good|bad|right|wrong|smart)\s+(?:time|moment|point)\s+to\s+(?:buy|sell|get"
    r"\s+(?:in|into|out)|invest|add|exit|trim|load\s+up)"
    r"|should\s+(?:i|we)\s+(?:buy|sell|get\s+(?:in|into|out)|invest|add|exit|trim|load\s+up)\b"
    r"(?:(?!\b(?:if|when|once|after|before)\b)[^?.!]){0,60}\b(?:now|today|here|yet|right\s+now)\b)"
)
"""Whether to buy or sell now asked ("is now a good time to buy tech?", "should I sell the banks
now?"): a market read of what is named, said not to be a forecast or advice."""
