"""A simulation of a portfolio ("run a monte carlo on 60% AAPL 40% KO for the next year",
"simulate it over 2 years" after a build, "monte carlo simulation of my portfolio" then the
weights): the odds of its loss and its median return over simulated paths of each scenario
(`loss_probability`), on the weights given. Before, a scenario set of the stocks was drawn, the
weights dropped without a word."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

ASKS = (
    "run a monte carlo on {w} for the next year",
    "simulate {w} over the next {n} years",
    "monte carlo simulation of {w} over {n} years",
)


def _session() -> ChatSession:
    return ChatSession(f"simulated-{uuid.uuid4().hex}", settings=Settings())


@settings(max_examples=8, deadline=None)
@given(
    ask=st.sampled_from(ASKS),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    share=st.sampled_from((30, 50, 60, 80)),
    years=st.integers(2, 4),
)
def test_a_simulation_of_given_weights_is_their_loss_odds(
    ask: str, stocks: list[str], share: int, years: int
) -> None:
    weights = f"{share}% {stocks[0]} {100 - share}% {stocks[1]}"
    reply, calls, _ = turn_calls(_session(), ask.format(w=weights, n=years))
    assert [c["name"] for c in calls] == ["loss_probability"], calls
    args = calls[0]["args"]
    assert args["weights"] == {stocks[0]: share / 100, stocks[1]: (100 - share) / 100}, args
    horizon = 252 if "next year" in ask else 252 * years
    assert args["horizon"] == horizon, args
    assert f"over {horizon} sessions" in reply and "median return" in reply, reply
    assert "Not used" not in reply, reply


def test_a_simulation_of_my_portfolio_asks_which_then_runs_on_the_weights_given() -> None:
    session = _session()
    asked, calls, _ = turn_calls(session, "monte carlo simulation of my portfolio")
    assert calls == [] and asked.startswith("Which portfolio or stocks?"), asked
    reply, calls, _ = turn_calls(session, "50% MSFT 50% JNJ")
    assert [c["name"] for c in calls] == ["loss_probability"], calls
    assert calls[0]["args"]["weights"] == {"MSFT": 0.5, "JNJ": 0.5}, calls
    assert "median return" in reply, reply
