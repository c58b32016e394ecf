"""A rebalancing cadence asked alone ("and with monthly rebalancing?", "what if I rebalance
quarterly?") after a question of given weights that named none ("what's the Sharpe of 50% KO
50% PEP since 2019?", "the volatility of an equal-weight portfolio of the banks in 2021"): that
question asked again with the cadence, which makes it a backtest of the weights held so (before:
a strategy search was drafted for approval). After a backtest of weights, the cadence is a
change of it (`agents.offline.follow_ups`)."""

from __future__ import annotations

from agents.offline.intent import parse_intent
from agents.offline.intent.trading_terms import cadence_named
from quant.sp500_files import sp500_tickers
from settings import patterns

__all__ = ["cadence_again"]

_ONLY_A_CADENCE = patterns.compile(
    r"^\W*(?:(?:and|ok(?:ay)?|so|now|then|also|but)\W+)*"
    r"(?:(?:what|how)\s+(?:about|if)\s+(?:(?:i|we|you)\s+)?|if\s+(?:i|we|you)\s+)?"
    r"(?:(?:with|using|on)\s+)?(?:an?\s+)?"
    r"(?:(?:re)?balanc\w*\s+(?:it\s+|them\s+)?)?"
    r"(?P<cadence>daily|weekly|monthly|quarterly|annually|yearly|every\s+(?:day|week|month"
    r"|quarter|year)|once\s+a\s+(?:month|year))"
    r"(?:\s+(?:re)?balanc\w*)?(?:\s+instead)?\W*$"
)
"""A message that is only a cadence ("and with monthly rebalancing?", "rebalance quarterly",
"what if I rebalance it every month instead?")."""
_END = patterns.compile(r"\s*[?!.]*\s*$")


def cadence_again(text: str, texts: list[str]) -> str | None:
    """`text` (the latest message; `texts` the user's messages, latest first) asked as the
    message before it with the cadence it names, when that message asked of given weights (or
    names held at equal weights) and named no cadence; None otherwise."""
    said = _ONLY_A_CADENCE.match(text.lower())
    if said is None or len(texts) < 2:
        return None
    before = texts[1]
    if cadence_named(before.lower()) is not None:
        return None  # a backtest already: its cadence is changed as a follow-up
    earlier = parse_intent(before, sp500_tickers())
    if not (earlier.weights or earlier.equal_weight or "equal_weight" in earlier.methods):
        return None
    cadence = cadence_named(said["cadence"])
    ending = _END.search(before)
    cut = ending.start() if ending is not None else len(before)
    return f"{before[:cut]}, rebalanced {cadence}?"
