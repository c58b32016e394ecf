"""Two asks the data or the conversation cannot answer as said, answered with what is missing:
a style group ("how did value stocks do vs growth in 2022?", "compare small caps and large
caps", "build a portfolio of dividend stocks": the data holds prices and sectors only; before,
a target-vol strategy was backtested on every stock, or it asked what to do), and a hedge of "my
portfolio" with none in the conversation ("hedge my portfolio", "protect my portfolio with
puts": which portfolio, and which protection when that is missing too; before, which protection
alone, or a search of puts on every stock proposed for approval). The holdings given next are
the portfolio protected, the protection said after them too."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

STYLES = {
    "how did value stocks do vs growth in {y}?": "value or growth",
    "value vs growth since {y}": "value or growth",
    "compare small caps and large caps since {y}": "company size",
    "build a portfolio of dividend stocks since {y}": "dividends",
    "which growth stocks did best in {y}?": "value or growth",
}
HEDGES = {"hedge my portfolio": False, "protect my portfolio with puts": True,
          "hedge my holdings with a collar": True}  # fmt: skip
"""Each ask, and whether it says the protection (so a search of it waits for approval next)."""


def _session() -> ChatSession:
    return ChatSession(f"unheld-{uuid.uuid4().hex}", settings=Settings())


@settings(max_examples=6, deadline=None)
@given(ask=st.sampled_from(sorted(STYLES)), year=st.integers(2015, 2022))
def test_a_style_group_is_said_to_be_missing_and_nothing_computed(ask: str, year: int) -> None:
    reply, calls, pending = turn_calls(_session(), ask.format(y=year))
    assert calls == [] and not pending, calls
    assert reply.startswith(f"I can't group stocks by {STYLES[ask]}:"), reply
    assert "compare tech vs staples" in reply and "Nothing was computed" in reply, reply


@settings(max_examples=6, deadline=None)
@given(
    ask=st.sampled_from(sorted(HEDGES)),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
)
def test_a_hedge_of_my_portfolio_with_none_held_asks_which_then_takes_the_holdings(
    ask: str, stocks: list[str]
) -> None:
    session = _session()
    reply, calls, pending = turn_calls(session, ask)
    assert calls == [] and not pending, calls
    assert reply.startswith("Which portfolio or stocks? Name them"), reply
    assert ("which protection" in reply) != HEDGES[ask], reply
    reply, calls, pending = turn_calls(session, f"60% {stocks[0]} 40% {stocks[1]}")
    if not HEDGES[ask]:  # the form was not said: asked next, then searched on those stocks
        assert reply.startswith("Which protection should I search") and not pending, reply
        reply, calls, pending = turn_calls(session, "protective puts with a 2% budget")
    assert pending and "Which" not in reply, (reply, calls)
    drafted = session.pending()
    assert drafted is not None and sorted(drafted["request"]["universe"]) == sorted(stocks)


def test_a_hedge_of_named_stocks_asks_no_portfolio() -> None:
    reply, _, pending = turn_calls(_session(), "protect AAPL and KO with puts")
    assert pending and not reply.startswith("Which portfolio"), reply
