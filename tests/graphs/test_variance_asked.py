"""A stock's variance asked in the chat ("what was the variance of KO last year?", "which had the
lowest variance in 2008: AAPL, KO or XOM?"): the annualised variance of its daily returns, said
to be the square of its volatility, and stocks ranked by it (before: a read of the market, with
no variance in it). Checked against pandas (the sample variance of the daily returns x 252).
"The min variance portfolio" and "mean-variance" still build portfolios."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

CLOSES = load_sp500_prices()


def _variance(stock: str, year: int) -> float:
    """The annualised sample variance of `stock`'s daily returns in `year` (its first return
    from the last close before the year)."""
    closes = CLOSES[stock]
    held = closes[(closes.index.year >= year - 1) & (closes.index.year <= year)]
    returns = held.pct_change().dropna()
    return float(returns[returns.index.year == year].var(ddof=1) * 252)


def _close(said: str, expected: float) -> bool:
    """Whether `said` (4 decimals, from a volatility of 4 significant digits) is `expected`."""
    return abs(float(said) - expected) <= 1e-4 + 2e-3 * expected


@settings(max_examples=8, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    year=st.integers(2006, 2021),
)
def test_variances_are_said_and_ranked(stocks: list[str], year: int) -> None:
    expected = {s: _variance(s, year) for s in stocks}
    names = " and ".join(stocks)
    reply = answer_in_new_thread(f"what was the variance of {names} in {year}?")
    for stock in stocks:
        said = re.search(rf"{stock}: variance (\d\.\d{{4}}) a year \(the square of its", reply)
        assert said is not None and _close(said.group(1), expected[stock]), (reply, expected)
    ranked = answer_in_new_thread(f"which had the lowest variance in {year}: {', '.join(stocks)}?")
    order = re.search(
        r"By variance \(the square of volatility, a year\), lowest first: ([^(]+)", ranked
    )
    assert order is not None, ranked
    said_order = [part.split()[0] for part in order.group(1).split(", ")]
    assert said_order == sorted(stocks, key=expected.__getitem__), (ranked, expected)


def test_the_min_variance_and_mean_variance_portfolios_are_still_builds() -> None:
    built = answer_in_new_thread("build a min variance portfolio of AAPL, KO and XOM")
    assert built.startswith("Min-volatility portfolio (pf_"), built
    built = answer_in_new_thread("a mean-variance portfolio of AAPL KO PG")
    assert built.startswith("Max-Sharpe portfolio (pf_"), built
