"""A question which of the conversation's stocks is better ("which one is better?", "so which is
the stronger one?") right after their statistics were set side by side on named measures
("compare AAPL and MSFT on sharpe since 2019"), or after a market read of them ("how volatile
were AAPL and MSFT in 2022?"): asked of those measures (a market read naming none: its Sharpe
ratios, which it ranks), so it is answered by them (each measure's better side, over the same
window), not as a read of the market over the default window."""

from __future__ import annotations

from agents.offline.intent.measures import DRAWDOWN_ASKED, measures_named
from agents.offline.intent.rankings import judged_asked
from agents.offline.policies import PolicyInput

__all__ = ["judged_again"]

_SAID = {
    "return": "total return", "volatility": "volatility", "sharpe_ratio": "sharpe ratio",
    "sortino_ratio": "sortino ratio", "downside_deviation": "downside deviation",
    "drawdown_dates": "maximum drawdown",
}  # fmt: skip
"""Each measure with a better side, in words the analysis reader reads back as that measure."""


_READS = ("asset_statistics", "market_statistics")
"""The calls whose stocks a question which is better judges: their statistics, or a market
read of them."""


def _compared_on(inp: PolicyInput, texts: list[str]) -> tuple[tuple[str, ...], str]:
    """The measures with a better side that the message before the latest compared the stocks
    on, when the conversation's latest call (before this turn) read them (a market read naming
    none: the Sharpe ratio it ranks them by), and the window of a market read in words ("" for
    statistics, whose window the analysis reader keeps)."""
    latest = inp.latest_call_before_turn()
    if latest is None or latest["name"] not in _READS or len(texts) < 2:
        return (), ""
    before = texts[1].lower()
    named = measures_named(before)
    if DRAWDOWN_ASKED.search(before) and "drawdown_dates" not in named:
        named += ("drawdown_dates",)  # "compare them on drawdown": the maximum drawdown
    measures = tuple(measure for measure in named if measure in _SAID)
    if latest["name"] == "asset_statistics":
        return measures, ""
    args = latest["args"]
    window = " ".join(
        f"{word} {args[key]}" for word, key in (("from", "start"), ("to", "end")) if args.get(key)
    )
    return measures or ("sharpe_ratio",), f" {window}" if window else ""


def judged_again(inp: PolicyInput, text: str, texts: list[str]) -> str | None:
    """`text` (the latest message; `texts` the user's messages, latest first), a question which
    stock is better or worse that names no measure, asked of the measures the stocks were just
    compared on ("which one is better by sharpe ratio?"); None otherwise."""
    low = text.lower()
    if judged_asked(low) is None or measures_named(low) or DRAWDOWN_ASKED.search(low):
        return None
    measures, window = _compared_on(inp, texts)
    if not measures:
        return None
    return f"{text.rstrip(' ?.!')} by {' and '.join(_SAID[m] for m in measures)}{window}?"
