""" "What's its expected return?" after a portfolio was built is that portfolio's return over the
window it was estimated on: the annualised return the answer gives is the build's expected
return (both the mean daily return x 252 over that window). Before, it was read as a market
overview of the stocks, which never said the portfolio's return."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import STOCKS_ASKED, answers_in_one_thread, closes_from

ASKS = ("what's its expected return?", "what is the portfolio's expected return?",
        "and its expected return?")  # fmt: skip


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["an hrp", "a min vol", "a max sharpe", "a risk parity"]),
    tickers=st.sampled_from(["AAPL, MSFT and XOM", "KO, PG and PEP", "JPM, BAC and CVX"]),
    year=st.integers(2012, 2020),
    ask=st.sampled_from(ASKS),
)
def test_the_expected_return_of_the_portfolio_held_is_its_build_s(
    offline_data_dir: Path, method: str, tickers: str, year: int, ask: str
) -> None:
    built, answered = answers_in_one_thread(
        f"build {method} portfolio of {tickers} since {year}", ask
    )
    expected = re.search(r"Expected return (-?[\d.]+)%", built)
    assert expected is not None, built
    held = re.search(
        r"the portfolio \([^)]*\) had a total return of [-\d.]+% \((-?[\d.]+)% a year", answered
    )
    assert held is not None, answered
    assert held.group(1) == expected.group(1), (built, answered)
    assert f"from {year}-01-0" in answered, answered  # over the build's window


WEIGHTS_ASKS = ("what's the expected return of {w}?", "expected return of {w}",
                "what is the expected return and volatility of {w}?")  # fmt: skip


@settings(max_examples=6, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    share=st.sampled_from((25, 40, 60, 80)),
    ask=st.sampled_from(WEIGHTS_ASKS),
)
def test_the_expected_return_of_weights_given_is_their_mean_return_over_the_window(
    stocks: list[str], share: int, ask: str
) -> None:
    """Of weights given, their mean daily return x 252 over the default window, as a build's
    expected return is (before: a market read of the stocks, the weights said unused)."""
    said = f"{share}% {stocks[0]} {100 - share}% {stocks[1]}"
    (answered,) = answers_in_one_thread(ask.format(w=said))
    held = re.search(
        r"the portfolio \([^)]*\) had (?:[^;]*; )?a total return of [-\d.]+% \((-?[\d.]+)% a year",
        answered,
    )
    assert held is not None and "Not used" not in answered, answered
    daily = closes_from(2018)[stocks].pct_change().iloc[1:]
    mean = float((daily @ np.array([share, 100 - share]) / 100).mean() * 252)
    # the reply's 0.1% after the tool's four significant digits (0.154533 -> 0.1545 -> 15.4%)
    assert abs(float(held.group(1)) / 100 - mean) <= 0.0005 + 0.00005, (answered, mean)
