"""How many months a stock rose or fell ("how many months was AAPL down in 2022?", "how many
months did KO rise in 2021?"): each calendar month's return, then how many rose and how many
fell. Before, the year's total return alone was said. Checked against pandas."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

PRICES = load_sp500_prices()
ASKS = (
    "how many months was {s} down in {y}?",
    "how many months did {s} rise in {y}?",
    "how many months was {s} up in {y}?",
    "in how many months did {s} fall in {y}?",
)


@settings(max_examples=8, deadline=None)
@given(ask=st.sampled_from(ASKS), stock=st.sampled_from(STOCKS_ASKED), year=st.integers(2012, 2022))
def test_the_months_a_stock_rose_and_fell_are_counted(ask: str, stock: str, year: int) -> None:
    reply = answer_in_new_thread(ask.format(s=stock, y=year))
    closes = PRICES[stock].loc[PRICES.loc[: f"{year - 1}-12-31"].index[-1] : f"{year}-12-31"]
    month_ends = closes.groupby(closes.index.to_period("M")).last()
    returns = month_ends.pct_change().iloc[1:]
    said = re.search(r"up in (\d+) of the (\d+) months, down in (\d+)", reply)
    assert said is not None, reply
    assert int(said[2]) == len(returns), (reply, returns)
    assert int(said[1]) == int((returns > 0).sum()), (reply, returns)
    assert int(said[3]) == int((returns < 0).sum()), (reply, returns)
