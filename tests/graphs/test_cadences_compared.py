"""Rebalancing cadences set side by side in one message ("backtest monthly rebalancing of 50%
AAPL 50% KO vs buy and hold since 2018"): a backtest at each cadence over the same weights and
window, each answered in the order asked, then judged by the Sharpe ratio. Before, one backtest
ran and the other cadence was said unused. Checked against a plain rebalancing loop over the
embedded closes."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread
from tests.support.rebalancing import rebalanced_wealth, wealth_sharpe

PRICES = load_sp500_prices()
SAID = {
    "monthly": ("monthly rebalancing", "rebalancing monthly"),
    "quarterly": ("quarterly rebalancing", "rebalancing every quarter"),
    "annually": ("annual rebalancing", "rebalancing yearly"),
    "never": ("buy and hold", "no rebalancing"),
}
ASKS = (
    "backtest {a} vs {b} for {w}% {s} {v}% {t} since {y}",
    "compare {a} versus {b} of {w}% {s} {v}% {t} since {y}",
    "is {a} better than {b} for {w}% {s} {v}% {t} since {y}?",
)


@settings(max_examples=6, deadline=None)
@given(
    ask=st.sampled_from(ASKS),
    cadences=st.lists(st.sampled_from(sorted(SAID)), min_size=2, max_size=2, unique=True),
    words=st.integers(0, 1),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    share=st.sampled_from((30, 50, 60, 75)),
    year=st.integers(2014, 2020),
)
def test_each_cadence_compared_is_backtested_and_judged(
    ask: str, cadences: list[str], words: int, stocks: list[str], share: int, year: int
) -> None:
    first, second = (SAID[c][words] for c in cadences)
    reply = answer_in_new_thread(
        ask.format(a=first, b=second, w=share, s=stocks[0], v=100 - share, t=stocks[1], y=year)
    )
    closes = PRICES[stocks].loc[PRICES.loc[: f"{year - 1}-12-31"].index[-1] :]
    weights = np.array([share, 100 - share]) / 100
    paragraphs = re.findall(r"Backtest of [^\n]*?, (rebalanced \w+|bought once and held) with no "
                            r"trading costs[^\n]*?: total return (-?[\d.]+)%", reply)  # fmt: skip
    assert [name for name, _ in paragraphs] == [
        "bought once and held" if c == "never" else f"rebalanced {c}" for c in cadences
    ], reply
    wealth = [rebalanced_wealth(closes, weights, c) for c in cadences]
    for (_, total), path in zip(paragraphs, wealth, strict=True):
        assert abs(float(total) / 100 - (path[-1] - 1.0)) <= 0.0006, (reply, path[-1])
    sharpes = [wealth_sharpe(path) for path in wealth]
    if abs(sharpes[0] - sharpes[1]) > 0.002:  # the tool's four significant digits part them
        better = paragraphs[int(np.argmax(sharpes))][0]
        assert f"Better by the Sharpe ratio (return a year per unit of volatility, risk-free rate " \
               f"0): {better}." in reply, (reply, sharpes)  # fmt: skip
    assert "Not used" not in reply, reply


def test_one_cadence_is_one_backtest() -> None:
    """A cadence said alone, or beside a held portfolio's words, is still one backtest."""
    reply = answer_in_new_thread("backtest 50% AAPL 50% KO rebalanced monthly since 2019")
    assert reply.count("Backtest of") == 1 and "Side by side" not in reply, reply
