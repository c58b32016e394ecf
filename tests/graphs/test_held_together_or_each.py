"""Stocks said as "a portfolio of" them are held together at equal weights in a statistic ("what's
the volatility of a portfolio of AAPL and KO?": the portfolio's figure beside each stock's;
each stock's alone was given), and stocks asked "each" or "compared with" one another in an
episode are stressed each on its own ("how did KO hold up in the 2022 sell-off compared with
PEP?": an equal-weight portfolio of both was replayed). Figures checked against numpy."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

CLOSES = load_sp500_prices()
RETURNS = CLOSES.pct_change()
EPISODES = {
    "the covid crash": ("2020-02-19", "2020-03-23"),
    "the 2022 sell-off": ("2022-01-03", "2022-10-12"),
}
EACH = (
    "how did {a} and {b} each do in {episode}?",
    "how did {a} hold up in {episode} compared with {b}?",
)


@settings(max_examples=5, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    measure=st.sampled_from(("volatility", "sharpe ratio")),
    year=st.integers(min_value=2005, max_value=2020),
)
def test_a_statistic_of_a_portfolio_of_stocks_is_that_of_them_at_equal_weights(
    stocks: list[str], measure: str, year: int
) -> None:
    names = ", ".join(stocks[:-1]) + f" and {stocks[-1]}"
    reply = answer_in_new_thread(f"what's the {measure} of a portfolio of {names} since {year}?")
    word = "volatility" if measure == "volatility" else "Sharpe ratio"
    said = re.search(rf"the portfolio \([^)]*\) had {word} (-?\d+\.\d+)", reply)
    assert said is not None, reply
    daily = RETURNS.loc[f"{year}-01-01" : "2022-12-28", stocks].mean(axis=1).to_numpy()
    vol = float(np.std(daily, ddof=1) * np.sqrt(252))
    expected = vol if measure == "volatility" else float(np.mean(daily)) * 252 / vol
    shown = float(said[1]) / (100 if measure == "volatility" else 1)
    assert abs(shown - expected) <= 0.0006 + 0.005 * abs(expected), (shown, expected)


@settings(max_examples=5, deadline=None)
@given(
    pair=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    episode=st.sampled_from(tuple(EPISODES)),
    asked=st.sampled_from(EACH),
)
def test_stocks_asked_each_in_an_episode_are_replayed_each_on_its_own(
    pair: list[str], episode: str, asked: str
) -> None:
    reply = answer_in_new_thread(asked.format(a=pair[0], b=pair[1], episode=episode))
    assert "each on its own" in reply and "the portfolio loses" not in reply, reply
    first, last = EPISODES[episode]
    for name in pair:
        said = re.search(rf"\b{name} (-?\d+\.\d)%", reply.split("bought at its start:", 1)[1])
        assert said is not None, reply
        moved = float(CLOSES.loc[last, name] / CLOSES.loc[first, name]) - 1
        assert abs(float(said[1]) / 100 - moved) <= 0.0005 + 1e-9, (name, said[1], moved)
