"""Which of the two backtests just run was the better ("backtest 60/40 AAPL KO since 2015", then
"and with quarterly rebalancing?", then "which was better?"): answered from the two results
already given (nothing computed), by the Sharpe ratio with its definition, beside the total
return, the CAGR and the deepest drawdown, each backtest named by what sets it apart (before: a
market read of the stocks over the default window)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import earlier_results, user_text
from agents.offline.intent import Intent
from agents.offline.policies import PolicyInput, forced_call, reply
from agents.offline.statistic_words import pct, told_apart
from settings import patterns

__all__ = ["backtests_compared_route"]

_WHICH_BETTER = patterns.compile(
    r"^\W*(?:(?:and|so|ok(?:ay)?|then|well)\W+)*(?:which|what)(?:\s+one)?\s+(?:was|is|did|does"
    r"|looks?|looked|had|has|came out|performed|worked)\s+(?:(?:the\s+)?(?:better|best)|(worse|worst))"
    r"\b(?:\s+(?:one|of the two|of them|overall))?\W*$"
)
"""Which of the two is the better or, its group, the worse, asked alone ("which was better?")."""
_SAID = (
    ("weights", lambda a: ", ".join(f"{t} {pct(w)}" for t, w in (a.get("weights") or {}).items())
     or "the stocks at equal weights"),
    ("rebalance", lambda a: f"rebalanced {a.get('rebalance') or 'monthly'}"),
    ("cost_bps", lambda a: f"{a.get('cost_bps') or 0:g} bps costs"),
    ("window", lambda a: f"from {a.get('start') or 'the default start'}"),
)  # fmt: skip
"""How a backtest is named by each of its arguments."""


def _two_backtests(inp: PolicyInput) -> list[tuple[dict[str, Any], dict[str, Any]]] | None:
    """The conversation's two latest results when both are `backtest_weights` results (the
    arguments and the result of each, the earlier first); None otherwise."""
    latest = earlier_results(inp)[:2]
    if len(latest) < 2 or any(name != "backtest_weights" for name, _, _ in latest):
        return None
    if not all(isinstance(data, dict) and "sharpe" in data for _, _, data in latest):
        return None
    return [(args, data) for _, args, data in reversed(latest)]


def _names(two: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[str]:
    """Each backtest named by the arguments that set it apart ("rebalanced quarterly"); all of
    them when none do."""
    said = [{key: words(args) for key, words in _SAID} for args, _ in two]
    apart = [key for key, _ in _SAID if said[0][key] != said[1][key]] or [k for k, _ in _SAID]
    return ["; ".join(names[key] for key in apart) for names in said]


def backtests_compared_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The supervisor's answer to which of the two backtests just run was the better (or the
    worse), through its own route when a route must be called; None when the message asks no
    such thing or the two latest results are not backtests of weights."""
    asked = _WHICH_BETTER.search(user_text(inp).lower())
    if asked is None or (two := _two_backtests(inp)) is None:  # names nothing: its words only
        return None
    if inp.must_call_tool:
        return forced_call(inp, {"agent": "supervisor", "reason": "the two backtests just run"})
    names = _names(two)
    shown = told_apart({n: d["sharpe"] for n, (_, d) in zip(names, two, strict=True)},
                       lambda v: f"{v:.2f}")  # fmt: skip
    lines = [
        f"{name}: total return {pct(data['total_return'])}, CAGR {pct(data['cagr'])}, Sharpe "
        f"ratio {shown[name]}, maximum drawdown {pct(data['max_drawdown']['depth'])}"
        for name, (_, data) in zip(names, two, strict=True)
    ]
    sharpes = [data["sharpe"] for _, data in two]
    if sharpes[0] == sharpes[1]:
        verdict = "They tie on the Sharpe ratio"
    else:
        best = (
            sharpes.index(max(sharpes)) if asked.group(1) is None else sharpes.index(min(sharpes))
        )
        side = "Better" if asked.group(1) is None else "Worse"
        verdict = f"{side} by the Sharpe ratio (return a year per unit of volatility, risk-free rate 0): {names[best]}"
    return reply(
        f"{verdict}. Side by side: " + "; ".join(lines) + ". Nothing new was computed: the figures "
        "are those of the two backtests just given."
    )
