""" "This year" (the market data's last calendar year) is a window, not a subject: "how has the
market done this year?" is the S&P 500's year (it asked "Which portfolio or stocks?", "this"
read as the conversation's portfolio), its total return checked against pandas over the
embedded index; a stock's or the portfolio's "this year" is theirs."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant.data import load_sp500_index
from settings import Settings
from tests.support.chat_answers import turn_calls

INDEX = load_sp500_index()
YEAR = INDEX.index[-1].year
ASKS = ("how has the market done this year?", "what's the market return this year?",
        "how did the S&P do this year?", "how has the S&P 500 performed this year?")  # fmt: skip


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ask=st.sampled_from(ASKS))
def test_the_market_this_year_is_the_index_over_the_data_s_last_year(
    offline_data_dir: Path, ask: str
) -> None:
    reply, calls, _ = turn_calls(ChatSession(f"year-{uuid.uuid4().hex}", settings=Settings()), ask)
    assert [c["args"].get("start") for c in calls] == [f"{YEAR}-01-01"], (calls, reply)
    said = re.search(r"The S&P 500 index from \S+ to \S+: a total return of (-?[\d.]+)%", reply)
    assert said is not None, reply
    closes = INDEX.loc[INDEX.loc[: f"{YEAR - 1}-12-31"].index[-1] :]
    assert abs(float(said[1]) / 100 - (closes.iloc[-1] / closes.iloc[0] - 1)) < 0.0006


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stock=st.sampled_from(("AAPL", "KO", "XOM")))
def test_a_stock_s_or_the_portfolio_s_this_year_is_theirs(
    offline_data_dir: Path, stock: str
) -> None:
    session = ChatSession(f"year-{uuid.uuid4().hex}", settings=Settings())
    _, calls, _ = turn_calls(session, f"how did {stock} do this year?")
    assert [(c["args"].get("universe"), c["args"].get("start")) for c in calls] == [
        ([stock], f"{YEAR}-01-01")
    ]
    turn_calls(session, f"build a min vol portfolio of {stock} and JNJ")
    _, calls, _ = turn_calls(session, "how did it do this year?")
    assert [c["args"].get("start") for c in calls] == [f"{YEAR}-01-01"], calls
    assert all(str(c["args"].get("portfolio_id", "")).startswith("pf_") for c in calls), calls
