"""A holding supposed in the past ("what if I had bought AMD in 2019?", "what if we had held JPM
since 2020?", "what if I had invested in KO in 2015?"): the stock bought in that year and held to
the end of the data. Before, it was a scenario set of 2019 alone, or an episode replayed (the
2020 Covid crash, the 2022 rate shock). A move supposed ("what if the market falls 20%?") stays a
stress test. The total return is checked against pandas."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, closes_from, total_returns, turn_calls

ASKS = (
    "what if I had bought {t} in {y}?",
    "what if we had held {t} since {y}?",
    "what if I had invested in {t} in {y}?",
    "what if I'd bought {t} at the start of {y}?",
    "had I bought {t} in {y}, how would it have gone?",
    "yo, if i'd put money in {t} back in {y} what would've happened",
)


@settings(max_examples=6, deadline=None)
@given(
    ask=st.sampled_from(ASKS), ticker=st.sampled_from(STOCKS_ASKED), year=st.integers(2008, 2022)
)
def test_a_holding_supposed_in_the_past_is_held_from_its_year_to_the_end(
    ask: str, ticker: str, year: int
) -> None:
    session = ChatSession(f"had-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, ask.format(t=ticker, y=year))
    assert [(c["name"], c["args"]) for c in calls] == [
        ("backtest_weights", {"universe": [ticker], "start": f"{year}-01-01", "rebalance": "never"})
    ], (reply, calls)
    expected = float(total_returns(year)[ticker])
    said = re.search(r"total return (-?[\d.]+)%", reply)
    assert said is not None, reply
    assert abs(float(said[1]) / 100 - expected) <= max(0.0006, abs(expected) * 6e-4), reply
    assert f"to {closes_from(year).index[-1].date()}" in reply, reply


def test_a_move_supposed_stays_a_stress_test() -> None:
    session = ChatSession(f"had-{uuid.uuid4().hex}", settings=Settings())
    _, calls, _ = turn_calls(session, "what if the market falls 20% with 60% AAPL 40% KO?")
    assert [(c["name"], c["args"].get("market_move")) for c in calls] == [("stress_test", -0.2)]
