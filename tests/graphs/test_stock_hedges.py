"""One stock asked about as a hedge for another ("is KO a good hedge for AAPL?", "would XOM hedge
my MSFT?"): the correlation of their daily returns, and what it means for a hedge (one moves
against what it protects). Before, it was read as an option hedge and asked which protection.
The correlation is checked against pandas."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.stock_hedges import hedge_note
from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

PRICES = load_sp500_prices()
ASKS = (
    "is {h} a good hedge for {s}?",
    "would {h} hedge my {s}?",
    "is {h} a hedge against {s}?",
    "could {h} be an effective hedge for {s}?",
    "hmm is {h} any good as a hedge against {s}",
)


@settings(max_examples=6, deadline=None)
@given(
    pair=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    ask=st.sampled_from(ASKS),
)
def test_a_stock_as_a_hedge_is_its_correlation_with_the_other(pair: list[str], ask: str) -> None:
    hedge, held = pair
    session = ChatSession(f"hedge-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, pending = turn_calls(session, ask.format(h=hedge, s=held))
    assert not pending and [(c["name"], c["args"]["universe"]) for c in calls] == [
        ("asset_statistics", [hedge, held])
    ], (reply, calls)
    returns = PRICES[[hedge, held]].loc["2017-12-29":"2022-12-28"].pct_change().iloc[1:]
    expected = returns[hedge].corr(returns[held])
    said = re.search(
        rf"{hedge} moved (?:with|against) {held} \(a correlation of (-?[\d.]+)\)", reply
    )
    assert said is not None, reply
    assert abs(float(said[1]) - expected) <= 0.006, (reply, expected)
    assert ("does not offset" in reply) == (expected > 0), reply


def test_a_negative_correlation_is_said_to_offset_falls() -> None:
    data = {
        "correlation": {"assets": ["GLD", "SPY"], "matrix": [[1.0, -0.3], [-0.3, 1.0]]},
        "assets": {"GLD": {"volatility": 0.15}, "SPY": {"volatility": 0.2}},
    }
    assert hedge_note("is GLD a good hedge for SPY?", data) == ""  # not stocks of the data
    data["correlation"]["assets"] = ["KO", "AAPL"]
    note = hedge_note("is KO a good hedge for AAPL?", data)
    assert "KO moved against AAPL (a correlation of -0.30)" in note, note
    assert "tended to rise" in note and "does not offset" not in note, note
    assert hedge_note("what is the correlation between KO and AAPL?", data) == ""
