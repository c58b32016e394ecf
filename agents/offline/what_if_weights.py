"""The portfolios a what-if sets side by side ("would adding KO to 60% AAPL 40% MSFT lower its
volatility?"): the weights given, named "as given" ("your portfolio" for the conversation's), and
the same with the names added, named "with KO", with the weights that makes."""

from __future__ import annotations

from agents.offline.intent.analysis import AnalysisAsk
from services.formatting import listed

__all__ = ["GIVEN", "YOUR_PORTFOLIO", "added_name", "given_name", "with_added"]

GIVEN = "as given"
"""The name of the weights a what-if adds names to, in its comparison."""

YOUR_PORTFOLIO = "your portfolio"
"""The name of the conversation's weights set beside stocks ("is it riskier than XOM?")."""


def given_name(ask: AnalysisAsk) -> str:
    """The name of the weights a what-if adds names to: "as given", or "your portfolio" for
    the conversation's (`to_held`)."""
    return YOUR_PORTFOLIO if ask.to_held else GIVEN


def added_name(ask: AnalysisAsk) -> str:
    """The name of the weights with a what-if's names added ("with KO")."""
    return "with " + listed(list(ask.added))


def with_added(ask: AnalysisAsk) -> dict[str, float]:
    """The weights given with `ask.added` put in, keeping what the weights given invest in all
    (their sum T): the added names at the shares stated when every one is stated and they sum
    to less than T, else each an equal share T / (n + k) of the n + k names; the weights given
    scaled down in proportion to make room (a name among them keeps its scaled weight plus its
    share)."""
    total = sum(ask.weights.values())
    stated = ask.added_shares
    if set(stated) == set(ask.added) and sum(stated.values()) < total:
        added = {t: stated[t] for t in ask.added}
    else:
        added = dict.fromkeys(ask.added, total / (len(ask.weights) + len(ask.added)))
    kept = (total - sum(added.values())) / total
    out = {t: w * kept for t, w in ask.weights.items()}
    for name, share in added.items():  # a name held is topped up by its share
        out[name] = out.get(name, 0.0) + share
    return out
