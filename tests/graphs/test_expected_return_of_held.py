""" "What's its expected return?" after a portfolio was built is that portfolio's return over the
window it was estimated on: the annualised return the answer gives is the build's expected
return (both the mean daily return x 252 over that window). Before, it was read as a market
overview of the stocks, which never said the portfolio's return."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import answers_in_one_thread

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
