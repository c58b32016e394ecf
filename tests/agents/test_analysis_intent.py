"""The analysis questions read from a PM's words (`agents.offline.intent.analysis`): the issue's
examples and the same kinds in other words, with typos; and the messages other rules answer
are left to them."""

from __future__ import annotations

from typing import Any

import pytest

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.analysis import AnalysisAsk, read_analysis


def ask(text: str) -> AnalysisAsk | None:
    return read_analysis(parse_intent(text, known_tickers()), known_tickers())


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("what would a 20% market drop do to it?", "stress", {"market_move": -0.2}),
    ("What happens to my portfolio if the S&P drops 15%?", "stress", {"market_move": -0.15}),
    ("if the market tanks 25% how much do I lose on $500k?", "stress",
     {"market_move": -0.25, "capital": 500_000.0}),
    ("and if the market rallies 10%?", "stress", {"market_move": 0.1}),
    ("stres test AAPL, MSFT and JPM against the covid crash", "stress", {"episodes": ("covid_2020",)}),
    ("how would 50% XOM 50% CVX have done in the 2008 crisis?", "stress",
     {"episodes": ("gfc_2008",), "weights": {"XOM": 0.5, "CVX": 0.5}}),
    ("stress test my portfolio against 2008", "stress", {"episodes": ("gfc_2008",)}),
    ("replay the 2022 rate shock on equal weights of AAPL, JPM, XOM", "stress",
     {"episodes": ("rates_2022",)}),
    ("run the historical stress scenarios on it", "stress",
     {"episodes": ("gfc_2008", "covid_2020", "rates_2022")}),
    ("what's the bear case for KO, PG and PEP?", "stress", {"bear_case": True}),
    ("stress test it", "stress", {}),
    ("probability of losing more than 15% in bear?", "loss_probability",
     {"threshold": 0.15, "scenarios": ("bear",)}),
    ("probabilty of lossing 20% in a bear market for KO PG", "loss_probability",
     {"threshold": 0.2, "scenarios": ("bear",)}),
    ("whats the chance of losing 10% or more over the next year in a high vol market",
     "loss_probability", {"threshold": 0.1, "horizon": 252, "scenarios": ("high_vol",)}),
    ("odds my portfolio drops more than 20% in 6 months?", "loss_probability",
     {"threshold": 0.2, "horizon": 126}),
    ("probability of a 25% drawdown for JPM and BAC", "loss_probability", {"threshold": 0.25}),
    ("correlation of AAPL and MSFT since 2021", "statistics", {"measures": ("correlation",)}),
    ("corelation between XOM and CVX last 12 months", "statistics",
     {"measures": ("correlation",), "last_sessions": 252}),
    ("how correlated were XOM and CVX in 2020?", "statistics", {"measures": ("correlation",)}),
    ("return of XOM between 2019 and 2021", "statistics", {"measures": ("return",)}),
    ("return of XOM in 2008", "statistics", {"episodes": ()}),  # a window, not the episode
    ("worst month of KO", "statistics", {"measures": ("worst_month",)}),
    ("what was the best month for XOM in 2022", "statistics", {"measures": ("best_month",)}),
    ("best and worst month of KO since 2015", "statistics",
     {"measures": ("worst_month", "best_month")}),
    ("KO worst day ever since 2010", "statistics", {"measures": ("worst_day",)}),
    ("what's JPM's beta since 2019?", "statistics", {"measures": ("beta",)}),
    ("beta of JPM over the last 3 years", "statistics", {"measures": ("beta",), "last_sessions": 756}),
    ("give me the annualized return and volatility of PG from 2015 to 2020", "statistics",
     {"measures": ("volatility", "return")}),
    ("what was the max drawdown of AAPL in 2022 and when did it bottom", "statistics",
     {"measures": ("drawdown_dates",)}),
    ("how did MSFT do last year?", "statistics", {"measures": ("return",), "last_sessions": 252}),
    ("performance of HD over the past 3 years", "statistics", {"last_sessions": 756}),
    ("backtest 60% AAPL 40% KO rebalanced monthly with 10 bps costs", "backtest_weights",
     {"weights": {"AAPL": 0.6, "KO": 0.4}, "rebalance": "monthly", "cost_bps": 10.0}),
    ("bactest AAPL 50% MSFT 50% quartely 5bps", "backtest_weights",
     {"weights": {"AAPL": 0.5, "MSFT": 0.5}, "rebalance": "quarterly", "cost_bps": 5.0}),
    ("backtest 70/30 MSFT/JNJ quarterly rebalancing since 2015", "backtest_weights",
     {"weights": {"MSFT": 0.7, "JNJ": 0.3}, "rebalance": "quarterly"}),
    ("backtest a 60/40 AAPL/KO portfolio, buy and hold", "backtest_weights",
     {"weights": {"AAPL": 0.6, "KO": 0.4}, "rebalance": "never"}),
    ("back test 40% AAPL, 30% JPM, 30% XOM, annual rebalance, costs of 0.1%", "backtest_weights",
     {"rebalance": "annually", "cost_bps": 10.0}),
    ("backtest my portfolio with monthly rebalancing and 20bps", "backtest_weights",
     {"rebalance": "monthly", "cost_bps": 20.0}),
    ("compare HRP, risk parity and min-vol for AAPL MSFT JPM XOM", "compare", {}),
    ("compare the 95% CVaR of a min-vol and an HRP portfolio", "compare", {}),
    ("hrp vs risk parity vs min-variance on JPM BAC XOM CVX", "compare", {}),
    ("which is better for my stocks, HRP or min-vol?", "compare", {}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kind", "slots"), CASES)
def test_the_question_and_its_slots(text: str, kind: str, slots: dict[str, Any]) -> None:
    found = ask(text)
    assert found is not None, text
    assert found.kind == kind
    for key, value in slots.items():
        assert getattr(found, key) == value, (text, key)


@pytest.mark.parametrize(
    "text",
    [
        "what's the 95% CVaR of AAPL over the last 12 months?",
        "What was the max drawdown of JNJ, PG and PEP since 2020?",
        "What's the 99% VaR of MSFT and JPM from 2018 to 2021?",
        "describe the market for XOM, CVX and JPM since 2020",
        "build a max sharpe portfolio of AAPL, MSFT and KO since 2018",
        "Build an HRP portfolio of AAPL, JNJ and XOM since 2018",
        "backtest a 15% target-vol strategy with a 90% put",
        "find the target-vol setting that holds up in a bear market",
        "show me the efficient frontier of AAPL, MSFT, JNJ and KO since 2018",
        "what does my research say about energy stocks?",
        "deploy that to paper, weekly",
        "give me three defensive ideas",
        "hello",
    ],
)
def test_other_questions_are_left_to_their_rules(text: str) -> None:
    assert ask(text) is None
