"""A sector's move supposed in the chat ("what's my downside if tech drops 30%? I hold 40% AAPL,
30% MSFT, 30% JNJ", "what if the banks fall 25%?" after a build) is a stress test of that
portfolio through each stock's beta to the sector's equal-weight average (before: a 20% market
fall, every episode and the bear case, the sector and its 30% neither used nor said unused); the
loss said is checked against numpy on the embedded prices."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.classification import matching
from quant.data import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

RETURNS = load_sp500_prices().pct_change().loc["2018-01-02":"2022-12-28"]
SECTORS = ("tech", "energy", "banks", "health care")
ASKED = (
    "what's my downside if {sector} {verb} {size}%? I hold {held}",
    "stress test {held} if {sector} {verb} {size}%",
    "I hold {held}. what happens if {sector} stocks {verb} {size}%?",
)
FALLS, RISES = ("drops", "falls", "tanks"), ("rallies", "rises", "jumps")


def _portfolio_return(weights: dict[str, float], sector: str, move: float) -> float:
    members = [c.ticker for c in matching(sector) if c.ticker in RETURNS.columns]
    average = RETURNS[members].mean(axis=1).to_numpy()
    betas = {
        t: np.cov(RETURNS[t].to_numpy(), average, ddof=1)[0, 1] / np.var(average, ddof=1)
        for t in weights
    }
    return sum(w * betas[t] * move for t, w in weights.items())


@settings(max_examples=6, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    sector=st.sampled_from(SECTORS),
    size=st.integers(min_value=5, max_value=50),
    falls=st.booleans(),
    asked=st.sampled_from(ASKED),
    data=st.data(),
)
def test_a_sector_move_supposed_is_stressed_through_betas_to_the_sector(
    stocks: list[str], sector: str, size: int, falls: bool, asked: str, data: st.DataObject
) -> None:
    shares = [100 // len(stocks)] * len(stocks)
    shares[0] += 100 - sum(shares)
    weights = {t: s / 100 for t, s in zip(stocks, shares, strict=True)}
    held = ", ".join(f"{s}% {t}" for t, s in zip(stocks, shares, strict=True))
    verb = data.draw(st.sampled_from(FALLS if falls else RISES))
    reply = answer_in_new_thread(asked.format(held=held, sector=sector, verb=verb, size=size))
    said = re.search(
        rf"A {size}(?:\.0)?% {'fall' if falls else 'rise'} of {sector} \(the equal-weight average"
        r".*?\): the portfolio (loses|gains) (\d+(?:\.\d+)?)%",
        reply,
    )
    assert said is not None, reply
    assert "market fall" not in reply and "replayed" not in reply, reply  # only what was asked
    shown = (-1 if said[1] == "loses" else 1) * float(said[2]) / 100
    expected = _portfolio_return(weights, sector, (-1 if falls else 1) * size / 100)
    assert abs(shown - expected) <= 0.0005 + 0.001 * abs(expected), (shown, expected)
