"""What a capital would have made in the conversation's portfolio or stocks ("how much would I have
made with $100k since 2018?" after a build, "how much would I have made with $50k?" after KO's
Sharpe ratio since 2015) is a backtest of them on that capital: before, the statistics of the
portfolio with "Not used: the capital $100k (no tool of this turn takes a capital)". A backtest
of stocks an analysis used runs over the window that analysis used (a build's over the default
window, as before: over its own it would be in-sample)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, tool_args

FIRST = {
    "build": "build an HRP portfolio of {s}",
    "sharpe": "what is the sharpe ratio of {s} since {y}?",
}
ASKS = ("how much would I have made with ${k}k?", "how much would I have made with ${k}k since {y}?",
        "how much money would I have made with ${k},000?")  # fmt: skip
BECAME = re.compile(r"total return (-?[\d.]+)%.*?; ([\d,]+) would have become ([\d,]+)")


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=st.sampled_from(sorted(FIRST)),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=1, max_size=3, unique=True),
    year=st.integers(2010, 2019),
    thousands=st.integers(5, 500),
    ask=st.sampled_from(ASKS),
)
def test_a_capital_s_gain_in_the_thread_s_subject_is_its_backtest(
    offline_data_dir: Path, first: str, stocks: list[str], year: int, thousands: int, ask: str
) -> None:
    if first == "build" and len(stocks) < 2:
        stocks = [*stocks, next(t for t in STOCKS_ASKED if t not in stocks)]
    session = ChatSession(f"made-{uuid.uuid4().hex}", settings=Settings())
    session.send(FIRST[first].format(s=" and ".join(stocks), y=year))
    reply = session.send(ask.format(k=thousands, y=year)).replies[-1]
    (args,) = tool_args(session, "backtest_weights")
    capital = 1000.0 * thousands
    assert args["capital"] == capital, args
    if first == "build":
        assert "portfolio_id" in args, args
    else:
        assert set(args.get("weights") or args.get("universe") or ()) == set(stocks), args
    if "since" in ask or first == "sharpe":
        assert args["start"] == f"{year}-01-01", args  # the window said, or the analysis's
    became = BECAME.search(reply)
    assert became is not None, reply
    total, start, end = (float(g.replace(",", "")) for g in became.groups())
    grown = capital * (1 + total / 100)  # both said to 4 significant digits
    assert start == capital and abs(end - grown) <= grown * 0.0011 + 1, reply
    assert "Not used" not in reply, reply
