"""How often to rebalance, asked of a portfolio built in the conversation or of weights given
("how often should I rebalance it?", "what's the best rebalancing frequency for 60% AAPL 40% KO
with 10 bps costs?"): a backtest of the same weights, window and costs at each usual cadence
(never, monthly, quarterly, annually), the best by the Sharpe ratio named with its definition.
Before, a strategy search was proposed (after a build), or the weights given were built anew
by HRP. Checked against a plain rebalancing loop over the embedded closes."""

from __future__ import annotations

import re
import uuid

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, built_portfolio, closes_from, turn_calls
from tests.support.rebalancing import rebalanced_wealth, wealth_sharpe

ASKS = (
    "how often should I rebalance {s}{c}?",
    "how often does {s} need rebalancing{c}?",
    "what's the best rebalancing frequency for {s}{c}?",
    "when should we rebalance {s}{c}?",
    "whats the right rebalancing cadence for {s}{c}",
    "How frequently should I rebalance {s}{c}?",
)
CADENCES = ("never", "monthly", "quarterly", "annually")
NAMES = {c: "bought once and held" if c == "never" else f"rebalanced {c}" for c in CADENCES}


def _session() -> ChatSession:
    return ChatSession(f"often-{uuid.uuid4().hex}", settings=Settings())


@settings(max_examples=6, deadline=None)
@given(
    ask=st.sampled_from(ASKS),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    built=st.booleans(),
    share=st.sampled_from((30, 55, 70)),
    costs=st.sampled_from((None, 10, 25)),
)
def test_how_often_is_a_backtest_at_each_cadence_judged_by_the_sharpe_ratio(
    ask: str, stocks: list[str], built: bool, share: int, costs: int | None
) -> None:
    session = _session()
    if built:
        reply, _, _ = turn_calls(session, f"build an HRP portfolio of {', '.join(stocks)}")
        portfolio_id, weights = built_portfolio(reply)
        subject = "it"
    else:
        stocks = stocks[:2]
        weights = {stocks[0]: share / 100, stocks[1]: (100 - share) / 100}
        subject = f"{share}% {stocks[0]} {100 - share}% {stocks[1]}"
    text = ask.format(s=subject, c=f" with {costs} bps costs" if costs else "")
    reply, calls, pending = turn_calls(session, text)
    assert not pending, (text, reply)
    backtests = [c["args"] for c in calls if c["name"] == "backtest_weights"]
    assert [c["name"] for c in calls] == ["backtest_weights"] * 4, (text, calls)
    assert [a["rebalance"] for a in backtests] == list(CADENCES), (text, backtests)
    for args in backtests:  # the subject asked of, with the costs said, nothing else changed
        held = {"portfolio_id": portfolio_id} if built else {"weights": weights}
        assert {k: v for k, v in args.items() if k in ("portfolio_id", "weights")} == held
        assert args.get("cost_bps", 0) == (costs or 0), (text, args)
    assert "no rebalancing schedule until it is deployed" in reply, reply
    rows = dict(re.findall(r"(bought once and held|rebalanced \w+): CAGR [^;]*?Sharpe ratio "
                           r"(-?[\d.]+)", reply))  # fmt: skip
    assert list(rows) == [NAMES[c] for c in CADENCES], reply
    best = re.search(r" did best (bought once and held|rebalanced \w+) by the Sharpe ratio "
                     r"\(return a year per unit of volatility, risk-free rate 0;", reply)  # fmt: skip
    assert best is not None, reply
    assert float(rows[best[1]]) == max(float(v) for v in rows.values()), reply
    if costs:
        assert reply.count("costs took") == 4, reply
        return
    assert "No trading costs were counted" in reply, reply
    closes = closes_from(2018)[list(weights)]  # the default window, from the close before it
    mix = np.array(list(weights.values()))
    reference = {NAMES[c]: wealth_sharpe(rebalanced_wealth(closes, mix, c)) for c in CADENCES}
    for name, said in rows.items():  # built weights as the reply rounds them (0.1%)
        assert abs(float(said) - reference[name]) <= 0.006, (reply, reference)
    ranked = sorted(reference.values())
    if ranked[-1] - ranked[-2] > 0.012:  # apart beyond the rounding of the weights
        assert best[1] == max(reference, key=lambda n: reference[n]), (reply, reference)


def test_cadences_named_are_those_backtested() -> None:
    """'Should I rebalance it monthly or quarterly?' after a build: those two, side by side."""
    session = _session()
    turn_calls(session, "build an HRP portfolio of AAPL, MSFT, JNJ, KO")
    reply, calls, pending = turn_calls(session, "should I rebalance it monthly or quarterly?")
    assert not pending and [c["args"]["rebalance"] for c in calls] == ["monthly", "quarterly"]
    assert "Better by the Sharpe ratio" in reply, reply


def test_how_often_with_nothing_to_rebalance_asks_which_portfolio() -> None:
    reply, calls, pending = turn_calls(_session(), "how often should I rebalance?")
    assert not calls and not pending, (reply, calls)
    assert reply.startswith("Which portfolio") and "Nothing was computed" in reply, reply


def test_a_strategy_s_rebalancing_is_still_searched() -> None:
    """A strategy's rebalancing asked of its settings is a parameter of a search."""
    _, calls, pending = turn_calls(
        _session(), "how often should a target-vol strategy on AAPL and KO rebalance?"
    )
    assert pending and not calls
