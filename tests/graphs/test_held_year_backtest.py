"""How the portfolio built in the conversation would have done in a year ("how would it have
done in 2019?", "in 2020", "in 2022"): its weights backtested over that calendar year, as weights
given are. Before, a year of an episode (2020, 2022) replayed the episode alone (the Covid crash,
the rate shock) and any other year backtested a 10% target-vol strategy of the stocks at equal
weights. Checked against a plain monthly rebalancing loop over the embedded closes."""

from __future__ import annotations

import re
import uuid

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, built_portfolio, closes_from, turn_calls
from tests.support.rebalancing import rebalanced_wealth

ASKS = (
    "how would it have done in {y}?",
    "how would the portfolio have performed in {y}",
    "and how would this have done in {y}?",
)


@settings(max_examples=6, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=4, unique=True),
    method=st.sampled_from(("an HRP", "a min vol", "a risk parity")),
    year=st.integers(2010, 2022),
    ask=st.sampled_from(ASKS),
)
def test_a_year_asked_of_the_build_is_its_backtest_over_that_year(
    stocks: list[str], method: str, year: int, ask: str
) -> None:
    session = ChatSession(f"year-{uuid.uuid4().hex}", settings=Settings())
    built, _, _ = turn_calls(session, f"build {method} portfolio of {', '.join(stocks)}")
    portfolio_id, weights = built_portfolio(built)
    reply, calls, pending = turn_calls(session, ask.format(y=year))
    assert not pending and [c["name"] for c in calls] == ["backtest_weights"], (reply, calls)
    args = calls[0]["args"]
    assert args["portfolio_id"] == portfolio_id, args
    assert (args["start"], args["end"]) == (f"{year}-01-01", f"{year}-12-31"), args
    total = re.search(r"from (\d{4})-01-0\d to \d{4}-12-\d\d .*?: total return (-?[\d.]+)%", reply)
    assert total is not None and total[1] == str(year), reply
    closes = closes_from(year, f"{year}-12-31")[list(weights)]
    mix = np.array(list(weights.values()))  # as the reply rounds them (0.1%), summing to 1
    wealth = rebalanced_wealth(closes, mix / mix.sum(), "monthly")
    assert abs(float(total[2]) / 100 - (wealth[-1] - 1.0)) <= 0.003, (reply, wealth[-1])
