"""A risk report asked for its drawdown or volatility ("what's the max drawdown of AAPL since
2015?") answers with that first, then the VaR and CVaR (the VaR led, the drawdown asked came
third); asked for its tails, or for nothing in particular, the VaR and CVaR lead as before. The
drawdown is checked against the deepest fall of the wealth compounded from the data's daily
returns (pandas)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

RETURNS = load_sp500_prices().pct_change()
ASKED = (
    "what's the max drawdown of {ticker} since {year}?",
    "how big was {ticker}'s worst drawdown since {year}",
    "{ticker} maximum drawdown since {year}?",
    "what's the volatility and drawdown of {ticker} since {year}?",
)


@settings(max_examples=6, deadline=None)
@given(
    ticker=st.sampled_from(STOCKS_ASKED),
    year=st.integers(min_value=2000, max_value=2020),
    asked=st.sampled_from(ASKED),
)
def test_a_drawdown_asked_leads_the_answer_and_is_the_deepest_fall(
    ticker: str, year: int, asked: str
) -> None:
    reply = answer_in_new_thread(asked.format(ticker=ticker, year=year))
    wealth = (1.0 + RETURNS[ticker].loc[f"{year}-01-01" :]).cumprod()
    deepest = float((1.0 - wealth / wealth.cummax().clip(lower=1.0)).max())
    lead = re.match(r"The maximum drawdown was (\d+\.\d)%", reply)
    assert lead is not None, reply
    # within one step of the display: the report keeps 4 significant digits, the reply one
    # decimal of a percent of those (JPM since 2005: 68.149% is 0.6815, said 68.2%)
    assert abs(float(lead[1]) - 100 * deepest) <= 0.1, (lead[1], deepest)
    assert "; at 95% confidence the one-day VaR is" in reply, reply


def test_the_tails_asked_or_nothing_named_lead_with_the_var() -> None:
    for asked in ("what's the VaR and drawdown of KO?", "what's the risk of KO?"):
        reply = answer_in_new_thread(asked)
        assert reply.startswith("At 95% confidence the one-day VaR is"), (asked, reply)
