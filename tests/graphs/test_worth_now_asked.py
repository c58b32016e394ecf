"""A sum's worth asked as of now after the year it went in ("how much would $100k in AAPL in
2010 be worth now?", "what would $50,000 invested in KO in 2012 have grown to today?", "if I had
invested $50k in KO in 2019, how much would I have now?") is the holding backtested from that
year to the end of the data (the year alone was backtested, or the market read and the window
said unused; "what would $100k in AAPL in 2018 be worth now?" was a market read, "put into" a put
option, "at the start of 2010" its first quarter; "how much would I have now?" was a risk report
of the year alone); a year asked about alone stays that year. The final value is checked against
the compounded daily returns of the data (pandas)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

PRICES = load_sp500_prices()
ASKED = (
    "how much would ${amount:,} in {ticker} in {year} be worth now?",
    "if I had put ${amount:,} into {ticker} in {year}, what would it be worth today?",
    "what would ${amount:,} invested in {ticker} in {year} have grown to today?",
    "what would ${amount:,} in {ticker} in {year} be worth now?",
    "what would ${amount:,} put into {ticker} at the start of {year} have been worth by now?",
    "if I had invested ${amount:,} in {ticker} in {year}, how much would I have now?",
    "if I put ${amount:,} in {ticker} in {year} how much would I have today?",
)


@settings(max_examples=6, deadline=None)
@given(
    ticker=st.sampled_from(STOCKS_ASKED),
    year=st.integers(min_value=2000, max_value=2020),
    amount=st.sampled_from((10_000, 50_000, 100_000, 1_000_000)),
    asked=st.sampled_from(ASKED),
)
def test_a_sum_s_worth_now_runs_from_its_year_to_the_end_of_the_data(
    ticker: str, year: int, amount: int, asked: str
) -> None:
    reply = answer_in_new_thread(asked.format(amount=amount, ticker=ticker, year=year))
    closes = PRICES[ticker].dropna()
    before = closes.loc[: f"{year - 1}-12-31"]
    held = closes.loc[f"{year}-01-01" :]
    first, last = held.index[0].date(), held.index[-1].date()
    assert reply.startswith(f"Backtest of {ticker} 100.0%, bought once and held"), reply
    assert f"from {first} to {last}" in reply, reply
    grown = amount * float(held.iloc[-1] / before.iloc[-1])
    said = re.search(rf"{amount:,} would have become ([\d,]+)", reply)
    assert said is not None, reply
    assert abs(float(said[1].replace(",", "")) - grown) <= 0.001 * grown + 1, (said[1], grown)
    assert "rebalance" not in reply, reply  # one stock held whole: a schedule would trade nothing
    assert "Not used" not in reply, reply


def test_a_year_asked_about_alone_stays_that_year() -> None:
    reply = answer_in_new_thread("what was AAPL's return in 2020?")
    assert "from 2020-01-02 to 2020-12-31" in reply, reply
