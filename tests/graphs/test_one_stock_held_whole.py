"""A backtest of one stock held whole with no cadence said ("backtest AAPL since 2020", "how
much would 10k in KO have grown to since 2019?", "backtest it" after the year's best stock): bought
once and held, as a PM holding one stock would. Before, it was "rebalanced monthly" with 36
rebalances and a turnover of 0.0%: a schedule with nothing to trade; "how would AAPL have done
since 2012?" was a 10% target-vol strategy's backtest. A cadence said is kept; several stocks
named are held at equal weights, as the reply says.
The total return is checked against pandas."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, total_returns, turn_calls

ASKS = (
    "backtest {t} since {y}",
    "how would {t} have done since {y}?",
    "how much would 10k in {t} have grown to since {y}?",
)


@settings(max_examples=6, deadline=None)
@given(
    ask=st.sampled_from(ASKS), ticker=st.sampled_from(STOCKS_ASKED), year=st.integers(2012, 2021)
)
def test_one_stock_with_no_cadence_is_bought_once_and_held(
    ask: str, ticker: str, year: int
) -> None:
    session = ChatSession(f"held-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, ask.format(t=ticker, y=year))
    backtests = [c["args"] for c in calls if c["name"] == "backtest_weights"]
    assert [b.get("rebalance") for b in backtests] == ["never"], (reply, calls)
    assert "bought once and held" in reply and "rebalance" not in reply, reply
    said = re.search(r"total return (-?[\d.]+)%", reply)
    assert said is not None, reply
    expected = float(total_returns(year)[ticker])  # shown to 0.01 points, or 4 significant digits
    assert abs(float(said[1]) / 100 - expected) <= max(0.0006, abs(expected) * 6e-4), reply


def test_a_cadence_said_for_one_stock_is_kept_and_the_best_stock_is_held_whole() -> None:
    session = ChatSession(f"held-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, "backtest KO since 2020 rebalanced quarterly")
    assert [c["args"].get("rebalance") for c in calls] == ["quarterly"], calls
    assert "rebalanced quarterly" in reply, reply
    turn_calls(session, "which stock had the highest return in 2021?")
    reply, calls, _ = turn_calls(session, "backtest it since 2022")
    assert [(c["args"]["universe"], c["args"]["rebalance"]) for c in calls] == [
        (["RRC"], "never")
    ], calls
    assert "bought once and held" in reply, reply
    reply, calls, _ = turn_calls(session, "how would AAPL and KO have done since 2015?")
    assert [(c["name"], c["args"]["universe"]) for c in calls] == [
        ("backtest_weights", ["AAPL", "KO"])
    ], calls
    assert "held at equal weights, 50.0% each, rebalanced monthly" in reply, reply
