"""An option strategy Stratigos does not model asked to be run ("sell a 105% covered call on
AAPL", "backtest a straddle on KO", "run an iron condor on XOM since 2020") is said to be
outside what it runs, with the protection it does model and one option's price as what to ask,
nothing computed (before: a market read of the stock, or a collar search drafted); asked what
it is ("what is a straddle?") it is the glossary's section. A put and a call said together in
a backtest ("a 90% put and a 110% call") is a collar with that call (the call was said
unused), and the reply's own example runs."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread, tool_args

RUN = ("sell a {k} on {t}", "backtest a {k} on {t} since 2020", "run an {k} on {t}",
       "can you set up a {k} for {t}?", "I want to trade {k}s on {t}")  # fmt: skip
KINDS = ("covered call", "straddle", "strangle", "iron condor", "call spread", "buy-write")


@settings(max_examples=10, deadline=None)
@given(ticker=st.sampled_from(STOCKS_ASKED), kind=st.sampled_from(KINDS), ask=st.sampled_from(RUN))
def test_an_option_strategy_not_modelled_is_said_so_and_nothing_is_computed(
    ticker: str, kind: str, ask: str
) -> None:
    session = ChatSession(f"options-{uuid.uuid4().hex}", settings=Settings())
    turn = session.send(ask.format(k=kind, t=ticker))
    reply = turn.replies[-1]
    assert reply.startswith(f"I can't run {kind.replace('-', ' ')}s: the options"), reply
    assert "protective puts, put spreads and collars" in reply, reply
    assert reply.endswith("Nothing was computed."), reply
    assert turn.pending is None
    assert not [m for m in session.history() if getattr(m, "tool_calls", None)], reply


@settings(max_examples=4, deadline=None)
@given(kind=st.sampled_from(KINDS))
def test_what_an_option_strategy_is_is_the_glossary_s(kind: str) -> None:
    reply = answer_in_new_thread(f"what is a {kind}?")
    assert reply.startswith("Option strategies Stratigos does not run:"), reply


def test_a_put_and_a_call_said_together_are_a_collar_and_the_reply_s_example_runs() -> None:
    reply = answer_in_new_thread("sell a covered call on KO")
    example = reply.split("for example '")[1].split("'")[0]
    session = ChatSession(f"collar-{uuid.uuid4().hex}", settings=Settings())
    answer = session.send(example).replies[-1]
    (args,) = tool_args(session, "backtest_strategy")
    assert args["config"]["overlay"] == "collar", args
    assert args["config"]["overlay_strike"] == 0.9, args
    assert args["config"]["overlay_call_strike"] == 1.1, args
    assert "Its collar (strike 90%, sold call 110%" in answer and "Not used" not in answer, answer
    priced = answer_in_new_thread(reply.split("('")[1].split("')")[0])
    assert priced.startswith("A 3-month European call on AAPL struck at 105%"), priced
