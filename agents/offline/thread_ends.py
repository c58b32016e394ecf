"""The other end of a ranking asked alone ("and the worst?" after "which stock did best since
2015?", "what about the bottom ones?" after "what were the top 5 stocks by sharpe in 2021?",
"which was the worst?" after "which sector has been the best since 2015?"): the message before,
with each word of its end turned to the other end, so that the names, the measure and the window
ranked before are kept, not a question the model cannot place (it asked what to do) or a read of
the market over the default window. After names compared with no end ("compare AAPL, MSFT and KO
on sharpe since 2019"), "and the worst?" is which of them was worst by what they were compared
on (`agents.offline.thread_judged`)."""

from __future__ import annotations

import re

from agents.offline.intent import parse_intent
from agents.offline.intent.analysis import read_analysis
from quant.sp500_files import sp500_tickers
from settings import patterns

__all__ = ["other_end_again"]

_HIGH_TO_LOW = {
    "best": "worst", "better": "worse", "top": "bottom", "highest": "lowest",
    "strongest": "weakest", "biggest": "smallest", "largest": "smallest", "most": "least",
    "winners": "losers", "winner": "loser", "outperformed": "underperformed",
    "outperformers": "underperformers", "leaders": "laggards",
}  # fmt: skip
"""Each word of the higher end of a ranking, and the word of the lower end it turns into."""
_LOW_TO_HIGH = {low: high for high, low in _HIGH_TO_LOW.items() if high != "largest"}
_JUDGED = ("best", "worst")
"""The ends of a question which is better: asked alone after names compared without one ("compare
AAPL and KO on sharpe", then "and the worst?"), which was worse by what they were compared on."""
_ENDS = "|".join(sorted({*_HIGH_TO_LOW, *_LOW_TO_HIGH}, key=lambda word: (-len(word), word)))
"""Both ends' words, longest first, in one order in every process (a pattern's kept program is
found by its text: `settings.patterns`)."""

_END_ALONE = patterns.compile(
    r"^\W*(?:(?:and|ok(?:ay)?|so|now|then|also)\W+)*"
    r"(?:(?:what|how)\s+about\s+|(?:which|who)\s+(?:one\s+)?(?:is|was|were|are|has\s+been"
    r"|have\s+been|had\s+been|did)\s+)?(?:the\s+)?"
    rf"(?P<end>{_ENDS})(?:\s+(?P<count>\d{{1,3}}))?"
    r"(?:\s+(?:one|ones|performers?|names?|stocks?|sectors?|of\s+them|then))?\W*$",
    re.IGNORECASE,
)
"""A message that is only an end of a ranking ("and the worst?", "what about the bottom
ones?", "which was the worst?", "the lowest 3?")."""

_AN_END = patterns.compile(rf"\b(?<!\bat\s)(?P<end>{_ENDS})\b(?:\s+(?P<count>\d{{1,3}})\b)?", re.I)
"""A word of either end in the message before ("at most" and "at least" are limits, not ends),
with the count right after it ("the top 5")."""


def other_end_again(text: str, texts: list[str]) -> str | None:
    """`text` (the latest message; `texts` the user's messages, latest first) asked as the
    ranking the message before asked, at the end it names; None when it is not only an end, the
    message before ranked nothing, already asked that end, or a count is given where the message
    before had none to change."""
    alone = _END_ALONE.match(text)
    if alone is None or len(texts) < 2:
        return None
    before = texts[1]
    if _END_ALONE.match(before) and len(texts) > 2:
        before = other_end_again(before, texts[1:]) or before  # "and the best?" after "the worst?"
    low = alone["end"].lower() in _LOW_TO_HIGH
    turned = _HIGH_TO_LOW if low else _LOW_TO_HIGH
    count, counted = alone["count"], False

    def turn(said: re.Match[str]) -> str:
        nonlocal counted
        word = said["end"]
        end = turned.get(word.lower())
        if end is None:
            return said[0]
        end = end.capitalize() if word[0].isupper() else end
        if said["count"] is None:
            return end
        counted = True
        return f"{end} {count or said['count']}"

    flipped = _AN_END.sub(turn, before)
    if flipped != before:
        if (count is not None and not counted) or not (_ranks(before) and _ranks(flipped)):
            return None
        return flipped
    if count is None and alone["end"].lower() in _JUDGED:
        return f"which was the {alone['end'].lower()}?"  # of what was compared: thread_judged
    return None


def _ranks(text: str) -> bool:
    """Whether `text` asks for names in order of a measure (a ranking, or either end of one)."""
    ask = read_analysis(parse_intent(text, sp500_tickers()), sp500_tickers())
    return ask is not None and bool(ask.ranked or ask.ends)
