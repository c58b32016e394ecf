"""Two portfolios the conversation built, compared with no names said ("compare them", "which
is better?", "compare it with the previous one", "compare them on drawdown since 2020", "compare
to the first one" after three builds): both compared over one window by id, as when named.
Before: a market read of the stocks, a risk report of each stock, or a question of what to do."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, built_portfolio, turn_calls

METHODS = ("HRP", "min vol", "max sharpe", "risk parity")
ASKED = ("compare them", "which is better?", "compare it with the previous one",
         "now compare the two portfolios", "compare them on drawdown since 2020",
         "compare both on cvar")  # fmt: skip


def _built(session: ChatSession, method: str, stocks: list[str]) -> str:
    reply, _, _ = turn_calls(session, f"build a {method} portfolio of {' '.join(stocks)}")
    return built_portfolio(reply)[0]


@settings(max_examples=8, deadline=None)
@given(
    methods=st.lists(st.sampled_from(METHODS), min_size=2, max_size=2, unique=True),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=4, unique=True),
    asked=st.sampled_from(ASKED),
)
def test_the_two_latest_builds_are_compared_by_id(
    methods: list[str], stocks: list[str], asked: str
) -> None:
    session = ChatSession(f"builds-{uuid.uuid4().hex}", settings=Settings())
    first, second = (_built(session, method, stocks) for method in methods)
    reply, calls, _ = turn_calls(session, asked)
    assert [c["name"] for c in calls] == ["compare_portfolios"], (asked, calls)
    assert calls[0]["args"]["portfolio_ids"] == [first, second], calls
    if "since 2020" in asked:
        assert calls[0]["args"]["start"] == "2020-01-01", calls
    assert reply.startswith("Compared from") and first in reply and second in reply, reply


def test_the_first_one_is_the_first_build() -> None:
    session = ChatSession(f"builds-{uuid.uuid4().hex}", settings=Settings())
    first = _built(session, "min vol", ["AAPL", "MSFT", "KO", "JNJ", "PG"])
    turn_calls(session, "now add XOM")
    _, calls, _ = turn_calls(session, "remove AAPL")
    latest = calls[0]
    reply, calls, _ = turn_calls(session, "compare to the first one")
    ids = calls[0]["args"]["portfolio_ids"]
    assert ids[0] == first and ids[1] != first and ids[1] in reply, (latest, calls)


def test_one_build_alone_is_not_compared_with_anything() -> None:
    session = ChatSession(f"builds-{uuid.uuid4().hex}", settings=Settings())
    _built(session, "HRP", ["AAPL", "KO", "JNJ"])
    _, calls, _ = turn_calls(session, "compare them")
    assert all(c["name"] != "compare_portfolios" for c in calls), calls
