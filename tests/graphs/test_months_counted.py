"""The best or worst months asked by count ("the 3 best months for AAPL since 2019", "KO's worst
3 months", "the 5 worst months of the S&P 500 in 2022") list that many calendar months, most
extreme first (it gave one month, or no month at all); over a window of more months than are
listed, the reply gives the one month and says why. Checked against pandas over the embedded
closes."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from services.windows import MAX_CALENDAR_MONTHS
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

PRICES = load_sp500_prices()
ASKED = (
    "what are the {n} {end} months for {t} since {y}?",
    "{t}'s {end} {n} months since {y}",
    "show me the {n} {end} months of {t} since {y}",
)


def _months(ticker: str, year: int) -> pd.Series:
    closes = PRICES[ticker].loc[PRICES.loc[: f"{year - 1}-12-31"].index[-1] :]
    daily = closes.pct_change().iloc[1:]
    return (1 + daily).groupby(daily.index.to_period("M")).prod() - 1


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ticker=st.sampled_from(STOCKS_ASKED), year=st.integers(2014, 2022), count=st.integers(2, 5),
    end=st.sampled_from(("best", "worst")), asked=st.sampled_from(ASKED),
)  # fmt: skip
def test_a_count_of_best_or_worst_months_lists_that_many(
    offline_data_dir: Path, ticker: str, year: int, count: int, end: str, asked: str
) -> None:
    months = _months(ticker, year).sort_values(ascending=end == "worst")
    session = ChatSession(f"months-{uuid.uuid4().hex}", settings=Settings())
    message = asked.format(n=count, end=end, t=ticker, y=year)
    reply, calls, _ = turn_calls(session, message)
    assert [c["name"] for c in calls] == ["asset_statistics"], (message, calls)
    line = reply.split(f"{ticker}: ", 1)[1]
    if len(months) > MAX_CALENDAR_MONTHS:  # too many to list: the one month, and why
        assert "by_month" not in calls[0]["args"], calls
        one = re.match(rf"{end} month (\S+) \(", line)
        assert one is not None and one[1] == str(months.index[0]), (line, months.index[0])
        assert f"the {count} {end} months are listed over a window of at most" in line, line
        return
    order = "highest" if end == "best" else "lowest"
    listed = re.match(rf"{count} {end} months, {order} first: (.+?)\. ", line)
    assert listed is not None, (message, reply)
    said = re.findall(r"(\d{4}-\d\d) \((-?\d+\.\d)%", listed[1])
    assert [m for m, _ in said] == [str(m) for m in months.index[:count]], (reply, months[:count])
    for month, value in said:
        assert abs(float(value) - 100 * months[pd.Period(month)]) <= 0.0551, (month, reply)
