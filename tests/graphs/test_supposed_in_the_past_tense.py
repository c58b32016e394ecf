"""Two asks said in the past tense of a supposition: a rise of rates ("what would happen to a
60/40 AAPL/KO portfolio if rates rose 200bps?", "if rates went up by 100bps what would my 50%
XOM 50% JPM do?") is the 2022 rate shock replayed, said so, and no trading cost; how a portfolio
of a method would have done ("how would an HRP portfolio of the energy stocks have done in
2020?") builds it, then backtests it over the window named, with hindsight said. Before, the
first ran a target-vol strategy's backtest (or a backtest with 100 bps costs) and the second
ran a target-vol strategy, the method said unused."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

RISES = ("rose", "went up by", "were raised by", "climbed", "jumped")
HELD = ("a 60/40 {a}/{b} portfolio", "60% {a} 40% {b}", "my 50% {a} 50% {b}")
RATE_ASKS = (
    "what would happen to {held} if rates {rise} {n}bps?",
    "if rates {rise} {n}bps what would {held} do?",
)
METHODS = {"HRP": "hrp", "min vol": "min_volatility", "max sharpe": "max_sharpe",
           "risk parity": "risk_parity"}  # fmt: skip
DONE = ("done", "performed", "fared")


def _session() -> ChatSession:
    return ChatSession(f"past-{uuid.uuid4().hex}", settings=Settings())


@settings(max_examples=8, deadline=None)
@given(
    ask=st.sampled_from(RATE_ASKS),
    held=st.sampled_from(HELD),
    rise=st.sampled_from(RISES),
    bps=st.sampled_from((50, 100, 200, 300)),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
)
def test_a_rise_of_rates_said_in_the_past_tense_is_the_rate_shock_replayed(
    ask: str, held: str, rise: str, bps: int, stocks: list[str]
) -> None:
    text = ask.format(held=held.format(a=stocks[0], b=stocks[1]), rise=rise, n=bps)
    reply, calls, _ = turn_calls(_session(), text)
    assert [c["name"] for c in calls] == ["stress_test"], (text, calls)
    assert calls[0]["args"]["episodes"] == ["rates_2022"], calls
    assert sorted(calls[0]["args"]["weights"]) == sorted(stocks), calls
    assert f"a {bps} bps rise is not applied as such" in reply, reply
    assert "costs" not in reply, reply


@settings(max_examples=8, deadline=None)
@given(
    method=st.sampled_from(sorted(METHODS)),
    done=st.sampled_from(DONE),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=4, unique=True),
    year=st.integers(2015, 2021),
)
def test_how_a_portfolio_of_a_method_would_have_done_is_built_then_backtested(
    method: str, done: str, stocks: list[str], year: int
) -> None:
    text = f"how would a {method} portfolio of {' '.join(stocks)} have {done} since {year}?"
    reply, calls, _ = turn_calls(_session(), text)
    assert [c["name"] for c in calls] == ["optimize_portfolio", "backtest_weights"], (text, calls)
    build, backtest = (c["args"] for c in calls)
    assert build["method"] == METHODS[method] and sorted(build["universe"]) == sorted(stocks)
    assert build["start"] == backtest["start"] == f"{year}-01-01", calls
    assert backtest["portfolio_id"].startswith("pf_"), calls
    assert reply.startswith("Backtest of ") and " In-sample: " in reply, reply
    assert "Not used" not in reply and "target-vol" not in reply, reply
