"""A tracking error asked ("what's the tracking error of a 50/50 AAPL MSFT portfolio vs the
S&P?", "the information ratio of KO since 2015", "tracking error of JPM vs XOM") is measured:
the annualised spread of the daily return less the benchmark's, with the active return and the
information ratio (the market was read and the weights said unused). Checked against pandas
on the data's daily returns: the portfolio held at constant weights, rebalanced daily, as the
statistics tool states."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from quant.data import load_sp500_index
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

RETURNS = load_sp500_prices().pct_change()
INDEX = load_sp500_index().pct_change()
TRACKED = re.compile(
    r"tracking error (-?\d+\.\d)% a year against (.+?) \(active return (-?\d+\.\d)% a year"
    r"(?:; information ratio (-?\d+\.\d\d))?\)"
)


def _reference(daily: pd.Series, benchmark: pd.Series, start: str) -> tuple[float, float]:
    """(tracking error, active return), annualised, over the dates both hold from `start`."""
    both = daily.loc[start:].to_frame("r").join(benchmark.rename("m"), how="inner").dropna()
    active = both["r"] - both["m"]
    return float(active.std(ddof=1) * np.sqrt(252)), float(active.mean() * 252)


def _within_a_step(said: str, value: float) -> bool:
    # the tool keeps 4 significant digits, the reply one decimal of a percent of those
    return abs(float(said) - 100 * value) <= 0.1 + 1e-9


@settings(max_examples=6, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    first=st.sampled_from((50, 60, 70, 80)),
    year=st.integers(min_value=2005, max_value=2020),
    asked=st.sampled_from(
        (
            "what's the tracking error of a {a}/{b} {s} {t} portfolio vs the S&P since {y}?",
            "tracking error of {a}% {s} and {b}% {t} against the S&P 500 since {y}",
            "what's the information ratio of a {a}/{b} {s} {t} mix since {y}?",
        )
    ),
)
def test_a_portfolio_s_tracking_error_against_the_index_is_measured(
    stocks: list[str], first: int, year: int, asked: str
) -> None:
    reply = answer_in_new_thread(
        asked.format(a=first, b=100 - first, s=stocks[0], t=stocks[1], y=year)
    )
    weights = np.array([first, 100 - first]) / 100
    daily = RETURNS[stocks] @ weights
    error, active = _reference(daily, INDEX, f"{year}-01-01")
    portfolio = re.search(r"the portfolio \([^)]*\) had " + TRACKED.pattern, reply)
    assert portfolio is not None, reply
    assert portfolio[2] == "the S&P 500 index", reply
    assert _within_a_step(portfolio[1], error), (portfolio[1], error, reply)
    assert _within_a_step(portfolio[3], active), (portfolio[3], active, reply)
    assert abs(float(portfolio[4]) - active / error) <= 0.01 + 0.002 * abs(active / error), reply
    assert "Not used" not in reply, reply


def test_a_tracking_error_against_a_stock_is_measured_against_it() -> None:
    reply = answer_in_new_thread("tracking error of JPM vs XOM since 2010")
    error, active = _reference(RETURNS["JPM"], RETURNS["XOM"], "2010-01-01")
    said = TRACKED.search(reply)
    assert said is not None and said[2] == "XOM", reply
    assert _within_a_step(said[1], error) and _within_a_step(said[3], active), reply
    assert "XOM: tracking error" not in reply, reply  # the benchmark is not measured against itself


def test_a_beta_of_one_stock_versus_another_still_compares_two_betas() -> None:
    reply = answer_in_new_thread("beta of JPM vs XOM")
    assert "JPM: beta" in reply and "XOM: beta" in reply, reply
    assert "to the S&P 500 index" in reply, reply
