"""A number said again ("make it 40%", "make it 99") after a request that names its own stocks is
that request with the number changed: the capped build rebuilt with the new cap, the
target-vol backtest run at the new target over the same window, the VaR at the new confidence.
Before, each was answered with an uncapped HRP portfolio ("Not used: the 40% cap", "the 15% in
'make it 15%'"). The number changed is the earlier message's one number of the kind said (a
year beside it stays: "12% vol since 2019")."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, tool_args

STOCKS = st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=4, unique=True)
SAID_AGAIN = ("make it {n}%", "actually, make it {n}%", "make that {n}", "change it to {n}%")
"""How a PM says a number again."""


def _session() -> ChatSession:
    return ChatSession(f"again-{uuid.uuid4().hex}", settings=Settings())


@settings(max_examples=6, deadline=None)
@given(
    stocks=STOCKS,
    method=st.sampled_from((("min vol", "min_volatility"), ("risk parity", "risk_parity"))),
    caps=st.tuples(st.integers(35, 45), st.integers(50, 60)),
    again=st.sampled_from(SAID_AGAIN),
)
def test_a_capped_build_is_rebuilt_with_the_new_cap(
    stocks: list[str], method: tuple[str, str], caps: tuple[int, int], again: str
) -> None:
    session = _session()
    session.send(f"{method[0]} portfolio of {', '.join(stocks)} capped at {caps[0]}%")
    reply = session.send(again.format(n=caps[1])).replies[-1]
    built = tool_args(session, "optimize_portfolio")
    assert len(built) == 2, built
    assert (built[-1]["method"], built[-1]["max_weight"]) == (method[1], caps[1] / 100)
    assert sorted(built[-1]["universe"]) == sorted(stocks)
    assert "Not used" not in reply, reply
    assert f"at most {caps[1]}.0% in any asset" in reply, reply


@settings(max_examples=6, deadline=None)
@given(
    pair=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    targets=st.tuples(st.integers(6, 12), st.integers(13, 20)),
    since=st.one_of(st.none(), st.integers(2010, 2020)),
    again=st.sampled_from(SAID_AGAIN),
)
def test_a_target_vol_backtest_is_run_at_the_new_target_over_the_same_window(
    pair: list[str], targets: tuple[int, int], since: int | None, again: str
) -> None:
    session = _session()
    window = "" if since is None else f" since {since}"
    session.send(f"backtest {pair[0]} and {pair[1]} targeting {targets[0]}% vol{window}")
    reply = session.send(again.format(n=targets[1])).replies[-1]
    runs = tool_args(session, "backtest_strategy")
    assert len(runs) == 2, runs
    assert runs[-1]["config"]["target_vol"] == targets[1] / 100
    assert sorted(runs[-1]["universe"]) == sorted(pair)
    assert runs[-1].get("start") == runs[0].get("start"), runs  # the window kept
    assert re.search(rf"Backtest of an? {targets[1]}% target-vol", reply), reply
    assert not tool_args(session, "optimize_portfolio"), reply
    assert "Not used" not in reply, reply


@settings(max_examples=4, deadline=None)
@given(stock=st.sampled_from(STOCKS_ASKED), since=st.one_of(st.none(), st.integers(2010, 2020)))
def test_a_risk_measure_is_computed_again_at_the_new_confidence(
    stock: str, since: int | None
) -> None:
    session = _session()
    window = "" if since is None else f" since {since}"
    session.send(f"what is the 95% VaR of {stock}{window}?")
    reply = session.send("make it 99").replies[-1]
    reports = tool_args(session, "portfolio_risk_report")
    assert [r.get("level", 0.95) for r in reports] == [0.95, 0.99], reports
    assert reports[-1].get("start") == reports[0].get("start"), reports
    assert reply.startswith("At 99% confidence the one-day VaR is"), reply
