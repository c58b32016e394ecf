"""A comparison asked again against something else ("and versus the S&P?" after "how did it do
in 2022?", "and versus KO?" after "how did LLY do versus the S&P 500 since 2019?"): the message
before, with what it was set against replaced by the new one (or added when it named none), so
that the subject and the window asked before are kept, not a read of the market over the default
window."""

from __future__ import annotations

import re

from agents.offline.intent import parse_intent
from agents.offline.intent.changes import SET_AGAINST
from quant.sp500_files import sp500_tickers
from settings import patterns

__all__ = ["versus_again"]

_VERSUS_ALONE = patterns.compile(
    r"^\W*(?:(?:and|ok(?:ay)?|so|now|then)\W+)*(?:(?:what|how)\s+about\s+)?"
    + SET_AGAINST
    + r"\s+(?P<target>(?:(?!\b(?:since|in|over|from|during|for|between|through|last|this)\b)"
    r"[^?!.,;]){1,40}?)\W*$",
    re.IGNORECASE,
)
"""A message that is only what to set the subject against ("and versus the S&P?", "vs KO",
"what about against the market?", "ok, and compared to PEP?")."""

_SAID_AGAINST = patterns.compile(
    r"\b" + SET_AGAINST + r"\s+(?:the\s+)?(?P<target>.+?)(?=\s+(?:since|in|over|from|during|for"
    r"|between|through|last|this|year)\b|\s*[?!.,;:]|\s*$)",
    re.IGNORECASE,
)
"""What a message set its subject against ("versus the S&P 500" in "how did LLY do versus the
S&P 500 since 2019?")."""

_END = patterns.compile(r"\s*[?!.]*\s*$")
_INDEX = patterns.compile(
    r"(?:the\s+)?(?:s\s*&\s*p(?:\s*500)?(?:\s+index)?|spx|spy|(?:broad\s+|whole\s+)?(?:market|index))",
    re.IGNORECASE,
)
"""The S&P 500 index named as what to set a subject against ("the S&P", "the market")."""


_NAMES_VERSUS_INDEX = patterns.compile(
    r"^\W*(?:(?:and|ok(?:ay)?|so|now|then)\W+)*(?:(?:what|how)\s+about\s+)?"
    r"(?P<names>[\w.&' -]{1,40}?)\s+" + SET_AGAINST + r"\s+(?P<target>" + _INDEX.pattern + r")\W*$",
    re.IGNORECASE,
)
"""Other stocks set against the index alone ("what about AAPL vs the market?")."""
_READS = ("market_overview", "risk_report")
"""The questions whose stocks a message of other stocks against the index swaps (a statistic,
a correlation, a drawdown; not a build or a backtest)."""


def versus_again(text: str, texts: list[str]) -> str | None:
    """`text` (the latest message; `texts` the user's messages, latest first) asked as the
    message before it set against the target it names ("how did it do in 2022 versus the
    S&P?"), or of the stocks it names set against the index ("what about AAPL vs the market?"
    after "correlation of XOM and CVX in 2022": AAPL's correlation with the index in 2022);
    None when it is not only a target (the index, stocks or a sector), or no message came
    before."""
    if len(texts) < 2:
        return None
    alone = _VERSUS_ALONE.match(text)
    if alone is None:
        return _names_versus_index(text, texts[1])
    target = alone["target"].strip()
    if not (_INDEX.fullmatch(target) or parse_intent(target, sp500_tickers()).tickers):
        return None  # "vs min vol?": a method, not something to set a subject against
    before = texts[1]
    if _VERSUS_ALONE.match(before) and len(texts) > 2:
        before = versus_again(before, texts[1:]) or before  # "and versus KO?" after one of these
    return _set_against(before, target)


def _set_against(before: str, target: str) -> str:
    """The question `before` with what it set its subject against replaced by `target`, or
    `target` added when it named none."""
    said = _SAID_AGAINST.search(before)
    if said is not None:
        return f"{before[: said.start()]}versus {target}{before[said.end() :]}"
    ending = _END.search(before)
    cut = ending.start() if ending is not None else len(before)
    return f"{before[:cut]} versus {target}?"


def _names_versus_index(text: str, before: str) -> str | None:
    """`before`, a question of stocks it names (`_READS`), asked of the stocks `text` names
    set against the index ("what about AAPL vs the market?"); None otherwise."""
    said = _NAMES_VERSUS_INDEX.match(text)
    if said is None:
        return None
    names = parse_intent(said["names"], sp500_tickers()).tickers
    earlier = parse_intent(before, sp500_tickers())
    if not names or len(said["names"].split()) > 2 * len(names) or earlier.intent not in _READS:
        return None
    spans = [re.search(rf"\b{re.escape(t)}\b", before, re.IGNORECASE) for t in earlier.tickers]
    if not spans or None in spans:
        return None  # a stock said by its company's name: not swapped in place
    start = min(m.start() for m in spans if m is not None)
    end = max(m.end() for m in spans if m is not None)
    swapped = f"{before[:start]}{' and '.join(names)}{before[end:]}"
    return _set_against(swapped, said["target"].strip())
