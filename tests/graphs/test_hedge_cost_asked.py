"""The cost of the conversation's hedge asked ("how much would the hedge have cost in 2022?",
"what did the put cost us in 2020?"): after a backtest of a strategy with a put, that backtest
over the year said, its premiums, payoff and net cost in the reply (checked against
`backtest_strategy` called with the same strategy over the year); with no hedged strategy as the
latest request, a question that says what to ask and nothing computed (before: a strategy
search drafted over the year, refused for a year's window). A put said with "a" is still one
option's price."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.hedge_costs import NO_HEDGE
from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import answer_in_new_thread, tool_args
from tools import ToolContext
from tools.strategy.backtest import backtest_strategy
from tools.strategy.schemas import BacktestArgs

ASKS = (
    "how much would the hedge have cost in {y}?",
    "what did the put cost us in {y}?",
    "what was the premium of our hedge in {y}?",
    "what would the protection have cost in {y}",
    "how did the hedge do in {y}?",
    "did the put help in {y}?",
)


@settings(max_examples=6, deadline=None)
@given(
    strike=st.sampled_from((85, 90, 95)),
    year=st.integers(2008, 2021),
    ask=st.sampled_from(ASKS),
)
def test_the_hedged_strategy_is_backtested_over_the_year_asked(
    strike: int, year: int, ask: str
) -> None:
    session = ChatSession(f"hedge-{uuid.uuid4().hex}", settings=Settings())
    session.send(
        f"backtest a 10% target vol strategy with a {strike}% put on AAPL and KO since 2005"
    )
    reply = session.send(ask.format(y=year)).replies[-1]
    first, last = tool_args(session, "backtest_strategy")
    assert last == {**first, "start": f"{year}-01-01", "end": f"{year}-12-31"}, (first, last)
    expected = backtest_strategy(ToolContext(), BacktestArgs.model_validate(last))["metrics"]
    assert reply.startswith("Changed from your previous request:"), reply
    said = (
        f"cost {100 * expected['hedge_premium']:.2f}% of wealth a year in premiums and paid back "
        f"{100 * expected['hedge_payoff']:.2f}%"
    )
    assert said in reply and f"strike {strike}%" in reply, (reply, expected)
    assert session.pending() is None  # no search drafted


def test_with_no_hedged_strategy_it_says_what_to_ask_and_computes_nothing() -> None:
    assert answer_in_new_thread("how much would the hedge have cost in 2022?") == NO_HEDGE
    session = ChatSession(f"unhedged-{uuid.uuid4().hex}", settings=Settings())
    session.send("backtest a 10% target vol strategy on AAPL and KO since 2015")
    assert session.send("what did the put cost us in 2020?").replies[-1] == NO_HEDGE
    assert len(tool_args(session, "backtest_strategy")) == 1 and session.pending() is None
    priced = answer_in_new_thread(
        "how much would a 90% put on AAPL have cost at the start of 2022?"
    )
    assert priced.startswith("A 3-month European put on AAPL struck at 90%"), priced
