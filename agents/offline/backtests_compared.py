"""Which of the two backtests just run was the better ("backtest 60/40 AAPL KO since 2015", then
"and with quarterly rebalancing?", then "which was better?"): answered from the two results
already given (nothing computed), by the Sharpe ratio with its definition, beside the total
return, the CAGR and the deepest drawdown, each backtest named by what sets it apart (before: a
market read of the stocks over the default window). After one backtest alone, it says there is
no second to compare and sets the one beside the S&P 500 index over its window, figure by
figure (before: a market read)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import earlier_results, user_text
from agents.offline.intent import Intent
from agents.offline.policies import PolicyInput, forced_call, reply
from agents.offline.statistic_words import pct, told_apart
from settings import patterns

__all__ = ["backtests_compared_route", "side_by_side"]

_WHICH_BETTER = patterns.compile(
    r"^\W*(?:(?:and|so|ok(?:ay)?|then|well)\W+)*(?:which|what)(?:\s+one)?\s+(?:was|is|did|does"
    r"|looks?|looked|had|has|came out|performed|worked)\s+(?:(?:the\s+)?(?:better|best)|(worse|worst))"
    r"\b(?:\s+(?:one|of the two|of them|overall))?\W*$"
)
"""Which of the two is the better or, its group, the worse, asked alone ("which was better?")."""
_VERSUS_INDEX = patterns.compile(
    r"^\W*(?:(?:and|so|ok(?:ay)?|then|well)\W+)*(?:how\s+(?:does|did|do|would)\s+(?:that|it|this)"
    r"\s+(?:compare|stack\s+up|look|fare)|(?:how\s+(?:is|was)\s+(?:that|it|this)\s+)?(?:compared"
    r"|relative))?\s*(?:to|with|against|vs\.?|versus)\s+the\s+(?:s&p(?:\s?500)?|market|index"
    r"|benchmark)(?:\s+index)?\W*$"
)
"""The one backtest set against the index, asked alone ("how does that compare to the S&P?",
"and vs the market?")."""
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


def _one_backtest(inp: PolicyInput) -> dict[str, Any] | None:
    """The result of the conversation's latest call when it is the one backtest of weights
    run since the stocks were last measured another way (no second backtest to compare)."""
    latest = earlier_results(inp)[:2]
    if not latest or latest[0][0] != "backtest_weights" or not isinstance(latest[0][2], dict):
        return None
    data = latest[0][2]
    return data if isinstance(data.get("index"), dict) and "total_return" in data else None


_BESIDE_INDEX = (
    ("total return", "total_return", ("higher", "lower")),
    ("CAGR", "cagr", ("higher", "lower")),
    ("volatility", "volatility", ("higher", "lower")),
    ("maximum drawdown", "max_drawdown", ("deeper", "shallower")),
)
"""The figures a backtest and the index share: the words, the key, the words of each side."""


def _beside_index(data: dict[str, Any]) -> str:
    """The one backtest set beside the S&P 500 index over its window, figure by figure
    ("beside the S&P 500 index from ... to ...: total return 108.6% against 41.5% (higher),
    ...")."""
    index, window = data["index"], data.get("window") or {}

    def value(entry: dict[str, Any], key: str) -> float:
        figure = entry[key]
        return float(figure["depth"] if isinstance(figure, dict) else figure)

    parts = []
    for words, key, (high, low) in _BESIDE_INDEX:
        if index.get(key) is None:
            continue
        ours, theirs = value(data, key), value(index, key)
        side = "the same" if ours == theirs else high if ours > theirs else low
        parts.append(f"{words} {pct(ours)} against {pct(theirs)} ({side})")
    return (
        f"beside the S&P 500 index from {window.get('start')} to {window.get('end')}: "
        + ", ".join(parts)
    )


_GIVEN = "Nothing new was computed: the figures are those of the backtest just given."


def _against_index(data: dict[str, Any], worse: bool) -> str:
    """The one backtest beside the index, since there is no other backtest to judge it against
    ("which was better?")."""
    asked = "worse" if worse else "better"
    return (
        f"Only one backtest has been run in this conversation, so there is no other to say which "
        f"was {asked}; {_beside_index(data)}. Ask for a second backtest to compare the two ('the "
        f"same rebalanced quarterly', 'and with 20 bps costs'). {_GIVEN}"
    )


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
    low = user_text(inp).lower()
    asked = _WHICH_BETTER.search(low)
    if asked is None:  # names nothing: its words only
        return _versus_index(inp, low)
    two, one = _two_backtests(inp), None
    if two is None and (one := _one_backtest(inp)) is None:
        return None
    if inp.must_call_tool:
        return forced_call(inp, {"agent": "supervisor", "reason": "the backtests just run"})
    if two is None:
        assert one is not None
        return reply(_against_index(one, worse=asked.group(1) is not None))
    worse = asked.group(1) is not None
    said = side_by_side(list(zip(_names(two), (data for _, data in two), strict=True)), worse)
    return reply(
        f"{said} Nothing new was computed: the figures are those of the two backtests just given."
    )


def side_by_side(named: list[tuple[str, dict[str, Any]]], worse: bool = False) -> str:
    """Backtests of weights (each `backtest_weights` result with its name) judged by the Sharpe
    ratio, with its definition, the better first (the `worse` when asked), then each one's
    total return, CAGR, Sharpe ratio and deepest drawdown side by side."""
    shown = told_apart({n: d["sharpe"] for n, d in named}, lambda v: f"{v:.2f}")
    lines = [
        f"{name}: total return {pct(data['total_return'])}, CAGR {pct(data['cagr'])}, Sharpe "
        f"ratio {shown[name]}, maximum drawdown {pct(data['max_drawdown']['depth'])}"
        for name, data in named
    ]
    sharpes = [data["sharpe"] for _, data in named]
    if len(set(sharpes)) == 1:
        verdict = "They tie on the Sharpe ratio"
    else:
        best = sharpes.index(min(sharpes) if worse else max(sharpes))
        side = ("Worse" if worse else "Better") if len(named) == 2 else "Worst" if worse else "Best"
        definition = "return a year per unit of volatility, risk-free rate 0"
        verdict = f"{side} by the Sharpe ratio ({definition}): {named[best][0]}"
    return f"{verdict}. Side by side: " + "; ".join(lines) + "."


def _versus_index(inp: PolicyInput, low: str) -> AIMessage | None:
    """The latest backtest set against the index when the message asks only that ("how does
    that compare to the S&P?"); None otherwise."""
    if _VERSUS_INDEX.search(low) is None or (one := _one_backtest(inp)) is None:
        return None
    if inp.must_call_tool:
        return forced_call(inp, {"agent": "supervisor", "reason": "the backtest just run"})
    said = _beside_index(one)
    return reply(f"{said[:1].upper()}{said[1:]}. {_GIVEN}")
